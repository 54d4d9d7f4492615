//! `seclake tables`: the tables of the lake with row counts, sizes, the
//! time range of their partitions and their log version, from each
//! table's Delta log.

use std::process::ExitCode;

use anyhow::Result;
use seclake_core::Timestamp;
use seclake_lake::Lake;

use super::common::{runtime, LakeArg};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    lake: LakeArg,
}

fn hour_text(h: i64) -> String {
    let t = Timestamp(h * 3_600_000_000).to_rfc3339();
    format!("{}:00Z", &t[..13])
}

pub fn run(args: Args) -> Result<ExitCode> {
    let rt = runtime()?;
    let lake = Lake::open(&args.lake.lake)?;
    let tables = rt.block_on(seclake_lake::tables::tables(&lake))?;
    if tables.is_empty() {
        eprintln!(
            "the lake at {} is empty; add data with `seclake ingest --lake {} PATH...`",
            args.lake.lake, args.lake.lake
        );
        return Ok(ExitCode::SUCCESS);
    }
    let w = tables
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    println!(
        "{:w$}  {:>12}  {:>6}  {:>10}  {:17}  {:17}  {:>7}  LAST COMMIT",
        "TABLE", "ROWS", "FILES", "MB", "FROM (hour)", "TO (hour)", "VERSION"
    );
    for t in &tables {
        let (from, to) = t
            .hours
            .map(|(a, b)| (hour_text(a), hour_text(b + 1)))
            .unwrap_or_default();
        let last = t
            .last_commit_ms
            .map(|ms| Timestamp(ms * 1000).to_rfc3339())
            .unwrap_or_default();
        println!(
            "{:w$}  {:>12}  {:>6}  {:>10.2}  {from:17}  {to:17}  {:>7}  {last}",
            t.name,
            t.rows,
            t.files,
            t.bytes as f64 / 1e6,
            t.version
        );
    }
    Ok(ExitCode::SUCCESS)
}
