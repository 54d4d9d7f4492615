//! `seclake bench --mode syslog`: sustained messages/s a syslog server
//! takes over TCP on loopback. The Juniper SSR corpus (RFC 5424 session
//! events) is sent, newline-framed, as fast as the server reads it, to:
//!
//! - `seclake serve` with one parse thread, into a local lake: parsed,
//!   typed, committed as Parquet; done when `/metrics` counts every
//!   message as a row or a reject;
//! - syslog-ng (Debian's `syslog-ng-core`), the peer, parsing RFC 5424
//!   and writing a file, with flow control (nothing dropped); done when
//!   the file holds every message.
//!
//! Both servers are pinned to the same core with `taskset` (when there
//! are two), the sender runs here. The time runs from the first byte sent
//! to the last message stored; CPU seconds and peak RSS are the server
//! process's own.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::bench::{median, print_header, print_row, stat_seconds, vm_hwm, Run};
use crate::corpus::generate;

const CORPUS: &str = "Juniper.SSR";

pub fn run(size_mb: u64, runs: usize, dir: &Path) -> Result<ExitCode> {
    let path = dir.join(format!("{CORPUS}.syslog-corpus"));
    let mut corpus = Vec::new();
    let events = generate(CORPUS, size_mb << 20, &mut corpus)?;
    std::fs::write(&path, &corpus)?;
    let have_peer = Command::new("syslog-ng").arg("--version").output().is_ok();
    println!(
        "mode: syslog over TCP (loopback); one server core{}; median of {} run(s)",
        if pin().is_some() { " (taskset)" } else { "" },
        runs.max(1)
    );
    print_header();
    let mut ours = Vec::new();
    let mut peer = Vec::new();
    for run in 0..runs.max(1) {
        ours.push(seclake(
            &corpus,
            events,
            &dir.join(format!("seclake-{run}")),
        )?);
        if have_peer {
            peer.push(syslog_ng(
                &corpus,
                events,
                &dir.join(format!("syslog-ng-{run}")),
            )?);
        }
    }
    let ours = median(ours);
    print_row("Juniper.SSR TCP", "seclake", 1, ours);
    if have_peer {
        let peer = median(peer);
        print_row("Juniper.SSR TCP", "syslog-ng", 1, peer);
        println!(
            "{:22} seclake / syslog-ng: {:.2}x messages/s, {:.2}x per core",
            "",
            ours.secs.recip() / peer.secs.recip(),
            (ours.events as f64 / ours.cpu) / (peer.events as f64 / peer.cpu)
        );
    } else {
        println!("(no syslog-ng: apt-get install syslog-ng-core for the peer)");
    }
    Ok(ExitCode::SUCCESS)
}

/// `taskset -c 1` when there is a second core for the sender.
fn pin() -> Option<[&'static str; 2]> {
    let cores = seclake_engine::pipeline::available_threads();
    let taskset = Command::new("taskset").arg("-V").output().is_ok();
    (cores >= 2 && taskset).then_some(["-c", "1"])
}

/// `program args` as a child, pinned when possible.
fn spawn(program: &Path, args: &[&str]) -> Result<Child> {
    let mut cmd = match pin() {
        Some(p) => {
            let mut c = Command::new("taskset");
            c.args(p).arg(program);
            c
        }
        None => Command::new(program),
    };
    cmd.args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", program.display()))
}

