//! One module per subcommand.

mod alert_output;
pub mod bench;
mod bench_http;
mod bench_lake;
mod bench_serve;
mod bench_summary;
mod bench_syslog;
pub mod common;
pub mod compact;
pub mod ddl;
pub mod gaps;
pub mod ingest;
pub mod log_types;
pub mod parse;
pub mod query;
pub mod rules;
mod rules_fixtures;
mod rules_run;
pub mod schema;
pub mod serve;
pub mod tables;
pub mod vacuum;

use anyhow::{anyhow, Result};
use seclake_core::LogType;

/// Output formats of the listing commands.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

/// Looks a log type up by name, listing the known ones when it is unknown.
pub fn find_log_type(name: &str) -> Result<&'static LogType> {
    seclake_registry::find(name).ok_or_else(|| {
        let known: Vec<_> = seclake_registry::all().iter().map(|t| t.name()).collect();
        anyhow!(
            "unknown log type {name:?}; known log types: {}",
            known.join(", ")
        )
    })
}
