//! `seclake serve` with `[detections]` and alert outputs, against a local
//! HTTP server (Python's) that records every POST: the alerts CloudTrail
//! records fire at ingest reach the webhook (and stdout) once, equal to
//! their `_alerts` rows; serving again adds and sends nothing; rows
//! another writer ingested are caught by the scheduled run; a webhook
//! that answers 500 twice gets the alerts once, after retries, and one
//! that answers 404 is reported without retries. A correlation fires once
//! from the scheduled runs. `--check-config` warns of a rule or a
//! correlation that does not compile and refuses a bad output.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::hook::Hook;
use common::rules::{alert_rows, CONSOLE, CONSOLE_ID, TRAIL, TRAIL_ID};
use common::{ok, query, run, seclake, text};
use seclake_core::Timestamp;
use serde_json::Value;

const BURST_ID: &str = "7e2d4c1a-5b3f-4a69-8c0e-1d2f3a4b5c6d";

/// An event_count correlation, with its base rule (which fires nothing
/// alone).
const BURST: &str = "title: Buckets listed twice by one user
id: 7e2d4c1a-5b3f-4a69-8c0e-1d2f3a4b5c6d
level: medium
correlation:
  type: event_count
  rules: [bucket_listing]
  group-by: [userIdentity.userName]
  timespan: 1h
  condition: {gte: 2}
---
title: S3 buckets listed
name: bucket_listing
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: s3.amazonaws.com
    eventName: ListBuckets
  condition: selection
";

const UNKNOWN: &str = "title: Names a rule nobody loaded
id: 0a0b0c0d-0000-4000-8000-000000000001
correlation:
  type: event_count
  rules: [nope]
  timespan: 1h
  condition: {gte: 1}
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

/// A CloudTrail record `minutes` before now.
fn record(id: &str, minutes: i64, source: &str, name: &str, agent: &str, extra: &str) -> String {
    let at = Timestamp(Timestamp::now().0 - minutes * MINUTE);
    record_at(id, at, source, name, agent, extra)
}

const MINUTE: i64 = 60_000_000;

/// A CloudTrail record at `at`.
fn record_at(
    id: &str,
    at: Timestamp,
    source: &str,
    name: &str,
    agent: &str,
    extra: &str,
) -> String {
    let at = at.to_rfc3339();
    let at = format!("{}Z", &at[..19]);
    format!(
        r#"{{"eventVersion":"1.09","eventTime":"{at}","eventSource":"{source}","eventName":"{name}","awsRegion":"us-east-1","eventID":"{id}","recipientAccountId":"111122223333","userIdentity":{{"type":"IAMUser","principalId":"AIDAX","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","userName":"mallory"}},"sourceIPAddress":"203.0.113.66","userAgent":"{agent}","eventType":"AwsApiCall"{extra}}}"#
    ) + "\n"
}

/// c1 stops a trail, c2 logs in without MFA, c3 lists buckets, c4 deletes
/// a trail from terraform (not an alert).
fn first() -> String {
    let trail = "cloudtrail.amazonaws.com";
    let mfa =
        r#","responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"}"#;
    [
        record("c1", 40, trail, "StopLogging", "aws-cli/2.13.0", ""),
        record(
            "c2",
            30,
            "signin.amazonaws.com",
            "ConsoleLogin",
            "Mozilla/5.0",
            mfa,
        ),
        record(
            "c3",
            20,
            "s3.amazonaws.com",
            "ListBuckets",
            "aws-cli/2.13.0",
            "",
        ),
        record("c4", 10, trail, "DeleteTrail", "terraform/1.5.7", ""),
    ]
    .concat()
}

/// The rules directory, with `extra` rule files.
fn rules(dir: &Path, extra: &[(&str, &str)]) -> PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    let all = [("trail.yml", TRAIL), ("console.yml", CONSOLE)];
    for (name, yaml) in all.iter().chain(extra) {
        std::fs::write(rules.join(name), yaml).unwrap();
    }
    rules
}

