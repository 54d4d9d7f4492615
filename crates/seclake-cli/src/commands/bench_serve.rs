//! `seclake bench --mode serve`: the transport's cost. A VPC Flow corpus is
//! cut into gzip objects, uploaded to a local S3+SQS-compatible server
//! (moto, `pip install 'moto[server]'`) with one S3 notification each, and
//! `seclake serve --once` takes them into a lake; beside it, `seclake
//! ingest` of the same files from local disk. Objects/s, MB/s (of
//! decompressed input) and MB/s per core, and peak RSS (both in this
//! process; moto's own work is not counted).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use seclake_engine::pipeline::{Output, Settings};
use seclake_engine::Options;
use seclake_lake::ingest::ingest_all;
use seclake_lake::{Lake, LakeWriter, WriterOptions};
use seclake_sources::config;

use super::bench::{cpu_seconds, file_input, median, peak_rss, print_row, reset_peak_rss, Run};
use super::common::runtime;
use crate::corpus::generate;

/// Objects the corpus is cut into.
const OBJECTS: usize = 64;

struct Moto {
    child: Child,
    addr: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    fn start() -> Option<Moto> {
        let port = TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
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
            .ok()?;
        let moto = Moto {
            child,
            addr: format!("127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(&moto.addr).is_err() {
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(moto)
    }

    /// A raw request (moto checks no signature; the credential scope of
    /// the Authorization header picks the service); the response body.
    fn call(&self, method: &str, path: &str, headers: &str, body: &[u8]) -> Result<String> {
        let mut s = TcpStream::connect(&self.addr)?;
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        )?;
        s.write_all(body)?;
        let mut resp = String::new();
        s.read_to_string(&mut resp)?;
        if !resp.starts_with("HTTP/1.1 2") {
            bail!(
                "moto: {method} {path}: {}",
                resp.lines().next().unwrap_or_default()
            );
        }
        Ok(resp
            .split_once("\r\n\r\n")
            .map(|x| x.1.to_string())
            .unwrap_or_default())
    }

    fn sqs(&self, action: &str, body: &str) -> Result<String> {
        let headers = format!("Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AmazonSQS.{action}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=bench/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0\r\n");
        self.call("POST", "/", &headers, body.as_bytes())
    }
}

pub fn run(size_mb: u64, runs: usize, threads: &[usize], dir: &Path) -> Result<ExitCode> {
    let Some(moto) = Moto::start() else {
        println!("serve: no S3/SQS test server (pip install 'moto[server]')");
        return Ok(ExitCode::SUCCESS);
    };
    // The objects, gzip as log buckets hold them, also kept on disk.
    let objects_dir = dir.join("objects");
    std::fs::create_dir_all(&objects_dir)?;
    moto.call("PUT", "/bench", "", b"")?;
    let (mut events, mut plain_bytes) = (0u64, 0u64);
    let mut keys = Vec::new();
    for i in 0..OBJECTS {
        let mut plain = Vec::new();
        events += generate("AWS.VPCFlow", (size_mb << 20) / OBJECTS as u64, &mut plain)?;
        plain_bytes += plain.len() as u64;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&plain)?;
        let gz = gz.finish()?;
        let key = format!("AWSLogs/vpc/object-{i:03}.log.gz");
        moto.call("PUT", &format!("/bench/{key}"), "", &gz)?;
        std::fs::write(objects_dir.join(format!("object-{i:03}.log.gz")), &gz)?;
        keys.push((key, gz.len()));
    }
    std::env::set_var("AWS_ENDPOINT_URL", format!("http://{}", moto.addr));
    std::env::set_var("AWS_ACCESS_KEY_ID", "bench");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "bench");
    std::env::set_var("AWS_REGION", "us-east-1");
    let cores = seclake_engine::pipeline::available_threads();
    for &t in threads {
        let t = if t == 0 { cores } else { t };
        let mut served = Vec::new();
        let mut local = Vec::new();
        for run in 0..runs.max(1) {
            let queue_name = format!("bench-{t}-{run}");
            let resp = moto.sqs(
                "CreateQueue",
                &format!("{{\"QueueName\":\"{queue_name}\"}}"),
            )?;
            let queue = resp
                .split('"')
                .find(|p| p.starts_with("http"))
                .context("CreateQueue: no QueueUrl")?
                .to_string();
            for (key, size) in &keys {
                let event = format!(
                    r#"{{"Records":[{{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{{"bucket":{{"name":"bench"}},"object":{{"key":"{key}","size":{size}}}}}}}]}}"#
                );
                let body = serde_json::json!({"QueueUrl": queue, "MessageBody": event}).to_string();
                moto.sqs("SendMessage", &body)?;
            }
            let lake = dir.join(format!("lake-serve-{t}-{run}"));
            let cfg = config::parse(&format!(
                "[lake]\nuri = \"{}\"\n[[source]]\nid = \"bench\"\ntype = \"sqs\"\nqueue_url = \"{queue}\"\nlog_types = [\"AWS.VPCFlow\"]\n",
                lake.display()
            ))
            .map_err(anyhow::Error::msg)?;
            reset_peak_rss();
            let (cpu0, t0) = (cpu_seconds(), Instant::now());
            super::serve::serve(&cfg, true, t)?;
            served.push(Run {
                bytes: plain_bytes,
                events,
                secs: t0.elapsed().as_secs_f64(),
                cpu: (cpu_seconds() - cpu0).max(0.01),
                rss: peak_rss(),
            });
            let _ = std::fs::remove_dir_all(&lake);
            local.push(ingest_local(&objects_dir, dir, t, plain_bytes, events)?);
        }
        let (s, l) = (median(served), median(local));
        print_row("AWS.VPCFlow S3+SQS", "serve", t, s);
        print_row("AWS.VPCFlow disk", "ingest", t, l);
        println!(
            "{:22} objects/s: serve {:.1}, ingest from disk {:.1} ({OBJECTS} gzip objects)",
            "",
            OBJECTS as f64 / s.secs,
            OBJECTS as f64 / l.secs
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `seclake ingest` of the objects from local disk, in this process.
fn ingest_local(
    objects: &Path,
    dir: &Path,
    threads: usize,
    bytes: u64,
    events: u64,
) -> Result<Run> {
    let mut paths: Vec<_> = std::fs::read_dir(objects)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    paths.sort();
    let rt = runtime()?;
    let lake_dir = dir.join("lake-local");
    let _ = std::fs::remove_dir_all(&lake_dir);
    let lake = Lake::open(lake_dir.to_str().context("lake path")?)?;
    let t = seclake_registry::find("AWS.VPCFlow").context("log type")?;
    reset_peak_rss();
    let (cpu0, t0) = (cpu_seconds(), Instant::now());
    let writer = LakeWriter::new(
        lake,
        rt.handle().clone(),
        WriterOptions::for_threads(threads),
    );
    let inputs = paths.iter().map(|p| file_input(p)).collect();
    ingest_all(
        inputs,
        &[t],
        &Options::default(),
        Settings::new(threads, Output::Batches),
        writer,
    )?;
    let run = Run {
        bytes,
        events,
        secs: t0.elapsed().as_secs_f64(),
        cpu: (cpu_seconds() - cpu0).max(0.01),
        rss: peak_rss(),
    };
    let _ = std::fs::remove_dir_all(&lake_dir);
    Ok(run)
}
