//! `seclake serve --config FILE`: runs the configured sources (S3 scans,
//! SQS queues) until SIGTERM or SIGINT. Each round, a due source is
//! polled for new inputs,
//! which go through the same pipeline and lake writer as `seclake ingest`;
//! an input is remembered as ingested (see `seclake_sources::state`) only
//! when its acknowledgement fired, so what a crash interrupts is taken
//! again on restart (same row ids; `seclake compact` removes the copies).
//! On SIGTERM the round in progress finishes, its state is saved, and the
//! process exits 0. `--check-config` only checks the file; `--once` runs
//! one round of every source and exits (cron, tests).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use seclake_core::LogType;
use seclake_engine::ack::Ack;
use seclake_engine::pipeline::{Output, Settings};
use seclake_engine::{Options, StreamStats};
use seclake_lake::ingest::{ingest, Observer};
use seclake_lake::{Lake, LakeWriter, WriterOptions};
use seclake_sources::config::{self, SourceConfig};
use seclake_sources::file_tail::FileTail;
use seclake_sources::inputs::Input;
use seclake_sources::metrics::{labels, Metrics};
use seclake_sources::s3_scan::S3Scan;
use seclake_sources::sqs::source::{Mode, SqsSource};
use seclake_sources::syslog::{SyslogOptions, SyslogSource};

/// A running source.
enum Source {
    Scan(S3Scan),
    Queue(SqsSource),
    Files(FileTail),
    Syslog(SyslogSource),
}

use super::common::runtime;

/// Logs as JSON lines when set (`--log-format json`).
static JSON_LOGS: AtomicBool = AtomicBool::new(false);

/// One log line on stderr: text, or a JSON object with the time, a level
/// and the message (`--log-format json`, for log collectors).
macro_rules! say {
    ($($arg:tt)*) => { log_line(format!($($arg)*)) };
}

fn log_line(message: String) {
    if !JSON_LOGS.load(Ordering::Relaxed) {
        eprintln!("{message}");
        return;
    }
    let bad = ["failed", "not ingested", "redelivery", "cannot"];
    let level = if bad.iter().any(|b| message.contains(b)) {
        "warn"
    } else {
        "info"
    };
    let line = serde_json::json!({
        "time": seclake_core::Timestamp::now().to_rfc3339(),
        "level": level,
        "message": message,
    });
    eprintln!("{line}");
}

#[derive(clap::Args)]
pub struct Args {
    /// The configuration file (TOML; see the README).
    #[arg(long)]
    config: PathBuf,
    /// Check the configuration and exit: every problem is listed.
    #[arg(long)]
    check_config: bool,
    /// Run one round of every source, then exit.
    #[arg(long)]
    once: bool,
    /// Parse threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// `text`, or `json`: one JSON object a line (time, level, message).
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let path = args.config.display().to_string();
    let text = std::fs::read_to_string(&args.config).with_context(|| format!("reading {path}"))?;
    let config = config::parse(&text).map_err(|e| anyhow!("{path}:\n{e}"))?;
    JSON_LOGS.store(args.log_format == "json", Ordering::Relaxed);
    if args.check_config {
        println!("{path}: ok ({} source(s))", config.sources.len());
        return Ok(ExitCode::SUCCESS);
    }
    serve(&config, args.once, args.threads)
}

