//! Options shared by the commands that parse (`parse`, `ingest`).

use anyhow::{Context, Result};
use seclake_core::{LogType, Timestamp};
use seclake_engine::pipeline::{self, Output, Settings};
use seclake_engine::Options;

use super::find_log_type;

#[derive(clap::Args, Debug, Clone)]
pub struct ParseArgs {
    /// Parse every record as this log type; without it each record is classified.
    #[arg(long)]
    pub log_type: Option<String>,
    /// Reference time (RFC 3339) for formats without a year; default now.
    #[arg(long)]
    pub reference_time: Option<String>,
    /// Time zone of formats whose times carry none (BSD syslog): `UTC`,
    /// `+02:00`, or a name such as `Europe/Paris`.
    #[arg(long, default_value = "UTC")]
    pub timezone: String,
    /// Value of p_source_id.
    #[arg(long)]
    pub source_id: Option<String>,
    /// Value of p_source_label.
    #[arg(long)]
    pub source_label: Option<String>,
    /// Longest record accepted, in bytes; longer ones are rejected.
    #[arg(long, default_value_t = 16 << 20)]
    pub max_record_bytes: usize,
    /// Parse threads (0: one per core). Output and row ids are the same
    /// whatever the count.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// RSA private key (PEM) for encrypted Imperva log files; repeat for
    /// several. `ID=PATH` ties a key to the files' publicKeyId; other keys
    /// are tried in turn.
    #[arg(long = "private-key", value_name = "[ID=]PATH")]
    pub private_keys: Vec<String>,
    /// Integrity problems (an Imperva checksum mismatch) are errors, not
    /// warnings.
    #[arg(long)]
    pub strict: bool,
}

impl ParseArgs {
    /// The candidate log types: the one named, or all of them.
    pub fn types(&self) -> Result<Vec<&'static LogType>> {
        Ok(match &self.log_type {
            Some(name) => vec![find_log_type(name)?],
            None => seclake_registry::all().iter().collect(),
        })
    }

    /// Pipeline settings for the given output.
    pub fn settings(&self, output: Output) -> Settings {
        let threads = match self.threads {
            0 => pipeline::available_threads(),
            n => n,
        };
        Settings::new(threads, output)
    }

    pub fn options(&self) -> Result<Options> {
        let mut opts = Options {
            source_id: self.source_id.clone(),
            source_label: self.source_label.clone(),
            decoders: seclake_registry::decoders().to_vec(),
            ..Options::default()
        };
        opts.limits.max_record_bytes = self.max_record_bytes;
        opts.strict = self.strict;
        let secrets = seclake_imperva::crypto::load_private_keys(&self.private_keys)
            .map_err(|e| anyhow::anyhow!("--private-key {e}"))?;
        opts.secrets = std::sync::Arc::new(secrets);
        opts.time_zone = self
            .timezone
            .parse()
            .map_err(|e| anyhow::anyhow!("--timezone {:?}: {e}", self.timezone))?;
        if let Some(rt) = &self.reference_time {
            opts.reference_time = Some(Timestamp::parse_rfc3339(rt).with_context(|| {
                format!("--reference-time {rt:?} is not an RFC 3339 timestamp")
            })?);
        }
        Ok(opts)
    }
}

/// The lake to use: `--lake`, else `$SECLAKE_LAKE`, else a local directory.
#[derive(clap::Args, Debug, Clone)]
pub struct LakeArg {
    /// The lake: a local directory or s3://bucket/prefix.
    #[arg(long, env = "SECLAKE_LAKE", default_value = seclake_lake::store::DEFAULT_LAKE)]
    pub lake: String,
}

/// A tokio runtime for the object store and the query engine.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub use seclake_sources::config::parse_duration;
