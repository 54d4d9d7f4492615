//! Killing `seclake ingest --rules` (SIGKILL) at random moments: the
//! `_alerts` table never holds an alert twice nor one whose row is not in
//! the lake, and once the inputs are ingested to the end and a scheduled
//! run has looked over their window, every match has exactly one alert.
//! (`ingest` appends its alerts once its inputs are committed, at the
//! end: a kill before that loses them until the next ingest of the same
//! inputs or a scheduled run fires them, with the same ids. Kills here
//! land before, during and after that append.)

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::rules::write_rules;
use common::{ok, query, run, seclake, text, Lcg};

const INPUTS: usize = 6;
const LINES: usize = 20_000;
/// Flows from `10.0.7.*` match [`RULE`]: `n % 250 == 7`, all through
/// each input, so kills land between alerts.
const MATCHES_PER_INPUT: usize = 80;

const RULE: &str = "title: Flow from the 10.0.7.0/24 subnet
id: 3f1e5d7c-9b2a-4c8e-a6d0-1e3f5a7c9b08
level: low
logsource:
  category: firewall
detection:
  selection:
    src_ip|cidr: 10.0.7.0/24
  condition: selection
";

fn has_alerts(lake: &str) -> bool {
    text(&run(&["tables", "--lake", lake], &[]).stdout).contains("_alerts")
}

/// Alerts, distinct alert ids, and alerts whose row is not in the lake.
fn alert_counts(lake: &str) -> (usize, usize, usize) {
    let count = |sql: &str| query(lake, &[], sql, &[])[0][0].parse::<usize>().unwrap();
    (
        count("SELECT count(*) FROM _alerts"),
        count("SELECT count(DISTINCT alert_id) FROM _alerts"),
        count(
            "SELECT count(*) FROM _alerts a \
             LEFT JOIN (SELECT DISTINCT p_row_id FROM aws_vpcflow) r \
             ON a.matched_row_id = r.p_row_id WHERE r.p_row_id IS NULL",
        ),
    )
}

#[test]
fn sigkill_during_ingest_with_rules_never_duplicates_or_orphans_an_alert() {
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let lake = lake_dir.to_str().unwrap();
    let inputs = common::vpc_flow_files(dir.path(), INPUTS, LINES);
    let rules = write_rules(dir.path(), &[("low_port.yml", RULE)]);
    let rules = rules.to_str().unwrap();
    let mut rng = Lcg::seeded();
    let seed = rng.0;
    for kill in 0..8 {
        let mut child = seclake()
            .args(["ingest", "--threads", "2", "--rules", rules])
            .args(["--file-mb", "1", "--flush-after", "0.05"])
            .args(["--commit-after", "0.05", "--lake", lake])
            .args(&inputs)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let delay = Duration::from_millis(50 + rng.below(2500));
        let started = Instant::now();
        while started.elapsed() < delay && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        if !has_alerts(lake) {
            continue;
        }
        let (alerts, distinct, orphans) = alert_counts(lake);
        eprintln!("kill {kill} after {delay:?}: {alerts} alert(s)");
        assert_eq!(
            alerts, distinct,
            "kill {kill} (seed {seed}): an alert twice"
        );
        assert_eq!(
            orphans, 0,
            "kill {kill} (seed {seed}): an alert without its row"
        );
    }
    // To the end, then the scheduled run over the inputs' window.
    ok(seclake()
        .args(["ingest", "--rules", rules, "--lake", lake])
        .args(&inputs)
        .output()
        .unwrap());
    ok(seclake()
        .args(["rules", "run", rules, "--lake", lake])
        .args([
            "--since",
            "2023-11-01T00:00:00Z",
            "--until",
            "2023-12-01T00:00:00Z",
        ])
        .output()
        .unwrap());
    let (alerts, distinct, orphans) = alert_counts(lake);
    assert_eq!(
        (alerts, distinct, orphans),
        (INPUTS * MATCHES_PER_INPUT, INPUTS * MATCHES_PER_INPUT, 0)
    );
}
