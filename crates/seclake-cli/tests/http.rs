//! `seclake serve` with an HTTP source, against real clients: curl (gzip
//! bodies, HTTPS, wrong credentials, oversized bodies), Python `requests`
//! (Edgecast documents, HEC and bulk envelopes, 50 concurrent senders, a
//! stream of POSTs through a `kill -9` and through a SIGTERM), and a
//! hand-made client that trickles its request (slow loris). The source's
//! counters are served at `/metrics`.

mod common;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::{certificates, free_port, query, signal, spawn_serve, stop, text, Lcg};

const TOKEN: &str = "t0ken-for-tests";

/// `seclake serve` on a config of one HTTP source `push` (`extra` is the
/// rest of its table), ready once it answers.
fn serve(dir: &Path, port: u16, extra: &str) -> Child {
    let cfg = dir.join("seclake.toml");
    std::fs::write(
        &cfg,
        format!(
            "[lake]\nuri = \"{}\"\n[[source]]\nid = \"push\"\ntype = \"http\"\nlisten = \"127.0.0.1:{port}\"\nauth_token = \"{TOKEN}\"\n{extra}\n",
            lake(dir)
        ),
    )
    .unwrap();
    let child = spawn_serve(&cfg);
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "serve does not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn lake(dir: &Path) -> String {
    dir.join("lake").display().to_string()
}

/// `curl ARGS`: the status and the response body.
fn curl(dir: &Path, args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "-o", "body.out", "-w", "%{http_code}"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let code = text(&out.stdout).trim().parse().unwrap_or(0);
    let body = std::fs::read_to_string(dir.join("body.out")).unwrap_or_default();
    (code, body)
}

