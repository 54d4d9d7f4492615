//! The lake's tables are Delta Lake tables: several writers at once,
//! snapshots (`--as-of`), compaction that never disturbs a running query,
//! vacuum, and DuckDB's own Delta reader agreeing with `seclake query`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{ok, query, run, s3_env, seclake, text};
use seclake_testkit::moto::Moto;

/// `n` flows of `account` over two hours, written to `dir/name`.
fn flows(dir: &Path, name: &str, account: &str, n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let t = 1_700_000_000 + i as u64 * (7200 / n as u64).max(1);
        s.push_str(&format!(
            "2 {account} eni-{i:08x} 10.0.0.{} 10.1.0.1 443 {} 6 1 1 {t} {t} ACCEPT OK\n",
            i % 250,
            i % 60000 + 1
        ));
    }
    let p = dir.join(name);
    std::fs::write(&p, s).unwrap();
    p.display().to_string()
}

/// The log versions of a local table, sorted.
fn versions(table_dir: &Path) -> Vec<u64> {
    let mut v: Vec<u64> = std::fs::read_dir(table_dir.join("_delta_log"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".json")?.parse().ok()
        })
        .collect();
    v.sort();
    v
}

/// Four processes append to one lake at once: every row is there once and
/// the log's versions are contiguous (each commit won exactly one).
fn four_writers(lake: &str, dir: &Path, envs: &common::Envs) {
    let inputs: Vec<String> = (0..4)
        .map(|w| flows(dir, &format!("w{w}.log"), &format!("20000000000{w}"), 3000))
        .collect();
    let children: Vec<_> = inputs
        .iter()
        .map(|input| {
            seclake()
                .args(["ingest", "--lake", lake, "--file-mb", "1", input])
                .envs(envs.iter().cloned())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        ok(c.wait_with_output().unwrap());
    }
    let counts = query(
        lake,
        &[],
        "SELECT account, count(*), count(DISTINCT p_row_id) FROM aws_vpcflow GROUP BY 1 ORDER BY 1",
        envs,
    );
    let want: Vec<Vec<String>> = (0..4)
        .map(|w| vec![format!("20000000000{w}"), "3000".into(), "3000".into()])
        .collect();
    assert_eq!(counts, want);
}

#[test]
fn four_writers_append_to_one_local_lake_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    four_writers(lake.to_str().unwrap(), dir.path(), &[]);
    let v = versions(&lake.join("aws_vpcflow"));
    assert_eq!(
        v,
        (0..v.len() as u64).collect::<Vec<_>>(),
        "gaps in the log"
    );
    assert!(v.len() >= 4, "one commit per writer at least: {v:?}");
}

#[test]
fn four_writers_append_to_one_s3_lake_at_once() {
    let Some(moto) = Moto::start() else { return };
    let envs = s3_env(&moto.endpoint);
    moto.create_bucket("writers");
    let dir = tempfile::tempdir().unwrap();
    four_writers("s3://writers/lake", dir.path(), &envs);
}

