//! `seclake ingest`: files, directories, globs and S3 prefixes into the
//! Parquet lake.
//!
//! Inputs are parsed one after another on this thread (parsing is the
//! work; object store I/O runs on the runtime), rows go to the lake writer
//! and rejects to the `_rejects` table. A progress bar shows bytes read and
//! rows per second on a terminal; a summary per table closes the run.
//! Exit status: 0 when nothing was rejected, 2 when something was (the
//! rejects are in `_rejects`), 1 on errors.

use std::io::{self, Read};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use seclake_core::{LogType, Row, StandardFields, Timestamp};
use seclake_engine::sinks::reject_message;
use seclake_engine::{parse_stream, Reject, RowSink, StreamName, StreamStats};
use seclake_lake::{Lake, LakeWriter, WriterOptions};

use super::common::{runtime, LakeArg, ParseArgs};
use crate::inputs::expand;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    lake: LakeArg,
    #[command(flatten)]
    parse: ParseArgs,
    /// Print at most this many rejects on stderr (all are in `_rejects`).
    #[arg(long, default_value_t = 20)]
    show_rejects: usize,
    /// Files, directories, glob patterns, s3://bucket/prefix, or `-`.
    #[arg(required = true)]
    inputs: Vec<String>,
}

/// Counts for the progress bar and prints the first rejects.
struct Progress<'w> {
    writer: &'w mut LakeWriter,
    bar: ProgressBar,
    started: Instant,
    rows: u64,
    rejects: u64,
    show: usize,
}

impl RowSink for Progress<'_> {
    fn row(
        &mut self,
        t: &LogType,
        row: &Row<'_>,
        std: &StandardFields<'_>,
        event_time: Timestamp,
    ) -> io::Result<()> {
        self.rows += 1;
        if self.rows.is_multiple_of(8192) {
            let secs = self.started.elapsed().as_secs_f64().max(1e-3);
            self.bar.set_message(format!(
                "{} rows ({:.0} rows/s)",
                self.rows,
                self.rows as f64 / secs
            ));
        }
        self.writer.row(t, row, std, event_time)
    }

    fn reject(&mut self, r: &Reject<'_>) -> io::Result<()> {
        self.rejects += 1;
        if (self.rejects as usize) <= self.show {
            self.bar
                .suspend(|| eprintln!("reject: {}", reject_message(r)));
        } else if self.rejects as usize == self.show + 1 {
            self.bar
                .suspend(|| eprintln!("reject: ... more rejects are in the _rejects table"));
        }
        self.writer.reject(r)
    }
}

/// Advances the progress bar as the input is read.
struct Counted<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    let types = args.parse.types()?;
    let opts = args.parse.options()?;
    let rt = runtime()?;
    let lake = Lake::open(&args.lake.lake)?;
    let inputs = expand(&args.inputs, Some(rt.handle())).map_err(anyhow::Error::msg)?;
    let total_bytes: u64 = inputs.iter().filter_map(|i| i.size()).sum();

    let bar = ProgressBar::new(total_bytes);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} ({bytes_per_sec}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));

    let mut writer = LakeWriter::new(lake, rt.handle().clone(), WriterOptions::default());
    let started = Instant::now();
    let mut total = StreamStats::default();
    let mut errors = 0;
    {
        let mut sink = Progress {
            writer: &mut writer,
            bar: bar.clone(),
            started,
            rows: 0,
            rejects: 0,
            show: args.show_rejects,
        };
        for input in &inputs {
            let name = input.name();
            let reader = match input.open(Some(rt.handle())) {
                Ok(r) => r,
                Err(e) => {
                    bar.suspend(|| eprintln!("seclake: {name}: {e}"));
                    errors += 1;
                    continue;
                }
            };
            let counted = Counted {
                inner: reader,
                bar: bar.clone(),
            };
            let identity = input.identity();
            let stream = StreamName {
                display: &name,
                identity: &identity,
            };
            let stats = parse_stream(counted, stream, &types, &opts, &mut sink)
                .with_context(|| format!("ingesting {name}"))?;
            total.merge(&stats);
        }
    }
    let written = writer.finish().context("writing the lake")?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();

    for (table, s) in &written.tables {
        eprintln!(
            "{table}: {} rows in {} files ({:.1} MB)",
            s.rows,
            s.files,
            s.bytes as f64 / 1e6
        );
    }
    for (name, s) in &total.per_type {
        if s.rejects > 0 {
            eprintln!("{name}: {} rejects (see the _rejects table)", s.rejects);
        }
    }
    let mb = total.decoded_bytes as f64 / 1e6;
    eprintln!(
        "total: {} rows, {} rejects from {} input(s), {mb:.1} MB in {secs:.2}s ({:.1} MB/s) into {}",
        total.rows,
        total.rejects,
        inputs.len(),
        if secs > 0.0 { mb / secs } else { 0.0 },
        args.lake.lake
    );
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else if total.rejects > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
