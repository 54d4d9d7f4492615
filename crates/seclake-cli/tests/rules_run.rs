//! `seclake rules test` and `seclake rules run` over a lake ingested here
//! from CloudTrail records written here: the exact matches per rule, the
//! alerts appended to `_alerts` with their rows' indicators, and runs
//! that add nothing when nothing is new (the same window again, a wider
//! window, the same input ingested twice) and exactly one alert for one
//! new matching record. A broken rule, and a rule without an id for
//! `run`, are reported and skipped while the others run.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::rules::{alert_rows, write_rules, CONSOLE, TRAIL};
use common::{ok, query, run, seclake, text};
use serde_json::Value;

/// Runs for `test`; has no id, so `run` cannot key its alerts.
const NO_ID: &str = "title: Bucket listing
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: ListBuckets
  condition: selection
";

const BROKEN: &str = "title: Not a CloudTrail field
id: 11111111-2222-3333-4444-555555555555
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    CommandLine|contains: whoami
  condition: selection
";

/// c1 stops a trail, c2 logs in without MFA, c3 lists buckets, c4 deletes
/// a trail from terraform (excluded by the trail rule).
const FIRST: &str = r#"{"eventVersion":"1.09","eventTime":"2024-03-01T05:10:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","eventID":"c1","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","principalId":"AIDAMALLORY","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","userName":"mallory"},"sourceIPAddress":"203.0.113.66","userAgent":"aws-cli/2.13.0 Python/3.11.4","requestParameters":{"name":"main"},"eventType":"AwsApiCall"}
{"eventVersion":"1.09","eventTime":"2024-03-01T06:20:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","eventID":"c2","recipientAccountId":"111122223333","userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"},"sourceIPAddress":"198.51.100.7","userAgent":"Mozilla/5.0","responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"},"eventType":"AwsConsoleSignIn"}
{"eventVersion":"1.09","eventTime":"2024-03-01T07:30:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","eventID":"c3","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","principalId":"AIDAALICE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},"sourceIPAddress":"10.0.0.5","userAgent":"aws-cli/2.13.0","eventType":"AwsApiCall"}
{"eventVersion":"1.09","eventTime":"2024-03-01T08:40:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail","awsRegion":"us-east-1","eventID":"c4","recipientAccountId":"111122223333","userIdentity":{"type":"AssumedRole","principalId":"AROADEPLOY:ci","arn":"arn:aws:sts::111122223333:assumed-role/Deploy/ci","accountId":"111122223333"},"sourceIPAddress":"10.0.0.9","userAgent":"terraform/1.5.7","eventType":"AwsApiCall"}
"#;

/// c5: another trail deleted, by hand.
const SECOND: &str = r#"{"eventVersion":"1.09","eventTime":"2024-03-01T09:50:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail","awsRegion":"us-east-1","eventID":"c5","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","principalId":"AIDABOB","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","userName":"bob"},"sourceIPAddress":"192.0.2.9","userAgent":"aws-cli/2.15.0","eventType":"AwsApiCall"}
"#;

const WINDOW: [&str; 4] = [
    "--since",
    "2024-03-01T00:00:00Z",
    "--until",
    "2024-03-02T00:00:00Z",
];

/// `seclake rules CMD RULES --lake LAKE EXTRA...`: exit status and stdout,
/// stderr.
fn rules(cmd: &str, rules: &str, lake: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    let out = seclake()
        .args(["rules", cmd, rules, "--lake", lake])
        .args(extra)
        .output()
        .unwrap();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

fn ingest(lake: &str, file: &Path) {
    run(
        &[
            "ingest",
            "--lake",
            lake,
            "--log-type",
            "AWS.CloudTrail",
            file.to_str().unwrap(),
        ],
        &[],
    );
}

/// `p_row_id` by `eventID`.
fn row_ids(lake: &str) -> HashMap<String, String> {
    query(
        lake,
        &[],
        "SELECT eventID, p_row_id FROM aws_cloudtrail",
        &[],
    )
    .into_iter()
    .map(|r| (r[0].clone(), r[1].clone()))
    .collect()
}

/// The `_alerts` rows (JSON objects, without the partition columns), by
/// event time.
fn alerts(lake: &str) -> Vec<Value> {
    alert_rows(lake, "SELECT * FROM _alerts ORDER BY p_event_time")
}

#[test]
fn rules_test_and_run_fire_each_match_once() {
    let dir = tempfile::tempdir().unwrap();
    let rules_dir = write_rules(
        dir.path(),
        &[
            ("trail_stopped.yml", TRAIL),
            ("console_login.yml", CONSOLE),
            ("bucket_listing.yml", NO_ID),
            ("broken.yml", BROKEN),
        ],
    );
    let r = rules_dir.to_str().unwrap();
    let lake_dir = dir.path().join("lake");
    std::fs::create_dir(&lake_dir).unwrap();
    let lake = lake_dir.to_str().unwrap();
    let skipped_broken = format!(
        "{r}/broken.yml: skipped: field `CommandLine`: AWS.CloudTrail has no column `CommandLine`"
    );
    let window = "events from 2024-03-01T00:00:00Z to 2024-03-02T00:00:00Z";

    // Nothing ingested yet: no table to read, nothing written.
    let (code, out, err) = rules("run", r, lake, &WINDOW);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        out.contains(&format!(
            "Trail stopped ({r}/trail_stopped.yml): 0 new alerts (no table aws_cloudtrail)\n"
        )),
        "{out}"
    );
    assert!(!lake_dir.join("_alerts").exists());

    let first = dir.path().join("first.jsonl");
    std::fs::write(&first, FIRST).unwrap();
    ingest(lake, &first);
    let ids = row_ids(lake);

    // `test`: every match, with its row, and nothing written.
    let (code, out, err) = rules("test", r, lake, &WINDOW);
    assert_eq!(code, Some(1), "{err}");
    let tested = format!(
        "{skipped_broken}\n\
         Bucket listing ({r}/bucket_listing.yml): 1 match\n  \
         2024-03-01T07:30:00Z {} eventName=ListBuckets\n\
         Console login without MFA ({r}/console_login.yml): 1 match\n  \
         2024-03-01T06:20:00Z {} eventName=ConsoleLogin additionalEventData.MFAUsed=No responseElements.ConsoleLogin=Success\n\
         Trail stopped ({r}/trail_stopped.yml): 1 match\n  \
         2024-03-01T05:10:00Z {} eventSource=cloudtrail.amazonaws.com eventName=StopLogging userAgent=\"aws-cli/2.13.0 Python/3.11.4\"\n\
         total: 3 matches from 3 rules; 1 rule skipped, {window}\n",
        ids["c3"], ids["c2"], ids["c1"]
    );
    assert_eq!(out, tested);
    assert!(!lake_dir.join("_alerts").exists());

    // `run`: an alert per match of the rules with an id.
    let (code, out, err) = rules("run", r, lake, &WINDOW);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(
        out,
        format!(
            "{skipped_broken}\n\
             {r}/bucket_listing.yml: skipped: id: missing: a rule that fires alerts needs one (alerts are keyed by it)\n\
             Console login without MFA ({r}/console_login.yml): 1 new alert (0 already known)\n\
             Trail stopped ({r}/trail_stopped.yml): 1 new alert (0 already known)\n\
             total: 2 new alerts (0 already known) from 2 rules; 2 rules skipped, {window}\n"
        )
    );
    let stored = alerts(lake);
    assert_eq!(stored.len(), 2);
    let (trail, console) = (&stored[0], &stored[1]);
    assert_eq!(trail["rule_id"], "5b0a2f4e-3c39-4a53-9d0e-4f7c1d9e2a10");
    assert_eq!(trail["rule_title"], "Trail stopped");
    assert_eq!(trail["rule_level"], "high");
    assert_eq!(
        trail["rule_tags"],
        serde_json::json!(["attack.defense-evasion"])
    );
    assert_eq!(trail["matched_row_id"], ids["c1"].as_str());
    assert_eq!(trail["p_event_time"], "2024-03-01T05:10:00Z");
    assert_eq!(
        trail["p_any_ip_addresses"],
        serde_json::json!(["203.0.113.66"])
    );
    assert_eq!(trail["p_any_usernames"], serde_json::json!(["mallory"]));
    assert_eq!(
        trail["p_any_aws_arns"],
        serde_json::json!(["arn:aws:iam::111122223333:user/mallory"])
    );
    assert_eq!(trail["table_name"], "aws_cloudtrail");
    assert_eq!(trail["log_type"], "AWS.CloudTrail");
    assert_eq!(console["rule_id"], "0f6c1f0a-7d8e-4a43-8f5e-2b1d9a6c3e21");
    assert_eq!(console["matched_row_id"], ids["c2"].as_str());
    assert_eq!(
        console["p_any_ip_addresses"],
        serde_json::json!(["198.51.100.7"])
    );
    for a in &stored {
        assert_eq!(a["alert_id"], a["p_row_id"]);
        assert_eq!(a["alert_id"].as_str().unwrap().len(), 32);
    }

    // The same window again, a wider one, and the same input delivered
    // twice (its rows are in the table twice): nothing new.
    let again = format!(
        "{skipped_broken}\n\
         {r}/bucket_listing.yml: skipped: id: missing: a rule that fires alerts needs one (alerts are keyed by it)\n\
         Console login without MFA ({r}/console_login.yml): 0 new alerts (1 already known)\n\
         Trail stopped ({r}/trail_stopped.yml): 0 new alerts (1 already known)\n\
         total: 0 new alerts (2 already known) from 2 rules; 2 rules skipped, "
    );
    let (_, out, _) = rules("run", r, lake, &WINDOW);
    assert_eq!(out, format!("{again}{window}\n"));
    let wide = [
        "--since",
        "2024-02-01T00:00:00Z",
        "--until",
        "2024-04-01T00:00:00Z",
    ];
    let (_, out, _) = rules("run", r, lake, &wide);
    assert_eq!(
        out,
        format!("{again}events from 2024-02-01T00:00:00Z to 2024-04-01T00:00:00Z\n")
    );
    ingest(lake, &first);
    let twice = query(lake, &[], "SELECT count(*) FROM aws_cloudtrail", &[]);
    assert_eq!(twice, [["8"]]);
    assert_eq!(rules("test", r, lake, &WINDOW).1, tested);
    let (_, out, _) = rules("run", r, lake, &WINDOW);
    assert_eq!(out, format!("{again}{window}\n"));
    assert_eq!(alerts(lake).len(), 2);

    // One new matching record: exactly one alert, printed as JSON.
    let second = dir.path().join("second.jsonl");
    std::fs::write(&second, SECOND).unwrap();
    ingest(lake, &second);
    let c5 = row_ids(lake)["c5"].clone();
    let trail_only = rules_dir.join("trail_stopped.yml");
    let out = ok(seclake()
        .args(["rules", "run", trail_only.to_str().unwrap(), "--lake", lake])
        .args(WINDOW)
        .args(["--format", "json"])
        .output()
        .unwrap());
    assert_eq!(
        text(&out.stderr),
        format!(
            "Trail stopped ({r}/trail_stopped.yml): 1 new alert (1 already known)\n\
             total: 1 new alert (1 already known) from 1 rule, {window}\n"
        )
    );
    let printed: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(printed.len(), 1);
    assert_eq!(printed[0]["matched_row_id"], c5.as_str());
    assert_eq!(printed[0]["p_event_time"], "2024-03-01T09:50:00Z");
    assert_eq!(
        printed[0]["p_any_ip_addresses"],
        serde_json::json!(["192.0.2.9"])
    );
    let stored = alerts(lake);
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[2], printed[0]);
    let (_, out, _) = rules("run", r, lake, &WINDOW);
    assert!(
        out.ends_with(&format!(
            "total: 0 new alerts (3 already known) from 2 rules; 2 rules skipped, {window}\n"
        )),
        "{out}"
    );
}

