//! A real S3-compatible server for tests: moto's server mode (from PyPI,
//! installed by `.ci/run`), started on a free port of 127.0.0.1 and stopped
//! when dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running moto server.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// Starts moto, or returns `None` (with a message) when it is not
    /// installed. Under CI a missing moto is a failure, not a skip.
    pub fn start() -> Option<Moto> {
        let have = Command::new("python3")
            .args(["-c", "import moto.server"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !have {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must install moto[server] (.ci/run does)"
            );
            eprintln!("SKIPPED: moto is not installed; `pip install 'moto[server]'`");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(moto)
    }

    /// A bare HTTP request (moto does not check signatures); returns the
    /// status code.
    pub fn request(&self, method: &str, path: &str, body: &[u8]) -> u16 {
        let addr = self.endpoint.trim_start_matches("http://");
        let mut s = TcpStream::connect(addr).unwrap();
        write!(s, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())
            .unwrap();
        s.write_all(body).unwrap();
        let mut resp = String::new();
        let _ = s.read_to_string(&mut resp);
        let code = resp
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        if !(200..300).contains(&code) {
            eprintln!("moto: {method} {path}: {resp}");
        }
        code
    }

    /// Creates a bucket.
    pub fn create_bucket(&self, bucket: &str) {
        assert_eq!(
            self.request("PUT", &format!("/{bucket}"), b""),
            200,
            "creating bucket {bucket}"
        );
    }
}

impl Moto {
    /// An SQS call in AWS's JSON protocol (`action` such as `CreateQueue`);
    /// returns the response body. moto routes by the credential scope of
    /// the Authorization header and does not check the signature.
    pub fn sqs(&self, action: &str, body: &str) -> String {
        let addr = self.endpoint.trim_start_matches("http://");
        let mut s = TcpStream::connect(addr).unwrap();
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AmazonSQS.{action}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut resp = String::new();
        let _ = s.read_to_string(&mut resp);
        resp.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default()
    }

    /// Creates a queue; returns its URL.
    pub fn create_queue(&self, name: &str, attributes: &str) -> String {
        let resp = self.sqs(
            "CreateQueue",
            &format!("{{\"QueueName\":\"{name}\",\"Attributes\":{attributes}}}"),
        );
        let start = resp
            .find("http")
            .unwrap_or_else(|| panic!("CreateQueue: {resp}"));
        resp[start..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_string()
    }

    /// Sends a message body (JSON-escaped here).
    pub fn send(&self, queue_url: &str, body: &str) {
        let escaped = body
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        let resp = self.sqs(
            "SendMessage",
            &format!("{{\"QueueUrl\":\"{queue_url}\",\"MessageBody\":\"{escaped}\"}}"),
        );
        assert!(resp.contains("MessageId"), "SendMessage: {resp}");
    }

    /// A queue attribute (`ApproximateNumberOfMessages`, ...).
    pub fn queue_attribute(&self, queue_url: &str, name: &str) -> String {
        let resp = self.sqs(
            "GetQueueAttributes",
            &format!("{{\"QueueUrl\":\"{queue_url}\",\"AttributeNames\":[\"All\"]}}"),
        );
        let key = format!("\"{name}\": \"");
        resp.split_once(&key)
            .and_then(|(_, rest)| rest.split('"').next())
            .unwrap_or_default()
            .to_string()
    }
}
