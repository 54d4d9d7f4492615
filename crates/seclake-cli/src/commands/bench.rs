//! `seclake bench`: throughput and memory per corpus and thread count, with
//! a peer measured in the same run on the same file.
//!
//! Each corpus is generated into a file once, then read from that file:
//! - `--mode parse`: decode, framing, parsing, indicators, Arrow batches
//!   rendered as JSON lines (discarded), as `seclake parse`; with
//!   `SECLAKE_VRL_PEER` set to the `bench/vrl-peer` binary, VRL's
//!   `parse_aws_vpc_flow_log` / `parse_aws_alb_log` run on the same file;
//! - `--mode ingest`: the same into a local Parquet lake (a temporary
//!   directory), every file written, as `seclake ingest`; the peer is
//!   DuckDB (`pip install duckdb==1.5.6`) converting the same file to zstd
//!   Parquet with `SET threads` to match;
//! - `--mode query`: a VPC Flow lake of `--rows` rows, then queries.
//!
//! Reported: MB/s and events/s in wall-clock time, the CPU seconds used
//! by every thread of the process, MB/s per core (input over CPU seconds:
//! what one core of work achieves, however it was spread), and peak RSS
//! (reset before each run through Linux `clear_refs`; the peer's is read
//! in its own process). The median of `--runs` runs is shown.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use seclake_core::LogType;
use seclake_detect::alerts::AlertRule;
use seclake_detect::at_ingest::Detector;

use super::bench_summary::Measured;
use seclake_engine::pipeline::{self, Collector, Input, Output, Part, Settings};
use seclake_engine::{Options, Reject, StreamStats};
use seclake_lake::ingest::{ingest, ingest_all, Observer};
use seclake_lake::{Lake, LakeWriter, WriterOptions};

use super::common::runtime;
use super::find_log_type;
use crate::corpus::{corpus_log_type, generate, GENERATED};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Parse + normalize + render JSON lines.
    Parse,
    /// Parse + normalize + write the Parquet lake (DuckDB as the peer).
    Ingest,
    /// Build a VPC Flow lake of `--rows` rows, then time a GROUP BY and a
    /// time-range filter with `seclake query`'s engine.
    Query,
    /// Delta log costs: commit latency, and planning a query over a table
    /// of `--files` files from the log versus by listing.
    Lake,
    /// `--size-mb` of VPC Flow as gzip objects in a local S3+SQS server
    /// (moto), through `seclake serve`, beside `seclake ingest` of the same
    /// files from disk.
    Serve,
    /// `--size-mb` of Juniper SSR syslog over TCP into `seclake serve`
    /// (one core), beside syslog-ng writing a file.
    Syslog,
    /// `--size-mb` of CloudTrail NDJSON POSTed as ~1 MB gzip bodies into
    /// `seclake serve`'s HTTP source, each answered once committed.
    Http,
}

#[derive(clap::Args)]
pub struct Args {
    /// Corpus size, in MB.
    #[arg(long, default_value_t = 128)]
    size_mb: u64,
    /// Corpora to measure (a log type, or `AWS.CloudTrail.ndjson`,
    /// `AWS.VPCFlow.hours`); default: all but `.hours`.
    #[arg(long = "log-type")]
    log_types: Vec<String>,
    /// Thread counts to measure (0: one per core).
    #[arg(long, value_delimiter = ',', default_values_t = [1, 0])]
    threads: Vec<usize>,
    /// Runs per measurement; the median run is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// What to measure.
    #[arg(long, value_enum, default_value = "parse")]
    mode: Mode,
    /// Skip the peer (DuckDB in ingest mode).
    #[arg(long)]
    no_peer: bool,
    /// Rows in the query benchmark's lake.
    #[arg(long, default_value_t = 10_000_000)]
    rows: u64,
    /// Files in the lake benchmark's planning table.
    #[arg(long, default_value_t = 10_000)]
    files: usize,
    /// Classify every record instead of naming the log type.
    #[arg(long)]
    classify: bool,
    /// Directory for the corpus files (default: a temporary directory,
    /// removed afterwards); existing corpus files there are reused.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Ingest mode: Sigma rules (files or directories) evaluated on every
    /// batch, as `seclake ingest --rules` does, alerts recorded; only the
    /// rules for the corpus's table run.
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<PathBuf>,
}

/// One measured run.
#[derive(Clone, Copy)]
pub(super) struct Run {
    pub bytes: u64,
    pub events: u64,
    pub secs: f64,
    /// User and system CPU seconds of all threads.
    pub cpu: f64,
    pub rss: u64,
}

