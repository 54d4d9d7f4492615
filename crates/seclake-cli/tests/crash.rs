//! Killing `seclake ingest` (SIGKILL) at random moments, on a local lake
//! and on an S3 lake (a moto server started here), loses nothing that was
//! acknowledged, never leaves a partial commit or a lake that cannot be
//! read; ingesting again and compacting leaves every input row exactly
//! once.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{run, s3_env, seclake, text, Envs, Lcg};

fn query(lake: &str, envs: &Envs, sql: &str) -> Vec<Vec<String>> {
    common::query(lake, &[], sql, envs)
}

/// Whether the lake has the table yet (its first commit happened).
fn has_table(lake: &str, envs: &Envs) -> bool {
    text(&run(&["tables", "--lake", lake], envs).stdout).contains("aws_vpcflow")
}

/// Input `i` has `LINES` flows of account `1000000000ii`, over a few hours.
const INPUTS: usize = 6;
const LINES: usize = 20_000;

#[test]
fn sigkill_at_random_moments_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    kill_and_check(lake.to_str().unwrap(), &[], dir.path());
}

#[test]
fn sigkill_at_random_moments_on_an_s3_lake() {
    let Some(moto) = seclake_testkit::moto::Moto::start() else {
        return;
    };
    moto.create_bucket("crash");
    let envs = s3_env(&moto.endpoint);
    let dir = tempfile::tempdir().unwrap();
    kill_and_check("s3://crash/lake", &envs, dir.path());
}

fn kill_and_check(lake: &str, envs: &Envs, dir: &Path) {
    let inputs = common::vpc_flow_files(dir, INPUTS, LINES);
    let mut rng = Lcg::seeded();
    let seed = rng.0;
    let mut committed_ever = std::collections::BTreeSet::new();
    for kill in 0..20 {
        let mut child = seclake()
            .args(["ingest", "-v", "--threads", "2"])
            // Small files, flushed and committed soon: inputs are acknowledged all
            // through the run, so kills land before and after acks.
            .args([
                "--file-mb",
                "1",
                "--flush-after",
                "0.05",
                "--commit-after",
                "0.05",
            ])
            .args(["--lake", lake])
            .args(&inputs)
            .envs(envs.iter().cloned())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let delay = Duration::from_millis(30 + rng.below(900));
        let started = Instant::now();
        while started.elapsed() < delay {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let committed: Vec<usize> = err
            .lines()
            .filter_map(|l| l.strip_prefix("committed: "))
            .map(|name| inputs.iter().position(|p| p == name).unwrap())
            .collect();
        eprintln!(
            "kill {kill} after {delay:?}: {} input(s) acknowledged",
            committed.len()
        );
        committed_ever.extend(committed.iter().copied());
        // A table exists once its first commit does (files written before
        // it are not part of any table).
        if !has_table(lake, envs) {
            assert!(
                committed.is_empty(),
                "kill {kill}: acknowledged but no table"
            );
            continue;
        }
        // Every input acknowledged so far has all its rows in the lake.
        let counts = query(
            lake,
            envs,
            "SELECT account, count(DISTINCT p_row_id) FROM aws_vpcflow GROUP BY 1",
        );
        for i in &committed_ever {
            let account = format!("1000000000{i:02}");
            let n = counts
                .iter()
                .find(|r| r[0] == account)
                .map(|r| r[1].parse::<usize>().unwrap())
                .unwrap_or(0);
            assert_eq!(
                n, LINES,
                "kill {kill} (seed {seed}): input {i} was acknowledged with {n} rows in the lake"
            );
        }
    }
    // Once more to the end, then compaction: every row exactly once.
    let out = seclake()
        .args(["ingest", "--lake", lake])
        .args(&inputs)
        .envs(envs.iter().cloned())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = seclake()
        .args(["compact", "--lake", lake])
        .envs(envs.iter().cloned())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let total = query(
        lake,
        envs,
        "SELECT count(*), count(DISTINCT p_row_id) FROM aws_vpcflow",
    );
    let want = (INPUTS * LINES).to_string();
    assert_eq!(total, vec![vec![want.clone(), want]], "seed {seed}");
}
