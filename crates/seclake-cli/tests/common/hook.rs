//! A local webhook for alert outputs: Python's HTTP server, recording
//! every POST it gets, so that tests can compare what `seclake serve` sent
//! with what it stored.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::free_port;

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
pub struct Hook {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Drop for Hook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Hook {
    pub fn start(dir: &Path, fails: u32) -> Hook {
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
    pub fn posts(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}
