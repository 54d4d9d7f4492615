//! `seclake vacuum`: delete data files that no snapshot kept needs: those
//! compaction replaced, once removed longer than `--retain`, and orphans of
//! killed writers, once older than `--retain`.

use std::process::ExitCode;

use anyhow::Result;
use seclake_lake::Lake;

use super::common::{runtime, LakeArg};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    lake: LakeArg,
    /// Only this table.
    #[arg(long)]
    table: Option<String>,
    /// Keep garbage younger than this (queries of older snapshots, `--as-of`
    /// included, need the files they name): `30m`, `24h`, `7d`.
    #[arg(long, default_value = "168h", value_parser = super::common::parse_duration)]
    retain: std::time::Duration,
    /// List what would be deleted, delete nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let rt = runtime()?;
    let lake = Lake::open(&args.lake.lake)?;
    let stats = rt.block_on(seclake_lake::vacuum::vacuum(
        &lake,
        args.table.as_deref(),
        args.retain,
        args.dry_run,
    ))?;
    for s in &stats {
        let verb = if s.dry_run { "would delete" } else { "deleted" };
        println!("{}: {verb} {} file(s)", s.table, s.files.len());
        if s.dry_run {
            for f in &s.files {
                println!("  {f}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
