//! `seclake parse`: files or stdin in, normalized JSON rows out.
//!
//! Rows go to stdout, one JSON object per line. Every reject is reported on
//! stderr as `file:line: LogType: reason` (and, with `--rejects FILE`, as a
//! JSON line holding the raw record), followed by a summary per log type.
//! Exit status: 0 when nothing was rejected, 2 when something was, 1 on
//! errors (an unreadable input is reported and the others still parsed).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use seclake_core::{LogType, Timestamp};
use seclake_engine::sinks::JsonLinesSink;
use seclake_engine::{parse_stream, Options, StreamStats};

use super::find_log_type;
use crate::inputs::{expand, Input};

#[derive(clap::Args)]
pub struct Args {
    /// Parse every record as this log type; without it each record is classified.
    #[arg(long)]
    log_type: Option<String>,
    /// Reference time (RFC 3339) for formats without a year; default now.
    #[arg(long)]
    reference_time: Option<String>,
    /// Value of p_source_id.
    #[arg(long)]
    source_id: Option<String>,
    /// Value of p_source_label.
    #[arg(long)]
    source_label: Option<String>,
    /// Write every reject (raw record, reason, position) as JSON lines to FILE.
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Longest record accepted, in bytes; longer ones are rejected.
    #[arg(long, default_value_t = 16 << 20)]
    max_record_bytes: usize,
    /// Do not print each reject on stderr (the summary is still printed).
    #[arg(long, short)]
    quiet: bool,
    /// Files or directories to parse; `-` or nothing for stdin.
    inputs: Vec<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let types: Vec<&LogType> = match &args.log_type {
        Some(name) => vec![find_log_type(name)?],
        None => seclake_registry::all().iter().collect(),
    };
    let mut opts = Options {
        source_id: args.source_id.clone(),
        source_label: args.source_label.clone(),
        ..Options::default()
    };
    opts.limits.max_record_bytes = args.max_record_bytes;
    if let Some(rt) = &args.reference_time {
        opts.reference_time = Timestamp::parse_rfc3339(rt)
            .with_context(|| format!("--reference-time {rt:?} is not an RFC 3339 timestamp"))?;
    }
    let inputs = expand(&args.inputs).map_err(anyhow::Error::msg)?;

    let stdout = io::stdout().lock();
    let mut sink = JsonLinesSink::new(BufWriter::with_capacity(1 << 20, stdout));
    if let Some(path) = &args.rejects {
        let f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        sink.rejects = Some(Box::new(BufWriter::new(f)));
    }
    if !args.quiet {
        sink.messages = Some(Box::new(io::stderr()));
    }

    let started = Instant::now();
    let mut total = StreamStats::default();
    let mut errors = 0;
    for input in &inputs {
        let name = input.name();
        let stats = match input {
            Input::Stdin => parse_stream(io::stdin().lock(), &name, &types, &opts, &mut sink),
            Input::File(path) => match File::open(path) {
                Ok(f) => parse_stream(f, &name, &types, &opts, &mut sink),
                Err(e) => {
                    eprintln!("seclake: {name}: {e}");
                    errors += 1;
                    continue;
                }
            },
        };
        match stats {
            Ok(s) => total.merge(&s),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => break,
            Err(e) => return Err(e).context("writing output"),
        }
    }
    match sink.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(e).context("writing output"),
        _ => {}
    }
    print_summary(&total, started.elapsed().as_secs_f64(), inputs.len());
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else if total.rejects > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_summary(total: &StreamStats, secs: f64, inputs: usize) {
    let mut err = io::stderr().lock();
    for (name, s) in &total.per_type {
        let skipped = if s.skipped > 0 {
            format!(", {} header lines", s.skipped)
        } else {
            String::new()
        };
        let _ = writeln!(
            err,
            "{name}: {} rows, {} rejects{skipped}",
            s.rows, s.rejects
        );
    }
    let mb = total.decoded_bytes as f64 / 1e6;
    let _ = writeln!(
        err,
        "total: {} rows, {} rejects from {inputs} input(s), {mb:.1} MB in {secs:.2}s ({:.1} MB/s)",
        total.rows,
        total.rejects,
        if secs > 0.0 { mb / secs } else { 0.0 }
    );
}
