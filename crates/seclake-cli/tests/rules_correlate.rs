//! Sigma correlation rules through `seclake rules check|test|run`, over a
//! lake ingested here from CloudTrail records written here: one rule file
//! of each correlation type (some files several documents, base rules
//! named across files by `name` and by `id`), the groups each fires, the
//! alerts they record, runs over overlapping windows that record nothing
//! twice, a late event that fires exactly its group, and a correlation
//! naming a rule that is not loaded.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::rules::write_rules;
use common::{ok, query, run, seclake, text};
use serde_json::Value;

/// Two base rules, named by the correlations in other files.
const BASE: &str = "title: S3 buckets listed
id: 2c1b0a9f-8e7d-4c6b-9a5f-4e3d2c1b0a98
name: bucket_listing
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: s3.amazonaws.com
    eventName: ListBuckets
  condition: selection
---
title: CloudTrail logging stopped
id: 9d1e6f20-4b7a-4c3e-8a55-6f0b2c7d8e91
name: trail_stopped
level: high
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName: [StopLogging, DeleteTrail]
  condition: selection
";

/// event_count, with its base rule in the same file.
const BRUTE_FORCE: &str = "title: Console sign-in failures for one user
id: 3a7c9e51-0b2d-4f68-a1c3-5e7f9b0d2c46
level: medium
tags: [attack.t1110]
correlation:
  type: event_count
  rules: [failed_console_login]
  group-by: [userIdentity.userName]
  timespan: 1h
  condition: {gte: 3}
---
title: Failed console sign-in
name: failed_console_login
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: ConsoleLogin
    responseElements.ConsoleLogin: Failure
  condition: selection
";

/// temporal_ordered (the trail rule named by id), and temporal, which
/// lets the rules it names fire alone.
const RECON: &str = "title: Reconnaissance, then the trail stopped
id: 1f4a7c2e-9d5b-4e81-b3a6-0c8e2f5d7a19
level: high
correlation:
  type: temporal_ordered
  rules: [bucket_listing, 9d1e6f20-4b7a-4c3e-8a55-6f0b2c7d8e91]
  group-by: [userIdentity.userName]
  timespan: 1h
---
title: Reconnaissance and the trail stopped
id: 8c3e5a70-2f1d-4b96-a7e4-3d9b1c6f0e52
generate: true
correlation:
  type: temporal
  rules: [bucket_listing, trail_stopped]
  group-by: [userIdentity.userName]
  timespan: 1h
";

/// value_count.
const SPRAWL: &str = "title: Bucket listing from many addresses
id: 6b2f8d14-7e39-4a05-9c61-2d4e8f0a1b37
correlation:
  type: value_count
  rules: [bucket_listing]
  group-by: [userIdentity.userName]
  timespan: 1h
  condition: {field: sourceIPAddress, gte: 3}
";

const UNKNOWN: &str = "title: Names a rule nobody loaded
id: 0a0b0c0d-0000-4000-8000-000000000001
correlation:
  type: event_count
  rules: [nope]
  timespan: 1h
  condition: {gte: 1}
";

fn record(id: &str, hm: &str, name: &str, user: &str, ip: &str, extra: &str) -> String {
    let source = match name {
        "ConsoleLogin" => "signin",
        "ListBuckets" => "s3",
        _ => "cloudtrail",
    };
    format!(
        r#"{{"eventVersion":"1.09","eventTime":"2024-03-01T{hm}:00Z","eventSource":"{source}.amazonaws.com","eventName":"{name}","awsRegion":"us-east-1","eventID":"{id}","recipientAccountId":"111122223333","userIdentity":{{"type":"IAMUser","principalId":"AIDA{user}","arn":"arn:aws:iam::111122223333:user/{user}","accountId":"111122223333","userName":"{user}"}},"sourceIPAddress":"{ip}","userAgent":"aws-cli/2.15.0","eventType":"AwsApiCall"{extra}}}"#
    ) + "\n"
}

fn failure(id: &str, hm: &str, user: &str) -> String {
    let extra = r#","responseElements":{"ConsoleLogin":"Failure"}"#;
    record(id, hm, "ConsoleLogin", user, "203.0.113.5", extra)
}

