//! SQL over the seclake lake, with DataFusion.
//!
//! A lake is a local directory or `s3://bucket/prefix` laid out as
//! `<table>/year=YYYY/month=MM/day=DD/hour=HH/<file>.parquet`. Every table
//! directory becomes a SQL table with the files' merged schema plus the
//! partition columns `year`, `month`, `day`, `hour` (zero-padded strings).
//! Predicates on `p_event_time` prune partition directories (see
//! [`pruning`]), so a query over the last day opens only the last day's
//! files.
//!
//! ```no_run
//! # async fn demo() -> Result<(), seclake_query::QueryError> {
//! use seclake_query::{OutputFormat, QueryEngine};
//! let engine = QueryEngine::open("./seclake-lake").await?;
//! let result = engine
//!     .collect("SELECT eventName, count(*) FROM aws_cloudtrail \
//!               WHERE p_event_time > now() - interval '1 day' GROUP BY 1 ORDER BY 2 DESC")
//!     .await?;
//! print!("{}", result.render(OutputFormat::Table)?);
//! # Ok(()) }
//! ```
//!
//! Identifiers are case-sensitive and taken as written, quoted or not:
//! table names are lower case (`aws_cloudtrail`), columns are named as in
//! the log type's schema (`SELECT eventName FROM aws_cloudtrail` needs no
//! quotes). Functions and keywords are case-insensitive. The rejects table
//! is `_rejects` (or `"_rejects"`), the detection rules' alerts `_alerts`.
//!
//! [`find_gaps`] reads the lake for files a vendor numbered and seclake
//! never received (Imperva and Edgecast sequence numbers).

pub mod catalog;
mod engine;
mod error;
pub mod gaps;
pub mod lake;
pub mod output;
pub mod pruned_table;
pub mod pruning;
pub mod snapshot_store;

pub use engine::{query, QueryEngine, QueryResult};
pub use error::QueryError;
pub use gaps::{find_gaps, Gap, GapSource};
pub use lake::LakeLocation;
pub use output::{render, write_stream, OutputFormat, ResultWriter};
pub use seclake_lake::delta::files::AsOf;
