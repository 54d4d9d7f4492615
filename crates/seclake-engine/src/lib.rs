//! The parse pipeline: a stream of bytes in, normalized rows and rejects
//! out.
//!
//! ```text
//! bytes ──decompress──▶ decoded ──frame──▶ records ──classify/parse──▶ rows ─▶ RowSink
//!                                                        └──────────▶ rejects ─▶ RowSink
//! ```
//!
//! Sinks turn rows into Arrow batches ([`batch`]): the lake writes them as
//! Parquet, [`sinks::JsonLinesSink`] renders them as JSON lines
//! ([`json_lines`]), one set of value rules for both.
//!
//! Nothing is dropped silently: every record becomes a row, a counted
//! framing record (a VPC Flow header), or a [`Reject`] naming the object,
//! line, byte offset, log type tried and reason.

pub mod arrow_map;
pub mod batch;
mod classify;
pub mod json_lines;
pub mod pipeline;
mod processor;
pub mod sinks;
mod stream;

pub use classify::Classifier;
pub use stream::{parse_stream, Options, Reject, RowSink, StreamName, StreamStats, TypeStats};
