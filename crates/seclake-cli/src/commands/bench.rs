//! `seclake bench`: throughput per log type, one core, on a generated
//! corpus; reports MB/s, events/s and peak RSS.
//!
//! The corpus is written to a file first and then read from the file
//! through the same pipeline the commands use:
//! - `--mode parse`: decode, framing, classification or forced type,
//!   indicators, JSON serialization (the output is discarded), as
//!   `seclake parse`;
//! - `--mode ingest`: the same into a local Parquet lake (a temporary
//!   directory), as `seclake ingest`, files flushed and closed.
//!
//! Peak RSS is reset before each run (Linux `clear_refs`), so it shows
//! what that run needed.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use seclake_core::LogType;
use seclake_engine::sinks::JsonLinesSink;
use seclake_engine::{parse_stream, Options};

use seclake_lake::{Lake, LakeWriter, WriterOptions};

use super::common::runtime;
use super::find_log_type;
use crate::corpus::{generate, GENERATED};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Parse + normalize + serialize to JSON.
    Parse,
    /// Parse + normalize + write the Parquet lake.
    Ingest,
}

#[derive(clap::Args)]
pub struct Args {
    /// Corpus size per log type, in MB.
    #[arg(long, default_value_t = 128)]
    size_mb: u64,
    /// Log types to measure (default: every type with a generator).
    #[arg(long = "log-type")]
    log_types: Vec<String>,
    /// Runs per log type; the median run is reported (and the best MB/s).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// What to measure.
    #[arg(long, value_enum, default_value = "parse")]
    mode: Mode,
    /// Classify every record instead of naming the log type.
    #[arg(long)]
    classify: bool,
    /// Directory for the corpus files (default: a temporary directory,
    /// removed afterwards); existing corpus files there are reused.
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let names: Vec<String> = if args.log_types.is_empty() {
        GENERATED.iter().map(|s| s.to_string()).collect()
    } else {
        args.log_types.clone()
    };
    let (dir, temporary) = match &args.dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("seclake-bench-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    println!(
        "mode: {:?}, {} run(s) per log type, median reported",
        args.mode,
        args.runs.max(1)
    );
    println!(
        "{:18} {:>9} {:>11} {:>8} {:>9} {:>9} {:>12} {:>13}",
        "log type", "input MB", "events", "secs", "MB/s", "best MB/s", "events/s", "peak RSS MB"
    );
    for name in &names {
        let t = find_log_type(name)?;
        if !GENERATED.contains(&t.name()) {
            bail!(
                "no corpus generator for {}; generators exist for {}",
                t.name(),
                GENERATED.join(", ")
            );
        }
        let path = dir.join(format!("{}.corpus", t.name()));
        if !path.exists() {
            let mut w = BufWriter::new(File::create(&path)?);
            generate(t.name(), args.size_mb << 20, &mut w)?;
            w.flush()?;
        }
        let mut runs = Vec::new();
        for _ in 0..args.runs.max(1) {
            match measure(t, &path, args.classify, args.mode, &dir) {
                Ok(r) => runs.push(r),
                Err(e) => {
                    if temporary {
                        let _ = std::fs::remove_file(&path);
                    }
                    return Err(e);
                }
            }
        }
        if temporary {
            let _ = std::fs::remove_file(&path);
        }
        runs.sort_by(|a, b| a.2.total_cmp(&b.2));
        let (bytes, events, secs, _) = runs[runs.len() / 2];
        let best = runs[0].2;
        let rss = runs.iter().map(|r| r.3).max().unwrap_or(0);
        let mb = bytes as f64 / 1e6;
        println!(
            "{:18} {:>9.1} {:>11} {:>8.2} {:>9.1} {:>9.1} {:>12.0} {:>13.1}",
            t.name(),
            mb,
            events,
            secs,
            mb / secs,
            mb / best,
            events as f64 / secs,
            rss as f64 / 1e6
        );
    }
    if temporary {
        let _ = std::fs::remove_dir(&dir);
    }
    Ok(ExitCode::SUCCESS)
}

/// Parses `path` once; returns (decoded bytes, rows, seconds, peak RSS).
fn measure(
    t: &'static LogType,
    path: &Path,
    classify: bool,
    mode: Mode,
    dir: &Path,
) -> Result<(u64, u64, f64, u64)> {
    let types: Vec<&LogType> = if classify {
        seclake_registry::all().iter().collect()
    } else {
        vec![t]
    };
    let opts = Options::default();
    let name = path.display().to_string();
    let (stats, secs) = match mode {
        Mode::Parse => {
            reset_peak_rss();
            let mut sink = JsonLinesSink::new(io::sink());
            let started = Instant::now();
            let stats = parse_stream(File::open(path)?, &name, &types, &opts, &mut sink)?;
            sink.flush()?;
            (stats, started.elapsed().as_secs_f64())
        }
        Mode::Ingest => {
            let rt = runtime()?;
            let lake_dir = dir.join(format!("lake-{}", t.table));
            let _ = std::fs::remove_dir_all(&lake_dir);
            let lake = Lake::open(lake_dir.to_str().context("lake path")?)?;
            reset_peak_rss();
            let started = Instant::now();
            let mut writer = LakeWriter::new(lake, rt.handle().clone(), WriterOptions::default());
            let stats = parse_stream(File::open(path)?, &name, &types, &opts, &mut writer)?;
            writer.finish()?;
            let secs = started.elapsed().as_secs_f64();
            let _ = std::fs::remove_dir_all(&lake_dir);
            (stats, secs)
        }
    };
    if stats.rejects > 0 {
        bail!(
            "{}: the generated corpus had {} rejects",
            t.name(),
            stats.rejects
        );
    }
    Ok((stats.decoded_bytes, stats.rows, secs, peak_rss()))
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// VmHWM of this process, in bytes (0 where /proc is not available).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}
