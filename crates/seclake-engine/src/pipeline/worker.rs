//! A parse worker: a chunk in, its rows as Arrow batches (or rendered JSON
//! lines) and its rejects out, in the chunk's record order.

use std::io;
use std::sync::Arc;

use arrow_array::RecordBatch;
use seclake_core::{LogType, Row, StandardFields, Timestamp};

use super::chunk::{Chunk, Item, StreamInfo};
use super::{BatchHook, Output, OwnedReject};
use crate::batch::TableBatch;
use crate::processor::RecordProcessor;
use crate::stream::{Options, Reject, RowSink, StreamName, StreamStats};

/// Rows of one chunk.
pub enum Part {
    /// JSON lines, in record order.
    Json(Vec<u8>),
    /// Rows of `types[log_type]`, in record order, and what the run's
    /// [`BatchHook`] derived from them on the worker (empty without one).
    Batch {
        log_type: usize,
        batch: RecordBatch,
        derived: Vec<RecordBatch>,
    },
}

/// What a worker made of a chunk.
pub struct ChunkOutput {
    pub seq: u64,
    pub input: usize,
    pub last: bool,
    pub parts: Vec<Part>,
    pub rejects: Vec<OwnedReject>,
    pub stats: StreamStats,
    pub open_error: Option<io::Error>,
}

pub struct Worker<'t, 'o> {
    types: &'t [&'t LogType],
    opts: &'o Options,
    /// The parser state of the input this worker saw last.
    current: Option<(Arc<StreamInfo>, RecordProcessor<'t, 'o>)>,
    sink: ChunkSink<'t>,
}

impl<'t, 'o> Worker<'t, 'o> {
    pub fn new(
        types: &'t [&'t LogType],
        opts: &'o Options,
        output: Output,
        hook: Option<Arc<dyn BatchHook>>,
    ) -> Self {
        Worker {
            types,
            opts,
            current: None,
            sink: ChunkSink {
                types,
                output,
                hook,
                batches: Vec::new(),
                current: None,
                parts: Vec::new(),
                rejects: Vec::new(),
            },
        }
    }

    pub fn process(&mut self, chunk: Chunk) -> io::Result<ChunkOutput> {
        let same = matches!(&self.current, Some((s, _)) if Arc::ptr_eq(s, &chunk.stream));
        if !same {
            let name = StreamName {
                display: &chunk.stream.display,
                identity: &chunk.stream.identity,
                peer_prefix: chunk.stream.peer_prefix,
            };
            let mut p = RecordProcessor::new(name, self.types, self.opts);
            if chunk.index > 0 {
                if let Some(first) = chunk.stream.first_record.get() {
                    // Replayed for the parser's state only; its row or
                    // reject belongs to the chunk that holds it.
                    p.record(1, 0, first, &mut Discard, &mut StreamStats::default())?;
                }
            }
            self.current = Some((chunk.stream.clone(), p));
        }
        let Some((_, p)) = self.current.as_mut() else {
            unreachable!("set above")
        };
        let mut stats = StreamStats::default();
        for item in &chunk.items {
            match item {
                Item::Record {
                    start,
                    len,
                    line,
                    offset,
                } => {
                    let bytes = &chunk.data[*start..*start + *len];
                    p.record(*line, *offset, bytes, &mut self.sink, &mut stats)?;
                }
                Item::FrameError(e) => p.frame_error(e, &mut self.sink, &mut stats)?,
                Item::DecodeError(e) => p.open_error(e, &mut self.sink, &mut stats)?,
            }
        }
        self.sink.end_run()?;
        super::pool::give(chunk.data);
        stats.decoded_bytes = chunk.decoded_bytes;
        stats.compression = chunk.compression;
        if chunk.last {
            // Its input is done: nothing of its state is needed again.
            self.current = None;
        }
        Ok(ChunkOutput {
            seq: chunk.seq,
            input: chunk.input,
            last: chunk.last,
            parts: std::mem::take(&mut self.sink.parts),
            rejects: std::mem::take(&mut self.sink.rejects),
            stats,
            open_error: chunk.open_error,
        })
    }
}

/// Where a replayed first record goes.
struct Discard;

impl RowSink for Discard {
    fn row(
        &mut self,
        _: &LogType,
        _: &Row<'_>,
        _: &StandardFields<'_>,
        _: Timestamp,
    ) -> io::Result<()> {
        Ok(())
    }
    fn reject(&mut self, _: &Reject<'_>) -> io::Result<()> {
        Ok(())
    }
}

/// Collects a chunk's rows into batches, one per run of rows of a type, so
/// that rows keep their order.
struct ChunkSink<'t> {
    types: &'t [&'t LogType],
    output: Output,
    hook: Option<Arc<dyn BatchHook>>,
    /// A reusable batch per log type met.
    batches: Vec<(usize, TableBatch)>,
    /// Index into `batches` of the one holding rows.
    current: Option<usize>,
    parts: Vec<Part>,
    rejects: Vec<OwnedReject>,
}

impl ChunkSink<'_> {
    /// Closes the current run of rows.
    fn end_run(&mut self) -> io::Result<()> {
        let Some(i) = self.current.take() else {
            return Ok(());
        };
        let (log_type, builder) = &mut self.batches[i];
        let batch = builder.finish().map_err(io::Error::other)?;
        match self.output {
            Output::Json => match self.parts.last_mut() {
                Some(Part::Json(out)) => crate::json_lines::write_batch(out, &batch),
                _ => {
                    let mut out = Vec::with_capacity(4 << 20);
                    crate::json_lines::write_batch(&mut out, &batch);
                    self.parts.push(Part::Json(out));
                }
            },
            Output::Batches => {
                let derived = match &self.hook {
                    Some(hook) => hook.batch(self.types[*log_type], &batch),
                    None => Vec::new(),
                };
                self.parts.push(Part::Batch {
                    log_type: *log_type,
                    batch,
                    derived,
                })
            }
        }
        Ok(())
    }
}

impl RowSink for ChunkSink<'_> {
    fn row(
        &mut self,
        t: &LogType,
        row: &Row<'_>,
        std: &StandardFields<'_>,
        event_time: Timestamp,
    ) -> io::Result<()> {
        let i = match self.current {
            Some(i) if std::ptr::eq(self.types[self.batches[i].0], t) => i,
            _ => {
                self.end_run()?;
                let ty = self
                    .types
                    .iter()
                    .position(|c| std::ptr::eq(*c, t))
                    .ok_or_else(|| io::Error::other("a row of a log type not in the run"))?;
                match self.batches.iter().position(|(k, _)| *k == ty) {
                    Some(i) => i,
                    None => {
                        self.batches.push((ty, TableBatch::new(&t.schema)));
                        self.batches.len() - 1
                    }
                }
            }
        };
        self.current = Some(i);
        self.batches[i].1.append(row, std, event_time);
        Ok(())
    }

    fn reject(&mut self, r: &Reject<'_>) -> io::Result<()> {
        self.rejects.push(OwnedReject::from(r));
        Ok(())
    }
}
