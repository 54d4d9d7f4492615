//! `seclake bench --mode http`: POSTs a second into the lake. The
//! CloudTrail NDJSON corpus is cut into bodies of about 1 MB (at line
//! ends), each gzip-compressed, and sent by 8 keep-alive connections to
//! `seclake serve` with an HTTP source (bearer token), each connection
//! sending its next body once the last was answered 200, that is
//! committed. The time runs from the first byte sent to the last answer;
//! CPU seconds and peak RSS are the server process's own (the clients
//! run here). MB are the bodies uncompressed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use super::bench::{median, print_header, print_row, Run};
use super::bench_syslog::{children_cpu, free_port, process_rss, wait_listening};
use crate::corpus::generate;

const CORPUS: &str = "AWS.CloudTrail.ndjson";
const BODY_BYTES: usize = 1 << 20;
const CONNECTIONS: usize = 8;
const TOKEN: &str = "bench-token";

pub fn run(size_mb: u64, runs: usize, threads: &[usize], dir: &Path) -> Result<ExitCode> {
    let mut corpus = Vec::new();
    let events = generate(CORPUS, size_mb << 20, &mut corpus)?;
    let bodies = gzip_bodies(&corpus);
    let sent: usize = bodies.iter().map(Vec::len).sum();
    println!(
        "mode: http; {} gzip NDJSON bodies of ~1 MB ({:.1} MB sent, {:.1} MB uncompressed), {CONNECTIONS} connections; median of {} run(s)",
        bodies.len(),
        sent as f64 / 1e6,
        corpus.len() as f64 / 1e6,
        runs.max(1)
    );
    print_header();
    let bodies = Arc::new(bodies);
    for &t in threads {
        let t = match t {
            0 => seclake_engine::pipeline::available_threads(),
            n => n,
        };
        let mut all = Vec::new();
        for run in 0..runs.max(1) {
            let d = dir.join(format!("http-{t}-{run}"));
            all.push(serve_run(&bodies, corpus.len() as u64, events, t, &d)?);
        }
        let r = median(all);
        print_row("CloudTrail NDJSON POST", "seclake", t, r);
        println!(
            "{:22} {:.1} requests/s, {:.1} requests/s/core",
            "",
            bodies.len() as f64 / r.secs,
            bodies.len() as f64 / r.cpu
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The corpus in gzip bodies of about [`BODY_BYTES`] each, cut at line
/// ends.
fn gzip_bodies(corpus: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = corpus;
    while !rest.is_empty() {
        let end = match rest.len() > BODY_BYTES {
            true => memchr::memchr(b'\n', &rest[BODY_BYTES..])
                .map_or(rest.len(), |i| BODY_BYTES + i + 1),
            false => rest.len(),
        };
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = gz.write_all(&rest[..end]);
        out.push(gz.finish().unwrap_or_default());
        rest = &rest[end..];
    }
    out
}

fn serve_run(
    bodies: &Arc<Vec<Vec<u8>>>,
    bytes: u64,
    events: u64,
    threads: usize,
    dir: &Path,
) -> Result<Run> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let port = free_port()?;
    let cfg = dir.join("seclake.toml");
    std::fs::write(
        &cfg,
        format!(
            "[lake]\nuri = \"{}\"\n[[source]]\nid = \"bench\"\ntype = \"http\"\nlisten = \"127.0.0.1:{port}\"\nauth_token = \"{TOKEN}\"\nlog_types = [\"AWS.CloudTrail\"]\n",
            dir.join("lake").display()
        ),
    )?;
    let exe = std::env::current_exe()?;
    let mut server = Command::new(exe)
        .args(["serve", "--threads", &threads.to_string(), "--config"])
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting seclake serve")?;
    wait_listening(port)?;
    let cpu0 = children_cpu();
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (bodies, next) = (bodies.clone(), next.clone());
            std::thread::spawn(move || send(port, &bodies, &next))
        })
        .collect();
    let mut rss = 0;
    while !clients.iter().all(|c| c.is_finished()) {
        rss = rss.max(process_rss(server.id()));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let secs = started.elapsed().as_secs_f64();
    for c in clients {
        c.join()
            .map_err(|_| anyhow::anyhow!("a client panicked"))??;
    }
    rss = rss.max(process_rss(server.id()));
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    server.wait()?;
    let _ = std::fs::remove_dir_all(dir);
    Ok(Run {
        bytes,
        events,
        secs,
        cpu: (children_cpu() - cpu0).max(0.01),
        rss,
    })
}

/// One connection: takes the next body until none is left; each must be
/// answered 200.
fn send(port: u16, bodies: &[Vec<u8>], next: &AtomicUsize) -> Result<()> {
    let conn = TcpStream::connect(("127.0.0.1", port))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut conn = conn;
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(body) = bodies.get(i) else {
            return Ok(());
        };
        write!(
            conn,
            "POST /ingest HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {TOKEN}\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )?;
        conn.write_all(body)?;
        let mut status = String::new();
        reader.read_line(&mut status)?;
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            if line.trim().is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut answer = vec![0; length];
        reader.read_exact(&mut answer)?;
        if !status.contains(" 200 ") {
            bail!(
                "body {i}: {} {}",
                status.trim(),
                String::from_utf8_lossy(&answer)
            );
        }
    }
}
