//! `type = "syslog"`: a syslog server. UDP takes one message per datagram;
//! TCP takes RFC 6587 frames, octet-counted (`123 <PRI>...`) or ended by a
//! newline, detected per frame. Messages longer than `max_message_bytes`
//! are truncated to it and counted, never dropped silently.
//!
//! What is received waits in a bounded queue until the serve loop takes it
//! into the lake. TCP connections stop being read while the queue is full
//! (backpressure: the sender slows down, nothing is dropped); UDP
//! datagrams that find it full are dropped and counted, as UDP allows. A
//! crash loses what was received but not yet committed (at most the
//! queue's bound); a write-ahead spool is not there yet.

use std::io::BufReader;

use seclake_decode::syslog_frames::frame;
use std::net::{TcpListener, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

/// Messages waiting to be committed, at most.
pub const QUEUE: usize = 100_000;

/// Counters a syslog source keeps.
#[derive(Default, Debug)]
pub struct SyslogStats {
    pub received: AtomicU64,
    pub udp_dropped: AtomicU64,
    pub truncated: AtomicU64,
    pub connections: AtomicU64,
}

pub struct SyslogSource {
    rx: Receiver<Vec<u8>>,
    pub stats: Arc<SyslogStats>,
    /// The addresses bound, as `udp://...` / `tcp://...`.
    pub bound: Vec<String>,
}

impl SyslogSource {
    /// Binds every `udp://host:port` and `tcp://host:port` of `listen`.
    pub fn bind(listen: &[String], max_message: usize) -> Result<SyslogSource, String> {
        let (tx, rx) = sync_channel(QUEUE);
        let stats = Arc::new(SyslogStats::default());
        let mut bound = Vec::new();
        for l in listen {
            if let Some(addr) = l.strip_prefix("udp://") {
                let sock = UdpSocket::bind(addr).map_err(|e| format!("{l}: {e}"))?;
                bound.push(format!(
                    "udp://{}",
                    sock.local_addr().map_err(|e| e.to_string())?
                ));
                let (tx, stats) = (tx.clone(), stats.clone());
                std::thread::Builder::new()
                    .name("syslog-udp".into())
                    .spawn(move || udp(sock, tx, stats, max_message))
                    .map_err(|e| e.to_string())?;
            } else if let Some(addr) = l.strip_prefix("tcp://") {
                let listener = TcpListener::bind(addr).map_err(|e| format!("{l}: {e}"))?;
                bound.push(format!(
                    "tcp://{}",
                    listener.local_addr().map_err(|e| e.to_string())?
                ));
                let (tx, stats) = (tx.clone(), stats.clone());
                std::thread::Builder::new()
                    .name("syslog-tcp".into())
                    .spawn(move || tcp(listener, tx, stats, max_message))
                    .map_err(|e| e.to_string())?;
            } else {
                return Err(format!("{l}: not udp://host:port or tcp://host:port"));
            }
        }
        Ok(SyslogSource { rx, stats, bound })
    }

    /// Messages received, UDP datagrams dropped (queue full) and messages
    /// truncated since the last call.
    pub fn take_counts(&self) -> (u64, u64, u64) {
        (
            self.stats.received.swap(0, Ordering::Relaxed),
            self.stats.udp_dropped.swap(0, Ordering::Relaxed),
            self.stats.truncated.swap(0, Ordering::Relaxed),
        )
    }

    /// The messages received so far (up to `max`), one a line.
    pub fn drain(&self, max: usize) -> Vec<Vec<u8>> {
        self.rx.try_iter().take(max).collect()
    }
}

fn udp(sock: UdpSocket, tx: SyncSender<Vec<u8>>, stats: Arc<SyslogStats>, max: usize) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, _)) = sock.recv_from(&mut buf) else {
            continue;
        };
        let mut msg = buf[..n].to_vec();
        while msg
            .last()
            .is_some_and(|c| *c == b'\n' || *c == b'\r' || *c == 0)
        {
            msg.pop();
        }
        if msg.is_empty() {
            continue;
        }
        let msg = limit(msg, max, &stats);
        stats.received.fetch_add(1, Ordering::Relaxed);
        match tx.try_send(msg) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                stats.udp_dropped.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(_)) => return,
        }
    }
}

fn tcp(listener: TcpListener, tx: SyncSender<Vec<u8>>, stats: Arc<SyslogStats>, max: usize) {
    for conn in listener.incoming().flatten() {
        stats.connections.fetch_add(1, Ordering::Relaxed);
        let (tx, stats) = (tx.clone(), stats.clone());
        let _ = std::thread::Builder::new()
            .name("syslog-conn".into())
            .spawn(move || {
                let mut r = BufReader::new(conn);
                while let Some(f) = frame(&mut r, max) {
                    if f.truncated {
                        stats.truncated.fetch_add(1, Ordering::Relaxed);
                    }
                    let msg = f.bytes;
                    if msg.is_empty() {
                        continue;
                    }
                    stats.received.fetch_add(1, Ordering::Relaxed);
                    // Blocks while the queue is full: backpressure.
                    if tx.send(msg).is_err() {
                        return;
                    }
                }
            });
    }
}

/// A message cut to `max` bytes (counted).
fn limit(mut msg: Vec<u8>, max: usize, stats: &SyslogStats) -> Vec<u8> {
    if msg.len() > max {
        msg.truncate(max);
        stats.truncated.fetch_add(1, Ordering::Relaxed);
    }
    msg
}
