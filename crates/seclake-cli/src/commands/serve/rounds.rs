//! The rounds of the polling sources (S3 scans, SQS queues, growing
//! files), and what every round shares: running inputs through the
//! pipeline into the lake, and counting what they gave.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result};
use seclake_core::LogType;
use seclake_detect::at_ingest::Detector;
use seclake_engine::ack::Ack;
use seclake_engine::pipeline::{Output, Settings};
use seclake_engine::{Options, StreamStats};
use seclake_lake::ingest::{ingest, Observer};
use seclake_lake::{LakeWriter, WriterOptions};
use seclake_sources::config::SourceConfig;
use seclake_sources::file_tail::FileTail;
use seclake_sources::inputs::Input;
use seclake_sources::metrics::{catalog as m, labels, Metrics};
use seclake_sources::s3_scan::S3Scan;
use seclake_sources::sqs::source::SqsSource;

use super::Ctx;

/// One round of an S3 scan: its new objects into the lake, then what was
/// acknowledged remembered.
pub(super) fn scan_round(cfg: &SourceConfig, scan: &mut S3Scan, ctx: &Ctx) -> Result<()> {
    let inputs = ctx.rt.block_on(scan.poll()).map_err(anyhow::Error::msg)?;
    if inputs.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let (acked, stats) = run_inputs(cfg, &inputs, ctx)?;
    count(ctx.metrics, cfg, &acked, &stats);
    for (input, ok) in inputs.iter().zip(&acked) {
        if *ok {
            scan.seen.insert(input.identity());
        }
    }
    ctx.rt
        .block_on(scan.seen.save())
        .map_err(anyhow::Error::msg)?;
    say_ingested(cfg, "new object(s)", &acked, &stats, started);
    Ok(())
}

