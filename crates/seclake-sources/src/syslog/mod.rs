//! `type = "syslog"`: a syslog server on UDP ([`udp`]), TCP and TLS
//! ([`stream`], [`crate::net`]). Each message becomes a line of a batch,
//! `<peer address> <message>`, so that rows keep who sent them (the
//! `sender_ip` column, an IP indicator); the serve loop commits batches to
//! the lake, classifying each message among the source's log types.
//!
//! What can be lost, and when:
//!
//! - Received messages wait in memory within `queue_bytes`. TCP and TLS
//!   connections stop being read while it is full (backpressure: the
//!   sender slows down, nothing is dropped); UDP datagrams that find it
//!   full are dropped and counted, as are the ones the kernel dropped.
//!   The buffers of committed blocks (up to `queue_bytes` more) wait in a
//!   [`queue::BlockPool`] for connections to fill again.
//! - A message longer than `max_message_bytes` is cut to it and counted.
//! - SIGTERM stops accepting and reading, then everything received is
//!   committed before the process exits.
//! - Without a spool, a crash loses what was received but not yet
//!   committed (at most a round's worth, `interval`, 1 s by default, plus
//!   what waits in the queue). With `spool = DIR`, every message is
//!   written ahead to disk (see [`spool`]): a killed process loses nothing
//!   it received, a crashed machine at most the last `spool_sync`
//!   (100 ms); what was not committed is replayed on restart.

pub mod options;
pub mod queue;
pub mod spool;
pub mod stream;
pub mod udp;

use std::collections::VecDeque;
use std::net::{TcpListener, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};

use crate::inputs::Input;
use crate::net::{ConnStats, Running, Timeouts};
pub use options::SyslogOptions;
use queue::{Block, BlockPool, Budget, Intake};

/// What a syslog source's messages are classified among when its
/// configuration names no `log_types`: the SSR's events first, then
/// generic syslog of either RFC.
pub const DEFAULT_LOG_TYPES: &[&str] = &["Juniper.SSR", "Syslog.RFC5424", "Syslog.RFC3164"];

/// Counters a syslog source keeps.
#[derive(Default, Debug)]
pub struct SyslogStats {
    pub received: AtomicU64,
    /// UDP datagrams the queue had no room for.
    pub dropped: AtomicU64,
    pub truncated: AtomicU64,
    /// TCP and TLS connections; receiving threads.
    pub conns: Arc<ConnStats>,
    /// TLS connections that ended before their first message.
    pub tls_failed: AtomicU64,
    pub spool_errors: AtomicU64,
    pub spool_error: Mutex<Option<String>>,
}

/// A batch of lines for the lake, and how far it takes the spool.
pub struct Batch {
    pub input: Input,
    pub messages: usize,
    spooled_to: Option<(u64, u64)>,
}

pub struct SyslogSource {
    id: String,
    ready: Receiver<Block>,
    budget: Arc<Budget>,
    pub stats: Arc<SyslogStats>,
    /// The addresses bound, as `udp://...`, `tcp://...`, `tls://...`.
    pub bound: Vec<String>,
    udp: Vec<UdpSocket>,
    kernel_drops_seen: u64,
    spool: Option<PathBuf>,
    /// Batches to commit before new ones: replayed from the spool, or one
    /// whose commit failed.
    pending: VecDeque<Batch>,
    /// A block of the next spool segment, taken while filling a batch.
    carry: Option<Block>,
    stop: Arc<AtomicBool>,
    batches: u64,
    pool: Arc<BlockPool>,
}

impl SyslogSource {
    /// Recovers the spool (its unfinished batches come first) and binds
    /// every listener of `o`.
    pub fn bind(id: &str, o: &SyslogOptions) -> Result<SyslogSource, String> {
        let stats = Arc::new(SyslogStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready) = channel();
        let budget = Arc::new(Budget::new(o.queue_bytes));
        let mut pending = VecDeque::new();
        let intake_tx = match &o.spool {
            None => ready_tx,
            Some(dir) => {
                let recovered =
                    spool::recover(dir).map_err(|e| format!("spool {}: {e}", dir.display()))?;
                for (segment, start, lines) in recovered.batches {
                    let messages = memchr::memchr_iter(b'\n', &lines).count();
                    let end = start + lines.len() as u64;
                    pending.push_back(Batch {
                        input: received(id, format!("spool:{segment}:{start}"), vec![lines]),
                        messages,
                        spooled_to: Some((segment, end)),
                    });
                }
                let (tx, rx) = channel();
                let (dir, sync, stats) = (dir.clone(), o.spool_sync, stats.clone());
                let first = recovered.next_segment;
                let running = Running::new(&stats.conns);
                spawn("syslog-spool", move || {
                    let _running = running;
                    spool::write(dir, first, sync, rx, ready_tx, stats)
                })?;
                tx
            }
        };
        // Up to a queue's worth of buffers may wait for reuse: as much as
        // received messages may already take.
        let pool = Arc::new(BlockPool::new(o.queue_bytes));
        let intake = Intake {
            tx: intake_tx,
            budget: budget.clone(),
            stats: stats.clone(),
            stop: stop.clone(),
            pool: pool.clone(),
        };
        let mut bound = Vec::new();
        let mut udp = Vec::new();
        for addr in &o.udp {
            let sock =
                udp::bind(*addr, o.receive_buffer).map_err(|e| format!("udp://{addr}: {e}"))?;
            bound.push(format!(
                "udp://{}",
                sock.local_addr().map_err(|e| e.to_string())?
            ));
            let reader = sock.try_clone().map_err(|e| e.to_string())?;
            let (intake, max) = (intake.clone(), o.max_message);
            let running = Running::new(&stats.conns);
            spawn("syslog-udp", move || {
                let _running = running;
                udp::receive(reader, intake, max)
            })?;
            udp.push(sock);
        }
        let timeouts = Timeouts {
            max_connections: o.max_connections,
            idle: o.idle_timeout,
            frame: o.frame_timeout,
        };
        let tls_config = match &o.tls_files {
            Some(f) if !o.tls.is_empty() => Some(crate::net::tls::server_config(f)?),
            _ => None,
        };
        let listeners = o.tcp.iter().map(|a| ("tcp", a, None));
        let listeners = listeners.chain(o.tls.iter().map(|a| ("tls", a, tls_config.clone())));
        for (scheme, addr, tls) in listeners {
            let l = TcpListener::bind(addr).map_err(|e| format!("{scheme}://{addr}: {e}"))?;
            bound.push(format!(
                "{scheme}://{}",
                l.local_addr().map_err(|e| e.to_string())?
            ));
            let (intake, timeouts, max) = (intake.clone(), timeouts.clone(), o.max_message);
            let running = Running::new(&stats.conns);
            spawn("syslog-accept", move || {
                let _running = running;
                stream::accept(l, tls, intake, timeouts, max)
            })?;
        }
        Ok(SyslogSource {
            id: id.to_string(),
            ready,
            budget,
            stats,
            bound,
            udp,
            kernel_drops_seen: 0,
            spool: o.spool.clone(),
            pending,
            carry: None,
            stop,
            batches: 0,
            pool,
        })
    }

