//! `seclake compact`: merge each partition's files into one and remove
//! rows with a repeated `p_row_id` (the clean-up after at-least-once
//! redelivery). Old files are deleted only after the merged file is
//! complete, so a crash can leave duplicates but never loses a row.

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
}

pub fn run(args: Args) -> Result<ExitCode> {
    let rt = runtime()?;
    let lake = Lake::open(&args.lake.lake)?;
    let stats = rt.block_on(seclake_lake::compact::compact(&lake, args.table.as_deref()))?;
    for s in &stats {
        println!(
            "{}: {} partitions compacted, files {} -> {}, rows {} -> {} ({} duplicates removed)",
            s.table,
            s.partitions,
            s.files_before,
            s.files_after,
            s.rows_before,
            s.rows_after,
            s.duplicates_removed()
        );
    }
    Ok(ExitCode::SUCCESS)
}