pub fn run(args: Args) -> Result<ExitCode> {
    if args.mode == Mode::Query {
        return query_bench(&args);
    }
    if args.mode == Mode::Serve {
        let dir = args.dir.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("seclake-bench-serve-{}", std::process::id()))
        });
        std::fs::create_dir_all(&dir)?;
        let r = super::bench_serve::run(args.size_mb, args.runs, &args.threads, &dir);
        if args.dir.is_none() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        return r;
    }
    if args.mode == Mode::Syslog {
        let dir = std::env::temp_dir().join(format!("seclake-bench-syslog-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let r = super::bench_syslog::run(args.size_mb, args.runs, &dir);
        let _ = std::fs::remove_dir_all(&dir);
        return r;
    }
    if args.mode == Mode::Http {
        let dir = std::env::temp_dir().join(format!("seclake-bench-http-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let r = super::bench_http::run(args.size_mb, args.runs, &args.threads, &dir);
        let _ = std::fs::remove_dir_all(&dir);
        return r;
    }
    if args.mode == Mode::Lake {
        return super::bench_lake::run(args.dir.as_deref(), args.files, args.runs);
    }
    let corpora: Vec<String> = if args.log_types.is_empty() {
        GENERATED
            .iter()
            .filter(|c| !c.ends_with(".hours"))
            .map(|s| s.to_string())
            .collect()
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
    let cores = pipeline::available_threads();
    println!(
        "mode: {:?}; {} core(s); median of {} run(s); per core = over CPU seconds",
        args.mode,
        cores,
        args.runs.max(1)
    );
    print_header();
    let result = bench_all(&args, &corpora, &dir, cores);
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result?;
    Ok(ExitCode::SUCCESS)
}

fn bench_all(args: &Args, corpora: &[String], dir: &Path, cores: usize) -> Result<()> {
    for corpus in corpora {
        if !GENERATED.contains(&corpus.as_str()) {
            bail!(
                "no corpus generator for {corpus}; generators exist for {}",
                GENERATED.join(", ")
            );
        }
        let t = find_log_type(corpus_log_type(corpus))?;
        let path = dir.join(format!("{corpus}.corpus"));
        let key_path = dir.join(format!("{corpus}.key.pem"));
        if !path.exists() || (corpus.ends_with(".file") && !key_path.exists()) {
            if corpus.ends_with(".file") {
                // An encrypted log file as Imperva delivers it, and its key.
                let mut events = Vec::new();
                generate(corpus, args.size_mb << 20, &mut events)?;
                let customer = seclake_imperva::build::Customer::default();
                let body = seclake_imperva::build::Body::Encrypted;
                let file =
                    seclake_imperva::build::log_file("CEF", &events, body, Some(&customer), None);
                std::fs::write(&path, file)?;
                std::fs::write(&key_path, customer.pem())?;
            } else {
                let mut w = BufWriter::new(File::create(&path)?);
                generate(corpus, args.size_mb << 20, &mut w)?;
                w.flush()?;
            }
        }
        let mut opts = Options::default();
        if key_path.exists() {
            let mut secrets = seclake_core::parser::Secrets::default();
            secrets.add(
                seclake_imperva::file::PRIVATE_KEY,
                std::fs::read(&key_path)?,
            );
            opts.secrets = std::sync::Arc::new(secrets);
            opts.decoders = seclake_registry::decoders().to_vec();
        }
        let rules = rules_for(&args.rules, t)?;
        let mut measured = Measured::default();
        let peer = if args.mode == Mode::Parse {
            "vrl"
        } else {
            "duckdb"
        };
        for &threads in &args.threads {
            let threads = if threads == 0 { cores } else { threads };
            let how = How {
                classify: args.classify,
                mode: args.mode,
                threads,
                rules: &rules,
            };
            let runs = (0..args.runs.max(1))
                .map(|_| measure(t, &path, &opts, &how, dir))
                .collect::<Result<Vec<_>>>()?;
            let ours = median(runs);
            print_row(corpus, "seclake", threads, ours);
            measured.ours.push((threads, ours));
            if args.mode == Mode::Parse && !args.no_peer && threads == 1 {
                if let Some(run) = vrl_runs(corpus, &path, args.runs.max(1))? {
                    print_row(corpus, "vrl", 1, run);
                    measured.peer.push((1, run));
                }
            }
            if args.mode == Mode::Ingest && !args.no_peer {
                match duckdb_runs(corpus, &path, threads, args.runs.max(1), dir)? {
                    Some(run) => {
                        print_row(corpus, "duckdb", threads, run);
                        measured.peer.push((threads, run));
                    }
                    None => println!(
                        "{corpus:24} {:>7} (not installed: pip install duckdb==1.5.6)",
                        "duckdb"
                    ),
                }
            }
        }
        if let Some(line) = measured.summary(corpus, peer) {
            println!("  = {line}");
        }
        if args.dir.is_none() {
            let _ = std::fs::remove_file(&path);
        }
    }
    Ok(())
}

pub(super) fn median(mut runs: Vec<Run>) -> Run {
    runs.sort_by(|a, b| a.secs.total_cmp(&b.secs));
    let mut m = runs[runs.len() / 2];
    m.rss = runs.iter().map(|r| r.rss).max().unwrap_or(0);
    m
}

/// The column names of [`print_row`].
pub(super) fn print_header() {
    println!(
        "{:22} {:>7} {:>7} {:>8} {:>9} {:>6} {:>6} {:>7} {:>10} {:>10} {:>12} {:>7}",
        "corpus",
        "engine",
        "threads",
        "input MB",
        "events",
        "secs",
        "cpu s",
        "MB/s",
        "MB/s/core",
        "events/s",
        "events/s/core",
        "RSS MB"
    );
}

pub(super) fn print_row(corpus: &str, engine: &str, threads: usize, r: Run) {
    let mb = r.bytes as f64 / 1e6;
    println!(
        "{corpus:22} {engine:>7} {threads:>7} {mb:>8.1} {:>9} {:>6.2} {:>6.2} {:>7.1} {:>10.1} {:>10.0} {:>12.0} {:>7.1}",
        r.events,
        r.secs,
        r.cpu,
        mb / r.secs,
        mb / r.cpu,
        r.events as f64 / r.secs,
        r.events as f64 / r.cpu,
        r.rss as f64 / 1e6
    );
}

/// User plus system CPU seconds of this process so far (all threads).
pub(super) fn cpu_seconds() -> f64 {
    stat_seconds(11)
}

/// Two adjacent clock-tick fields of /proc/self/stat, summed, in seconds
/// (counted after the command name: 11 for utime and stime, 13 for the
/// waited-for children's cutime and cstime; 100 ticks a second on Linux).
pub(super) fn stat_seconds(first: usize) -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(first) + ticks(first + 1)) / 100.0
}

/// Counts what a JSON run produced, discarding the text.
#[derive(Default)]
struct Discard {
    bytes: u64,
}

impl Collector for Discard {
    fn part(&mut self, _: usize, part: Part) -> io::Result<()> {
        if let Part::Json(j) = part {
            self.bytes += j.len() as u64;
        }
        Ok(())
    }
    fn reject(&mut self, _: usize, _: &Reject<'_>) -> io::Result<()> {
        Ok(())
    }
    fn input_done(&mut self, _: usize, _: &StreamStats, e: Option<&io::Error>) -> io::Result<()> {
        e.map_or(Ok(()), |e| Err(io::Error::new(e.kind(), e.to_string())))
    }
}

pub(super) fn file_input(path: &Path) -> Input<'static> {
    let p = path.to_path_buf();
    Input {
        display: path.display().to_string(),
        identity: path.display().to_string(),
        peer_prefix: false,
        open: Box::new(move || Ok(Box::new(File::open(p)?) as Box<dyn io::Read + Send>)),
    }
}

/// How a corpus is measured.
struct How<'a> {
    classify: bool,
    mode: Mode,
    threads: usize,
    /// Rules evaluated at ingest.
    rules: &'a [AlertRule],
}