/// The log line of a round: how many of its inputs were ingested, and
/// what they gave.
pub(super) fn say_ingested(
    cfg: &SourceConfig,
    what: &str,
    acked: &[bool],
    stats: &StreamStats,
    started: Instant,
) {
    say!(
        "source {:?}: {} of {} {what} ingested: {} rows, {} rejects, {:.1} MB in {:.2}s",
        cfg.id,
        acked.iter().filter(|a| **a).count(),
        acked.len(),
        stats.rows,
        stats.rejects,
        stats.decoded_bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
}

/// One round of a file source: what the files gained into the lake, then
/// the positions of what was acknowledged saved.
pub(super) fn files_round(cfg: &SourceConfig, tail: &mut FileTail, ctx: &Ctx) -> Result<()> {
    let polled = tail.poll().map_err(anyhow::Error::msg)?;
    if polled.is_empty() {
        return Ok(());
    }
    let (inputs, advances): (Vec<Input>, Vec<_>) = polled.into_iter().unzip();
    let started = Instant::now();
    let (acked, stats) = run_inputs(cfg, &inputs, ctx)?;
    count(ctx.metrics, cfg, &acked, &stats);
    for (a, ok) in advances.iter().zip(&acked) {
        if *ok {
            tail.advance(a);
        }
    }
    ctx.rt.block_on(tail.save()).map_err(anyhow::Error::msg)?;
    say_ingested(cfg, "file range(s)", &acked, &stats, started);
    Ok(())
}

/// One batch of a queue: its messages' inputs into the lake, then the
/// messages whose inputs were all acknowledged deleted (the delivery
/// rules are beside the SQS source). With `once`, the queue is drained.
pub(super) fn queue_round(
    cfg: &SourceConfig,
    q: &mut SqsSource,
    ctx: &Ctx,
    once: bool,
) -> Result<()> {
    loop {
        // A second of long polling: short polls may answer empty while
        // messages wait (SQS samples its servers), and `--once` stops on
        // the first empty answer.
        let batch = ctx.rt.block_on(q.receive(1)).map_err(anyhow::Error::msg)?;
        if batch.messages.is_empty() {
            return Ok(());
        }
        for (i, why) in &batch.unreadable {
            say!(
                "source {:?}: message {} (received {} time(s)) left for redelivery: {why}",
                cfg.id,
                batch.messages[*i].id,
                batch.messages[*i].receive_count
            );
        }
        if let Some(oldest) = batch.messages.iter().filter_map(|m| m.sent_ms).min() {
            let now = seclake_core::Timestamp::now().micros() / 1000;
            let lag = (now - oldest as i64).max(0) as f64 / 1000.0;
            ctx.metrics
                .set(m::QUEUE_LAG, labels(&[("source", &cfg.id)]), lag);
        }
        let done = Arc::new(AtomicBool::new(false));
        let keeper = ctx.rt.spawn(q.keep_hidden(&batch, done.clone()));
        let started = Instant::now();
        let result = if batch.inputs.is_empty() {
            Ok((Vec::new(), Default::default()))
        } else {
            run_inputs(cfg, &batch.inputs, ctx)
        };
        done.store(true, Ordering::Relaxed);
        let _ = ctx.rt.block_on(keeper);
        let (acked, stats) = result?;
        count(ctx.metrics, cfg, &acked, &stats);
        let deleted = ctx
            .rt
            .block_on(q.finish(&batch, &acked))
            .map_err(anyhow::Error::msg)?;
        ctx.metrics.add(
            m::MESSAGES_DELETED,
            labels(&[("source", &cfg.id)]),
            deleted as u64,
        );
        say!(
            "source {:?}: {deleted} of {} message(s) done, {} of {} input(s) ingested: {} rows, {} rejects, {:.1} MB in {:.2}s",
            cfg.id,
            batch.messages.len(),
            acked.iter().filter(|a| **a).count(),
            batch.inputs.len(),
            stats.rows,
            stats.rejects,
            stats.decoded_bytes as f64 / 1e6,
            started.elapsed().as_secs_f64()
        );
        if !once {
            return Ok(());
        }
    }
}

/// Adds a run's numbers to the metrics.
pub(super) fn count(metrics: &Metrics, cfg: &SourceConfig, acked: &[bool], stats: &StreamStats) {
    let source = labels(&[("source", &cfg.id)]);
    metrics.add(m::INPUT_BYTES, source.clone(), stats.decoded_bytes);
    let ok = acked.iter().filter(|a| **a).count() as u64;
    for (result, n) in [("ok", ok), ("failed", acked.len() as u64 - ok)] {
        let l = labels(&[("source", &cfg.id), ("result", result)]);
        metrics.add(m::INPUTS, l, n);
    }
    for (log_type, t) in &stats.per_type {
        let l = labels(&[("source", &cfg.id), ("log_type", log_type)]);
        metrics.add(m::ROWS, l.clone(), t.rows);
        metrics.add(m::REJECTS, l, t.rejects);
    }
}

/// Ingests `inputs` with the source's settings; which were acknowledged.
pub(super) fn run_inputs(
    cfg: &SourceConfig,
    inputs: &[Input],
    ctx: &Ctx,
) -> Result<(Vec<bool>, StreamStats)> {
    run_each(cfg, inputs, ctx).map(|r| (r.acked, r.stats))
}

/// What a run of inputs did.
pub(super) struct Ran {
    /// Which inputs were acknowledged (their rows committed).
    pub acked: Vec<bool>,
    pub stats: StreamStats,
    /// Rows and rejects of each input.
    pub each: Vec<(u64, u64)>,
}

/// Ingests `inputs`, telling what each gave.
pub(super) fn run_each(cfg: &SourceConfig, inputs: &[Input], ctx: &Ctx) -> Result<Ran> {
    let (lake, rt, threads) = (ctx.lake, ctx.rt, ctx.threads);
    let names: Option<Vec<&str>> = match &cfg.log_types {
        Some(names) => Some(names.iter().map(String::as_str).collect()),
        None if cfg.kind == "syslog" => Some(seclake_sources::syslog::DEFAULT_LOG_TYPES.to_vec()),
        None => None,
    };
    let types: Vec<&LogType> = match names {
        Some(names) => names
            .iter()
            .filter_map(|n| seclake_registry::find(n))
            .collect(),
        None => seclake_registry::all().iter().collect(),
    };
    let opts = Options {
        source_id: Some(cfg.id.clone()),
        source_label: cfg.label.clone(),
        decoders: seclake_registry::decoders().to_vec(),
        secrets: match &cfg.private_keys {
            Some(keys) => Arc::new(
                seclake_imperva::crypto::load_private_keys(keys)
                    .map_err(|e| anyhow::anyhow!("private_keys {e}"))?,
            ),
            None => Default::default(),
        },
        time_zone: match &cfg.timezone {
            Some(tz) => tz.parse().map_err(anyhow::Error::msg)?,
            None => Default::default(),
        },
        ..Options::default()
    };
    let acked: Arc<Mutex<Vec<bool>>> = Arc::new(Mutex::new(vec![false; inputs.len()]));
    let mut piped = Vec::with_capacity(inputs.len());
    let mut acks: Vec<Ack> = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        piped.push(input.to_pipeline(Some(rt.handle().clone())));
        let acked = acked.clone();
        let (name, id) = (input.name(), cfg.id.clone());
        acks.push(Box::new(move |res| match res {
            Ok(()) => acked.lock().expect("not poisoned")[i] = true,
            Err(e) => say!("source {id:?}: {name}: not ingested: {}", e.0),
        }));
    }
    let mut settings = Settings::new(threads, Output::Batches);
    let mut writer = LakeWriter::new(
        lake.clone(),
        rt.handle().clone(),
        WriterOptions::for_threads(threads),
    );
    let mut unopened = Unopened {
        failed: vec![false; inputs.len()],
        each: vec![(0, 0); inputs.len()],
        detector: ctx.detections.map(|d| d.detector()),
    };
    settings.hook = unopened.detector.as_ref().map(Detector::hook);
    let stats = ingest(
        piped,
        acks,
        &types,
        &opts,
        settings,
        &mut writer,
        &mut unopened,
    )
    .context("ingesting")?;
    writer.finish().context("writing the lake")?;
    let mut acked = std::mem::take(&mut *acked.lock().expect("not poisoned"));
    // An input that could not be opened or decoded (a missing object, no
    // key for an encrypted file) is recorded in `_rejects`, but is not
    // done: its message stays for redelivery, its object is tried again.
    for (a, failed) in acked.iter_mut().zip(&unopened.failed) {
        if *failed {
            *a = false;
        }
    }
    if let (Some(d), Some(detector)) = (ctx.detections, unopened.detector.take()) {
        d.record(ctx, detector, &acked);
    }
    Ok(Ran {
        acked,
        stats,
        each: unopened.each,
    })
}

/// Which inputs could not be opened or decoded, the rows and rejects of
/// each, by index; and the rules at ingest (`[detections]`) that see every
/// batch.
struct Unopened {
    failed: Vec<bool>,
    each: Vec<(u64, u64)>,
    detector: Option<Detector>,
}

impl Observer for Unopened {
    fn derived(&mut self, input: usize, _: &str, alerts: Vec<arrow_array::RecordBatch>) {
        if let Some(d) = &mut self.detector {
            d.alerts(input, alerts);
        }
    }

    fn input_done(&mut self, input: usize, stats: &StreamStats, e: Option<&std::io::Error>) {
        if let Some(each) = self.each.get_mut(input) {
            *each = (stats.rows, stats.rejects);
        }
        if let (Some(e), Some(slot)) = (e, self.failed.get_mut(input)) {
            say!("seclake serve: input {input}: {e}");
            *slot = true;
        }
    }
}
