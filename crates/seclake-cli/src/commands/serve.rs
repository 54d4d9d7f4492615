//! `seclake serve --config FILE`: runs the configured sources until
//! SIGTERM or SIGINT. Each round, a due source is polled for new inputs,
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
use seclake_engine::Options;
use seclake_lake::ingest::{ingest, Quiet};
use seclake_lake::{Lake, LakeWriter, WriterOptions};
use seclake_sources::config::{self, SourceConfig};
use seclake_sources::s3_scan::S3Scan;

use super::common::runtime;

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
}

pub fn run(args: Args) -> Result<ExitCode> {
    let path = args.config.display().to_string();
    let text = std::fs::read_to_string(&args.config).with_context(|| format!("reading {path}"))?;
    let config = config::parse(&text).map_err(|e| anyhow!("{path}:\n{e}"))?;
    if args.check_config {
        println!("{path}: ok ({} source(s))", config.sources.len());
        return Ok(ExitCode::SUCCESS);
    }
    let rt = runtime()?;
    let lake = Lake::open(&config.lake.uri)?;
    let stop = Arc::new(AtomicBool::new(false));
    watch_signals(&rt, stop.clone());
    let threads = match args.threads {
        0 => seclake_engine::pipeline::available_threads(),
        n => n,
    };
    let mut sources = Vec::new();
    for s in &config.sources {
        let scan = rt
            .block_on(S3Scan::open(s, &lake))
            .map_err(|e| anyhow!("source {:?}: {e}", s.id))?;
        eprintln!(
            "source {:?}: scanning {} every {:?} ({} object(s) already ingested)",
            s.id,
            scan.uri,
            s.interval(),
            scan.seen.len()
        );
        sources.push((s, scan, Instant::now()));
    }
    let mut failures = 0;
    loop {
        for (cfg, scan, due) in &mut sources {
            if Instant::now() < *due || stop.load(Ordering::Relaxed) {
                continue;
            }
            *due = Instant::now() + cfg.interval();
            if let Err(e) = round(cfg, scan, &lake, &rt, threads) {
                eprintln!("source {:?}: {e:#}", cfg.id);
                failures += 1;
            }
        }
        if args.once || stop.load(Ordering::Relaxed) {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!("seclake serve: stopped");
    Ok(if args.once && failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One round of a source: its new inputs into the lake, then what was
/// acknowledged remembered.
fn round(
    cfg: &SourceConfig,
    scan: &mut S3Scan,
    lake: &Lake,
    rt: &tokio::runtime::Runtime,
    threads: usize,
) -> Result<()> {
    let inputs = rt.block_on(scan.poll()).map_err(anyhow::Error::msg)?;
    if inputs.is_empty() {
        return Ok(());
    }
    let types: Vec<&LogType> = match &cfg.log_types {
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
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let failed: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut piped = Vec::with_capacity(inputs.len());
    let mut acks: Vec<Ack> = Vec::with_capacity(inputs.len());
    for input in &inputs {
        piped.push(input.to_pipeline(Some(rt.handle().clone())));
        let (acked, failed) = (acked.clone(), failed.clone());
        let (identity, name) = (input.identity(), input.name());
        acks.push(Box::new(move |res| match res {
            Ok(()) => acked.lock().expect("not poisoned").push(identity),
            Err(e) => failed
                .lock()
                .expect("not poisoned")
                .push(format!("{name}: not ingested: {}", e.0)),
        }));
    }
    let settings = Settings::new(threads, Output::Batches);
    let mut writer = LakeWriter::new(
        lake.clone(),
        rt.handle().clone(),
        WriterOptions::for_threads(threads),
    );
    let started = Instant::now();
    let stats = ingest(
        piped,
        acks,
        &types,
        &opts,
        settings,
        &mut writer,
        &mut Quiet,
    )
    .context("ingesting")?;
    let written = writer.finish();
    for why in failed.lock().expect("not poisoned").iter() {
        eprintln!("source {:?}: {why}", cfg.id);
    }
    written.context("writing the lake")?;
    let acked = std::mem::take(&mut *acked.lock().expect("not poisoned"));
    let n = acked.len();
    for identity in acked {
        scan.seen.insert(identity);
    }
    rt.block_on(scan.seen.save()).map_err(anyhow::Error::msg)?;
    eprintln!(
        "source {:?}: {n} of {} new object(s) ingested: {} rows, {} rejects, {:.1} MB in {:.2}s",
        cfg.id,
        inputs.len(),
        stats.rows,
        stats.rejects,
        stats.decoded_bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
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
        eprintln!("seclake serve: stopping after the work in progress");
        stop.store(true, Ordering::Relaxed);
    });
}
