//! The parse pipeline: a stream of bytes in, normalized rows and rejects
//! out.
//!
//! ```text
//! bytes ──decompress──▶ decoded ──frame──▶ records ──classify/parse──▶ rows ─▶ RowSink
//!                                                        └──────────▶ rejects ─▶ RowSink
//! ```
//!
//! Rows become Arrow batches ([`batch`]): the lake writes them as Parquet,
//! `seclake parse` renders them as JSON lines ([`json_lines`]), one set of
//! value rules for both. [`pipeline`] runs all of it on every core, and
//! [`ack`] says when an input may be let go.
//!
//! Nothing is dropped silently: every record becomes a row, a counted
//! framing record (a VPC Flow header), or a [`Reject`] naming the object,
//! line, byte offset, log type tried and reason.

pub mod ack;
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