/// The rules of `paths` for `t`'s table; the count is printed.
fn rules_for(paths: &[PathBuf], t: &LogType) -> Result<Vec<AlertRule>> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let (rules, _) = super::rules::alert_rules(paths)?;
    let rules: Vec<AlertRule> = rules
        .into_iter()
        .filter(|r| r.compiled.table == t.table)
        .collect();
    println!("{}: {} rules evaluated at ingest", t.name(), rules.len());
    Ok(rules)
}

/// Rules at ingest, as `seclake ingest --rules` runs them: matched in the
/// workers ([`Detector::hook`]), the alerts kept here.
struct Rules(Detector);

impl Observer for Rules {
    fn derived(&mut self, input: usize, _: &str, alerts: Vec<arrow_array::RecordBatch>) {
        self.0.alerts(input, alerts);
    }
}

/// Parses `path` once with `how.threads` workers.
fn measure(t: &'static LogType, path: &Path, opts: &Options, how: &How, dir: &Path) -> Result<Run> {
    let (classify, mode, threads) = (how.classify, how.mode, how.threads);
    let types: Vec<&LogType> = if classify {
        seclake_registry::all().iter().collect()
    } else {
        vec![t]
    };
    let mut cpu_before = cpu_seconds();
    let (stats, secs) = match mode {
        Mode::Parse => {
            reset_peak_rss();
            let started = Instant::now();
            let settings = Settings::new(threads, Output::Json);
            let stats = pipeline::run(
                vec![file_input(path)],
                &types,
                opts,
                settings,
                &mut Discard::default(),
            )?;
            (stats, started.elapsed().as_secs_f64())
        }
        Mode::Ingest | Mode::Query | Mode::Lake | Mode::Serve | Mode::Syslog | Mode::Http => {
            let rt = runtime()?;
            let lake_dir = dir.join(format!("lake-{}", t.table));
            let _ = std::fs::remove_dir_all(&lake_dir);
            let lake = Lake::open(lake_dir.to_str().context("lake path")?)?;
            reset_peak_rss();
            cpu_before = cpu_seconds();
            let started = Instant::now();
            let writer_opts = WriterOptions::for_threads(threads);
            let mut writer = LakeWriter::new(lake.clone(), rt.handle().clone(), writer_opts);
            let mut settings = Settings::new(threads, Output::Batches);
            let mut rules = Rules(Detector::new(how.rules.to_vec()));
            if !how.rules.is_empty() {
                settings.hook = Some(rules.0.hook());
            }
            let acks = vec![Box::new(|_| {}) as seclake_engine::ack::Ack];
            let inputs = vec![file_input(path)];
            let stats = ingest(
                inputs,
                acks,
                &types,
                opts,
                settings,
                &mut writer,
                &mut rules,
            )?;
            writer.finish()?;
            if !how.rules.is_empty() {
                rt.block_on(rules.0.finish(&lake, |_| true))?;
            }
            let secs = started.elapsed().as_secs_f64();
            let _ = std::fs::remove_dir_all(&lake_dir);
            (stats, secs)
        }
    };
    let cpu = (cpu_seconds() - cpu_before).max(0.01);
    if stats.rejects > 0 {
        bail!(
            "{}: the generated corpus had {} rejects",
            t.name(),
            stats.rejects
        );
    }
    Ok(Run {
        bytes: stats.decoded_bytes,
        events: stats.rows,
        secs,
        cpu,
        rss: peak_rss(),
    })
}

