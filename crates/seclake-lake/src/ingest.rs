//! Inputs into the lake: the pipeline's results routed to the writer, each
//! input acknowledged when its rows and rejects are durable.

use std::io;

use seclake_core::LogType;
use seclake_engine::ack::Ack;
use seclake_engine::pipeline::{self, Collector, Input, Part, Settings};
use seclake_engine::{Options, Reject, StreamStats};

use crate::writer::{LakeWriter, WriteStats};
use crate::LakeError;

/// Hooks for the caller: progress and messages on the collecting thread.
pub trait Observer {
    fn part(&mut self, _input: usize, _rows: usize) {}
    /// A batch of `table`'s rows from `input`, before the writer takes it.
    fn batch(&mut self, _input: usize, _table: &str, _batch: &arrow_array::RecordBatch) {}
    /// What the run's [`BatchHook`](seclake_engine::pipeline::BatchHook)
    /// derived from a batch of `table`'s rows from `input` (rules at
    /// ingest: their alerts), in the worker that built it; not called when
    /// it derived nothing.
    fn derived(&mut self, _input: usize, _table: &str, _derived: Vec<arrow_array::RecordBatch>) {}
    fn reject(&mut self, _input: usize, _reject: &Reject<'_>) {}
    fn input_done(&mut self, _input: usize, _stats: &StreamStats, _open_error: Option<&io::Error>) {
    }
}

/// An observer that observes nothing.
pub struct Quiet;
impl Observer for Quiet {}

struct LakeCollector<'a> {
    writer: &'a mut LakeWriter,
    tables: Vec<String>,
    observer: &'a mut dyn Observer,
}

fn to_io(e: LakeError) -> io::Error {
    io::Error::other(e)
}

impl Collector for LakeCollector<'_> {
    fn part(&mut self, input: usize, part: Part) -> io::Result<()> {
        match part {
            Part::Batch {
                log_type,
                batch,
                derived,
            } => {
                self.observer.part(input, batch.num_rows());
                self.observer.batch(input, &self.tables[log_type], &batch);
                if !derived.is_empty() {
                    self.observer
                        .derived(input, &self.tables[log_type], derived);
                }
                self.writer
                    .write(input, &self.tables[log_type], batch)
                    .map_err(to_io)
            }
            Part::Json(_) => Err(io::Error::other("the lake takes batches, not JSON")),
        }
    }

    fn reject(&mut self, input: usize, r: &Reject<'_>) -> io::Result<()> {
        self.observer.reject(input, r);
        self.writer.reject(input, r).map_err(to_io)
    }

    fn input_done(
        &mut self,
        input: usize,
        stats: &StreamStats,
        open_error: Option<&io::Error>,
    ) -> io::Result<()> {
        self.observer.input_done(input, stats, open_error);
        match open_error {
            Some(e) => {
                self.writer.fail_input(input, format!("cannot open: {e}"));
                Ok(())
            }
            None => self.writer.end_input(input).map_err(to_io),
        }
    }

    fn tick(&mut self) -> io::Result<()> {
        self.writer.tick().map_err(to_io)
    }
}

/// Parses `inputs` into the lake through `writer`. `acks[i]` fires when
/// input `i` is durable (or failed). The writer is not finished: call
/// [`LakeWriter::finish`] to write what is still buffered.
pub fn ingest(
    inputs: Vec<Input<'_>>,
    acks: Vec<Ack>,
    types: &[&LogType],
    opts: &Options,
    settings: Settings,
    writer: &mut LakeWriter,
    observer: &mut dyn Observer,
) -> io::Result<StreamStats> {
    for (i, ack) in acks.into_iter().enumerate() {
        writer.begin_input(i, ack);
    }
    let mut settings = settings;
    settings.output = pipeline::Output::Batches;
    let mut c = LakeCollector {
        writer,
        tables: types.iter().map(|t| t.table.clone()).collect(),
        observer,
    };
    pipeline::run(inputs, types, opts, settings, &mut c)
}

/// Parses `inputs` into the lake and writes everything: the one-call form
/// for tools and tests.
pub fn ingest_all(
    inputs: Vec<Input<'_>>,
    types: &[&LogType],
    opts: &Options,
    settings: Settings,
    mut writer: LakeWriter,
) -> Result<(StreamStats, WriteStats), LakeError> {
    let n = inputs.len();
    let acks = (0..n).map(|_| Box::new(|_| {}) as Ack).collect();
    let stats = ingest(inputs, acks, types, opts, settings, &mut writer, &mut Quiet)?;
    Ok((stats, writer.finish()?))
}
