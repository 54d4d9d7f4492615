//! `seclake serve` with a syslog source, against real senders: util-linux
//! `logger` over UDP and TCP (octet-counted and not), `openssl s_client`
//! over TLS with and without a client certificate, hand-made clients that
//! send garbage, oversized frames, too many connections or trickle bytes,
//! and a steady stream through a `kill -9` with the spool on.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{certificates, free_port, query, spawn_serve, stop, text};

/// Whether `tool` runs here; CI must have it.
fn have(tool: &str, arg: &str) -> bool {
    if Command::new(tool).arg(arg).output().is_ok() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "CI needs {tool}");
    eprintln!("SKIPPED: no {tool}");
    false
}

/// `seclake serve` on a config of one syslog source (`source` is the
/// rest of its table), ready once `ready_port` accepts TCP.
fn serve(dir: &Path, source: &str, ready_port: u16) -> Child {
    let cfg = dir.join("seclake.toml");
    let lake = dir.join("lake");
    std::fs::write(
        &cfg,
        format!(
            "[lake]\nuri = \"{}\"\n[[source]]\nid = \"routers\"\ntype = \"syslog\"\n{source}\n",
            lake.display()
        ),
    )
    .unwrap();
    let child = spawn_serve(&cfg);
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", ready_port)).is_err() {
        assert!(Instant::now() < deadline, "serve does not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn lake(dir: &Path) -> String {
    dir.join("lake").display().to_string()
}

/// SIGTERM (it must exit 0), then `sql` on the lake: the rows, and what
/// serve logged.
fn stop_and_query(child: Child, dir: &Path, sql: &str) -> (Vec<Vec<String>>, String) {
    let out = stop(child);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    (query(&lake(dir), &[], sql, &[]), err)
}

#[test]
fn logger_over_udp_and_tcp_with_and_without_octet_counting() {
    if !have("logger", "--help") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (udp, tcp) = (free_port(), free_port());
    let child = serve(
        dir.path(),
        &format!("listen = [\"udp://127.0.0.1:{udp}\", \"tcp://127.0.0.1:{tcp}\"]"),
        tcp,
    );
    for (args, msg) in [
        (vec!["-d", "-P", &udp.to_string()], "over udp"),
        (vec!["-T", "-P", &tcp.to_string()], "over tcp"),
        (
            vec!["-T", "--octet-count", "-P", &tcp.to_string()],
            "over tcp counted",
        ),
    ] {
        let st = Command::new("logger")
            .args(["-n", "127.0.0.1", "--rfc5424", "-t", "app"])
            .args(&args)
            .arg(msg)
            .status()
            .unwrap();
        assert!(st.success(), "logger {args:?}");
    }
    std::thread::sleep(Duration::from_millis(1500));
    let (rows, err) = stop_and_query(child, dir.path(), "SELECT message, p_source_id, sender_ip, list_contains(p_any_ip_addresses, '127.0.0.1') FROM syslog_rfc5424 ORDER BY message");
    let want = |m: &str| {
        [m, "routers", "127.0.0.1", "true"]
            .map(String::from)
            .to_vec()
    };
    assert_eq!(
        rows,
        [want("over tcp"), want("over tcp counted"), want("over udp")],
        "{err}"
    );
}

/// Sends `msg` with `openssl s_client` to `port`, with the client
/// certificate when `cert`; whether s_client exited cleanly.
fn s_client(dir: &Path, port: u16, cert: bool, msg: &str) -> bool {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-CAfile", "ca.pem", "-quiet", "-no_ign_eof"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if cert {
        cmd.args(["-cert", "client.pem", "-key", "client.key"]);
    }
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let _ = writeln!(stdin, "{msg}");
    // Time for the handshake and the message before the end of input.
    std::thread::sleep(Duration::from_millis(500));
    drop(stdin);
    child.wait().unwrap().success()
}