/// alice: three failed sign-ins, three listings from three addresses,
/// then the trail stopped, all between 05:00 and 06:00; bob: two failed
/// sign-ins; carol: the trail stopped, then a listing, after 06:00.
fn events() -> String {
    [
        failure("a1", "05:05", "alice"),
        failure("b1", "05:10", "bob"),
        record("a2", "05:12", "ListBuckets", "alice", "10.0.0.1", ""),
        record("a3", "05:14", "ListBuckets", "alice", "10.0.0.2", ""),
        record("a4", "05:16", "ListBuckets", "alice", "10.0.0.3", ""),
        failure("a5", "05:20", "alice"),
        failure("b2", "05:30", "bob"),
        failure("a6", "05:40", "alice"),
        record("a7", "05:50", "StopLogging", "alice", "10.0.0.1", ""),
        record("c1", "06:10", "StopLogging", "carol", "10.0.0.7", ""),
        record("c2", "06:20", "ListBuckets", "carol", "10.0.0.7", ""),
    ]
    .concat()
}

fn window(since: &str, until: &str) -> [String; 4] {
    [
        "--since".into(),
        format!("2024-03-01T{since}:00Z"),
        "--until".into(),
        format!("2024-03-01T{until}:00Z"),
    ]
}

/// `seclake rules CMD PATH --lake LAKE EXTRA...`: exit status, stdout.
fn rules(cmd: &str, path: &str, lake: &str, extra: &[String]) -> (Option<i32>, String) {
    let out = seclake()
        .args(["rules", cmd, path, "--lake", lake])
        .args(extra)
        .output()
        .unwrap();
    (out.status.code(), text(&out.stdout))
}

/// `seclake rules check PATH`: exit status, stdout.
fn check(path: &str) -> (Option<i32>, String) {
    let out = seclake().args(["rules", "check", path]).output().unwrap();
    (out.status.code(), text(&out.stdout))
}

fn ingest(lake: &str, file: &Path) {
    let file = file.to_str().unwrap();
    run(
        &[
            "ingest",
            "--lake",
            lake,
            "--log-type",
            "AWS.CloudTrail",
            file,
        ],
        &[],
    );
}

