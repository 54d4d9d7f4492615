//! What the network receivers (syslog over TCP and TLS, HTTP) share: an
//! accept loop with a connection limit, a thread per connection, and a
//! connection that enforces its timeouts and sees a stop.
//!
//! - At most `max_connections` are open at once; one past it is closed
//!   at once and counted, and the others go on.
//! - A unit of work (a syslog frame, an HTTP request, a TLS handshake)
//!   must arrive whole within `frame` of its first byte, and a connection
//!   may stay silent between units for `idle`; past either it is closed
//!   and counted, so a slow client (slow loris) cannot hold a connection.
//! - After a stop, connections already in the listen backlog are still
//!   taken, and what has arrived is read: a read that waits 100 ms ends
//!   the connection.

pub mod budget;
pub mod tls;

use std::io::{self, Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// A listener's connection counters.
#[derive(Default, Debug)]
pub struct ConnStats {
    /// Connections accepted.
    pub accepted: AtomicU64,
    pub open: AtomicUsize,
    /// Connections closed at once: past `max_connections`.
    pub refused: AtomicU64,
    /// Connections closed by a timeout.
    pub timed_out: AtomicU64,
    /// Receiving threads still running (listeners, connections, writers).
    pub active: AtomicUsize,
}

/// Counts a receiving thread as running while it lives.
pub struct Running(Arc<ConnStats>);

impl Running {
    pub fn new(stats: &Arc<ConnStats>) -> Running {
        stats.active.fetch_add(1, Ordering::SeqCst);
        Running(stats.clone())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A connection's limits.
#[derive(Clone, Debug)]
pub struct Timeouts {
    pub max_connections: usize,
    pub idle: Duration,
    pub frame: Duration,
}

/// Accepts connections until `stop` (and an empty backlog), handing each
/// to `serve` on its own thread named `name`.
pub fn accept(
    listener: TcpListener,
    name: &'static str,
    stats: Arc<ConnStats>,
    stop: Arc<AtomicBool>,
    max_connections: usize,
    serve: impl Fn(TcpStream, IpAddr) + Clone + Send + 'static,
) {
    // Non-blocking, so that a stop is seen between connections.
    let _ = listener.set_nonblocking(true);
    loop {
        let stopping = stop.load(Ordering::Relaxed);
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
        if stats.open.load(Ordering::Relaxed) >= max_connections {
            stats.refused.fetch_add(1, Ordering::Relaxed);
            drop(conn);
            continue;
        }
        stats.accepted.fetch_add(1, Ordering::Relaxed);
        stats.open.fetch_add(1, Ordering::Relaxed);
        let running = Running::new(&stats);
        let (serve, stats2) = (serve.clone(), stats.clone());
        let spawned = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let _running = running;
                serve(conn, peer.ip());
                stats2.open.fetch_sub(1, Ordering::Relaxed);
            });
        if spawned.is_err() {
            stats.open.fetch_sub(1, Ordering::Relaxed);
            stats.refused.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Sets each `(name, text, target)` duration that is given; a zero or
/// unreadable one goes to `problems`, named.
pub fn durations<const N: usize>(
    settings: [(&str, &Option<String>, &mut Duration); N],
    problems: &mut Vec<String>,
) {
    for (name, value, target) in settings {
        match value.as_deref().map(crate::config::parse_duration) {
            Some(Ok(d)) if d.is_zero() => problems.push(format!("{name} must not be zero")),
            Some(Ok(d)) => *target = d,
            Some(Err(e)) => problems.push(format!("{name} {e}")),
            None => {}
        }
    }
}

/// A byte stream both ways: plain TCP or TLS over it.
pub trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// A connection, plain or TLS, whose reads enforce the timeouts and see a
/// stop: each read waits at most a second at a time.
pub struct Conn {
    inner: Box<dyn Stream>,
    sock: TcpStream,
    /// When the unit under way began (its first byte; a TLS handshake
    /// from the start).
    pub started: Option<Instant>,
    pub quiet_since: Instant,
    timeouts: Timeouts,
    stop: Arc<AtomicBool>,
    pub timed_out: bool,
    pub tls: bool,
}

impl Conn {
    /// Wraps an accepted connection; `None` when it cannot be set up.
    pub fn new(
        conn: TcpStream,
        tls: Option<Arc<ServerConfig>>,
        timeouts: &Timeouts,
        stop: &Arc<AtomicBool>,
    ) -> Option<Conn> {
        conn.set_nonblocking(false).ok()?;
        let _ = conn.set_nodelay(true);
        let _ = conn.set_write_timeout(Some(timeouts.frame));
        let sock = conn.try_clone().ok()?;
        let is_tls = tls.is_some();
        let inner: Box<dyn Stream> = match tls {
            None => Box::new(conn),
            Some(config) => Box::new(StreamOwned::new(ServerConnection::new(config).ok()?, conn)),
        };
        Some(Conn {
            inner,
            sock,
            started: is_tls.then(Instant::now),
            quiet_since: Instant::now(),
            timeouts: timeouts.clone(),
            stop: stop.clone(),
            timed_out: false,
            tls: is_tls,
        })
    }

    /// A unit ended; the next is under way if its bytes are already here.
    pub fn unit_done(&mut self, next_waiting: bool) {
        let now = Instant::now();
        self.quiet_since = now;
        self.started = next_waiting.then_some(now);
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let stopping = self.stop.load(Ordering::Relaxed);
            let deadline = match self.started {
                Some(t) => t + self.timeouts.frame,
                None => self.quiet_since + self.timeouts.idle,
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

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