#[test]
fn snapshots_compaction_and_vacuum() {
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let lake = lake_dir.to_str().unwrap();
    let a = flows(dir.path(), "a.log", "300000000001", 500);
    run(&["ingest", "--lake", lake, &a], &[]); // version 0
    std::thread::sleep(std::time::Duration::from_millis(20));
    let between = seclake_core::Timestamp::now().to_rfc3339();
    std::thread::sleep(std::time::Duration::from_millis(20));
    run(&["ingest", "--lake", lake, &a], &[]); // version 1: the same rows again
    let count = "SELECT count(*), count(DISTINCT p_row_id) FROM aws_vpcflow";
    assert_eq!(query(lake, &[], count, &[]), [["1000", "500"]]);
    assert_eq!(query(lake, &["--as-of", "0"], count, &[]), [["500", "500"]]);
    // By time: the newest commit at or before it.
    assert_eq!(
        query(lake, &["--as-of", &between], count, &[]),
        [["500", "500"]]
    );
    let before = seclake()
        .args([
            "query",
            "--lake",
            lake,
            "--as-of",
            "2000-01-01T00:00:00Z",
            count,
        ])
        .output()
        .unwrap();
    assert!(!before.status.success());
    assert!(
        text(&before.stderr).contains("no commit at or before"),
        "{}",
        text(&before.stderr)
    );

    // A query running while compaction commits reads one snapshot: all the
    // rows before, or the compacted ones after, never a mix.
    let compaction = seclake()
        .args(["compact", "--lake", lake, "--older-than", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(query(lake, &[], count, &[]));
    }
    let out = ok(compaction.wait_with_output().unwrap());
    assert!(
        text(&out.stdout).contains("500 duplicates removed"),
        "{}",
        text(&out.stdout)
    );
    for s in seen {
        assert!(s == [["1000", "500"]] || s == [["500", "500"]], "{s:?}");
    }
    assert_eq!(query(lake, &[], count, &[]), [["500", "500"]]);
    // The replaced files are still there for older snapshots...
    assert_eq!(
        query(lake, &["--as-of", "1"], count, &[]),
        [["1000", "500"]]
    );
    let at = query(lake, &[], "SELECT max(p_event_time) FROM aws_vpcflow", &[]);
    assert!(!at.is_empty());

    // ...until vacuum deletes them (and an orphan no commit names).
    let orphan = lake_dir.join("aws_vpcflow/year=2023/month=11/day=14/hour=22/orphan.parquet");
    std::fs::write(&orphan, b"written by a killed writer").unwrap();
    let dry = text(
        &run(
            &["vacuum", "--lake", lake, "--retain", "0", "--dry-run"],
            &[],
        )
        .stdout,
    );
    assert!(dry.contains("orphan.parquet"), "{dry}");
    assert!(orphan.exists(), "a dry run deletes nothing");
    let out = text(&run(&["vacuum", "--lake", lake, "--retain", "0"], &[]).stdout);
    assert!(out.contains("aws_vpcflow: deleted"), "{out}");
    assert!(!orphan.exists());
    assert_eq!(query(lake, &[], count, &[]), [["500", "500"]]);

    // Tables and their log versions.
    let tables = text(&run(&["tables", "--lake", lake], &[]).stdout);
    assert!(tables.contains("VERSION"), "{tables}");
    let line = tables
        .lines()
        .find(|l| l.starts_with("aws_vpcflow"))
        .unwrap();
    assert!(line.split_whitespace().any(|w| w == "500"), "{line}");
}

/// DuckDB 1.4.4 with its Delta extension (installed by `.ci/run` into the
/// directory `SECLAKE_DUCKDB_DELTA` names), or None outside CI.
fn duckdb_delta() -> Option<(PathBuf, PathBuf)> {
    let dir = std::env::var_os("SECLAKE_DUCKDB_DELTA").map(PathBuf::from);
    let ext = dir
        .as_ref()
        .map(|d| d.join("duckdb_ext/extensions/v1.4.4/linux_amd64/delta.duckdb_extension"));
    match (dir, ext) {
        (Some(d), Some(e)) if e.exists() => Some((d, e)),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must install duckdb==1.4.4 and duckdb-ext-delta (.ci/run does)"
            );
            eprintln!(
                "SKIPPED: set SECLAKE_DUCKDB_DELTA to a directory with duckdb==1.4.4 and \
                 duckdb-ext-delta (pip install --target DIR duckdb==1.4.4 duckdb-ext-delta pytz)"
            );
            None
        }
    }
}

#[test]
fn duckdbs_delta_reader_agrees_with_seclake_query() {
    let Some((pythonpath, extension)) = duckdb_delta() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let lake = lake_dir.to_str().unwrap();
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let fixtures = ["AWS.CloudTrail", "AWS.VPCFlow", "AWS.ALB", "AWS.WAFWebACL"].map(|t| {
        repo.join("fixtures/log-types")
            .join(t)
            .display()
            .to_string()
    });
    // Twice (the fixtures hold rejects on purpose: exit status 2), then
    // compacted: DuckDB must follow the log, not the files on disk.
    for _ in 0..2 {
        let out = seclake()
            .args(["ingest", "--lake", lake])
            .args(&fixtures)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    }
    run(
        &[
            "compact",
            "--lake",
            lake,
            "--older-than",
            "0",
            "--table",
            "aws_vpcflow",
        ],
        &[],
    );
    let ddl = text(&run(&["ddl", "duckdb", "--lake", lake], &[]).stdout);
    let ddl = ddl.replace("INSTALL delta;\n", "");
    let ddl = ddl.replace("LOAD delta;", &format!("LOAD '{}';", extension.display()));

    for table in [
        "aws_cloudtrail",
        "aws_vpcflow",
        "aws_alb",
        "aws_wafwebacl",
        "_rejects",
    ] {
        let ours = query(
            lake,
            &[],
            &format!("SELECT count(*), CAST(min(p_event_time) AS BIGINT), CAST(max(p_event_time) AS BIGINT) FROM \"{table}\""),
            &[],
        );
        let script = format!(
            "import duckdb\n\
             con = duckdb.connect(config={{'allow_unsigned_extensions': 'true'}})\n\
             con.execute({ddl:?})\n\
             r = con.execute('SELECT count(*), epoch_us(min(p_event_time)), epoch_us(max(p_event_time)) FROM \"{table}\"').fetchone()\n\
             print(','.join(str(x) for x in r))"
        );
        let out = ok(Command::new("python3")
            .env("PYTHONPATH", &pythonpath)
            .args(["-c", &script])
            .output()
            .unwrap());
        let theirs: Vec<String> = text(&out.stdout)
            .trim()
            .split(',')
            .map(str::to_string)
            .collect();
        assert_eq!(
            ours[0], theirs,
            "{table}: count, min and max of p_event_time differ"
        );
    }
}
