//! `seclake serve --config FILE`: runs the configured sources until
//! SIGTERM or SIGINT, one module per kind of round: S3 scans, SQS queues
//! and growing files ([`rounds`]), syslog ([`syslog`]) and HTTP ([`http`])
//! receivers, the Imperva log API ([`imperva`]), the upkeep
//! ([`maintenance`]) and the watch on delivery gaps ([`gaps`]). Each round, a due source (or a receiver with data
//! waiting) gives inputs, which go through the same pipeline and lake
//! writer as `seclake ingest`; an input is remembered as ingested (or
//! answered, or deleted at its origin) only when its acknowledgement
//! fired, so what a crash interrupts is taken again on restart (same row
//! ids; `seclake compact` removes the copies). With `[detections]`,
//! Sigma rules run on every round's rows and on a schedule (correlation
//! rules on the schedule only), and new alerts go to the alert outputs
//! ([`detections`]). On SIGTERM the round in
//! progress finishes, its state is saved, the receivers' data is
//! committed, and the process exits 0. `--check-config` only checks the file; `--once` runs
//! one round of every source and exits (cron, tests).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use seclake_lake::Lake;
use seclake_sources::config::{self, SourceConfig};
use seclake_sources::file_tail::FileTail;
use seclake_sources::http::{HttpOptions, HttpSource};
use seclake_sources::imperva::{ImpervaOptions, ImpervaSource};
use seclake_sources::metrics::{catalog, labels, Metrics};
use seclake_sources::s3_scan::S3Scan;
use seclake_sources::sqs::source::{Mode, SqsSource};
use seclake_sources::syslog::{SyslogOptions, SyslogSource};

use super::common::runtime;

/// A running source.
enum Source {
    Scan(S3Scan),
    Queue(SqsSource),
    Files(FileTail),
    Syslog(SyslogSource),
    Http(HttpSource),
    Imperva(ImpervaSource),
}

impl Source {
    /// A receiver with data waiting: taken now, not at its interval.
    fn pressing(&self) -> bool {
        match self {
            Source::Syslog(s) => s.pressing(),
            Source::Http(s) => s.pressing(),
            _ => false,
        }
    }

    /// Whether the source receives (what arrived is committed before
    /// exiting).
    fn receiver(&self) -> bool {
        matches!(self, Source::Syslog(_) | Source::Http(_))
    }
}

/// Logs as JSON lines when set (`--log-format json`).
static JSON_LOGS: AtomicBool = AtomicBool::new(false);

/// One log line on stderr: text, or a JSON object with the time, a level
/// and the message (`--log-format json`, for log collectors).
macro_rules! say {
    ($($arg:tt)*) => { $crate::commands::serve::log_line(format!($($arg)*)) };
}

mod detections;
mod gaps;
mod http;
mod imperva;
mod maintenance;
mod rounds;
mod syslog;

