//! `type = "http"`: log data POSTed over HTTP or HTTPS ([`conn`]), as
//! Edgecast's real-time log delivery, NDJSON senders, and HEC- or
//! bulk-style shippers send it ([`bodies`]).
//!
//! The acknowledgement: a request is answered 200 only after the rows of
//! its body are committed to the lake. The connection's thread queues the
//! body and waits; the serve loop commits what waits (many requests, one
//! commit) and replies to each. So a sender that retries on anything but
//! a 200 loses nothing:
//!
//! - a body that cannot be committed is answered 503 (`Retry-After`);
//! - a full queue (`queue_bytes`, the lake writer behind) is answered 503
//!   (`Retry-After: 1`) before the body is read;
//! - a killed process never answered the requests it had not committed;
//! - on SIGTERM, listeners close, and the requests received are committed
//!   and answered before the process exits.
//!
//! A body's row ids derive from its content, so a body sent twice (a retry
//! after a lost answer) gives the same row ids, which `seclake compact`
//! removes.
//!
//! Refused without writing anything: wrong or missing credentials (401),
//! a body over `max_body_bytes` (413), an unsupported or mismatched
//! `Content-Encoding` (415, 400), a malformed request (400). Connection
//! limits and timeouts (a request must arrive whole within
//! `frame_timeout`) are [`crate::net`]'s.

pub mod conn;
pub mod options;

pub use seclake_decode::http::{bodies, request};

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender, SyncSender};
use std::sync::Arc;

use crate::inputs::Input;
use crate::net::budget::Budget;
use crate::net::{ConnStats, Running, Timeouts};
pub use options::{Auth, HttpOptions};

/// The statuses counted, in the order of [`HttpStats::responses`].
pub const STATUSES: &[u16] = &[200, 400, 401, 404, 405, 411, 413, 415, 431, 501, 503];

/// Counters an HTTP source keeps.
#[derive(Default, Debug)]
pub struct HttpStats {
    pub conns: Arc<ConnStats>,
    /// Responses by status, as [`STATUSES`]; the last is every other.
    pub responses: [AtomicU64; 12],
    /// Body bytes received (as sent).
    pub bytes: AtomicU64,
    pub auth_failed: AtomicU64,
    /// Requests refused because the queue was full.
    pub busy: AtomicU64,
}

impl HttpStats {
    fn count_status(&self, code: u16) {
        let i = STATUSES
            .iter()
            .position(|c| *c == code)
            .unwrap_or(STATUSES.len());
        self.responses[i].fetch_add(1, Ordering::Relaxed);
    }
}

/// What the serve loop tells a waiting request.
#[derive(Debug)]
pub enum Reply {
    Committed { rows: u64, rejects: u64 },
    Failed(String),
}

/// A body waiting for its commit.
pub struct Request {
    pub input: Input,
    reply: SyncSender<Reply>,
}

impl Request {
    /// Answers the request's sender.
    pub fn reply(self, r: Reply) {
        let _ = self.reply.send(r);
    }
}

/// What connections share.
pub(crate) struct Shared {
    id: String,
    auth: Auth,
    max_body: usize,
    timeouts: Timeouts,
    budget: Budget,
    queue: Sender<Request>,
    stop: Arc<AtomicBool>,
    stats: Arc<HttpStats>,
    /// Requests in the queue.
    queued: Arc<AtomicUsize>,
}

pub struct HttpSource {
    waiting: Receiver<Request>,
    /// A request taken but left for the next batch (over the byte bound).
    carry: Option<Request>,
    pub stats: Arc<HttpStats>,
    /// The addresses bound, as `http://...` or `https://...`.
    pub bound: Vec<String>,
    pub open: bool,
    stop: Arc<AtomicBool>,
    queued: Arc<AtomicUsize>,
}

impl HttpSource {
    /// Binds every listener of `o`.
    pub fn bind(id: &str, o: &HttpOptions) -> Result<HttpSource, String> {
        let stats = Arc::new(HttpStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (queue, waiting) = channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let tls = match &o.tls_files {
            Some(f) => Some(crate::net::tls::server_config(f)?),
            None => None,
        };
        let shared = Arc::new(Shared {
            id: id.to_string(),
            auth: o.auth.clone(),
            max_body: o.max_body,
            timeouts: Timeouts {
                max_connections: o.max_connections,
                idle: o.idle_timeout,
                frame: o.frame_timeout,
            },
            budget: Budget::new(o.queue_bytes),
            queue,
            stop: stop.clone(),
            stats: stats.clone(),
            queued: queued.clone(),
        });
        let scheme = if tls.is_some() { "https" } else { "http" };
        let mut bound = Vec::new();
        for addr in &o.listen {
            let l = TcpListener::bind(addr).map_err(|e| format!("{scheme}://{addr}: {e}"))?;
            let local = l.local_addr().map_err(|e| e.to_string())?;
            bound.push(format!("{scheme}://{local}"));
            let (shared, tls) = (shared.clone(), tls.clone());
            let running = Running::new(&stats.conns);
            let max = o.max_connections;
            std::thread::Builder::new()
                .name("http-accept".into())
                .spawn(move || {
                    let _running = running;
                    let (conns, stop) = (shared.stats.conns.clone(), shared.stop.clone());
                    crate::net::accept(l, "http-conn", conns, stop, max, move |c, peer| {
                        conn::serve(c, peer, tls.clone(), &shared)
                    })
                })
                .map_err(|e| format!("http-accept: {e}"))?;
        }
        Ok(HttpSource {
            waiting,
            carry: None,
            stats,
            bound,
            open: o.auth == Auth::Open,
            stop,
            queued,
        })
    }

    /// Requests waiting for their commit, up to `max_bytes` of bodies (at
    /// least one); empty when none waits.
    pub fn take(&mut self, max_bytes: u64) -> Vec<Request> {
        let mut out = Vec::new();
        let mut bytes = 0;
        while let Some(r) = self.carry.take().or_else(|| self.waiting.try_recv().ok()) {
            let size = r.input.size().unwrap_or(0);
            if !out.is_empty() && bytes + size > max_bytes {
                self.carry = Some(r);
                break;
            }
            bytes += size;
            self.queued.fetch_sub(1, Ordering::SeqCst);
            out.push(r);
        }
        out
    }

    /// Whether requests wait: commit now, their senders are waiting.
    pub fn pressing(&self) -> bool {
        self.queued.load(Ordering::SeqCst) > 0
    }

    /// Stops accepting; connections end once their request is answered.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// After [`HttpSource::stop`]: every connection has ended.
    pub fn stopped(&self) -> bool {
        self.stats.conns.active.load(Ordering::SeqCst) == 0
    }
}