#[test]
fn tls_takes_messages_from_clients_with_a_certificate_and_refuses_others() {
    if !have("openssl", "version") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let port = free_port();
    let child = serve(
        dir.path(),
        &format!(
            "listen = [\"tls://127.0.0.1:{port}\"]\ntls_cert = \"{d}/server.pem\"\ntls_key = \"{d}/server.key\"\ntls_client_ca = \"{d}/ca.pem\"\n",
            d = dir.path().display()
        ),
        port,
    );
    let msg = |text: &str| format!("<134>1 2026-11-30T10:00:00Z fw01 app 1 - - {text}");
    s_client(dir.path(), port, true, &msg("with a certificate"));
    s_client(dir.path(), port, false, &msg("without a certificate"));
    // Octet counting over TLS too, several messages on one connection.
    let two = format!("{}\n{}", msg("first of two"), msg("second of two"));
    s_client(dir.path(), port, true, &two);
    std::thread::sleep(Duration::from_millis(1500));
    let (rows, err) = stop_and_query(
        child,
        dir.path(),
        "SELECT message, sender_ip FROM syslog_rfc5424 ORDER BY message",
    );
    let want = |m: &str| [m, "127.0.0.1"].map(String::from).to_vec();
    assert_eq!(
        rows,
        [
            want("first of two"),
            want("second of two"),
            want("with a certificate")
        ],
        "{err}"
    );
}

/// Waits until the peer closes `s` (a read gives 0 or an error); how long
/// that took, or `None` within `max`.
fn closed_within(s: &mut TcpStream, max: Duration) -> Option<Duration> {
    let start = Instant::now();
    s.set_read_timeout(Some(max)).unwrap();
    let mut buf = [0u8; 16];
    match s.read(&mut buf) {
        Ok(0) => Some(start.elapsed()),
        Err(e) if e.kind() != std::io::ErrorKind::WouldBlock => Some(start.elapsed()),
        _ => None,
    }
}

#[test]
fn bad_clients_do_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = serve(
        dir.path(),
        &format!("listen = [\"tcp://127.0.0.1:{port}\"]\nmax_connections = 3\nframe_timeout = \"1s\"\nmax_message_bytes = 200\n"),
        port,
    );
    // The readiness probe's connection has to be gone before counting.
    std::thread::sleep(Duration::from_millis(300));
    let good = |text: &str| format!("<13>1 2026-11-30T10:00:00Z h app - - - {text}\n");
    // A slow loris: a message begun, never ended. Closed by frame_timeout.
    let mut loris = TcpStream::connect(("127.0.0.1", port)).unwrap();
    loris
        .write_all(b"<13>1 2026-11-30T10:00:00Z h app - - - slow")
        .unwrap();
    // Garbage and an oversized frame, then a good message, on one
    // connection: the connection goes on after each.
    let mut mixed = TcpStream::connect(("127.0.0.1", port)).unwrap();
    mixed.write_all(b"\x00\xff not syslog at all\n").unwrap();
    mixed.write_all(good(&"x".repeat(1000)).as_bytes()).unwrap();
    mixed
        .write_all(good("after the bad ones").as_bytes())
        .unwrap();
    // A third connection fills the limit; a fourth is closed at once.
    let mut third = TcpStream::connect(("127.0.0.1", port)).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut fourth = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let refused = closed_within(&mut fourth, Duration::from_millis(900));
    assert!(
        refused.is_some(),
        "a connection past max_connections stays open"
    );
    let timed_out = closed_within(&mut loris, Duration::from_secs(5));
    assert!(timed_out.is_some(), "the slow loris was not timed out");
    third.write_all(good("third").as_bytes()).unwrap();
    drop((third, mixed));
    std::thread::sleep(Duration::from_millis(300));
    // With the loris gone there is room again.
    let mut later = TcpStream::connect(("127.0.0.1", port)).unwrap();
    later.write_all(good("later").as_bytes()).unwrap();
    drop(later);
    std::thread::sleep(Duration::from_millis(1500));
    let sql = "SELECT left(message, 20), length(message) FROM syslog_rfc5424 ORDER BY 1";
    let (rows, err) = stop_and_query(child, dir.path(), sql);
    let l = lake(dir.path());
    let cut = 200 - good("").len() + 1;
    let row = |m: &str, n: usize| vec![m.to_string(), n.to_string()];
    assert_eq!(
        rows,
        [
            row("after the bad ones", 18),
            row("later", 5),
            row("third", 5),
            row(&"x".repeat(20), cut),
        ],
        "{err}"
    );
    let rejects = query(&l, &[], "SELECT reason FROM _rejects", &[]);
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert!(err.contains("1 connection(s) refused"), "{err}");
    assert!(err.contains("1 timed out"), "{err}");
    assert!(err.contains("1 message(s) truncated"), "{err}");
}