pub(super) fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub(super) fn wait_listening(port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("no server on port {port}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// Sends the corpus on one connection, then waits for `done` (polled
/// every 20 ms), tracking the server's peak RSS; the run, once the server
/// has been stopped.
fn measure(
    mut server: Child,
    port: u16,
    corpus: &[u8],
    events: u64,
    mut done: impl FnMut() -> Result<bool>,
) -> Result<Run> {
    wait_listening(port)?;
    let cpu0 = children_cpu();
    let started = Instant::now();
    let mut conn = TcpStream::connect(("127.0.0.1", port))?;
    conn.write_all(corpus)?;
    drop(conn);
    let mut rss = 0;
    while !done()? {
        rss = rss.max(process_rss(server.id()));
        if started.elapsed() > Duration::from_secs(600) {
            let _ = server.kill();
            bail!("the server did not store every message within 10 minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let secs = started.elapsed().as_secs_f64();
    rss = rss.max(process_rss(server.id()));
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    server.wait()?;
    Ok(Run {
        bytes: corpus.len() as u64,
        events,
        secs,
        cpu: (children_cpu() - cpu0).max(0.01),
        rss,
    })
}

fn seclake(corpus: &[u8], events: u64, dir: &Path) -> Result<Run> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let (port, metrics) = (free_port()?, free_port()?);
    let cfg = dir.join("seclake.toml");
    std::fs::write(
        &cfg,
        format!(
            "[lake]\nuri = \"{}\"\n[metrics]\nlisten = \"127.0.0.1:{metrics}\"\n[[source]]\nid = \"bench\"\ntype = \"syslog\"\nlisten = [\"tcp://127.0.0.1:{port}\"]\nlog_types = [\"{CORPUS}\"]\n",
            dir.join("lake").display()
        ),
    )?;
    let exe = std::env::current_exe()?;
    let cfg = cfg.to_str().context("path")?;
    let server = spawn(&exe, &["serve", "--config", cfg, "--threads", "1"])?;
    let run = measure(server, port, corpus, events, || {
        Ok(stored(&format!("127.0.0.1:{metrics}")) >= events)
    })?;
    let _ = std::fs::remove_dir_all(dir);
    Ok(run)
}

/// Rows and rejects committed, from `/metrics`.
fn stored(addr: &str) -> u64 {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return 0;
    };
    let _ = write!(s, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    text.lines()
        .filter(|l| l.starts_with("seclake_rows_total{") || l.starts_with("seclake_rejects_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

fn syslog_ng(corpus: &[u8], events: u64, dir: &Path) -> Result<Run> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let port = free_port()?;
    let out = dir.join("messages.log");
    let cfg = dir.join("syslog-ng.conf");
    std::fs::write(
        &cfg,
        format!(
            "@version: 3.38\noptions {{ stats_freq(0); log_msg_size(65536); }};\n\
             source s_net {{ network(ip(\"127.0.0.1\") port({port}) transport(\"tcp\") flags(syslog-protocol)); }};\n\
             destination d_file {{ file(\"{}\"); }};\n\
             log {{ source(s_net); destination(d_file); flags(flow-control); }};\n",
            out.display()
        ),
    )?;
    let p = |name: &str| dir.join(name).display().to_string();
    let args = [
        "-F",
        "--no-caps",
        "-f",
        &p("syslog-ng.conf"),
        "-R",
        &p("persist"),
        "-p",
        &p("pid"),
        "-c",
        &p("ctl"),
    ];
    let server = spawn(Path::new("syslog-ng"), &args)?;
    let (mut lines, mut read) = (0u64, 0u64);
    let run = measure(server, port, corpus, events, || {
        // Counts the lines the file gained since the last look.
        let Ok(mut f) = std::fs::File::open(&out) else {
            return Ok(false);
        };
        use std::io::Seek;
        f.seek(std::io::SeekFrom::Start(read))?;
        let mut buf = Vec::new();
        f.read_to_end(&mut buf)?;
        read += buf.len() as u64;
        lines += memchr::memchr_iter(b'\n', &buf).count() as u64;
        Ok(lines >= events)
    })?;
    let _ = std::fs::remove_dir_all(dir);
    Ok(run)
}

/// CPU seconds of the children this process has waited for.
pub(super) fn children_cpu() -> f64 {
    stat_seconds(13)
}

/// Peak RSS of process `pid`, in bytes.
pub(super) fn process_rss(pid: u32) -> u64 {
    vm_hwm(&pid.to_string())
}