/// Scrapes `/metrics` on `port` until it contains every one of `wants`
/// (for a minute at most): a source's counters reach it at its next round.
fn scrape_until(port: u16, wants: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut body = String::new();
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = write!(s, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
            let _ = s.read_to_string(&mut body);
        }
        let missing: Vec<&&str> = wants.iter().filter(|w| !body.contains(**w)).collect();
        if missing.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "no {missing:?} in:\n{body}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// CloudTrail records as JSON lines, one per id.
fn cloudtrail(ids: &[String]) -> String {
    ids.iter()
        .map(|id| {
            format!(
                r#"{{"eventVersion":"1.08","eventTime":"2024-05-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","eventID":"{id}"}}"#
            ) + "\n"
        })
        .collect()
}

fn event_ids(dir: &Path) -> HashSet<String> {
    query(&lake(dir), &[], "SELECT eventID FROM aws_cloudtrail", &[])
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

#[test]
fn curl_posts_gzip_ndjson_and_bad_requests_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (port, metrics) = (free_port(), free_port());
    let extra = format!("max_body_bytes = 100000\n[metrics]\nlisten = \"127.0.0.1:{metrics}\"");
    let child = serve(d, port, &extra);
    let url = format!("http://127.0.0.1:{port}/ingest");
    let auth = format!("Authorization: Bearer {TOKEN}");
    let ids: Vec<String> = (0..50).map(|i| format!("gz-{i}")).collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(cloudtrail(&ids).as_bytes()).unwrap();
    std::fs::write(d.join("events.json.gz"), gz.finish().unwrap()).unwrap();
    let gzip = "Content-Encoding: gzip";
    let (code, body) = curl(
        d,
        &[
            "-H",
            &auth,
            "-H",
            gzip,
            "--data-binary",
            "@events.json.gz",
            &url,
        ],
    );
    assert_eq!((code, body.as_str()), (200, r#"{"rejects":0,"rows":50}"#));
    // Without credentials, with wrong ones, or too large: refused, and
    // nothing of it in the lake.
    let wrong: Vec<String> = vec!["wrong-0".into()];
    std::fs::write(d.join("wrong.json"), cloudtrail(&wrong)).unwrap();
    let (code, _) = curl(d, &["--data-binary", "@wrong.json", &url]);
    assert_eq!(code, 401);
    let bad_auth = "Authorization: Bearer nope";
    let (code, body) = curl(d, &["-H", bad_auth, "--data-binary", "@wrong.json", &url]);
    assert_eq!(code, 401, "{body}");
    let basic = format!("{TOKEN}:x");
    let (code, _) = curl(d, &["-u", &basic, "--data-binary", "@wrong.json", &url]);
    assert_eq!(code, 401);
    let big: Vec<String> = (0..1000).map(|i| format!("big-{i}")).collect();
    std::fs::write(d.join("big.json"), cloudtrail(&big)).unwrap();
    let (code, body) = curl(d, &["-H", &auth, "--data-binary", "@big.json", &url]);
    assert_eq!(code, 413, "{body}");
    assert!(body.contains("max_body_bytes"), "{body}");
    // A body that says gzip and is not.
    let (code, body) = curl(
        d,
        &[
            "-H",
            &auth,
            "-H",
            gzip,
            "--data-binary",
            "@wrong.json",
            &url,
        ],
    );
    assert_eq!(code, 400, "{body}");
    // Health checks answer without credentials.
    assert_eq!(curl(d, &[&format!("http://127.0.0.1:{port}/")]).0, 200);
    // Its counters, at /metrics.
    scrape_until(
        metrics,
        &[
            // The POST and the health check.
            "seclake_http_requests_total{source=\"push\",code=\"200\"} 2\n",
            "seclake_http_requests_total{source=\"push\",code=\"401\"} 3\n",
            "seclake_http_requests_total{source=\"push\",code=\"413\"} 1\n",
            "seclake_http_auth_failures_total{source=\"push\"} 3\n",
            "# TYPE seclake_http_open_connections gauge\n",
            "seclake_http_open_connections{source=\"push\"} ",
            // Not recorded without Imperva or Edgecast sources, but declared.
            "# TYPE seclake_missing_sequences gauge\n",
        ],
    );
    let out = stop(child);
    let log = text(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("3 request(s) without valid credentials"),
        "{log}"
    );
    let got = event_ids(d);
    assert_eq!(got, ids.iter().cloned().collect::<HashSet<_>>());
}

#[test]
fn https_with_curl() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    certificates(d);
    let port = free_port();
    let tls = format!(
        "tls_cert = \"{}\"\ntls_key = \"{}\"",
        d.join("server.pem").display(),
        d.join("server.key").display()
    );
    let child = serve(d, port, &tls);
    std::fs::write(d.join("e.json"), cloudtrail(&["tls-1".to_string()])).unwrap();
    let url = format!("https://127.0.0.1:{port}/");
    let auth = format!("Authorization: Bearer {TOKEN}");
    let args = [
        "--cacert",
        "ca.pem",
        "-H",
        &auth,
        "--data-binary",
        "@e.json",
        &url,
    ];
    let (code, body) = curl(d, &args);
    assert_eq!(code, 200, "{body}");
    // Plain HTTP to the HTTPS port is not taken.
    let plain = format!("http://127.0.0.1:{port}/");
    let (code, _) = curl(
        d,
        &["-H", &auth, "--data-binary", "@e.json", "-m", "5", &plain],
    );
    assert_ne!(code, 200);
    let out = stop(child);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(event_ids(d), HashSet::from(["tls-1".to_string()]));
}

/// The Python sender: `MODE` `edgecast`, `hec`, `bulk` post one body and
/// print the status and answer; `senders N COUNT OUT` runs N threads,
/// each posting COUNT gzip NDJSON bodies of 20 CloudTrail records with
/// ids `s<thread>-<request>-<record>` (0 COUNT: until the server is
/// gone), appending the ids of every 200 to OUT and printing the
/// statuses and errors seen.
const SENDER: &str = r#"
import sys, json, gzip, threading, collections, requests
url, token, mode = sys.argv[1], sys.argv[2], sys.argv[3]
auth = {"Authorization": "Bearer " + token}
def record(i):
    return json.dumps({"eventVersion": "1.08", "eventTime": "2024-05-01T10:00:00Z",
        "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7", "eventID": i})
if mode in ("edgecast", "hec", "bulk"):
    body = open(sys.argv[4], "rb").read()
    path = {"edgecast": "/edgecast", "hec": "/services/collector/event", "bulk": "/waf/_bulk"}[mode]
    r = requests.post(url + path, data=body, headers=auth, timeout=60)
    print(r.status_code, r.text)
    sys.exit(0)
n, count, out = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
seen, lock = collections.Counter(), threading.Lock()
def sender(t):
    s = requests.Session()
    k = 0
    while count == 0 or k < count:
        ids = ["s%d-%d-%d" % (t, k, j) for j in range(20)]
        body = gzip.compress(("\n".join(record(i) for i in ids) + "\n").encode())
        try:
            r = s.post(url + "/ingest", data=body, timeout=120,
                       headers=dict(auth, **{"Content-Encoding": "gzip"}))
            key = str(r.status_code)
        except requests.exceptions.ConnectionError as e:
            key = "refused" if "refused" in str(e).lower() else "error"
            r = None
        with lock:
            seen[key] += 1
            if r is not None and r.status_code == 200:
                with open(out, "a") as f:
                    f.write("\n".join(ids) + "\n")
        if r is None and count == 0:
            return
        k += 1
threads = [threading.Thread(target=sender, args=(t,)) for t in range(n)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(seen))
"#;

fn python(dir: &Path, args: &[&str]) -> std::process::Child {
    std::fs::write(dir.join("sender.py"), SENDER).unwrap();
    Command::new("python3")
        .arg("sender.py")
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn finished(child: std::process::Child) -> String {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

fn acked(dir: &Path) -> HashSet<String> {
    std::fs::read_to_string(dir.join("acked.txt"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn envelopes_from_python_requests() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    let child = serve(d, port, "");
    let url = format!("http://127.0.0.1:{port}");
    let samples = common::repo().join("fixtures/log-types/Edgecast.WAF");
    let doc = samples.join("input-edgio-docs-json.json");
    let doc = doc.display().to_string();
    let answer = finished(python(d, &[&url, TOKEN, "edgecast", &doc]));
    assert!(answer.starts_with("200 "), "{answer}");
    let array = samples.join("input-edgio-docs-json-array.json");
    let array = array.display().to_string();
    let answer = finished(python(d, &[&url, TOKEN, "edgecast", &array]));
    assert!(
        answer.starts_with("200 ") && answer.contains("\"rejects\":0"),
        "{answer}"
    );
    let hec: String = ["hec-1", "hec-2"]
        .iter()
        .map(|id| {
            format!(
                "{{\"time\":1,\"event\":{}}}",
                cloudtrail(&[id.to_string()]).trim()
            )
        })
        .collect();
    std::fs::write(d.join("hec.json"), hec).unwrap();
    let answer = finished(python(d, &[&url, TOKEN, "hec", "hec.json"]));
    assert_eq!(answer.trim(), r#"200 {"text":"Success","code":0}"#);
    let bulk: String = ["bulk-1", "bulk-2", "bulk-3"]
        .iter()
        .map(|id| format!("{{\"index\":{{}}}}\n{}", cloudtrail(&[id.to_string()])))
        .collect();
    std::fs::write(d.join("bulk.json"), bulk).unwrap();
    let answer = finished(python(d, &[&url, TOKEN, "bulk", "bulk.json"]));
    assert!(
        answer.starts_with("200 ") && answer.contains("\"errors\":false"),
        "{answer}"
    );
    let out = stop(child);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let want: HashSet<String> = ["hec-1", "hec-2", "bulk-1", "bulk-2", "bulk-3"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(event_ids(d), want);
    // Both Edgecast formats, every entry a row.
    let edgecast = query(&lake(d), &[], "SELECT count(*) FROM edgecast_waf", &[]);
    let want: usize = [doc, array]
        .iter()
        .map(|f| {
            text(&common::run(&["parse", f], &[]).stdout)
                .lines()
                .count()
        })
        .sum();
    assert_eq!(edgecast[0][0], want.to_string());
}

/// A client that sends a request head a byte at a time: closed by
/// `frame_timeout`; how long that took.
fn slow_loris(port: u16) -> Duration {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let started = Instant::now();
    for b in b"POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"
        .iter()
        .cycle()
    {
        if s.write_all(&[*b]).is_err() || started.elapsed() > Duration::from_secs(30) {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    started.elapsed()
}

#[test]
fn fifty_concurrent_senders_and_a_slow_loris() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    let child = serve(d, port, "frame_timeout = \"2s\"");
    let loris = std::thread::spawn(move || slow_loris(port));
    let url = format!("http://127.0.0.1:{port}");
    let seen = finished(python(d, &[&url, TOKEN, "senders", "50", "4", "acked.txt"]));
    assert_eq!(seen.trim(), r#"{"200": 200}"#);
    let held = loris.join().unwrap();
    assert!(
        held < Duration::from_secs(10),
        "the slow client held on {held:?}"
    );
    let out = stop(child);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let want = acked(d);
    assert_eq!(want.len(), 50 * 4 * 20);
    assert_eq!(event_ids(d), want);
}

/// Every request answered 200 is in the lake, after a `kill -9` at a
/// random moment of a stream of POSTs, and after a SIGTERM in another.
#[test]
fn every_200_survives_a_kill_9_and_a_sigterm() {
    let mut rng = Lcg::seeded();
    for sig in ["KILL", "TERM"] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let port = free_port();
        let child = serve(d, port, "");
        let url = format!("http://127.0.0.1:{port}");
        let senders = python(d, &[&url, TOKEN, "senders", "8", "0", "acked.txt"]);
        std::thread::sleep(Duration::from_millis(1000 + rng.below(2000)));
        signal(&child, sig);
        let out = child.wait_with_output().unwrap();
        if sig == "TERM" {
            assert!(out.status.success(), "{}", text(&out.stderr));
        }
        let seen = finished(senders);
        let want = acked(d);
        assert!(!want.is_empty(), "nothing was acknowledged: {seen}");
        // A restart finds the lake as the acknowledgements left it.
        let again = serve(d, port, "");
        let out = stop(again);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let got = event_ids(d);
        let lost: Vec<_> = want.difference(&got).take(5).collect();
        assert!(
            lost.is_empty(),
            "{sig}: answered 200 but not in the lake: {lost:?} ({seen})"
        );
    }
}