/// A configuration: a file source on `dir/logs`, the rules, `outputs`.
fn config(dir: &Path, outputs: &str) -> PathBuf {
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let cfg = dir.join("seclake.toml");
    let text = format!(
        "[lake]\nuri = \"{}\"\n[[source]]\nid = \"trail\"\ntype = \"file\"\npath = \"{}\"\nlog_types = [\"AWS.CloudTrail\"]\n[detections]\nrules = \"{}\"\n{outputs}",
        dir.join("lake").display(),
        logs.display(),
        dir.join("rules").display()
    );
    std::fs::write(&cfg, text).unwrap();
    cfg
}

fn serve_once(cfg: &Path) -> Output {
    ok(seclake()
        .args(["serve", "--once", "--config"])
        .arg(cfg)
        .output()
        .unwrap())
}

fn lake(dir: &Path) -> String {
    dir.join("lake").display().to_string()
}

/// The `_alerts` rows as JSON objects (without the partition columns), by
/// event time.
fn alerts(dir: &Path) -> Vec<Value> {
    alert_rows(&lake(dir), "SELECT * FROM _alerts ORDER BY p_event_time")
}

/// `p_row_id` of the record `event_id`.
fn row_id(dir: &Path, event_id: &str) -> String {
    let sql = format!("SELECT p_row_id FROM aws_cloudtrail WHERE eventID = '{event_id}'");
    query(&lake(dir), &[], &sql, &[])[0][0].clone()
}

fn by_time(mut alerts: Vec<Value>) -> Vec<Value> {
    alerts.sort_by_key(|a| a["p_event_time"].as_str().unwrap().to_string());
    alerts
}

#[test]
fn ingest_time_alerts_reach_the_webhook_and_stdout_once() {
    let dir = tempfile::tempdir().unwrap();
    let hook = Hook::start(dir.path(), 0);
    rules(dir.path(), &[]);
    let cfg = config(
        dir.path(),
        &format!(
            "[[alert_output]]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{}/hook\"\nheaders = {{ Authorization = \"Bearer t0ken\" }}\n[[alert_output]]\ntype = \"stdout\"\n",
            hook.port
        ),
    );
    std::fs::write(dir.path().join("logs/trail.log"), first()).unwrap();
    let out = serve_once(&cfg);
    let err = text(&out.stderr);
    assert!(err.contains("2 new alert(s) at ingest"), "{err}");
    // The scheduled run at the end finds them known.
    assert!(err.contains("0 new alert(s), 2 already known"), "{err}");

    let stored = alerts(dir.path());
    assert_eq!(stored.len(), 2, "{stored:?}");
    let posts = hook.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    let post = &posts[0];
    assert_eq!(post["code"], 200);
    assert_eq!(post["type"], "application/json");
    assert_eq!(post["auth"], "Bearer t0ken");
    // Every column of the rows appended, as `seclake query` shows them.
    let sent = by_time(post["body"].as_array().unwrap().clone());
    assert_eq!(sent, stored);
    assert_eq!(sent[0]["rule_id"], TRAIL_ID);
    assert_eq!(sent[0]["matched_row_id"], row_id(dir.path(), "c1").as_str());
    assert_eq!(sent[1]["rule_id"], CONSOLE_ID);
    assert_eq!(sent[1]["matched_row_id"], row_id(dir.path(), "c2").as_str());
    // stdout: one JSON line per alert, the same objects.
    let printed: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(by_time(printed), stored);

    // Again on the same data: nothing new anywhere.
    let out = serve_once(&cfg);
    assert_eq!(text(&out.stdout), "");
    assert_eq!(hook.posts().len(), 1);
    assert_eq!(alerts(dir.path()).len(), 2);

    // One new matching record: one alert, one more request.
    let trail = "cloudtrail.amazonaws.com";
    let c5 = record("c5", 5, trail, "DeleteTrail", "aws-cli/2.15.0", "");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("logs/trail.log"))
        .unwrap();
    std::io::Write::write_all(&mut f, c5.as_bytes()).unwrap();
    drop(f);
    let out = serve_once(&cfg);
    assert_eq!(text(&out.stdout).lines().count(), 1);
    let posts = hook.posts();
    assert_eq!(posts.len(), 2, "{posts:?}");
    let body = posts[1]["body"].as_array().unwrap();
    assert_eq!(body.len(), 1);
    assert_eq!(body[0]["rule_id"], TRAIL_ID);
    assert_eq!(body[0]["matched_row_id"], row_id(dir.path(), "c5").as_str());
    assert_eq!(alerts(dir.path()).len(), 3);
}

