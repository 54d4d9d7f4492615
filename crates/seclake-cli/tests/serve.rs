//! `seclake serve` with an S3 scan source, against a real S3-compatible
//! server (moto) started here: objects are ingested once with the
//! source's id and label, what was ingested is remembered across runs,
//! new and rewritten objects are picked up, SIGTERM stops it cleanly, and
//! `--check-config` names every problem.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{ok, query, repo, s3_env, seclake, spawn_serve, stop, text};
use seclake_testkit::moto::Moto;

fn config(dir: &std::path::Path, lake: &str, interval: &str) -> std::path::PathBuf {
    let path = dir.join("seclake.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[lake]
uri = "{lake}"

[[source]]
id = "aws-prod"
label = "AWS production"
type = "s3"
uri = "s3://serve-test/AWSLogs/"
interval = "{interval}"
"#
        ),
    )
    .unwrap();
    path
}

fn put(moto: &Moto, key: &str, file: &str) {
    let body = std::fs::read(repo().join("examples/logs").join(file)).unwrap();
    assert_eq!(
        moto.request("PUT", &format!("/serve-test/{key}"), &body),
        200
    );
}

#[test]
fn s3_scan_ingests_each_object_once_and_remembers() {
    let Some(moto) = Moto::start() else { return };
    let envs = s3_env(&moto.endpoint);
    moto.create_bucket("serve-test");
    put(
        &moto,
        "AWSLogs/vpc/vpcflow-default.log",
        "vpcflow-default.log",
    );
    put(
        &moto,
        "AWSLogs/trail/cloudtrail-records.json.gz",
        "cloudtrail-records.json.gz",
    );
    assert_eq!(moto.request("PUT", "/serve-test/AWSLogs/empty/", b""), 200);
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake = lake.to_str().unwrap();
    let cfg = config(dir.path(), lake, "1s");

    let once = |what: &str| {
        let out = ok(seclake()
            .args(["serve", "--once", "--config"])
            .arg(&cfg)
            .envs(envs.iter().cloned())
            .output()
            .unwrap());
        let err = text(&out.stderr);
        eprintln!("{what}:\n{err}");
        err
    };
    let err = once("first round");
    assert!(err.contains("2 of 2 new object(s) ingested"), "{err}");
    let rows = query(
        lake,
        &[],
        "SELECT p_source_id, p_source_label, count(*) FROM aws_vpcflow GROUP BY 1, 2",
        &[],
    );
    assert_eq!(rows, [["aws-prod", "AWS production", "7"]]);
    assert_eq!(
        query(lake, &[], "SELECT count(*) FROM aws_cloudtrail", &[]),
        [["7"]]
    );

    // Nothing new: nothing ingested again.
    let err = once("second round");
    assert!(!err.contains("ingested:"), "{err}");
    assert_eq!(
        query(lake, &[], "SELECT count(*) FROM aws_vpcflow", &[]),
        [["7"]]
    );

    // New objects are picked up. (An object rewritten under the same key
    // has another ETag, so another identity: see `state`'s test. The
    // test server refuses unsigned overwrites.)
    put(&moto, "AWSLogs/alb/alb.log", "alb.log");
    put(&moto, "AWSLogs/s3/s3-access.log", "s3-access.log");
    let err = once("third round");
    assert!(err.contains("2 of 2 new object(s) ingested"), "{err}");
    assert_eq!(
        query(lake, &[], "SELECT count(*) FROM aws_alb", &[]),
        [["8"]]
    );
    assert_eq!(
        query(lake, &[], "SELECT count(*) FROM aws_s3serveraccess", &[]),
        [["5"]]
    );
}

#[test]
fn sigterm_stops_a_running_serve_cleanly() {
    let Some(moto) = Moto::start() else { return };
    let envs = s3_env(&moto.endpoint);
    moto.create_bucket("serve-test");
    put(&moto, "AWSLogs/alb.log", "alb.log");
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake = lake.to_str().unwrap();
    let cfg = config(dir.path(), lake, "1s");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut text_cfg = std::fs::read_to_string(&cfg).unwrap();
    text_cfg.push_str(&format!("\n[metrics]\nlisten = \"127.0.0.1:{port}\"\n"));
    std::fs::write(&cfg, text_cfg).unwrap();
    let child = seclake()
        .args(["serve", "--config"])
        .arg(&cfg)
        .envs(envs.iter().cloned())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // It ingests the object, then keeps polling.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = dir.path().join("lake/aws_alb/_delta_log").exists();
        if ready || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(1500));
    // Prometheus metrics and the health check.
    let get = |path: &str| {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut r = String::new();
        s.read_to_string(&mut r).unwrap();
        r
    };
    let metrics = get("/metrics");
    assert!(
        metrics.contains("seclake_rows_total{source=\"aws-prod\",log_type=\"AWS.ALB\"} 8"),
        "{metrics}"
    );
    assert!(
        metrics.contains("seclake_inputs_total{source=\"aws-prod\",result=\"ok\"} 1"),
        "{metrics}"
    );
    assert!(get("/healthz").ends_with("ok\n"));
    let out = stop(child);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("stopping after the work in progress"), "{err}");
    assert_eq!(
        query(lake, &[], "SELECT count(*) FROM aws_alb", &[]),
        [["8"]]
    );
}

