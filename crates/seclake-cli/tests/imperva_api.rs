//! `seclake serve` with an Imperva log API source, against a local HTTP
//! server (Python's, checking basic authentication) that serves a log
//! repository built the way Imperva builds it: `logs.index` and encrypted
//! log files. Each round takes only the new files, decrypted with the
//! configured key; the position survives a restart.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, query, run, seclake, text};
use seclake_imperva::build::{log_file, Body, Customer};

/// Serves `dir` on `port`, answering 401 without `Authorization: Basic
/// base64(api:secret)`.
const SERVER: &str = r#"
import base64, functools, http.server, sys
want = "Basic " + base64.b64encode(b"api:secret").decode()
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Authorization") != want:
            self.send_response(401); self.end_headers(); return
        super().do_GET()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])),
    functools.partial(H, directory=sys.argv[2])).serve_forever()
"#;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn server(dir: &Path, port: u16) -> Server {
    std::fs::write(dir.join("server.py"), SERVER).unwrap();
    let child = Command::new("python3")
        .arg(dir.join("server.py"))
        .arg(port.to_string())
        .arg(dir.join("repo"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the test server does not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server(child)
}

/// Adds log file `<seq>` of `n` events (of the last hour) to the
/// repository and lists it.
fn publish(dir: &Path, customer: &Customer, seq: u64, n: usize) {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let start = now_ms - 3_600_000;
    let events: String = (0..n)
        .map(|i| format!("CEF:0|Incapsula|SIEMintegration|1|1|Normal|0| fileId={seq}{i:04} sourceServiceName=site.example src=192.0.2.{} start={start} act=REQ_PASSED\n", i % 250 + 1))
        .collect();
    let file = log_file(
        "CEF",
        events.as_bytes(),
        Body::Encrypted,
        Some(customer),
        None,
    );
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(repo.join(format!("1234_{seq}.log")), file).unwrap();
    let mut index = std::fs::read_to_string(repo.join("logs.index")).unwrap_or_default();
    index.push_str(&format!("1234_{seq}.log\r\n"));
    std::fs::write(repo.join("logs.index"), index).unwrap();
}

fn config(dir: &Path, port: u16, key: &str) -> std::path::PathBuf {
    let cfg = dir.join("seclake.toml");
    std::fs::write(
        &cfg,
        format!(
            "[lake]\nuri = \"{}\"\n[[source]]\nid = \"imperva\"\ntype = \"imperva\"\nurl = \"http://127.0.0.1:{port}/\"\napi_id = \"api\"\napi_key = \"{key}\"\nprivate_keys = [\"{}\"]\npoll = \"1s\"\n",
            dir.join("lake").display(),
            dir.join("key.pem").display()
        ),
    )
    .unwrap();
    cfg
}

fn rows(dir: &Path) -> Vec<String> {
    let lake = dir.join("lake").display().to_string();
    let sql = "SELECT id FROM imperva_cloudwaf ORDER BY id";
    query(&lake, &[], sql, &[])
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

#[test]
fn new_files_are_fetched_decrypted_and_committed_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let customer = Customer::default();
    std::fs::write(d.join("key.pem"), customer.pem()).unwrap();
    publish(d, &customer, 1, 3);
    publish(d, &customer, 2, 2);
    let port = free_port();
    let _server = server(d, port);
    let cfg = config(d, port, "secret");
    let cfg_arg = cfg.display().to_string();
    let out = run(&["serve", "--config", &cfg_arg, "--once"], &[]);
    let log = text(&out.stderr);
    assert!(log.contains("2 of 2 log file(s) ingested: 5 rows"), "{log}");
    assert!(log.contains("position 1234_2.log"), "{log}");
    assert_eq!(rows(d), ["10000", "10001", "10002", "20000", "20001"]);
    // A restart takes only what was added since.
    publish(d, &customer, 3, 1);
    let out = run(&["serve", "--config", &cfg_arg, "--once"], &[]);
    let log = text(&out.stderr);
    assert!(log.contains("after 1234_2.log"), "{log}");
    assert!(log.contains("1 of 1 log file(s) ingested: 1 rows"), "{log}");
    assert_eq!(rows(d).len(), 6);
    // Nothing new: nothing done.
    let out = run(&["serve", "--config", &cfg_arg, "--once"], &[]);
    let log = text(&out.stderr);
    assert!(!log.contains("ingested"), "{log}");
    assert!(!log.contains("delivery gaps"), "{log}");
    assert_eq!(rows(d).len(), 6);
    // Files 4 and 5 lost: the round's gap check says so, and the rows
    // carry the file numbers.
    publish(d, &customer, 6, 1);
    let out = run(&["serve", "--config", &cfg_arg, "--once"], &[]);
    let log = text(&out.stderr);
    assert!(
        log.contains("delivery gaps: 2 sequence number(s) missing in the last day, in 1 gap(s): Imperva.CloudWAF 1234 4-5"),
        "{log}"
    );
    let lake = d.join("lake").display().to_string();
    let sql = "SELECT DISTINCT log_file_id, log_file_sequence FROM imperva_cloudwaf ORDER BY 2";
    let files = query(&lake, &[], sql, &[]);
    assert_eq!(
        files,
        [["1234", "1"], ["1234", "2"], ["1234", "3"], ["1234", "6"]]
    );
}

#[test]
fn refused_credentials_and_bad_keys_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let customer = Customer::default();
    std::fs::write(d.join("key.pem"), customer.pem()).unwrap();
    publish(d, &customer, 1, 1);
    let port = free_port();
    let _server = server(d, port);
    let cfg = config(d, port, "wrong");
    let out = seclake()
        .args(["serve", "--once", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let log = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(log.contains("api_id") && log.contains("401"), "{log}");
    // A key file that is not a key is found by --check-config.
    std::fs::write(d.join("key.pem"), "not a key").unwrap();
    let out = seclake()
        .args(["serve", "--check-config", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let log = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        log.contains("private_keys") && log.contains("key.pem"),
        "{log}"
    );
}
