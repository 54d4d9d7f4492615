//! Where inputs come from. [`inputs`] expands what the command line names
//! (files, directories, globs, S3 prefixes, standard input); the rest is
//! what `seclake serve` runs: its configuration ([`config`]), its sources
//! (an S3 scan, [`s3_scan`], SQS [`sqs`], growing files [`file_tail`],
//! the network receivers [`syslog`] and [`http`] with what they share in
//! [`net`]), and what each source has ingested ([`state`]).
//!
//! Every source follows the engine's acknowledgement rule (see
//! `crates/seclake-engine/src/pipeline/acknowledgements.md`): an input
//! counts as ingested, and is remembered or deleted at its origin, only
//! once its acknowledgement fired, after the commit holding its rows.

pub mod config;
pub mod file_tail;
pub mod http;
pub mod imperva;
pub mod inputs;
pub mod metrics;
pub mod net;
pub mod s3_scan;
pub mod sqs;
pub mod state;
pub mod syslog;