#[test]
fn the_window_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let rule = dir.path().join("trail.yml");
    std::fs::write(&rule, TRAIL).unwrap();
    let lake = dir.path().to_str().unwrap();
    let (code, _, err) = rules(
        "test",
        rule.to_str().unwrap(),
        lake,
        &["--since", "a week", "--until", "2024-03-02T00:00:00Z"],
    );
    assert_eq!(code, Some(1));
    assert!(
        err.contains("--since \"a week\": expected a number and a unit"),
        "{err}"
    );
    let (code, _, err) = rules(
        "run",
        rule.to_str().unwrap(),
        lake,
        &[
            "--since",
            "2024-03-02T00:00:00Z",
            "--until",
            "2024-03-01T00:00:00Z",
        ],
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("the window is empty"), "{err}");
    // A relative window ends now; a lake with nothing in it has no table.
    let (code, out, err) = rules("test", rule.to_str().unwrap(), lake, &["--since", "1d"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("0 matches (no table aws_cloudtrail)"), "{out}");
}

/// `ingest --rules` fires, once the rows are committed, exactly the
/// alerts `rules run` fires over the same records in another lake (the
/// same ids: one semantics in both modes); ingesting the same file again
/// fires nothing new, and a later `rules run` over the ingest-time lake
/// finds every alert already known.
#[test]
fn ingest_time_rules_fire_what_scheduled_rules_fire() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rules_dir = d.join("rules");
    std::fs::create_dir(&rules_dir).unwrap();
    for (name, body) in [
        ("trail.yml", TRAIL),
        ("console.yml", CONSOLE),
        ("no_id.yml", NO_ID),
    ] {
        std::fs::write(rules_dir.join(name), body).unwrap();
    }
    let file = d.join("events.json");
    std::fs::write(&file, format!("{FIRST}{SECOND}")).unwrap();
    let (at_ingest, scheduled) = (
        d.join("a").display().to_string(),
        d.join("b").display().to_string(),
    );
    let rules_arg = rules_dir.display().to_string();
    let ingest_with_rules = || {
        ok(seclake()
            .args([
                "ingest",
                "--lake",
                &at_ingest,
                "--log-type",
                "AWS.CloudTrail",
            ])
            .args(["--rules", &rules_arg, file.to_str().unwrap()])
            .output()
            .unwrap())
    };
    let log = text(&ingest_with_rules().stderr);
    assert!(log.contains("no_id.yml: skipped"), "{log}");
    assert!(log.contains("rules: 2 of 3 run at ingest"), "{log}");
    assert!(log.contains("alert: Trail stopped: 2 new"), "{log}");
    assert!(
        log.contains("alert: Console login without MFA: 1 new"),
        "{log}"
    );
    assert!(log.contains("alerts: 3 new, 0 already known"), "{log}");
    ingest(&scheduled, &file);
    let (code, _, err) = rules("run", &rules_arg, &scheduled, &WINDOW);
    assert_eq!(code, Some(1), "{err}");
    let ids = |lake: &str| -> Vec<Value> {
        let mut v: Vec<Value> = alerts(lake)
            .into_iter()
            .map(|a| {
                serde_json::json!([
                    a["alert_id"],
                    a["rule_id"],
                    a["matched_row_id"],
                    a["p_event_time"]
                ])
            })
            .collect();
        v.sort_by_key(|a| a.to_string());
        v
    };
    let fired = ids(&at_ingest);
    assert_eq!(fired.len(), 3);
    assert_eq!(fired, ids(&scheduled));
    // Again: the rows come back (same row ids), the alerts do not.
    let log = text(&ingest_with_rules().stderr);
    assert!(log.contains("alerts: 0 new, 3 already known"), "{log}");
    let (_, out, _) = rules("run", &rules_arg, &at_ingest, &WINDOW);
    assert!(
        out.contains("total: 0 new alerts (3 already known)"),
        "{out}"
    );
    assert_eq!(ids(&at_ingest).len(), 3);
}

