//! `seclake query "SQL"`: SQL over every table of the lake (DataFusion),
//! results streamed to stdout as a table, CSV or JSON lines.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use seclake_query::{write_stream, AsOf, OutputFormat, QueryEngine};

use super::common::{runtime, LakeArg};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    lake: LakeArg,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Print the row count and time taken on stderr.
    #[arg(long)]
    timing: bool,
    /// Query the tables as they were: a log version (`42`) or a time
    /// (`2026-11-30T12:00:00Z`, the newest commit at or before it).
    #[arg(long, value_parser = parse_as_of)]
    as_of: Option<AsOf>,
    /// The query; tables are named like aws_cloudtrail, and "_rejects".
    sql: String,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let format = match args.format {
        Format::Table => OutputFormat::Table,
        Format::Csv => OutputFormat::Csv,
        Format::Json => OutputFormat::Json,
    };
    let rt = runtime()?;
    let started = Instant::now();
    let result = rt.block_on(async {
        let engine =
            QueryEngine::open_as_of(&args.lake.lake, args.as_of.unwrap_or_default()).await?;
        let stream = engine.execute(&args.sql).await?;
        let stdout = io::stdout().lock();
        write_stream(io::BufWriter::new(stdout), stream, format).await
    });
    let rows = match result {
        Ok(rows) => rows,
        // `seclake query ... | head`: the reader has what it wanted.
        Err(e) if e.is_broken_pipe() => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(e.into()),
    };
    let _ = io::stdout().flush();
    if args.timing {
        eprintln!("{rows} rows in {:.3}s", started.elapsed().as_secs_f64());
    }
    Ok(ExitCode::SUCCESS)
}

/// A log version (digits) or an RFC 3339 time.
fn parse_as_of(text: &str) -> Result<AsOf, String> {
    if let Ok(v) = text.parse::<u64>() {
        return Ok(AsOf::Version(v));
    }
    seclake_core::Timestamp::parse_rfc3339(text)
        .map(|t| AsOf::Time(t.0.div_euclid(1000)))
        .ok_or_else(|| {
            format!("{text:?}: expected a log version (42) or a time (2026-11-30T12:00:00Z)")
        })
}
