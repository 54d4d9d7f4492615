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
use seclake_engine::sinks::JsonLinesSink;
use seclake_engine::{parse_stream, StreamName, StreamStats};

use super::common::ParseArgs;
use crate::inputs::expand;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    parse: ParseArgs,
    /// Write every reject (raw record, reason, position) as JSON lines to FILE.
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Do not print each reject on stderr (the summary is still printed).
    #[arg(long, short)]
    quiet: bool,
    /// Files or directories to parse; `-` or nothing for stdin.
    inputs: Vec<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let types = args.parse.types()?;
    let opts = args.parse.options()?;
    let inputs = expand(&args.inputs, None).map_err(anyhow::Error::msg)?;

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
        let identity = input.identity();
        let stream = StreamName {
            display: &name,
            identity: &identity,
        };
        let stats = match input.open(None) {
            Ok(r) => parse_stream(r, stream, &types, &opts, &mut sink),
            Err(e) => {
                eprintln!("seclake: {name}: {e}");
                errors += 1;
                continue;
            }
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
