//! The parallel pipeline: inputs in, Arrow batches (or JSON lines) and
//! rejects out, in input order, on every core.
//!
//! ```text
//!           reader thread                 N workers                    this thread
//! inputs ──▶ open, decompress, frame ──▶ chunks ──▶ parse into batches ──▶ reorder by chunk ──▶ Collector
//!            (chunks of ~1 MB of          (queue)    (or JSON lines)         sequence
//!             records, offsets, lines)
//! ```
//!
//! - **Order.** Chunks are numbered as they are cut; the collector receives
//!   their outputs in that order whatever worker finished first, so output
//!   is the same with one thread or many.
//! - **Determinism.** A record keeps its byte offset and line from the
//!   reader, so `p_row_id`s do not depend on the thread count.
//! - **Parser state.** A worker that meets an input in the middle replays
//!   the input's first record into its fresh parsers (discarding the
//!   result), which is how a VPC Flow header reaches every chunk.
//! - **Bounded memory.** At most `4 × threads` chunks are between the
//!   reader and the collector; the reader waits for the collector.
//! - **Timers.** The collector is called every `Settings::tick` (a second
//!   by default; [`Collector::tick`]) even when no input arrives, so
//!   time-based flushes happen on an idle source.
//! - **Hooks.** A [`BatchHook`] in [`Settings::hook`] runs on each batch
//!   in the worker that built it; what it derives rides on the batch's
//!   [`Part`] to the collector, in the same order.
//! - With one thread everything runs on the calling thread, through the
//!   same chunk and worker code.

mod chunk;
mod hook;
mod pool;
mod worker;

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, sync_channel, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use seclake_core::LogType;

pub(crate) use chunk::open_records;
pub use chunk::ChunkLimits;
use chunk::{read_input, StreamInfo};
pub use hook::BatchHook;
pub use worker::Part;
use worker::{ChunkOutput, Worker};

use crate::stream::{Options, Reject, StreamStats};

/// An input of a run: its names and how to open it (on the reader thread).
pub struct Input<'a> {
    pub display: String,
    /// What row ids derive from (see [`crate::StreamName::identity`]).
    pub identity: String,
    /// Each record starts with the address of the peer that sent it and a
    /// space (a network receiver's batch; see [`crate::StreamName`]).
    pub peer_prefix: bool,
    pub open: Box<dyn FnOnce() -> io::Result<Box<dyn Read + Send + 'a>> + Send + 'a>,
}

/// What workers make of rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// JSON lines, rendered by the workers.
    Json,
    /// Arrow record batches.
    Batches,
}

#[derive(Clone)]
pub struct Settings {
    /// Parse workers; 1 runs everything on the calling thread.
    pub threads: usize,
    pub output: Output,
    pub chunk: ChunkLimits,
    /// How often [`Collector::tick`] is called.
    pub tick: Duration,
    /// Runs on every batch in the workers (with [`Output::Batches`]);
    /// `None`, the default, derives nothing and costs nothing.
    pub hook: Option<Arc<dyn BatchHook>>,
}

impl Settings {
    pub fn new(threads: usize, output: Output) -> Self {
        Settings {
            threads: threads.max(1),
            output,
            chunk: ChunkLimits::default(),
            tick: Duration::from_secs(1),
            hook: None,
        }
    }
}