#[test]
fn scheduled_runs_catch_other_writers_rows_and_retry_a_failing_webhook() {
    let dir = tempfile::tempdir().unwrap();
    // The first two requests to /hook get a 500.
    let hook = Hook::start(dir.path(), 2);
    rules(dir.path(), &[]);
    let cfg = config(
        dir.path(),
        &format!(
            "[[alert_output]]\nname = \"flaky\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{0}/hook\"\nbackoff = \"100ms\"\n[[alert_output]]\nname = \"gone\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{0}/gone\"\nbackoff = \"100ms\"\n",
            hook.port
        ),
    );
    // Another writer: `seclake ingest` without rules.
    let file = dir.path().join("elsewhere.log");
    std::fs::write(&file, first()).unwrap();
    let ingest = [
        "ingest",
        "--lake",
        &lake(dir.path()),
        "--log-type",
        "AWS.CloudTrail",
    ];
    let mut args = ingest.to_vec();
    args.push(file.to_str().unwrap());
    run(&args, &[]);

    let out = serve_once(&cfg);
    let err = text(&out.stderr);
    assert!(err.contains("2 new alert(s), 0 already known"), "{err}");
    assert!(err.contains("retry 1 of 5"), "{err}");
    assert!(err.contains("retry 2 of 5"), "{err}");
    assert!(err.contains("\"flaky\": 2 alert(s) delivered"), "{err}");
    assert!(
        err.contains("\"gone\": POST http://127.0.0.1:")
            && err.contains("/gone failed (not retried): 404 Not Found"),
        "{err}"
    );
    let posts = hook.posts();
    let flaky: Vec<&Value> = posts.iter().filter(|p| p["path"] == "/hook").collect();
    let codes: Vec<&Value> = flaky.iter().map(|p| &p["code"]).collect();
    assert_eq!(codes, [500, 500, 200]);
    // The same body each time: delivered once.
    assert!(flaky.iter().all(|p| p["body"] == flaky[2]["body"]));
    let stored = alerts(dir.path());
    assert_eq!(
        by_time(flaky[2]["body"].as_array().unwrap().clone()),
        stored
    );
    let gone: Vec<&Value> = posts.iter().filter(|p| p["path"] == "/gone").collect();
    assert_eq!(gone.len(), 1, "a 404 is not retried");

    // Again: the scheduled run finds them known; nothing is sent.
    let out = serve_once(&cfg);
    let err = text(&out.stderr);
    assert!(err.contains("0 new alert(s), 2 already known"), "{err}");
    assert_eq!(hook.posts().len(), posts.len());
    assert_eq!(alerts(dir.path()).len(), 2);
}