/// With several workers (`--threads 2`) matching batches of a file large
/// enough to be cut into several chunks, and of a second input, `ingest
/// --rules` records exactly the alerts a later `rules run` over a lake of
/// the same records fires: no match is lost or doubled when the rules run
/// in the parse workers, and every alert keeps its row's id.
#[test]
fn ingest_time_rules_in_several_workers_fire_what_scheduled_rules_fire() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rules_dir = d.join("rules");
    std::fs::create_dir(&rules_dir).unwrap();
    for (name, body) in [("trail.yml", TRAIL), ("console.yml", CONSOLE)] {
        std::fs::write(rules_dir.join(name), body).unwrap();
    }
    // About 6 MB: several chunks of a megabyte. Every 997th event stops a
    // trail, every 1499th is a console login without MFA.
    let (mut big, mut want) = (String::new(), 0);
    for n in 0..12_000 {
        let (source, name, extra) = if n % 997 == 0 {
            want += 1;
            ("cloudtrail.amazonaws.com", "StopLogging", "")
        } else if n % 1499 == 7 {
            want += 1;
            (
                "signin.amazonaws.com",
                "ConsoleLogin",
                r#","responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"}"#,
            )
        } else {
            ("s3.amazonaws.com", "GetObject", "")
        };
        big.push_str(&format!(
            r#"{{"eventVersion":"1.09","eventTime":"2024-03-01T{:02}:{:02}:{:02}Z","eventSource":"{source}","eventName":"{name}","awsRegion":"us-east-1","eventID":"big-{n}","recipientAccountId":"111122223333","userIdentity":{{"type":"IAMUser","principalId":"AIDAALICE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"}},"sourceIPAddress":"10.0.{}.{}","userAgent":"aws-cli/2.13.0 Python/3.11.4","requestParameters":{{"bucketName":"logs-{n}","key":"{}"}},"eventType":"AwsApiCall"{extra}}}"#,
            n / 3600 % 24,
            n / 60 % 60,
            n % 60,
            n % 250,
            n % 200,
            "k".repeat(200),
        ));
        big.push('\n');
    }
    assert!(big.len() > 4 << 20, "{}", big.len());
    let (first, second) = (d.join("big.json"), d.join("small.json"));
    std::fs::write(&first, &big).unwrap();
    std::fs::write(&second, format!("{FIRST}{SECOND}")).unwrap();
    want += 3;
    let (at_ingest, scheduled) = (
        d.join("a").display().to_string(),
        d.join("b").display().to_string(),
    );
    let rules_arg = rules_dir.display().to_string();
    let inputs = [first.to_str().unwrap(), second.to_str().unwrap()];
    let log = text(
        &ok(seclake()
            .args(["ingest", "--lake", &at_ingest, "--threads", "2"])
            .args(["--log-type", "AWS.CloudTrail", "--rules", &rules_arg])
            .args(inputs)
            .output()
            .unwrap())
        .stderr,
    );
    assert!(
        log.contains(&format!("alerts: {want} new, 0 already known")),
        "{log}"
    );
    let mut args = vec![
        "ingest",
        "--lake",
        &scheduled,
        "--log-type",
        "AWS.CloudTrail",
    ];
    args.extend(inputs);
    run(&args, &[]);
    let (code, out, err) = rules("run", &rules_arg, &scheduled, &WINDOW);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains(&format!("total: {want} new alerts")), "{out}");
    let ids = |lake: &str| -> Vec<String> {
        let mut v: Vec<String> = alerts(lake)
            .into_iter()
            .map(|a| format!("{} {} {}", a["alert_id"], a["rule_id"], a["matched_row_id"]))
            .collect();
        v.sort();
        v
    };
    let fired = ids(&at_ingest);
    assert_eq!(fired.len(), want);
    assert_eq!(fired, ids(&scheduled));
}
