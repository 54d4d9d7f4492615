//! The same lake in S3, against a real S3-compatible server (moto, started
//! here), reached through `AWS_ENDPOINT_URL` like a user would.
//!
//! One test per file on purpose: it sets process environment variables.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use seclake_query::{OutputFormat, QueryEngine};

/// A moto server on a free local port, stopped on drop.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_moto() -> Option<Moto> {
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

/// Creates a bucket with a bare request (moto does not check signatures).
fn create_bucket(endpoint: &str, bucket: &str) {
    let addr = endpoint.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "PUT /{bucket} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
}

/// Uploads every file below `dir` to `prefix/` in the store.
async fn upload(store: &Arc<dyn ObjectStore>, dir: &Path, prefix: &str) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(dir).unwrap().to_str().unwrap();
            let key = StorePath::from(format!("{prefix}/{rel}"));
            let body = std::fs::read(&path).unwrap();
            store.put(&key, PutPayload::from(body)).await.unwrap();
        }
    }
}

#[tokio::test]
async fn queries_a_lake_in_s3() {
    let Some(moto) = start_moto() else { return };
    // Safe here: this file's only test, so no other thread reads the
    // environment concurrently.
    std::env::set_var("AWS_ENDPOINT_URL", &moto.endpoint);
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    std::env::set_var("AWS_REGION", "us-east-1");

    create_bucket(&moto.endpoint, "seclake-query-test");
    let store: Arc<dyn ObjectStore> = Arc::new(
        AmazonS3Builder::from_env()
            .with_bucket_name("seclake-query-test")
            .with_allow_http(true)
            .build()
            .unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    common::build_lake(dir.path());
    upload(&store, dir.path(), "some/lake").await;

    let engine = QueryEngine::open("s3://seclake-query-test/some/lake")
        .await
        .unwrap();
    assert_eq!(
        engine.tables(),
        ["_rejects", "aws_cloudtrail", "aws_vpcflow"]
    );
    let csv = engine
        .collect(
            "SELECT eventName, count(*) FROM aws_cloudtrail \
             WHERE p_event_time >= '2024-03-07T06:00:00Z' GROUP BY 1 ORDER BY 1",
        )
        .await
        .unwrap()
        .render(OutputFormat::Csv)
        .unwrap();
    assert_eq!(
        csv,
        "eventName,count(*)\nConsoleLogin,1\nDeleteBucket,1\nGetObject,2\nPutObject,1\n"
    );
    let err = engine.collect("SELECT * FROM aws_alb").await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("table 'aws_alb' not found; tables in the lake: _rejects, aws_cloudtrail"),
        "{err}"
    );
    // The lake's root in the bucket is respected: the bucket root has no tables.
    let root = QueryEngine::open("s3://seclake-query-test").await.unwrap();
    assert!(root.tables().is_empty(), "{:?}", root.tables());
}
