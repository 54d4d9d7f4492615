//! `seclake gaps`: the files Imperva and Edgecast numbered and the lake
//! never received, as runs of missing sequence numbers, read from the
//! lake's own tables (see `seclake_query::gaps`).
//!
//! Exit status 3 when there are gaps, so a cron job or a monitoring check
//! can alert on the status alone; 0 when there are none; 1 on errors.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use seclake_core::Timestamp;
use seclake_query::{find_gaps, Gap, QueryEngine};

use super::common::{parse_duration, runtime, LakeArg};

/// The exit status when gaps are found.
pub const GAPS_FOUND: u8 = 3;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    /// A table, and a summary line.
    Text,
    /// One JSON object a gap: source, key, from, to, count.
    Json,
}

#[derive(clap::Args)]
#[command(after_help = "Exit status: 0 no gaps, 3 gaps found, 1 error.")]
pub struct Args {
    #[command(flatten)]
    lake: LakeArg,
    /// How far back to look (`7d`, `12h`): Imperva files with events since
    /// then, Edgecast days from that day on.
    #[arg(long, default_value = "7d", value_parser = parse_duration)]
    since: Duration,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let since = SystemTime::now()
        .checked_sub(args.since)
        .unwrap_or(UNIX_EPOCH);
    let rt = runtime()?;
    let gaps = rt.block_on(async {
        let engine = QueryEngine::open(&args.lake.lake).await?;
        find_gaps(&engine, since).await
    })?;
    let since_text = since
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_micros()).ok())
        .map_or_else(String::new, |us| Timestamp(us).to_rfc3339());
    let missing: u64 = gaps.iter().map(Gap::count).sum();
    let summary = match gaps.len() {
        0 => format!("no gaps since {since_text} in {}", args.lake.lake),
        n => format!(
            "{n} gap{}, {missing} sequence number{} missing since {since_text} in {}",
            if n == 1 { "" } else { "s" },
            if missing == 1 { "" } else { "s" },
            args.lake.lake
        ),
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Text => {
            if !gaps.is_empty() {
                write!(out, "{}", table(&gaps))?;
            }
            writeln!(out, "{summary}")?;
        }
        Format::Json => {
            // Written by hand to keep the fields in reading order.
            let quoted = |s: &str| serde_json::Value::from(s).to_string();
            for g in &gaps {
                writeln!(
                    out,
                    r#"{{"source":{},"key":{},"from":{},"to":{},"count":{}}}"#,
                    quoted(g.source.log_type()),
                    quoted(&g.key),
                    g.from,
                    g.to,
                    g.count()
                )?;
            }
            eprintln!("{summary}");
        }
    }
    out.flush()?;
    Ok(match gaps.is_empty() {
        true => ExitCode::SUCCESS,
        false => ExitCode::from(GAPS_FOUND),
    })
}

/// The gaps as an aligned table.
fn table(gaps: &[Gap]) -> String {
    let width = |f: &dyn Fn(&Gap) -> usize, head: &str| {
        gaps.iter().map(f).max().unwrap_or(0).max(head.len())
    };
    let ws = width(&|g| g.source.log_type().len(), "SOURCE");
    let wk = width(&|g| g.key.len(), "KEY");
    let wf = width(&|g| g.from.to_string().len(), "FROM");
    let wt = width(&|g| g.to.to_string().len(), "TO");
    let mut s = format!(
        "{:ws$}  {:wk$}  {:>wf$}  {:>wt$}  MISSING\n",
        "SOURCE", "KEY", "FROM", "TO"
    );
    for g in gaps {
        s.push_str(&format!(
            "{:ws$}  {:wk$}  {:>wf$}  {:>wt$}  {:>7}\n",
            g.source.log_type(),
            g.key,
            g.from,
            g.to,
            g.count()
        ));
    }
    s
}
