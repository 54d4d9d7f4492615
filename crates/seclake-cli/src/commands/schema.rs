//! `seclake schema <LogType>`

use std::process::ExitCode;

use anyhow::Result;

use super::{find_log_type, Format};

#[derive(clap::Args)]
pub struct Args {
    /// Log type name (e.g. AWS.CloudTrail) or table name (aws_cloudtrail).
    log_type: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let t = find_log_type(&args.log_type)?;
    match args.format {
        Format::Text => print!("{}", seclake_registry::docs::text_table(t)),
        Format::Json => println!("{}", seclake_registry::docs::json(t)),
        Format::Markdown => print!("{}", seclake_registry::docs::markdown_page(t)),
    }
    Ok(ExitCode::SUCCESS)
}