#[test]
fn check_config_names_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[lake]\nuri = \"/tmp/x\"\n[[source]]\nid = \"a\"\ntype = \"s3\"\nlog_types = [\"AWS.Nope\"]\n",
    )
    .unwrap();
    let out = seclake()
        .args(["serve", "--check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("bad.toml"), "{err}");
    assert!(
        err.contains("source \"a\": uri is required for type s3"),
        "{err}"
    );
    assert!(err.contains("log type \"AWS.Nope\" is unknown"), "{err}");
    let good = config(dir.path(), "/tmp/lake", "60s");
    let out = ok(seclake()
        .args(["serve", "--check-config", "--config"])
        .arg(&good)
        .output()
        .unwrap());
    assert!(text(&out.stdout).contains("ok (1 source(s))"));
}

#[test]
fn a_file_source_follows_growing_and_rotated_files() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let lake = dir.path().join("lake");
    let cfg = dir.path().join("seclake.toml");
    std::fs::write(
        &cfg,
        format!(
            "[lake]\nuri = \"{}\"\n[[source]]\nid = \"flows\"\ntype = \"file\"\npath = \"{}\"\nlog_types = [\"AWS.VPCFlow\"]\n",
            lake.display(),
            logs.display()
        ),
    )
    .unwrap();
    let line = |n: u32| {
        format!("2 123456789012 eni-{n:08x} 10.0.0.1 10.1.0.1 443 {n} 6 1 1 1700000000 1700000060 ACCEPT OK\n")
    };
    let once = || {
        text(
            &ok(seclake()
                .args(["serve", "--once", "--config"])
                .arg(&cfg)
                .output()
                .unwrap())
            .stderr,
        )
    };
    let app = logs.join("flows.log");
    let mut body: String = (0..10).map(line).collect();
    body.push_str("2 123456789012 eni-partial"); // no newline yet
    std::fs::write(&app, &body).unwrap();
    once();
    let count = || {
        query(
            lake.to_str().unwrap(),
            &[],
            "SELECT count(*), count(DISTINCT p_row_id) FROM aws_vpcflow",
            &[],
        )
    };
    assert_eq!(count(), [["10", "10"]]);
    // The partial line completes; the file rotates; a new one starts.
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(&app).unwrap();
    f.write_all(b" 10.0.0.1 10.1.0.1 443 99 6 1 1 1700000000 1700000060 ACCEPT OK\n")
        .unwrap();
    drop(f);
    std::fs::rename(&app, logs.join("flows.log.1")).unwrap();
    std::fs::write(&app, (100..105).map(line).collect::<String>()).unwrap();
    let err = once();
    assert!(err.contains("2 of 2 file range(s) ingested"), "{err}");
    assert_eq!(count(), [["16", "16"]]);
    // Nothing new: nothing again.
    let err = once();
    assert!(!err.contains("ingested"), "{err}");
    assert_eq!(count(), [["16", "16"]]);
    // Structured logs: a JSON object a line.
    std::fs::write(logs.join("more.log"), line(7)).unwrap();
    let out = ok(seclake()
        .args(["serve", "--once", "--log-format", "json", "--config"])
        .arg(&cfg)
        .output()
        .unwrap());
    let lines: Vec<serde_json::Value> = text(&out.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert!(lines
        .iter()
        .all(|l| l["level"] == "info" && l["time"].is_string()));
    assert!(lines.iter().any(|l| l["message"]
        .as_str()
        .unwrap()
        .contains("1 of 1 file range(s) ingested")));
}

#[test]
fn maintenance_compacts_on_its_interval() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake_s = lake.to_str().unwrap();
    let vpc = repo().join("examples/logs/vpcflow-default.log");
    for _ in 0..2 {
        ok(seclake()
            .args(["ingest", "--lake", lake_s])
            .arg(&vpc)
            .output()
            .unwrap());
    }
    let count = || {
        query(
            lake_s,
            &[],
            "SELECT count(*), count(DISTINCT p_row_id) FROM aws_vpcflow",
            &[],
        )
    };
    assert_eq!(count(), [["14", "7"]]);
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let cfg = dir.path().join("seclake.toml");
    std::fs::write(
        &cfg,
        format!(
            "[lake]\nuri = \"{lake_s}\"\n[[source]]\nid = \"idle\"\ntype = \"file\"\npath = \"{}\"\n[maintenance]\ncompact_every = \"1s\"\ncompact_older_than = \"0\"\n",
            logs.display()
        ),
    )
    .unwrap();
    let child = spawn_serve(&cfg);
    std::thread::sleep(Duration::from_millis(3000));
    let out = stop(child);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("7 duplicate row(s) removed"), "{err}");
    assert_eq!(count(), [["7", "7"]]);
}