/// The DuckDB statement that turns a corpus into Parquet, as a user of
/// DuckDB would write it; `None` for formats DuckDB cannot read (syslog).
fn duckdb_sql(corpus: &str, path: &Path, out: &Path) -> Option<String> {
    let (p, o) = (path.display(), out.display());
    let read = match corpus {
        c if c.starts_with("Syslog.")
            || c.starts_with("Imperva.")
            || ["Juniper.SSR", "CEF", "LEEF"].contains(&c) =>
        {
            return None
        }
        "AWS.CloudTrail.ndjson" => format!("SELECT * FROM read_json('{p}', format='newline_delimited')"),
        "AWS.CloudTrail" => format!(
            "SELECT unnest(Records, recursive := true) FROM read_json('{p}', maximum_object_size=4000000000)"
        ),
        "AWS.ALB" => format!("SELECT * FROM read_csv('{p}', delim=' ', quote='\"', header=false)"),
        _ => format!("SELECT * FROM read_csv('{p}', delim=' ', header=true)"),
    };
    Some(format!(
        "COPY ({read}) TO '{o}' (FORMAT parquet, COMPRESSION zstd)"
    ))
}

/// Times DuckDB's conversion in its own process; peak RSS is that
/// process's VmHWM (getrusage would count the forking parent's).
const DUCKDB_SCRIPT: &str = r#"
import json, os, sys, time
try:
    import duckdb
except ImportError:
    print(json.dumps({"missing": True})); sys.exit(0)
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0
sql, threads = sys.argv[1], int(sys.argv[2])
con = duckdb.connect()
con.execute(f"SET threads={threads}")
open("/proc/self/clear_refs", "w").write("5")
cpu0, start = os.times(), time.perf_counter()
con.execute(sql)
secs, cpu1 = time.perf_counter() - start, os.times()
cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
rss = hwm()
rows = con.execute(f"SELECT count(*) FROM read_parquet('{sys.argv[3]}')").fetchone()[0]
print(json.dumps({"secs": secs, "cpu": cpu, "rows": rows, "rss": rss}))
"#;

