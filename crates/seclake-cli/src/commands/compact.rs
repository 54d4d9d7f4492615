//! `seclake compact`: merge the files of each closed hour into one and
//! remove rows with a repeated `p_row_id` (the clean-up after at-least-once
//! redelivery), in one Delta commit per table. The old files leave the
//! table in that commit and stay on disk for readers of older snapshots
//! until `seclake vacuum`.

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
    /// Leave alone the hours that ended less than this long ago (writers
    /// may still be adding to them): `90s`, `30m`, `1h`, `7d`; `0`
    /// compacts every hour, the current one too.
    #[arg(long, default_value = "1h", value_parser = super::common::parse_duration)]
    older_than: std::time::Duration,
    /// Start a new file once one holds this many MB.
    #[arg(long, default_value_t = 256)]
    target_mb: u64,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let rt = runtime()?;
    let lake = Lake::open(&args.lake.lake)?;
    let opts = seclake_lake::compact::CompactOptions {
        table: args.table,
        older_than: args.older_than,
        target_file_bytes: args.target_mb.max(1) << 20,
    };
    let stats = rt.block_on(seclake_lake::compact::compact(&lake, &opts))?;
    for s in &stats {
        println!(
            "{}: {} partitions compacted, files {} -> {}, rows {} -> {} ({} duplicates removed){}",
            s.table,
            s.partitions,
            s.files_before,
            s.files_after,
            s.rows_before,
            s.rows_after,
            s.duplicates_removed(),
            s.version
                .map(|v| format!(", log version {v}"))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