    /// Datagrams the kernel dropped (receive buffer full) since the last
    /// call.
    pub fn take_kernel_drops(&mut self) -> u64 {
        let total: u64 = self.udp.iter().filter_map(udp::kernel_drops).sum();
        let new = total.saturating_sub(self.kernel_drops_seen);
        self.kernel_drops_seen = total;
        new
    }

    /// Stops accepting: listeners close, and connections and UDP sockets
    /// end once what has arrived is read (a read that waits 100 ms ends
    /// them). What was received stays to be committed.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Whether the queue is half full: commit now rather than at the next
    /// interval, so that receiving never waits for the clock.
    pub fn pressing(&self) -> bool {
        self.budget.half_full()
    }

    /// After [`SyslogSource::stop`]: every receiving thread has ended, so
    /// everything received is in the queue.
    pub fn stopped(&self) -> bool {
        self.stats.conns.active.load(Ordering::SeqCst) == 0
    }

    /// The batch to commit next: a pending one, or up to `max_bytes` of
    /// what was received (within one spool segment). `None` when nothing
    /// waits.
    pub fn next_batch(&mut self, max_bytes: usize) -> Option<&Batch> {
        if self.pending.is_empty() {
            let batch = self.fill(max_bytes)?;
            self.pending.push_back(batch);
        }
        self.pending.front()
    }

    fn fill(&mut self, max_bytes: usize) -> Option<Batch> {
        let (mut blocks, mut bytes) = (Vec::new(), 0);
        let mut messages = 0;
        let mut first: Option<(u64, u64)> = None;
        let mut last_end = None;
        let mut next = self.carry.take().or_else(|| self.ready.try_recv().ok());
        while let Some(block) = next {
            if let Some(at) = block.at {
                if first.is_some_and(|(seg, _)| seg != at.segment) {
                    self.carry = Some(block);
                    break;
                }
                first.get_or_insert((at.segment, at.start));
                last_end = Some((at.segment, at.end));
            }
            self.budget.give(block.bytes.len());
            bytes += block.bytes.len();
            blocks.push(block.bytes);
            messages += block.messages;
            if bytes >= max_bytes {
                break;
            }
            next = self.ready.try_recv().ok();
        }
        if messages == 0 {
            return None;
        }
        // Spooled lines are named by where they start in the spool (a
        // replay after a crash names them the same); others afresh.
        self.batches += 1;
        let identity = match first {
            Some((seg, start)) => format!("spool:{seg}:{start}"),
            None => format!(
                "{}:{}",
                seclake_core::Timestamp::now().micros(),
                self.batches
            ),
        };
        Some(Batch {
            input: received(&self.id, identity, blocks),
            messages,
            spooled_to: last_end,
        })
    }

    /// The batch [`SyslogSource::next_batch`] gave is in the lake: the
    /// spool moves past it.
    pub fn committed(&mut self) -> Result<(), String> {
        let Some(mut batch) = self.pending.pop_front() else {
            return Ok(());
        };
        // The lake has the lines: their buffers can take new ones.
        if let Input::Received { blocks, .. } = &mut batch.input {
            if let Some(blocks) = Arc::get_mut(blocks) {
                for b in blocks.iter_mut() {
                    self.pool.give(std::mem::take(b));
                }
            }
        }
        match (&self.spool, batch.spooled_to) {
            (Some(dir), Some((segment, end))) => spool::commit(dir, segment, end)
                .map_err(|e| format!("spool {}: {e}", dir.display())),
            _ => Ok(()),
        }
    }

    /// The last spool write error, once.
    pub fn take_spool_error(&self) -> Option<String> {
        self.stats.spool_error.lock().ok()?.take()
    }
}

fn received(id: &str, identity: String, blocks: Vec<Vec<u8>>) -> Input {
    Input::Received {
        name: format!("syslog://{id}"),
        identity: format!("syslog:{id}:{identity}"),
        blocks: Arc::from(blocks),
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<(), String> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map(|_| ())
        .map_err(|e| format!("{name}: {e}"))
}