pub(crate) fn log_line(message: String) {
    if !JSON_LOGS.load(Ordering::Relaxed) {
        eprintln!("{message}");
        return;
    }
    let bad = [
        "failed",
        "not ingested",
        "redelivery",
        "cannot",
        "not delivered",
        "retry",
        "not evaluated",
        "skipped",
    ];
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
        let mut rules = String::new();
        if let Some(d) = &config.detections {
            // Rules and correlations that do not compile are warnings:
            // serving runs the others.
            let set = super::rules::alert_set(&d.rule_paths())
                .map_err(|e| anyhow!("{path}:\n[detections] rules: {e:#}"))?;
            let correlations = set.correlations.correlations.len();
            let unscheduled = detections::unscheduled(&config, correlations);
            for line in set.skipped.iter().chain(&unscheduled) {
                eprintln!("{path}: warning: [detections] {line}");
            }
            rules = format!(
                ", {} rule(s), {correlations} correlation(s), {} alert output(s)",
                set.rules.len(),
                config.alert_outputs.len()
            );
        }
        println!("{path}: ok ({} source(s){rules})", config.sources.len());
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
    let detections = detections::Detections::open(config, &rt, &metrics)?;
    let mut sources = Vec::new();
    for s in &config.sources {
        let source = open_source(s, &lake, &rt).map_err(|e| anyhow!("source {:?}: {e}", s.id))?;
        sources.push((s, source, Instant::now()));
    }
    let ctx = Ctx {
        lake: &lake,
        rt: &rt,
        threads,
        metrics: &metrics,
        detections: detections.as_ref(),
    };
    let mut failures = 0;
    let mut upkeep = maintenance::Upkeep::new(config.maintenance.as_ref());
    let mut gap_watch = gaps::GapWatch::new(once);
    let mut schedule = detections::Schedule::new(config);
    loop {
        if !stop.load(Ordering::Relaxed) {
            upkeep.run_due(&ctx);
        }
        for (cfg, source, due) in &mut sources {
            if (Instant::now() < *due && !source.pressing()) || stop.load(Ordering::Relaxed) {
                continue;
            }
            if !matches!(source, Source::Queue(_)) {
                *due = Instant::now() + cfg.interval();
            }
            if let Err(e) = round(cfg, source, &ctx, once) {
                say!("source {:?}: {e:#}", cfg.id);
                metrics.add(catalog::ERRORS, labels(&[("source", &cfg.id)]), 1);
                failures += 1;
            }
        }
        if !stop.load(Ordering::Relaxed) {
            gap_watch.run_due(&ctx);
        }
        if !once && !stop.load(Ordering::Relaxed) {
            schedule.run_due(&ctx);
        }
        if once || stop.load(Ordering::Relaxed) {
            break;
        }
        // A nap until the next source is due (at most 200 ms), cut short
        // when a receiver has data waiting. A round that outlasted its
        // interval leaves its source due at once: what arrived during it
        // is taken now, not after a nap. (A queue is polled every loop: its
        // round waits on the queue itself.)
        let wake = sources
            .iter()
            .filter(|(_, s, _)| !matches!(s, Source::Queue(_)))
            .map(|(_, _, due)| *due)
            .fold(Instant::now() + Duration::from_millis(200), Instant::min);
        while Instant::now() < wake && !stop.load(Ordering::Relaxed) {
            if sources.iter().any(|(_, s, _)| s.pressing()) {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    failures += drain(&mut sources, &ctx);
    if once {
        // At the end: over what every source, receivers included, took.
        schedule.run_due(&ctx);
    }
    if let Some(d) = detections {
        let wait = match once {
            true => detections::ONCE_WAIT,
            false => detections::STOP_WAIT,
        };
        d.finish(&rt, wait);
    }
    say!("seclake serve: stopped");
    Ok(if once && failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What every round uses.
pub(crate) struct Ctx<'a> {
    pub lake: &'a Lake,
    pub rt: &'a tokio::runtime::Runtime,
    pub threads: usize,
    pub metrics: &'a Metrics,
    /// `[detections]`: rules at ingest and where alerts go.
    pub detections: Option<&'a detections::Detections>,
}

/// Starts a configured source.
fn open_source(s: &SourceConfig, lake: &Lake, rt: &tokio::runtime::Runtime) -> Result<Source> {
    Ok(match s.kind.as_str() {
        "syslog" => {
            let opts = SyslogOptions::from_config(s).map_err(|e| anyhow!(e.join("; ")))?;
            let src = SyslogSource::bind(&s.id, &opts).map_err(anyhow::Error::msg)?;
            say!("source {:?}: listening on {}", s.id, src.bound.join(", "));
            Source::Syslog(src)
        }
        "http" => {
            let opts = HttpOptions::from_config(s).map_err(|e| anyhow!(e.join("; ")))?;
            let src = HttpSource::bind(&s.id, &opts).map_err(anyhow::Error::msg)?;
            let open = match src.open {
                true => " (no auth_token or basic_auth: anyone who reaches it may send)",
                false => "",
            };
            say!(
                "source {:?}: listening on {}{open}",
                s.id,
                src.bound.join(", ")
            );
            Source::Http(src)
        }
        "imperva" => {
            let opts = ImpervaOptions::new(
                s.url.as_deref().unwrap_or_default(),
                s.api_id.as_deref().unwrap_or_default(),
                s.api_key.as_deref().unwrap_or_default(),
            );
            let src = rt
                .block_on(ImpervaSource::open(&s.id, opts, lake))
                .map_err(anyhow::Error::msg)?;
            let at = match src.position() {
                Some(p) => format!("after {}", p.name),
                None => "from the first listed file".to_string(),
            };
            say!(
                "source {:?}: polling {} every {:?}, {at}",
                s.id,
                src.base,
                s.interval()
            );
            Source::Imperva(src)
        }
        "file" => {
            let dir = s.path.as_deref().unwrap_or_default();
            let t = rt
                .block_on(FileTail::open(dir, lake, &s.id))
                .map_err(anyhow::Error::msg)?;
            say!(
                "source {:?}: following files in {dir} every {:?}",
                s.id,
                s.interval()
            );
            Source::Files(t)
        }
        "sqs" => {
            let url = s.queue_url.as_deref().unwrap_or_default();
            let mode = match s.messages_mode() {
                true => Mode::Messages,
                false => Mode::Notifications,
            };
            let q = SqsSource::new(url, mode, s.visibility_secs()).map_err(anyhow::Error::msg)?;
            say!("source {:?}: receiving from {url} ({mode:?})", s.id);
            Source::Queue(q)
        }
        _ => {
            let scan = rt
                .block_on(S3Scan::open(s, lake))
                .map_err(anyhow::Error::msg)?;
            say!(
                "source {:?}: scanning {} every {:?} ({} object(s) already ingested)",
                s.id,
                scan.uri,
                s.interval(),
                scan.seen.len()
            );
            Source::Scan(scan)
        }
    })
}

/// One round of a source.
fn round(cfg: &SourceConfig, source: &mut Source, ctx: &Ctx, once: bool) -> Result<()> {
    match source {
        Source::Scan(scan) => rounds::scan_round(cfg, scan, ctx),
        Source::Queue(q) => rounds::queue_round(cfg, q, ctx, once),
        Source::Files(t) => rounds::files_round(cfg, t, ctx),
        Source::Syslog(src) => syslog::syslog_round(cfg, src, ctx),
        Source::Http(src) => http::http_round(cfg, src, ctx),
        Source::Imperva(src) => imperva::imperva_round(cfg, src, ctx),
    }
}

/// Stopping: the receivers stop accepting, and what has arrived is read
/// and committed (while it is read: their queues make room) before
/// exiting, for at most 10 s. Returns the failed rounds.
fn drain(sources: &mut [(&SourceConfig, Source, Instant)], ctx: &Ctx) -> usize {
    let mut failures = 0;
    for (_, source, _) in sources.iter() {
        match source {
            Source::Syslog(src) => src.stop(),
            Source::Http(src) => src.stop(),
            _ => {}
        }
    }
    let until = Instant::now() + Duration::from_secs(10);
    while sources.iter().any(|(_, s, _)| s.receiver()) {
        let drained = sources.iter().all(|(_, s, _)| match s {
            Source::Syslog(src) => src.stopped(),
            Source::Http(src) => src.stopped(),
            _ => true,
        });
        for (cfg, source, _) in sources.iter_mut() {
            if source.receiver() {
                if let Err(e) = round(cfg, source, ctx, false) {
                    say!("source {:?}: {e:#}", cfg.id);
                    failures += 1;
                }
            }
        }
        if drained || Instant::now() > until {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    failures
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