/// Runs a checked configuration: until SIGTERM, or one round (`once`).
pub fn serve(config: &config::Config, once: bool, threads: usize) -> Result<ExitCode> {
    let rt = runtime()?;
    let lake = Lake::open(&config.lake.uri)?;
    let stop = Arc::new(AtomicBool::new(false));
    watch_signals(&rt, stop.clone());
    let threads = match threads {
        0 => seclake_engine::pipeline::available_threads(),
        n => n,
    };
    let metrics = Metrics::new();
    if let Some(m) = &config.metrics {
        let addr = metrics
            .serve(&m.listen)
            .with_context(|| format!("[metrics] listen {}", m.listen))?;
        say!("metrics: http://{addr}/metrics");
    }
    let mut sources = Vec::new();
    for s in &config.sources {
        let source = if s.kind == "syslog" {
            let opts = SyslogOptions::from_config(s)
                .map_err(|e| anyhow!("source {:?}: {}", s.id, e.join("; ")))?;
            let src =
                SyslogSource::bind(&s.id, &opts).map_err(|e| anyhow!("source {:?}: {e}", s.id))?;
            say!("source {:?}: listening on {}", s.id, src.bound.join(", "));
            Source::Syslog(src)
        } else if s.kind == "file" {
            let dir = s.path.as_deref().unwrap_or_default();
            let t = rt
                .block_on(FileTail::open(dir, &lake, &s.id))
                .map_err(|e| anyhow!("source {:?}: {e}", s.id))?;
            say!(
                "source {:?}: following files in {dir} every {:?}",
                s.id,
                s.interval()
            );
            Source::Files(t)
        } else if s.kind == "sqs" {
            let url = s.queue_url.as_deref().unwrap_or_default();
            let mode = if s.messages_mode() {
                Mode::Messages
            } else {
                Mode::Notifications
            };
            let q = SqsSource::new(url, mode, s.visibility_secs())
                .map_err(|e| anyhow!("source {:?}: {e}", s.id))?;
            say!("source {:?}: receiving from {url} ({mode:?})", s.id);
            Source::Queue(q)
        } else {
            let scan = rt
                .block_on(S3Scan::open(s, &lake))
                .map_err(|e| anyhow!("source {:?}: {e}", s.id))?;
            say!(
                "source {:?}: scanning {} every {:?} ({} object(s) already ingested)",
                s.id,
                scan.uri,
                s.interval(),
                scan.seen.len()
            );
            Source::Scan(scan)
        };
        sources.push((s, source, Instant::now()));
    }
    let mut failures = 0;
    // Maintenance (compaction, vacuum) in the worker configured for it,
    // first after one interval.
    let mut compact_due = config
        .maintenance
        .as_ref()
        .map(|m| Instant::now() + m.compact_every());
    let mut vacuum_due = config
        .maintenance
        .as_ref()
        .map(|m| Instant::now() + m.vacuum_every());
    loop {
        if let (Some(m), Some(due)) = (&config.maintenance, compact_due) {
            if Instant::now() >= due && !stop.load(Ordering::Relaxed) {
                compact_due = Some(Instant::now() + m.compact_every());
                let opts = seclake_lake::compact::CompactOptions {
                    table: None,
                    older_than: m.compact_older_than(),
                    target_file_bytes: 256 << 20,
                };
                match rt.block_on(seclake_lake::compact::compact(&lake, &opts)) {
                    Ok(stats) => {
                        let removed: u64 = stats.iter().map(|s| s.duplicates_removed()).sum();
                        let parts: u64 = stats.iter().map(|s| s.partitions).sum();
                        say!("maintenance: compacted {parts} partition(s), {removed} duplicate row(s) removed");
                    }
                    Err(e) => say!("maintenance: compaction failed: {e:#}"),
                }
            }
        }
        if let (Some(m), Some(due)) = (&config.maintenance, vacuum_due) {
            if Instant::now() >= due && !stop.load(Ordering::Relaxed) {
                vacuum_due = Some(Instant::now() + m.vacuum_every());
                match rt.block_on(seclake_lake::vacuum::vacuum(
                    &lake,
                    None,
                    m.vacuum_retain(),
                    false,
                )) {
                    Ok(stats) => {
                        let n: usize = stats.iter().map(|s| s.files.len()).sum();
                        say!("maintenance: vacuum deleted {n} file(s)");
                    }
                    Err(e) => say!("maintenance: vacuum failed: {e:#}"),
                }
            }
        }
        for (cfg, source, due) in &mut sources {
            // A syslog queue half full is taken now, not at its interval.
            let pressing = matches!(source, Source::Syslog(src) if src.pressing());
            if (Instant::now() < *due && !pressing) || stop.load(Ordering::Relaxed) {
                continue;
            }
            let result = match source {
                Source::Scan(scan) => {
                    *due = Instant::now() + cfg.interval();
                    scan_round(cfg, scan, &lake, &rt, threads, &metrics)
                }
                Source::Queue(q) => queue_round(cfg, q, &lake, &rt, threads, once, &metrics),
                Source::Files(t) => {
                    *due = Instant::now() + cfg.interval();
                    files_round(cfg, t, &lake, &rt, threads, &metrics)
                }
                Source::Syslog(src) => {
                    *due = Instant::now() + cfg.interval();
                    syslog_round(cfg, src, &lake, &rt, threads, &metrics)
                }
            };
            if let Err(e) = result {
                say!("source {:?}: {e:#}", cfg.id);
                metrics.add("seclake_errors_total", labels(&[("source", &cfg.id)]), 1);
                failures += 1;
            }
        }
        if once || stop.load(Ordering::Relaxed) {
            break;
        }
        // A nap, cut short when a syslog queue fills up.
        let wake = Instant::now() + Duration::from_millis(200);
        while Instant::now() < wake && !stop.load(Ordering::Relaxed) {
            if sources
                .iter()
                .any(|(_, s, _)| matches!(s, Source::Syslog(src) if src.pressing()))
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    // The syslog servers stop accepting; what has arrived is read and
    // committed (while it is read: the queue makes room) before exiting.
    let syslog = |s: &Source| matches!(s, Source::Syslog(_));
    for (_, source, _) in &sources {
        if let Source::Syslog(src) = source {
            src.stop();
        }
    }
    let until = Instant::now() + Duration::from_secs(10);
    while sources.iter().any(|(_, s, _)| syslog(s)) {
        let drained = sources.iter().all(|(_, s, _)| match s {
            Source::Syslog(src) => src.stopped(),
            _ => true,
        });
        for (cfg, source, _) in &mut sources {
            if let Source::Syslog(src) = source {
                if let Err(e) = syslog_round(cfg, src, &lake, &rt, threads, &metrics) {
                    say!("source {:?}: {e:#}", cfg.id);
                    failures += 1;
                }
            }
        }
        if drained || Instant::now() > until {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    say!("seclake serve: stopped");
    Ok(if once && failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One round of an S3 scan: its new objects into the lake, then what was
/// acknowledged remembered.
fn scan_round(
    cfg: &SourceConfig,
    scan: &mut S3Scan,
    lake: &Lake,
    rt: &tokio::runtime::Runtime,
    threads: usize,
    metrics: &Metrics,
) -> Result<()> {
    let inputs = rt.block_on(scan.poll()).map_err(anyhow::Error::msg)?;
    if inputs.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let (acked, stats) = run_inputs(cfg, &inputs, lake, rt, threads)?;
    count(metrics, cfg, &acked, &stats);
    for (input, ok) in inputs.iter().zip(&acked) {
        if *ok {
            scan.seen.insert(input.identity());
        }
    }
    rt.block_on(scan.seen.save()).map_err(anyhow::Error::msg)?;
    say_ingested(cfg, "new object(s)", &acked, &stats, started);
    Ok(())
}

/// The log line of a round: how many of its inputs were ingested, and
/// what they gave.
fn say_ingested(
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
fn files_round(
    cfg: &SourceConfig,
    tail: &mut FileTail,
    lake: &Lake,
    rt: &tokio::runtime::Runtime,
    threads: usize,
    metrics: &Metrics,
) -> Result<()> {
    let polled = tail.poll().map_err(anyhow::Error::msg)?;
    if polled.is_empty() {
        return Ok(());
    }
    let (inputs, advances): (Vec<Input>, Vec<_>) = polled.into_iter().unzip();
    let started = Instant::now();
    let (acked, stats) = run_inputs(cfg, &inputs, lake, rt, threads)?;
    count(metrics, cfg, &acked, &stats);
    for (a, ok) in advances.iter().zip(&acked) {
        if *ok {
            tail.advance(a);
        }
    }
    rt.block_on(tail.save()).map_err(anyhow::Error::msg)?;
    say_ingested(cfg, "file range(s)", &acked, &stats, started);
    Ok(())
}

/// One round of a syslog server: what was received, committed to the lake
/// batch by batch. A batch whose commit fails stays first in line for the
/// next round (and in the spool, if there is one).
fn syslog_round(
    cfg: &SourceConfig,
    src: &mut SyslogSource,
    lake: &Lake,
    rt: &tokio::runtime::Runtime,
    threads: usize,
    metrics: &Metrics,
) -> Result<()> {
    syslog_counts(cfg, src, metrics);
    let started = Instant::now();
    let (mut messages, mut rows, mut rejects) = (0, 0, 0);
    while let Some(batch) = src.next_batch(BATCH_BYTES) {
        let n = batch.messages;
        let (acked, stats) =
            run_inputs(cfg, std::slice::from_ref(&batch.input), lake, rt, threads)?;
        count(metrics, cfg, &acked, &stats);
        if !acked[0] {
            return Err(anyhow!(
                "{n} message(s) not committed; tried again next round"
            ));
        }
        src.committed().map_err(anyhow::Error::msg)?;
        (messages, rows, rejects) = (messages + n, rows + stats.rows, rejects + stats.rejects);
    }
    if messages > 0 {
        say!(
            "source {:?}: {messages} message(s) committed: {rows} rows, {rejects} rejects in {:.2}s",
            cfg.id,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Most bytes of received messages in one commit.
const BATCH_BYTES: usize = 128 << 20;

/// A syslog source's counters into the metrics, and what was lost (or
/// nearly) into the log.
fn syslog_counts(cfg: &SourceConfig, src: &mut SyslogSource, metrics: &Metrics) {
    use std::sync::atomic::Ordering::Relaxed;
    let s = src.stats.clone();
    let take = |c: &std::sync::atomic::AtomicU64| c.swap(0, Relaxed);
    let kernel = src.take_kernel_drops();
    let (dropped, truncated) = (take(&s.dropped), take(&s.truncated));
    let (refused, timed_out) = (take(&s.conns.refused), take(&s.conns.timed_out));
    let source = labels(&[("source", &cfg.id)]);
    for (name, n) in [
        ("seclake_syslog_received_total", take(&s.received)),
        ("seclake_syslog_dropped_total", dropped),
        ("seclake_syslog_kernel_dropped_total", kernel),
        ("seclake_syslog_truncated_total", truncated),
        ("seclake_syslog_connections_total", take(&s.conns.accepted)),
        ("seclake_syslog_refused_total", refused),
        ("seclake_syslog_timed_out_total", timed_out),
        ("seclake_syslog_tls_failed_total", take(&s.tls_failed)),
        ("seclake_syslog_spool_errors_total", take(&s.spool_errors)),
    ] {
        metrics.add(name, source.clone(), n);
    }
    let open = s.conns.open.load(Relaxed) as f64;
    metrics.set("seclake_syslog_open_connections", source, open);
    if dropped + kernel + truncated + refused + timed_out > 0 {
        say!(
            "source {:?}: {dropped} UDP datagram(s) dropped (queue full), {kernel} by the kernel (receive buffer full), {truncated} message(s) truncated, {refused} connection(s) refused (max_connections), {timed_out} timed out",
            cfg.id
        );
    }
    if let Some(e) = src.take_spool_error() {
        say!(
            "source {:?}: spool write failed, messages kept in memory only: {e}",
            cfg.id
        );
    }
}

/// One batch of a queue: its messages' inputs into the lake, then the
/// messages whose inputs were all acknowledged deleted (the delivery
/// rules are beside the SQS source). With `once`, the queue is drained.
fn queue_round(
    cfg: &SourceConfig,
    q: &mut SqsSource,
    lake: &Lake,
    rt: &tokio::runtime::Runtime,
    threads: usize,
    once: bool,
    metrics: &Metrics,
) -> Result<()> {
    loop {
        // A second of long polling: short polls may answer empty while
        // messages wait (SQS samples its servers), and `--once` stops on
        // the first empty answer.
        let batch = rt.block_on(q.receive(1)).map_err(anyhow::Error::msg)?;
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
            metrics.set(
                "seclake_queue_lag_seconds",
                labels(&[("source", &cfg.id)]),
                lag,
            );
        }
        let done = Arc::new(AtomicBool::new(false));
        let keeper = rt.spawn(q.keep_hidden(&batch, done.clone()));
        let started = Instant::now();
        let result = if batch.inputs.is_empty() {
            Ok((Vec::new(), Default::default()))
        } else {
            run_inputs(cfg, &batch.inputs, lake, rt, threads)
        };
        done.store(true, Ordering::Relaxed);
        let _ = rt.block_on(keeper);
        let (acked, stats) = result?;
        count(metrics, cfg, &acked, &stats);
        let deleted = rt
            .block_on(q.finish(&batch, &acked))
            .map_err(anyhow::Error::msg)?;
        metrics.add(
            "seclake_messages_deleted_total",
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
fn count(metrics: &Metrics, cfg: &SourceConfig, acked: &[bool], stats: &StreamStats) {
    let source = labels(&[("source", &cfg.id)]);
    metrics.add(
        "seclake_input_bytes_total",
        source.clone(),
        stats.decoded_bytes,
    );
    let ok = acked.iter().filter(|a| **a).count() as u64;
    for (result, n) in [("ok", ok), ("failed", acked.len() as u64 - ok)] {
        let l = labels(&[("source", &cfg.id), ("result", result)]);
        metrics.add("seclake_inputs_total", l, n);
    }
    for (log_type, t) in &stats.per_type {
        let l = labels(&[("source", &cfg.id), ("log_type", log_type)]);
        metrics.add("seclake_rows_total", l.clone(), t.rows);
        metrics.add("seclake_rejects_total", l, t.rejects);
    }
}

/// Ingests `inputs` with the source's settings; which were acknowledged.
fn run_inputs(
    cfg: &SourceConfig,
    inputs: &[Input],
    lake: &Lake,
    rt: &tokio::runtime::Runtime,
    threads: usize,
) -> Result<(Vec<bool>, StreamStats)> {
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
    let settings = Settings::new(threads, Output::Batches);
    let mut writer = LakeWriter::new(
        lake.clone(),
        rt.handle().clone(),
        WriterOptions::for_threads(threads),
    );
    let mut unopened = Unopened(vec![false; inputs.len()]);
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
    for (a, failed) in acked.iter_mut().zip(&unopened.0) {
        if *failed {
            *a = false;
        }
    }
    Ok((acked, stats))
}

/// Which inputs could not be opened or decoded, by index.
struct Unopened(Vec<bool>);

impl Observer for Unopened {
    fn input_done(&mut self, input: usize, _: &StreamStats, e: Option<&std::io::Error>) {
        if let (Some(e), Some(slot)) = (e, self.0.get_mut(input)) {
            say!("seclake serve: input {input}: {e}");
            *slot = true;
        }
    }
}

/// Sets `stop` on SIGINT or SIGTERM.
fn watch_signals(rt: &tokio::runtime::Runtime, stop: Arc<AtomicBool>) {
    rt.spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) else {
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        say!("seclake serve: stopping after the work in progress");
        stop.store(true, Ordering::Relaxed);
    });
}
