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
use seclake_engine::{parse_stream, Options, StreamName};

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
    /// Build a VPC Flow lake of `--rows` rows, then time a GROUP BY and a
    /// time-range filter with `seclake query`'s engine.
    Query,
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
    /// Rows in the query benchmark's lake.
    #[arg(long, default_value_t = 10_000_000)]
    rows: u64,
    /// Classify every record instead of naming the log type.
    #[arg(long)]
    classify: bool,
    /// Directory for the corpus files (default: a temporary directory,
    /// removed afterwards); existing corpus files there are reused.
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    if args.mode == Mode::Query {
        return query_bench(&args);
    }
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
            let stats = parse_stream(
                File::open(path)?,
                StreamName::same(&name),
                &types,
                &opts,
                &mut sink,
            )?;
            sink.flush()?;
            (stats, started.elapsed().as_secs_f64())
        }
        // (The query mode builds its lake this same way, in query_bench.)
        Mode::Ingest | Mode::Query => {
            let rt = runtime()?;
            let lake_dir = dir.join(format!("lake-{}", t.table));
            let _ = std::fs::remove_dir_all(&lake_dir);
            let lake = Lake::open(lake_dir.to_str().context("lake path")?)?;
            reset_peak_rss();
            let started = Instant::now();
            let mut writer = LakeWriter::new(lake, rt.handle().clone(), WriterOptions::default());
            let stats = parse_stream(
                File::open(path)?,
                StreamName::same(&name),
                &types,
                &opts,
                &mut writer,
            )?;
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

/// Builds (or reuses, with `--dir`) a VPC Flow lake and times queries.
fn query_bench(args: &Args) -> Result<ExitCode> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("seclake-bench-query"));
    std::fs::create_dir_all(&dir)?;
    let lake_dir = dir.join(format!("lake-vpcflow-{}", args.rows));
    let rt = runtime()?;
    if !lake_dir.exists() {
        let corpus = dir.join("AWS.VPCFlow.query-corpus");
        // About 118 bytes a generated VPC Flow line.
        let mut w = BufWriter::new(File::create(&corpus)?);
        let made = generate("AWS.VPCFlow", args.rows * 118, &mut w)?;
        w.flush()?;
        let lake = Lake::open(lake_dir.to_str().context("lake path")?)?;
        let t = find_log_type("AWS.VPCFlow")?;
        let started = Instant::now();
        let mut writer = LakeWriter::new(lake, rt.handle().clone(), WriterOptions::default());
        let stats = parse_stream(
            File::open(&corpus)?,
            StreamName::same("corpus"),
            &[t],
            &Options::default(),
            &mut writer,
        )?;
        writer.finish()?;
        let _ = std::fs::remove_file(&corpus);
        println!(
            "built the lake: {} rows ({made} generated) in {:.1}s at {}",
            stats.rows,
            started.elapsed().as_secs_f64(),
            lake_dir.display()
        );
    }
    let uri = lake_dir.to_str().context("lake path")?.to_string();
    let queries = [
        ("GROUP BY action, dstPort", "SELECT action, \"dstPort\", count(*), sum(bytes) FROM aws_vpcflow GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 10"),
        ("time range (1 hour)", "SELECT count(*), sum(bytes) FROM aws_vpcflow WHERE p_event_time >= TIMESTAMP '2023-11-15T00:00:00Z' AND p_event_time < TIMESTAMP '2023-11-15T01:00:00Z'"),
        ("count(*) all", "SELECT count(*) FROM aws_vpcflow"),
    ];
    println!("{:28} {:>10} {:>10}", "query", "rows out", "secs");
    for (name, sql) in queries {
        let mut times = Vec::new();
        let mut rows = 0;
        for _ in 0..args.runs.max(1) {
            let started = Instant::now();
            let result = rt.block_on(async {
                let engine = seclake_query::QueryEngine::open(&uri).await?;
                engine.collect(sql).await
            })?;
            times.push(started.elapsed().as_secs_f64());
            rows = result.num_rows();
        }
        times.sort_by(f64::total_cmp);
        println!("{name:28} {rows:>10} {:>10.3}", times[times.len() / 2]);
    }
    Ok(ExitCode::SUCCESS)
}