/// Two listings by one user within an hour: the correlation fires once,
/// from the scheduled run, to `_alerts` and the webhook; again, nothing.
#[test]
fn correlations_fire_once_from_the_scheduled_runs() {
    let dir = tempfile::tempdir().unwrap();
    let hook = Hook::start(dir.path(), 0);
    rules(dir.path(), &[("burst.yml", BURST)]);
    let cfg = config(
        dir.path(),
        &format!(
            "lookback = \"3h\"\n[[alert_output]]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{}/hook\"\n",
            hook.port
        ),
    );
    // Both in the last whole hour, one bucket of the timespan whatever
    // the time the test runs at.
    let hour = 60 * MINUTE;
    let bucket = Timestamp((Timestamp::now().0.div_euclid(hour) - 1) * hour);
    let s3 = "s3.amazonaws.com";
    let at = |minutes: i64| Timestamp(bucket.0 + minutes * MINUTE);
    let listings = [
        record_at("l1", at(10), s3, "ListBuckets", "aws-cli/2.13.0", ""),
        record_at("l2", at(20), s3, "ListBuckets", "aws-cli/2.13.0", ""),
    ];
    std::fs::write(dir.path().join("logs/trail.log"), listings.concat()).unwrap();
    let out = serve_once(&cfg);
    let err = text(&out.stderr);
    for want in [
        "2 rule(s) at ingest, 1 correlation(s) on the schedule only",
        "S3 buckets listed (",
        "part of correlation \"Buckets listed twice by one user\"",
        ": 0 new alert(s), 0 already known; 1 correlation(s): 1 new alert(s), 0 already known",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    assert!(!err.contains("seclake rules run"), "{err}");
    let stored = alerts(dir.path());
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["rule_id"], BURST_ID);
    assert_eq!(
        stored[0]["matched_row_id"],
        row_id(dir.path(), "l1").as_str()
    );
    assert_eq!(stored[0]["correlation_count"], 2);
    let group = r#"{"userIdentity.userName":"mallory"}"#;
    assert_eq!(stored[0]["correlation_group"], group);
    let posts = hook.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0]["body"].as_array().unwrap(), &stored);

    // Again: the run finds it known, and sends nothing.
    let err = text(&serve_once(&cfg).stderr);
    assert!(
        err.contains("1 correlation(s): 0 new alert(s), 1 already known"),
        "{err}"
    );
    assert_eq!(hook.posts().len(), 1);
    assert_eq!(alerts(dir.path()).len(), 1);

    // `ingest --rules` evaluates batches only: it says so of the
    // correlation.
    let file = dir.path().join("logs/trail.log");
    let elsewhere = dir.path().join("elsewhere").display().to_string();
    let rules = dir.path().join("rules").display().to_string();
    let args = [
        "ingest",
        "--lake",
        &elsewhere,
        "--log-type",
        "AWS.CloudTrail",
    ];
    let mut args = args.to_vec();
    args.extend(["--rules", &rules, file.to_str().unwrap()]);
    let err = text(&run(&args, &[]).stderr);
    assert!(
        err.contains("Buckets listed twice by one user (")
            && err.contains("skipped: a correlation, not evaluated at ingest"),
        "{err}"
    );
}

#[test]
fn check_config_warns_of_rules_that_do_not_compile_and_refuses_bad_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let extra = [
        ("broken.yml", BROKEN),
        ("burst.yml", BURST),
        ("unknown.yml", UNKNOWN),
    ];
    rules(dir.path(), &extra);
    let cfg = config(
        dir.path(),
        "[[alert_output]]\ntype = \"webhook\"\nurl = \"https://hooks.example.com/x\"\n",
    );
    let check = |cfg: &Path| {
        seclake()
            .args(["serve", "--check-config", "--config"])
            .arg(cfg)
            .output()
            .unwrap()
    };
    let out = ok(check(&cfg));
    let err = text(&out.stderr);
    assert!(
        err.contains("warning: [detections] ")
            && err.contains("broken.yml: skipped:")
            && err.contains("CommandLine"),
        "{err}"
    );
    // A correlation naming a rule that is not loaded.
    let unknown = "unknown.yml: skipped: correlation.rules: no rule named `nope`";
    assert!(err.contains(unknown), "{err}");
    let said = text(&out.stdout);
    let counts = "ok (1 source(s), 2 rule(s), 1 correlation(s), 1 alert output(s))";
    assert!(said.contains(counts), "{said}");

    // A missing rules path and an output that is not HTTP: errors.
    let bad = dir.path().join("bad.toml");
    let text_cfg = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace(
            &dir.path().join("rules").display().to_string(),
            "/no/such/rules",
        )
        .replace("https://hooks.example.com/x", "ftp://hooks.example.com/x");
    std::fs::write(&bad, text_cfg).unwrap();
    let out = check(&bad);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    for want in [
        "[detections] rules \"/no/such/rules\": no such file or directory",
        "alert_output \"webhook-1\": url \"ftp://hooks.example.com/x\" is not an http:// or https:// URL",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }

    // Without scheduled runs, the correlation would never run.
    let off = config(dir.path(), "schedule = \"0\"\n");
    let err = text(&ok(check(&off)).stderr);
    let never = "warning: [detections] 1 correlation(s) never run";
    assert!(err.contains(never), "{err}");
}
