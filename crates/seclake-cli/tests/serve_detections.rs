//! `seclake serve` with `[detections]` and alert outputs, against a local
//! HTTP server (Python's) that records every POST: the alerts CloudTrail
//! records fire at ingest reach the webhook (and stdout) once, equal to
//! their `_alerts` rows; serving again adds and sends nothing; rows
//! another writer ingested are caught by the scheduled run; a webhook
//! that answers 500 twice gets the alerts once, after retries, and one
//! that answers 404 is reported without retries. `--check-config` warns
//! of a rule that does not compile and refuses a bad output.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, ok, query, run, seclake, text};
use seclake_core::Timestamp;
use serde_json::Value;

const TRAIL_ID: &str = "5b0a2f4e-3c39-4a53-9d0e-4f7c1d9e2a10";
const CONSOLE_ID: &str = "0f6c1f0a-7d8e-4a43-8f5e-2b1d9a6c3e21";

const TRAIL: &str = "title: Trail stopped
id: 5b0a2f4e-3c39-4a53-9d0e-4f7c1d9e2a10
level: high
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName:
      - StopLogging
      - DeleteTrail
  automation:
    userAgent|startswith: terraform
  condition: selection and not automation
";

const CONSOLE: &str = "title: Console login without MFA
id: 0f6c1f0a-7d8e-4a43-8f5e-2b1d9a6c3e21
level: medium
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: ConsoleLogin
    additionalEventData.MFAUsed: 'No'
    responseElements.ConsoleLogin: Success
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

/// Records every POST as a JSON line in argv[2] (path, status answered,
/// headers, body); `/gone` answers 404, any other path 500 for the first
/// argv[3] requests, then 200.
const SERVER: &str = r#"
import http.server, json, sys
port, log, fails = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
seen = [0]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/gone":
            code = 404
        else:
            seen[0] += 1
            code = 500 if seen[0] <= fails else 200
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path, "code": code,
                "type": self.headers.get("Content-Type"),
                "auth": self.headers.get("Authorization"),
                "body": json.loads(body)}) + "\n")
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
"#;

/// The recording server; killed when dropped.
struct Hook {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Hook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Hook {
    fn start(dir: &Path, fails: u32) -> Hook {
        let port = free_port();
        let script = dir.join("hook.py");
        std::fs::write(&script, SERVER).unwrap();
        let log = dir.join("posts.jsonl");
        let child = Command::new("python3")
            .arg(&script)
            .arg(port.to_string())
            .arg(&log)
            .arg(fails.to_string())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the test server does not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Hook { child, port, log }
    }

    /// Every request received, in order.
    fn posts(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// A CloudTrail record `minutes` before now.
fn record(id: &str, minutes: i64, source: &str, name: &str, agent: &str, extra: &str) -> String {
    let at = Timestamp(Timestamp::now().0 - minutes * 60_000_000);
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
    let out = run(
        &[
            "query",
            "--lake",
            &lake(dir),
            "--format",
            "json",
            "SELECT * FROM _alerts ORDER BY p_event_time",
        ],
        &[],
    );
    text(&out.stdout)
        .lines()
        .map(|l| {
            let mut row: Value = serde_json::from_str(l).unwrap();
            for partition in ["year", "month", "day", "hour"] {
                row.as_object_mut().unwrap().remove(partition);
            }
            row
        })
        .collect()
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

#[test]
fn check_config_warns_of_rules_that_do_not_compile_and_refuses_bad_outputs() {
    let dir = tempfile::tempdir().unwrap();
    rules(dir.path(), &[("broken.yml", BROKEN)]);
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
    let said = text(&out.stdout);
    assert!(
        said.contains("ok (1 source(s), 2 rule(s), 1 alert output(s))"),
        "{said}"
    );

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
}
