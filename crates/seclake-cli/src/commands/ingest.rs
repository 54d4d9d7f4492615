//! `seclake ingest`: files, directories, globs and S3 prefixes into the
//! Parquet lake.
//!
//! Inputs go through the parallel pipeline (`--threads`, one per core by
//! default): rows to the lake writer, rejects to the `_rejects` table. An
//! input counts as ingested only when its acknowledgement fires, once all
//! its rows and rejects are written. A progress bar shows bytes read and
//! rows per second on a terminal; a summary per table closes the run.
//! Exit status: 0 when nothing was rejected, 2 when something was (the
//! rejects are in `_rejects`), 1 on errors.

use std::io::{self, Read};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use seclake_detect::at_ingest::Detector;
use seclake_engine::ack::Ack;
use seclake_engine::pipeline::{Input as PipelineInput, Output};
use seclake_engine::sinks::reject_message;
use seclake_engine::{Reject, StreamStats};
use seclake_lake::ingest::{ingest, Observer};
use seclake_lake::{Lake, LakeWriter, WriterOptions};

use super::common::{runtime, LakeArg, ParseArgs};
use seclake_sources::inputs::expand;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    lake: LakeArg,
    #[command(flatten)]
    parse: ParseArgs,
    /// Print at most this many rejects on stderr (all are in `_rejects`).
    #[arg(long, default_value_t = 20)]
    show_rejects: usize,
    /// Print `committed: INPUT` on stderr as each input's rows and rejects
    /// are written (its acknowledgement).
    #[arg(long, short)]
    verbose: bool,
    /// Write a partition's file once it holds this many MB of rows (in
    /// memory); smaller files are committed sooner.
    #[arg(long, default_value_t = 32)]
    file_mb: usize,
    /// Write a partition's file at the latest this many seconds after its
    /// first row (fractions allowed).
    #[arg(long, default_value_t = 60.0)]
    flush_after: f64,
    /// Commit written files to their tables at least this often, in
    /// seconds (fractions allowed); inputs are acknowledged after the
    /// commit holding their rows.
    #[arg(long, default_value_t = 1.0)]
    commit_after: f64,
    /// Sigma rules (files or directories) to run on every batch before it
    /// is committed, in the parse workers; their alerts go to `_alerts`
    /// once the rows are in the lake (as `seclake rules run` would record
    /// them).
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<std::path::PathBuf>,
    /// Files, directories, glob patterns, s3://bucket/prefix, or `-`.
    #[arg(required = true)]
    inputs: Vec<String>,
}

/// Progress bar, the first rejects on stderr, and what was acknowledged.
struct Progress {
    bar: ProgressBar,
    started: Instant,
    rows: u64,
    rejects: u64,
    show: usize,
    names: Vec<String>,
    errors: usize,
    detector: Option<Detector>,
}

impl Observer for Progress {
    fn derived(&mut self, input: usize, _: &str, alerts: Vec<arrow_array::RecordBatch>) {
        if let Some(d) = &mut self.detector {
            d.alerts(input, alerts);
        }
    }

    fn part(&mut self, _: usize, rows: usize) {
        self.rows += rows as u64;
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        self.bar.set_message(format!(
            "{} rows ({:.0} rows/s)",
            self.rows,
            self.rows as f64 / secs
        ));
    }

    fn reject(&mut self, _: usize, r: &Reject<'_>) {
        self.rejects += 1;
        if (self.rejects as usize) <= self.show {
            self.bar
                .suspend(|| eprintln!("reject: {}", reject_message(r)));
        } else if self.rejects as usize == self.show + 1 {
            self.bar
                .suspend(|| eprintln!("reject: ... more rejects are in the _rejects table"));
        }
    }

