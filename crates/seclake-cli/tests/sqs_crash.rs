//! `seclake serve` on an SQS queue (moto started here), killed with
//! SIGKILL at random moments ten times and restarted: no row is lost, the
//! queue ends empty, and compaction leaves every row exactly once. Then
//! two workers on one queue share it without ingesting anything twice.

mod common;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{ok, query, s3_env, seclake, Envs, Lcg};
use seclake_testkit::moto::Moto;

const OBJECTS: usize = 12;
const LINES: usize = 4_000;

/// Uploads the objects and sends one S3 notification each.
fn setup(moto: &Moto, queue: &str) {
    moto.create_bucket("crash-test");
    for i in 0..OBJECTS {
        let text = common::vpc_flows(i, LINES, 7);
        let key = format!("flows/f{i:02}.log");
        assert_eq!(
            moto.request("PUT", &format!("/crash-test/{key}"), text.as_bytes()),
            200
        );
        moto.send(
            queue,
            &format!(r#"{{"Records":[{{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{{"bucket":{{"name":"crash-test"}},"object":{{"key":"{key}","size":{}}}}}}}]}}"#, text.len()),
        );
    }
}

fn config(dir: &std::path::Path, queue: &str) -> std::path::PathBuf {
    let path = dir.join("seclake.toml");
    std::fs::write(
        &path,
        format!(
            "[lake]\nuri = \"{}\"\n[[source]]\nid = \"q\"\ntype = \"sqs\"\nqueue_url = \"{queue}\"\nvisibility_timeout = \"2s\"\nlog_types = [\"AWS.VPCFlow\"]\n",
            dir.join("lake").display()
        ),
    )
    .unwrap();
    path
}

fn serve(cfg: &std::path::Path, envs: &Envs, once: bool) -> Child {
    let mut c = seclake();
    c.arg("serve")
        .arg("--config")
        .arg(cfg)
        .args(["--threads", "2"]);
    if once {
        c.arg("--once");
    }
    c.envs(envs.iter().cloned())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Runs `--once` rounds until the queue is empty (messages left by a
/// killed worker come back after their visibility timeout).
fn drain(moto: &Moto, queue: &str, cfg: &std::path::Path, envs: &Envs) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let visible = moto.queue_attribute(queue, "ApproximateNumberOfMessages");
        let hidden = moto.queue_attribute(queue, "ApproximateNumberOfMessagesNotVisible");
        if visible == "0" && hidden == "0" {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the queue does not drain: {visible} visible, {hidden} hidden"
        );
        if visible != "0" {
            assert!(serve(cfg, envs, true).wait().unwrap().success());
        } else {
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

#[test]
fn killed_workers_lose_nothing_and_compaction_removes_the_copies() {
    let Some(moto) = Moto::start() else { return };
    let envs = s3_env(&moto.endpoint);
    let queue = moto.create_queue("crash", "{}");
    setup(&moto, &queue);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &queue);
    let mut rng = Lcg::seeded();
    let seed = rng.0;
    for _ in 0..10 {
        let mut child = serve(&cfg, &envs, false);
        std::thread::sleep(Duration::from_millis(200 + rng.below(1500)));
        child.kill().unwrap();
        child.wait().unwrap();
    }
    drain(&moto, &queue, &cfg, &envs);
    let lake = dir.path().join("lake");
    let lake = lake.to_str().unwrap();
    let total = (OBJECTS * LINES).to_string();
    let distinct = query(
        lake,
        &[],
        "SELECT count(DISTINCT p_row_id) FROM aws_vpcflow",
        &envs,
    );
    assert_eq!(
        distinct,
        [[total.as_str()]],
        "every row is in the lake (seed {seed})"
    );
    ok(seclake()
        .args(["compact", "--lake", lake])
        .output()
        .unwrap());
    let after = query(
        lake,
        &[],
        "SELECT count(*), count(DISTINCT p_row_id) FROM aws_vpcflow",
        &envs,
    );
    assert_eq!(
        after,
        [[total.as_str(), total.as_str()]],
        "exactly once after compaction (seed {seed})"
    );
}

#[test]
fn two_workers_share_one_queue() {
    let Some(moto) = Moto::start() else { return };
    let envs = s3_env(&moto.endpoint);
    let queue = moto.create_queue("shared", "{}");
    setup(&moto, &queue);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &queue);
    let (a, b) = (serve(&cfg, &envs, true), serve(&cfg, &envs, true));
    for mut w in [a, b] {
        assert!(w.wait().unwrap().success());
    }
    drain(&moto, &queue, &cfg, &envs);
    let lake = dir.path().join("lake");
    let rows = query(
        lake.to_str().unwrap(),
        &[],
        "SELECT count(*), count(DISTINCT p_row_id) FROM aws_vpcflow",
        &envs,
    );
    let total = (OBJECTS * LINES).to_string();
    assert_eq!(rows, [[total.as_str(), total.as_str()]], "each object once");
}

#[test]
fn an_object_longer_than_the_visibility_timeout_is_processed_once() {
    let Some(moto) = Moto::start() else { return };
    let envs = s3_env(&moto.endpoint);
    let queue = moto.create_queue("slow", "{}");
    moto.create_bucket("crash-test");
    let lines = 400_000;
    let mut text = String::with_capacity(lines * 100);
    for n in 0..lines {
        let t = 1_700_000_000 + (n as u64) * 7;
        text.push_str(&format!(
            "2 123456789012 eni-{n:08x} 10.0.{}.{} 10.1.0.1 443 {} 6 1 1 {t} {t} ACCEPT OK\n",
            n % 250,
            n % 199,
            n % 60000 + 1
        ));
    }
    assert_eq!(
        moto.request("PUT", "/crash-test/big.log", text.as_bytes()),
        200
    );
    moto.send(
        &queue,
        r#"{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"crash-test"},"object":{"key":"big.log"}}}]}"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("seclake.toml");
    std::fs::write(
        &cfg,
        format!(
            "[lake]\nuri = \"{}\"\n[[source]]\nid = \"q\"\ntype = \"sqs\"\nqueue_url = \"{queue}\"\nvisibility_timeout = \"1s\"\n",
            dir.path().join("lake").display()
        ),
    )
    .unwrap();
    // Two workers polling all along: without the extensions the second
    // would take the message once its second of visibility ran out.
    let started = Instant::now();
    let workers = [serve(&cfg, &envs, false), serve(&cfg, &envs, false)];
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let visible = moto.queue_attribute(&queue, "ApproximateNumberOfMessages");
        let hidden = moto.queue_attribute(&queue, "ApproximateNumberOfMessagesNotVisible");
        if visible == "0" && hidden == "0" {
            break;
        }
        assert!(Instant::now() < deadline, "not drained");
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!("processed in {:?}", started.elapsed());
    for mut w in workers {
        let pid = w.id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        assert!(w.wait().unwrap().success());
    }
    let lake = dir.path().join("lake");
    let rows = query(
        lake.to_str().unwrap(),
        &[],
        "SELECT count(*), count(DISTINCT p_row_id) FROM aws_vpcflow",
        &envs,
    );
    let total = lines.to_string();
    assert_eq!(rows, [[total.as_str(), total.as_str()]], "processed once");
}
