//! Syslog over TCP (RFC 6587) and TLS (RFC 5425): a thread per connection
//! reading frames, octet-counted or newline-ended, told apart frame by
//! frame ([`seclake_decode::syslog_frames`]).
//!
//! - At most `max_connections` are open at once; one past it is closed
//!   at once and counted, and the others go on.
//! - A message (and a TLS handshake) must arrive whole within
//!   `frame_timeout` of its first byte, and a connection may stay silent
//!   between messages for `idle_timeout`; past either it is closed and
//!   counted, so a slow client cannot hold a connection.
//! - A connection waits while the queue is full (backpressure); a frame
//!   that is not syslog still becomes a line, and so a reject in the lake.

use std::io::{self, BufReader, Read};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection, StreamOwned};
use seclake_decode::syslog_frames::frame_into;

use super::queue::{end_line, prefix, Intake};

/// A connection's read buffer, and the most it hands over at once.
const BLOCK: usize = 64 << 10;

/// What a listener needs to serve its connections.
#[derive(Clone)]
pub struct Limits {
    pub max_message: usize,
    pub max_connections: usize,
    pub idle: Duration,
    pub frame: Duration,
}

/// Accepts connections until the source stops; `tls` makes it a TLS
/// listener.
pub fn accept(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    intake: Intake,
    limits: Limits,
) {
    // Non-blocking, so that a stop is seen between connections.
    let _ = listener.set_nonblocking(true);
    let stats = intake.stats.clone();
    loop {
        // Stopping, the connections already made are still taken (what
        // they sent has arrived); an empty backlog ends it.
        let stopping = intake.stop.load(Ordering::Relaxed);
        let (conn, peer) = match listener.accept() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if stopping {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            Err(_) if stopping => return,
            Err(_) => continue,
        };
        if stats.open_connections.load(Ordering::Relaxed) >= limits.max_connections {
            stats.refused.fetch_add(1, Ordering::Relaxed);
            drop(conn);
            continue;
        }
        stats.connections.fetch_add(1, Ordering::Relaxed);
        stats.open_connections.fetch_add(1, Ordering::Relaxed);
        let running = super::Running::new(&stats);
        let (intake, limits, tls) = (intake.clone(), limits.clone(), tls.clone());
        let spawned = std::thread::Builder::new()
            .name("syslog-conn".into())
            .spawn(move || {
                let _running = running;
                let stats = intake.stats.clone();
                serve(conn, peer.ip(), tls, &intake, &limits);
                stats.open_connections.fetch_sub(1, Ordering::Relaxed);
            });
        if spawned.is_err() {
            stats.open_connections.fetch_sub(1, Ordering::Relaxed);
            stats.refused.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Reads one connection's frames until it ends, times out or the source
/// stops.
fn serve(
    conn: TcpStream,
    peer: IpAddr,
    tls: Option<Arc<ServerConfig>>,
    intake: &Intake,
    limits: &Limits,
) {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_nodelay(true);
    let Ok(sock) = conn.try_clone() else {
        return;
    };
    let is_tls = tls.is_some();
    let inner: Box<dyn Read + Send> = match tls {
        None => Box::new(conn),
        Some(config) => match ServerConnection::new(config) {
            Ok(c) => Box::new(StreamOwned::new(c, conn)),
            Err(_) => return,
        },
    };
    let guarded = Guarded {
        inner,
        sock,
        // A TLS handshake is a frame under way: it must end in time.
        started: is_tls.then(Instant::now),
        quiet_since: Instant::now(),
        limits: limits.clone(),
        stop: intake.stop.clone(),
        timed_out: false,
    };
    let mut r = BufReader::with_capacity(BLOCK, guarded);
    let prefix = prefix(peer);
    let fresh = || Vec::with_capacity(BLOCK + BLOCK / 2);
    let (mut block, mut messages, mut any) = (fresh(), 0, false);
    loop {
        let line = block.len();
        block.extend_from_slice(prefix.as_bytes());
        let body = block.len();
        let Some(truncated) = frame_into(&mut r, limits.max_message, &mut block) else {
            block.truncate(line);
            break;
        };
        if truncated {
            intake.stats.truncated.fetch_add(1, Ordering::Relaxed);
        }
        any = true;
        if block.len() == body {
            // An empty frame (a newline after a counted one).
            block.truncate(line);
        } else {
            end_line(&mut block, body);
            messages += 1;
        }
        // The next frame is under way if its bytes are already here.
        let now = Instant::now();
        let waiting = !r.buffer().is_empty();
        let g = r.get_mut();
        g.quiet_since = now;
        g.started = waiting.then_some(now);
        // A block goes when it is full or the socket has no more for now.
        if messages > 0 && (block.len() >= BLOCK || !waiting) {
            if !intake.send(std::mem::replace(&mut block, fresh()), messages) {
                return;
            }
            messages = 0;
        }
    }
    if messages > 0 {
        intake.send(block, messages);
    }
    if r.get_ref().timed_out {
        intake.stats.timed_out.fetch_add(1, Ordering::Relaxed);
    } else if is_tls && !any {
        // Closed before a first message: a failed handshake (no client
        // certificate, or one the CA did not sign) or a probe.
        intake.stats.tls_failed.fetch_add(1, Ordering::Relaxed);
    }
}

/// A connection's reader that enforces the frame and idle timeouts and
/// sees a stop: each read waits at most a second at a time.
struct Guarded {
    inner: Box<dyn Read + Send>,
    sock: TcpStream,
    started: Option<Instant>,
    quiet_since: Instant,
    limits: Limits,
    stop: Arc<AtomicBool>,
    timed_out: bool,
}

impl Read for Guarded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let stopping = self.stop.load(Ordering::Relaxed);
            let deadline = match self.started {
                Some(t) => t + self.limits.frame,
                None => self.quiet_since + self.limits.idle,
            };
            let now = Instant::now();
            if now >= deadline {
                self.timed_out = true;
                return Err(io::ErrorKind::TimedOut.into());
            }
            // Stopping, what has arrived is still read; a wait ends it.
            let most = match stopping {
                true => Duration::from_millis(100),
                false => Duration::from_secs(1),
            };
            self.sock
                .set_read_timeout(Some((deadline - now).min(most)))?;
            match self.inner.read(buf) {
                Ok(n) => {
                    if n > 0 && self.started.is_none() {
                        self.started = Some(now);
                    }
                    return Ok(n);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if stopping {
                        return Err(io::Error::other("the source stopped"));
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}