    fn input_done(&mut self, input: usize, _: &StreamStats, e: Option<&io::Error>) {
        if let Some(e) = e {
            self.bar
                .suspend(|| eprintln!("seclake: {}: {e}", self.names[input]));
            self.errors += 1;
        }
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
    let mut settings = args.parse.settings(Output::Batches);
    let flush_after = Duration::try_from_secs_f64(args.flush_after.max(0.001))
        .context("--flush-after: a number of seconds")?;
    let commit_after = Duration::try_from_secs_f64(args.commit_after.max(0.001))
        .context("--commit-after: a number of seconds")?;
    settings.tick = settings.tick.min(flush_after / 2).min(commit_after / 2);
    let detector = match args.rules.is_empty() {
        true => None,
        false => {
            let (rules, skipped) = super::rules::alert_rules(&args.rules)?;
            for line in &skipped {
                eprintln!("{line}");
            }
            eprintln!(
                "rules: {} of {} run at ingest",
                rules.len(),
                rules.len() + skipped.len()
            );
            Some(Detector::new(rules))
        }
    };
    // The rules run in the parse workers; their alerts come back here.
    settings.hook = detector.as_ref().map(Detector::hook);
    let rt = runtime()?;
    let lake = Lake::open(&args.lake.lake)?;
    let alerts_lake = lake.clone();
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

    let writer_opts = WriterOptions {
        target_file_bytes: args.file_mb.max(1) << 20,
        max_age: flush_after,
        commit_interval: commit_after,
        ..WriterOptions::for_threads(settings.threads)
    };
    let mut writer = LakeWriter::new(lake, rt.handle().clone(), writer_opts);
    let started = Instant::now();
    // An input counts as ingested only when its acknowledgement says its
    // rows and rejects are in the lake.
    let failed: Arc<Mutex<Vec<(usize, String)>>> = Arc::default();
    let acked: Arc<Mutex<Vec<bool>>> = Arc::new(Mutex::new(vec![false; inputs.len()]));
    let committed = Arc::new(AtomicUsize::new(0));
    let mut piped = Vec::with_capacity(inputs.len());
    let mut acks: Vec<Ack> = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let (me, bar, handle) = (input.clone(), bar.clone(), rt.handle().clone());
        piped.push(PipelineInput {
            display: input.name(),
            identity: input.identity(),
            peer_prefix: false,
            open: Box::new(move || {
                let inner = me.open(Some(&handle))?;
                Ok(Box::new(Counted { inner, bar }) as Box<dyn Read + Send>)
            }),
        });
        let (failed, committed, acked) = (failed.clone(), committed.clone(), acked.clone());
        let (name, verbose) = (input.name(), args.verbose);
        acks.push(Box::new(move |res| match res {
            Ok(()) => {
                committed.fetch_add(1, Ordering::Relaxed);
                acked.lock().expect("not poisoned")[i] = true;
                if verbose {
                    eprintln!("committed: {name}");
                }
            }
            Err(e) => failed.lock().expect("not poisoned").push((i, e.0)),
        }));
    }
    let mut progress = Progress {
        bar: bar.clone(),
        started,
        rows: 0,
        rejects: 0,
        show: args.show_rejects,
        names: inputs.iter().map(|i| i.name()).collect(),
        errors: 0,
        detector,
    };
    let total = ingest(
        piped,
        acks,
        &types,
        &opts,
        settings,
        &mut writer,
        &mut progress,
    )
    .context("ingesting")?;
    let written = writer.finish();
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    let failed = std::mem::take(&mut *failed.lock().expect("not poisoned"));
    for (i, why) in &failed {
        eprintln!("seclake: {}: not ingested: {why}", progress.names[*i]);
    }
    let written = written.context("writing the lake")?;

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
    if let Some(detector) = progress.detector.take() {
        for why in detector.errors() {
            eprintln!("rules: not evaluated: {why}");
        }
        let acked = std::mem::take(&mut *acked.lock().expect("not poisoned"));
        let recorded = rt
            .block_on(detector.finish(&alerts_lake, |i| acked.get(i).copied().unwrap_or(false)))
            .context("recording the alerts")?;
        for (title, n) in recorded.per_rule.iter().filter(|(_, n)| *n > 0) {
            eprintln!("alert: {title}: {n} new");
        }
        eprintln!(
            "alerts: {} new, {} already known, in _alerts",
            recorded.new, recorded.known
        );
    }
    let mb = total.decoded_bytes as f64 / 1e6;
    eprintln!(
        "total: {} rows, {} rejects from {} of {} input(s) committed, {mb:.1} MB in {secs:.2}s ({:.1} MB/s) into {}",
        total.rows,
        total.rejects,
        committed.load(Ordering::Relaxed),
        inputs.len(),
        if secs > 0.0 { mb / secs } else { 0.0 },
        args.lake.lake
    );
    Ok(if progress.errors > 0 || !failed.is_empty() {
        ExitCode::from(1)
    } else if total.rejects > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