/// Runs DuckDB on the corpus in a fresh process per run; `None` when the
/// Python package is missing.
fn duckdb_runs(
    corpus: &str,
    path: &Path,
    threads: usize,
    runs: usize,
    dir: &Path,
) -> Result<Option<Run>> {
    let out = dir.join("duckdb-out.parquet");
    let bytes = std::fs::metadata(path)?.len();
    let mut measured = Vec::new();
    for _ in 0..runs {
        let _ = std::fs::remove_file(&out);
        let Some(sql) = duckdb_sql(corpus, path, &out) else {
            return Ok(None);
        };
        let res = Command::new("python3")
            .args([
                "-c",
                DUCKDB_SCRIPT,
                &sql,
                &threads.to_string(),
                &out.display().to_string(),
            ])
            .output()
            .context("running python3 for the DuckDB peer")?;
        if !res.status.success() {
            bail!(
                "DuckDB failed on {corpus}: {}",
                String::from_utf8_lossy(&res.stderr)
            );
        }
        let v: serde_json::Value =
            serde_json::from_slice(&res.stdout).context("DuckDB's report")?;
        if v.get("missing").is_some() {
            return Ok(None);
        }
        measured.push(Run {
            bytes,
            events: v["rows"].as_u64().unwrap_or(0),
            secs: v["secs"].as_f64().unwrap_or(f64::NAN),
            cpu: v["cpu"].as_f64().unwrap_or(f64::NAN).max(0.01),
            rss: v["rss"].as_u64().unwrap_or(0),
        });
    }
    let _ = std::fs::remove_file(&out);
    Ok(Some(median(measured)))
}

/// Runs the VRL peer (`bench/vrl-peer`, its path in `SECLAKE_VRL_PEER`)
/// on the corpus: VRL's own parser for the format, one thread, the result
/// serialized to JSON. `None` when it is not configured or has no parser
/// for this corpus.
fn vrl_runs(corpus: &str, path: &Path, runs: usize) -> Result<Option<Run>> {
    let Some(peer) = std::env::var_os("SECLAKE_VRL_PEER") else {
        return Ok(None);
    };
    let kind = match corpus {
        "AWS.VPCFlow" => "vpc",
        "AWS.ALB" => "alb",
        "Syslog.RFC5424" | "Syslog.RFC3164" | "Juniper.SSR" => "syslog",
        "CEF" | "Imperva.CloudWAF" => "cef",
        _ => return Ok(None),
    };
    let mut measured = Vec::new();
    for _ in 0..runs {
        let res = Command::new(&peer)
            .args([kind, &path.display().to_string()])
            .output()
            .context("running the VRL peer (SECLAKE_VRL_PEER)")?;
        if !res.status.success() {
            bail!(
                "the VRL peer failed on {corpus}: {}",
                String::from_utf8_lossy(&res.stderr)
            );
        }
        let v: serde_json::Value =
            serde_json::from_slice(&res.stdout).context("the VRL peer's report")?;
        if v["errors"].as_u64().unwrap_or(0) > 0 {
            bail!("the VRL peer rejected {} lines of {corpus}", v["errors"]);
        }
        measured.push(Run {
            bytes: v["bytes"].as_u64().unwrap_or(0),
            events: v["events"].as_u64().unwrap_or(0),
            secs: v["secs"].as_f64().unwrap_or(f64::NAN),
            cpu: v["cpu"].as_f64().unwrap_or(f64::NAN).max(0.01),
            rss: v["rss"].as_u64().unwrap_or(0),
        });
    }
    Ok(Some(median(measured)))
}

pub(super) fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// VmHWM of this process, in bytes (0 where /proc is not available).
pub(super) fn peak_rss() -> u64 {
    vm_hwm("self")
}

/// VmHWM of process `pid` (or `self`), in bytes.
pub(super) fn vm_hwm(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
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
        let threads = pipeline::available_threads();
        let writer_opts = WriterOptions::for_threads(threads);
        let writer = LakeWriter::new(lake, rt.handle().clone(), writer_opts);
        let settings = Settings::new(threads, Output::Batches);
        let (stats, _) = ingest_all(
            vec![file_input(&corpus)],
            &[t],
            &Options::default(),
            settings,
            writer,
        )?;
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