/// The number of cores, the default thread count.
pub fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Receives a run's results on the calling thread, in input order.
pub trait Collector {
    /// Rows of input `input`.
    fn part(&mut self, input: usize, part: Part) -> io::Result<()>;
    fn reject(&mut self, input: usize, reject: &Reject<'_>) -> io::Result<()>;
    /// Every row and reject of `input` has been handed over; `open_error`
    /// when it could not be opened at all.
    fn input_done(
        &mut self,
        input: usize,
        stats: &StreamStats,
        open_error: Option<&io::Error>,
    ) -> io::Result<()>;
    /// Called about every second while the run lasts.
    fn tick(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A reject that outlives its record (it travels from a worker).
#[derive(Debug, Clone)]
pub struct OwnedReject {
    pub object: String,
    pub identity: String,
    pub line: u64,
    pub offset: u64,
    pub log_type: Option<String>,
    pub reason: String,
    pub detail: Option<String>,
    pub raw: Vec<u8>,
    pub source_id: Option<String>,
    pub source_label: Option<String>,
}

impl From<&Reject<'_>> for OwnedReject {
    fn from(r: &Reject<'_>) -> Self {
        OwnedReject {
            object: r.object.to_string(),
            identity: r.identity.to_string(),
            line: r.line,
            offset: r.offset,
            log_type: r.log_type.map(str::to_string),
            reason: r.reason.to_string(),
            detail: r.detail.map(str::to_string),
            raw: r.raw.to_vec(),
            source_id: r.source_id.map(str::to_string),
            source_label: r.source_label.map(str::to_string),
        }
    }
}

impl OwnedReject {
    pub fn view(&self) -> Reject<'_> {
        Reject {
            object: &self.object,
            identity: &self.identity,
            line: self.line,
            offset: self.offset,
            log_type: self.log_type.as_deref(),
            reason: &self.reason,
            detail: self.detail.as_deref(),
            raw: &self.raw,
            source_id: self.source_id.as_deref(),
            source_label: self.source_label.as_deref(),
        }
    }
}

/// Runs `inputs` through decoding, framing and parsing with `types` as the
/// candidates, handing results to `collector` in input order. Returns the
/// totals. Errors are the collector's (or a worker's sink's); problems
/// with the input are rejects.
pub fn run<'t>(
    inputs: Vec<Input<'_>>,
    types: &'t [&'t LogType],
    opts: &Options,
    settings: Settings,
    collector: &mut dyn Collector,
) -> io::Result<StreamStats> {
    let mut delivery = Delivery {
        collector,
        per_input: HashMap::new(),
        total: StreamStats::default(),
        last_tick: Instant::now(),
        tick: settings.tick,
    };
    if settings.threads <= 1 {
        run_inline(inputs, types, opts, settings, &mut delivery)?;
    } else {
        run_threads(inputs, types, opts, settings, &mut delivery)?;
    }
    Ok(delivery.total)
}

fn stream_info(input: &Input<'_>) -> Arc<StreamInfo> {
    Arc::new(StreamInfo {
        display: input.display.clone(),
        identity: input.identity.clone(),
        peer_prefix: input.peer_prefix,
        first_record: OnceLock::new(),
    })
}

fn run_inline(
    inputs: Vec<Input<'_>>,
    types: &[&LogType],
    opts: &Options,
    settings: Settings,
    delivery: &mut Delivery<'_>,
) -> io::Result<()> {
    let mut worker = Worker::new(types, opts, settings.output, settings.hook);
    let mut failed = None;
    read_inputs(inputs, opts, settings.chunk, &mut |c| {
        let res = worker.process(c).and_then(|out| delivery.deliver(out));
        let res = res.and_then(|()| delivery.maybe_tick());
        res.map_err(|e| failed = Some(e)).is_ok()
    });
    failed.map_or(Ok(()), Err)
}

/// Opens and cuts every input in turn, handing each chunk to `emit`; stops
/// when `emit` says so.
fn read_inputs(
    inputs: Vec<Input<'_>>,
    opts: &Options,
    limits: ChunkLimits,
    emit: &mut dyn FnMut(chunk::Chunk) -> bool,
) {
    let mut seq = 0;
    for (i, input) in inputs.into_iter().enumerate() {
        let stream = stream_info(&input);
        let reader = (input.open)();
        let mut go_on = true;
        read_input(i, stream, reader, opts, limits, &mut seq, &mut |c| {
            go_on = emit(c);
            go_on
        });
        if !go_on {
            return;
        }
    }
}

