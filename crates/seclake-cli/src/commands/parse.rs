//! `seclake parse`: files or stdin in, normalized JSON rows out.
//!
//! Rows go to stdout, one JSON object per line, in input order whatever
//! `--threads` is. Every reject is reported on stderr as `file:line:
//! LogType: reason[: detail]` (and, with `--rejects FILE`, as a JSON line
//! holding the raw record), followed by a summary per log type. Exit
//! status: 0 when nothing was rejected, 2 when something was, 1 on errors
//! (an unreadable input is reported and the others still parsed).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use seclake_engine::pipeline::{self, Collector, Output, Part};
use seclake_engine::sinks::{reject_message, write_reject_json};
use seclake_engine::{Reject, StreamStats};

use super::common::ParseArgs;
use seclake_sources::inputs::expand;

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

/// Writes rows to stdout and rejects where asked, in input order.
struct JsonOut<'a> {
    rows: BufWriter<io::StdoutLock<'a>>,
    rejects: Option<BufWriter<File>>,
    quiet: bool,
    names: Vec<String>,
    errors: usize,
}

impl Collector for JsonOut<'_> {
    fn part(&mut self, _: usize, part: Part) -> io::Result<()> {
        match part {
            Part::Json(bytes) => self.rows.write_all(&bytes),
            Part::Batch { batch, .. } => {
                let mut out = Vec::new();
                seclake_engine::json_lines::write_batch(&mut out, &batch);
                self.rows.write_all(&out)
            }
        }
    }

    fn reject(&mut self, _: usize, r: &Reject<'_>) -> io::Result<()> {
        if let Some(out) = &mut self.rejects {
            let mut line = Vec::new();
            write_reject_json(&mut line, r);
            out.write_all(&line)?;
        }
        if !self.quiet {
            eprintln!("reject: {}", reject_message(r));
        }
        Ok(())
    }

    fn input_done(
        &mut self,
        input: usize,
        _: &StreamStats,
        e: Option<&io::Error>,
    ) -> io::Result<()> {
        if let Some(e) = e {
            eprintln!("seclake: {}: {e}", self.names[input]);
            self.errors += 1;
        }
        Ok(())
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    let types = args.parse.types()?;
    let opts = args.parse.options()?;
    let inputs = expand(&args.inputs, None).map_err(anyhow::Error::msg)?;

    let mut out = JsonOut {
        rows: BufWriter::with_capacity(1 << 20, io::stdout().lock()),
        rejects: None,
        quiet: args.quiet,
        names: inputs.iter().map(|i| i.name()).collect(),
        errors: 0,
    };
    if let Some(path) = &args.rejects {
        let f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        out.rejects = Some(BufWriter::new(f));
    }

    let started = Instant::now();
    let count = inputs.len();
    let piped = inputs.iter().map(|i| i.to_pipeline(None)).collect();
    let settings = args.parse.settings(Output::Json);
    let total = match pipeline::run(piped, &types, &opts, settings, &mut out) {
        Ok(total) => total,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => StreamStats::default(),
        Err(e) => return Err(e).context("writing output"),
    };
    let flushed = out.rows.flush().and_then(|()| match &mut out.rejects {
        Some(r) => r.flush(),
        None => Ok(()),
    });
    match flushed {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(e).context("writing output"),
        _ => {}
    }
    print_summary(&total, started.elapsed().as_secs_f64(), count);
    Ok(if out.errors > 0 {
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