fn row_ids(lake: &str) -> HashMap<String, String> {
    let sql = "SELECT eventID, p_row_id FROM aws_cloudtrail";
    let rows = query(lake, &[], sql, &[]);
    rows.into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

/// The `_alerts` rows of `rule_id` (JSON objects), by event time.
fn alerts(lake: &str, rule_id: &str) -> Vec<Value> {
    let sql = format!("SELECT * FROM _alerts WHERE rule_id = '{rule_id}' ORDER BY p_event_time, correlation_group");
    let out = ok(seclake()
        .args(["query", "--lake", lake, "--format", "json", &sql])
        .output()
        .unwrap());
    let rows = text(&out.stdout);
    rows.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn correlations_are_checked_tested_and_run_once_per_group_and_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let rules_dir = write_rules(
        dir.path(),
        &[
            ("base.yml", BASE),
            ("brute_force.yml", BRUTE_FORCE),
            ("recon.yml", RECON),
            ("sprawl.yml", SPRAWL),
        ],
    );
    let r = rules_dir.to_str().unwrap();
    let lake_dir = dir.path().join("lake");
    let lake = lake_dir.to_str().unwrap();

    let (code, out) = check(r);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(
        out,
        format!(
            "{r}/base.yml#1: ok (aws_cloudtrail)\n\
             {r}/base.yml#2: ok (aws_cloudtrail)\n\
             {r}/brute_force.yml#1: ok (correlation event_count over aws_cloudtrail)\n\
             {r}/brute_force.yml#2: ok (aws_cloudtrail)\n\
             {r}/recon.yml#1: ok (correlation temporal_ordered over aws_cloudtrail)\n\
             {r}/recon.yml#2: ok (correlation temporal over aws_cloudtrail)\n\
             {r}/sprawl.yml: ok (correlation value_count over aws_cloudtrail)\n\
             7 of 7 rules compile\n"
        )
    );

    // Nothing ingested: no table.
    let w = window("05:30", "07:00");
    let (code, out) = rules("run", r, lake, &w);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!("Bucket listing from many addresses ({r}/sprawl.yml): 0 new alerts (no table aws_cloudtrail)\n")),
        "{out}"
    );

    let file = dir.path().join("events.jsonl");
    std::fs::write(&file, events()).unwrap();
    ingest(lake, &file);
    let ids = row_ids(lake);

    // `test`: the groups that fire, the 05:00 bucket read whole though the
    // window starts at 05:30; bob's two failures and carol's stop before
    // her listing fire nothing.
    let (code, out) = rules("test", r, lake, &w);
    assert_eq!(code, Some(0), "{out}");
    let alice = "2024-03-01T05:00:00Z +1h userIdentity.userName=alice";
    for line in [
        format!("Failed console sign-in ({r}/brute_force.yml#2): part of correlation \"Console sign-in failures for one user\"; no alerts of its own (`generate: true` there fires it alone)\n"),
        format!("Console sign-in failures for one user ({r}/brute_force.yml#1): 1 group fires\n  {alice}: 3 events, first 2024-03-01T05:05:00Z {}\n", ids["a1"]),
        format!("Reconnaissance, then the trail stopped ({r}/recon.yml#1): 1 group fires\n  {alice}: 2 of 2 rules in 4 events, first 2024-03-01T05:12:00Z {}\n", ids["a2"]),
        format!("Reconnaissance and the trail stopped ({r}/recon.yml#2): 2 groups fire\n  {alice}: 2 of 2 rules in 4 events, first 2024-03-01T05:12:00Z {}\n  2024-03-01T06:00:00Z +1h userIdentity.userName=carol: 2 of 2 rules in 2 events, first 2024-03-01T06:10:00Z {}\n", ids["a2"], ids["c1"]),
        format!("Bucket listing from many addresses ({r}/sprawl.yml): 1 group fires\n  {alice}: 3 distinct sourceIPAddress in 3 events, first 2024-03-01T05:12:00Z {}\n", ids["a2"]),
        format!("S3 buckets listed ({r}/base.yml#1): 1 match\n"),
        format!("CloudTrail logging stopped ({r}/base.yml#2): 2 matches\n"),
        "total: 8 matches from 6 rules, events from 2024-03-01T05:30:00Z to 2024-03-01T07:00:00Z\n".to_string(),
    ] {
        assert!(out.contains(&line), "{line}\nnot in:\n{out}");
    }
    assert!(!lake_dir.join("_alerts").exists());

    // `run`: the rules' lines, then the correlations', one commit.
    let (code, out) = rules("run", r, lake, &w);
    assert_eq!(code, Some(0), "{out}");
    let heads = [
        format!("S3 buckets listed ({r}/base.yml#1)"),
        format!("CloudTrail logging stopped ({r}/base.yml#2)"),
        format!("Console sign-in failures for one user ({r}/brute_force.yml#1)"),
        format!("Reconnaissance, then the trail stopped ({r}/recon.yml#1)"),
        format!("Reconnaissance and the trail stopped ({r}/recon.yml#2)"),
        format!("Bucket listing from many addresses ({r}/sprawl.yml)"),
    ];
    let note = format!("Failed console sign-in ({r}/brute_force.yml#2): part of correlation \"Console sign-in failures for one user\"; no alerts of its own (`generate: true` there fires it alone)\n");
    let report = |counts: [(usize, usize); 6], w: &str| {
        let mut lines = String::new();
        for (i, (head, (new, known))) in heads.iter().zip(counts).enumerate() {
            let alerts = if new == 1 { "alert" } else { "alerts" };
            lines.push_str(&format!(
                "{head}: {new} new {alerts} ({known} already known)\n"
            ));
            if i == 1 {
                lines.push_str(&note);
            }
        }
        let (new, known) = counts.iter().fold((0, 0), |(n, k), (a, b)| (n + a, k + b));
        let alerts = if new == 1 { "alert" } else { "alerts" };
        format!("{lines}total: {new} new {alerts} ({known} already known) from 6 rules, events from {w}\n")
    };
    let first = "2024-03-01T05:30:00Z to 2024-03-01T07:00:00Z";
    assert_eq!(
        out,
        report([(1, 0), (2, 0), (1, 0), (1, 0), (2, 0), (1, 0)], first)
    );
    let log = std::fs::read_dir(lake_dir.join("_alerts/_delta_log")).unwrap();
    assert_eq!(
        log.filter(|f| f
            .as_ref()
            .unwrap()
            .path()
            .extension()
            .is_some_and(|e| e == "json"))
            .count(),
        1
    );

    let brute = alerts(lake, "3a7c9e51-0b2d-4f68-a1c3-5e7f9b0d2c46");
    assert_eq!(brute.len(), 1);
    let a = &brute[0];
    assert_eq!(a["rule_title"], "Console sign-in failures for one user");
    assert_eq!(a["rule_level"], "medium");
    assert_eq!(a["rule_tags"], serde_json::json!(["attack.t1110"]));
    assert_eq!(a["p_event_time"], "2024-03-01T05:00:00Z");
    assert_eq!(a["matched_row_id"], ids["a1"].as_str());
    assert_eq!(a["table_name"], "aws_cloudtrail");
    assert_eq!(
        a["correlation_group"],
        r#"{"userIdentity.userName":"alice"}"#
    );
    assert_eq!(a["correlation_count"], 3);
    assert_eq!(a["p_any_ip_addresses"], serde_json::json!(["203.0.113.5"]));
    assert_eq!(a["alert_id"], a["p_row_id"]);
    let temporal = alerts(lake, "8c3e5a70-2f1d-4b96-a7e4-3d9b1c6f0e52");
    let groups: Vec<&Value> = temporal.iter().map(|a| &a["correlation_group"]).collect();
    assert_eq!(
        groups,
        [
            r#"{"userIdentity.userName":"alice"}"#,
            r#"{"userIdentity.userName":"carol"}"#
        ]
    );
    assert_eq!(
        temporal[0]["p_any_ip_addresses"],
        serde_json::json!(["10.0.0.1", "10.0.0.2", "10.0.0.3"])
    );

    // Overlapping windows, one ending while carol's bucket is still open
    // (it fires early, as the same alert): nothing new.
    let known = [(0, 1), (0, 2), (0, 1), (0, 1), (0, 2), (0, 1)];
    let (_, out) = rules("run", r, lake, &window("05:45", "06:45"));
    assert_eq!(
        out,
        report(known, "2024-03-01T05:45:00Z to 2024-03-01T06:45:00Z")
    );
    let (_, out) = rules("run", r, lake, &w);
    assert_eq!(out, report(known, first));
    let all = query(lake, &[], "SELECT count(*) FROM _alerts", &[]);
    assert_eq!(all, [["8"]]);

    // bob's third failure arrives late: his group fires, alone.
    let late = dir.path().join("late.jsonl");
    std::fs::write(&late, failure("b3", "05:55", "bob")).unwrap();
    ingest(lake, &late);
    let (_, out) = rules("run", r, lake, &w);
    let mut counts = known;
    counts[2] = (1, 1);
    assert_eq!(out, report(counts, first));
    let brute = alerts(lake, "3a7c9e51-0b2d-4f68-a1c3-5e7f9b0d2c46");
    assert_eq!(
        brute[1]["correlation_group"],
        r#"{"userIdentity.userName":"bob"}"#
    );
    assert_eq!(brute[1]["matched_row_id"], row_ids(lake)["b1"].as_str());
}

#[test]
fn a_correlation_naming_a_rule_not_loaded_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("unknown.yml");
    std::fs::write(&file, UNKNOWN).unwrap();
    let f = file.to_str().unwrap();
    let lake = dir.path().to_str().unwrap();
    let why = "correlation.rules: no rule named `nope` (or with that id) is loaded";
    let (code, out) = check(f);
    assert_eq!(code, Some(1));
    assert_eq!(out, format!("{f}: {why}\n0 of 1 rules compile\n"));
    let (code, out) = rules("run", f, lake, &window("05:00", "06:00"));
    assert_eq!(code, Some(1));
    assert!(out.starts_with(&format!("{f}: skipped: {why}\n")), "{out}");
}