fn run_threads(
    inputs: Vec<Input<'_>>,
    types: &[&LogType],
    opts: &Options,
    settings: Settings,
    delivery: &mut Delivery<'_>,
) -> io::Result<()> {
    let (threads, limits, output) = (settings.threads, settings.chunk, settings.output);
    let in_flight = 4 * threads;
    let abort = AtomicBool::new(false);
    let (chunk_tx, chunk_rx) = sync_channel(threads);
    let chunk_rx = Mutex::new(chunk_rx);
    let (out_tx, out_rx) = channel::<io::Result<ChunkOutput>>();
    // A chunk is cut only with a token; the collector gives the token back
    // when it has delivered that chunk's output.
    let (token_tx, token_rx) = sync_channel::<()>(in_flight);
    for _ in 0..in_flight {
        token_tx
            .send(())
            .expect("the channel has room for every token");
    }
    std::thread::scope(|s| {
        let abort = &abort;
        let chunk_rx = &chunk_rx;
        s.spawn(move || {
            read_inputs(inputs, opts, limits, &mut |c| {
                !abort.load(Ordering::Relaxed)
                    && token_rx.recv().is_ok()
                    && chunk_tx.send(c).is_ok()
            });
        });
        for _ in 0..threads {
            let out_tx = out_tx.clone();
            let hook = settings.hook.clone();
            s.spawn(move || {
                let mut worker = Worker::new(types, opts, output, hook);
                loop {
                    let next = chunk_rx
                        .lock()
                        .map_err(|_| ())
                        .and_then(|rx| rx.recv().map_err(|_| ()));
                    let Ok(chunk) = next else { break };
                    if abort.load(Ordering::Relaxed) {
                        // Drain, so that the reader is never stuck.
                        continue;
                    }
                    if out_tx.send(worker.process(chunk)).is_err() {
                        abort.store(true, Ordering::Relaxed);
                    }
                }
            });
        }
        drop(out_tx);
        let result = collect(&out_rx, &token_tx, delivery);
        if result.is_err() {
            abort.store(true, Ordering::Relaxed);
        }
        drop(token_tx);
        drop(out_rx);
        result
    })
}

/// Delivers outputs in chunk order as they arrive.
fn collect(
    out_rx: &std::sync::mpsc::Receiver<io::Result<ChunkOutput>>,
    token_tx: &std::sync::mpsc::SyncSender<()>,
    delivery: &mut Delivery<'_>,
) -> io::Result<()> {
    let mut pending = BTreeMap::new();
    let mut next = 0u64;
    loop {
        match out_rx.recv_timeout(delivery.tick) {
            Ok(out) => {
                let out = out?;
                pending.insert(out.seq, out);
                while let Some(out) = pending.remove(&next) {
                    delivery.deliver(out)?;
                    next += 1;
                    let _ = token_tx.try_send(());
                }
                delivery.maybe_tick()?;
            }
            Err(RecvTimeoutError::Timeout) => delivery.maybe_tick()?,
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        }
    }
}

/// Hands outputs to the collector and keeps the per-input totals.
struct Delivery<'c> {
    collector: &'c mut dyn Collector,
    per_input: HashMap<usize, StreamStats>,
    total: StreamStats,
    last_tick: Instant,
    tick: Duration,
}

impl Delivery<'_> {
    fn deliver(&mut self, out: ChunkOutput) -> io::Result<()> {
        for part in out.parts {
            self.collector.part(out.input, part)?;
        }
        for r in &out.rejects {
            self.collector.reject(out.input, &r.view())?;
        }
        let stats = self.per_input.entry(out.input).or_default();
        stats.merge(&out.stats);
        if out.last {
            let mut stats = self.per_input.remove(&out.input).unwrap_or_default();
            stats.compression = out.stats.compression;
            self.collector
                .input_done(out.input, &stats, out.open_error.as_ref())?;
            self.total.merge(&stats);
        }
        Ok(())
    }

    fn maybe_tick(&mut self) -> io::Result<()> {
        if self.last_tick.elapsed() >= self.tick {
            self.last_tick = Instant::now();
            self.collector.tick()?;
        }
        Ok(())
    }
}