#[test]
fn the_spool_keeps_what_a_kill_9_interrupts_in_a_steady_stream() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // Rounds an hour apart: until the kill nothing is committed, so all
    // that was received before it can only come back from the spool.
    let source = format!(
        "listen = [\"tcp://127.0.0.1:{port}\"]\nspool = \"{}/spool\"\ninterval = \"1h\"\n",
        dir.path().display()
    );
    let mut rng = common::Lcg::seeded();
    let seed = rng.0;
    let first = serve(dir.path(), &source, port);
    // A steady sender: a numbered message every 2 ms, reconnecting (and
    // sending the same message again) when a write fails.
    let done = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let sender = {
        let (done, sent) = (done.clone(), sent.clone());
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !done.load(Ordering::Relaxed) {
                let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                };
                while !done.load(Ordering::Relaxed) {
                    let msg = format!("<13>1 2026-11-30T10:00:00Z h app - - - seq={n}\n");
                    if s.write_all(msg.as_bytes()).is_err() {
                        break;
                    }
                    n += 1;
                    sent.store(n, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        })
    };
    let delay = Duration::from_millis(800 + rng.below(1200));
    std::thread::sleep(delay);
    let mut first = first;
    first.kill().unwrap(); // SIGKILL
    let _ = first.wait();
    let before = sent.load(Ordering::Relaxed);
    let second = serve(dir.path(), &source, port);
    std::thread::sleep(Duration::from_millis(1000));
    done.store(true, Ordering::Relaxed);
    sender.join().unwrap();
    let total = sent.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(300));
    let (rows, err) = stop_and_query(second, dir.path(), "SELECT message FROM syslog_rfc5424");
    let mut got: Vec<u64> = rows
        .iter()
        .map(|r| r[0].strip_prefix("seq=").unwrap().parse().unwrap())
        .collect();
    got.sort_unstable();
    let n = got.len();
    got.dedup();
    assert_eq!(got.len(), n, "duplicates (seed {seed})");
    let missing: Vec<u64> = (0..total)
        .filter(|i| got.binary_search(i).is_err())
        .collect();
    // What the kill can take: the few messages written into the socket
    // of the dead process, far less than a sync interval's worth (50).
    assert!(
        missing.len() <= 50,
        "killed after {delay:?} with {before} sent, {total} in all: {} missing: {missing:?} (seed {seed})\n{err}",
        missing.len()
    );
    assert!(before > 100 && total > before + 100, "{before} {total}");
}

#[test]
fn sigterm_commits_everything_that_arrived_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // A small queue: the connection is held back while the lake catches up.
    let child = serve(
        dir.path(),
        &format!("listen = [\"tcp://127.0.0.1:{port}\"]\nqueue_bytes = 65536\ninterval = \"1h\"\n"),
        port,
    );
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let n = 20_000;
    let mut all = String::new();
    for i in 0..n {
        all.push_str(&format!("<13>1 2026-11-30T10:00:00Z h app - - - seq={i}\n"));
    }
    s.write_all(all.as_bytes()).unwrap();
    drop(s);
    // The last bytes may still be in the kernel's buffers, unread.
    let (rows, err) = stop_and_query(
        child,
        dir.path(),
        "SELECT count(*), count(DISTINCT message) FROM syslog_rfc5424",
    );
    assert_eq!(rows, [[n.to_string(), n.to_string()]], "{err}");
}
