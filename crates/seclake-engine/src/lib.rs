//! The parse pipeline: a stream of bytes in, normalized rows and rejects
//! out.
//!
//! ```text
//! bytes ──decompress──▶ decoded ──frame──▶ records ──classify/parse──▶ rows ─▶ RowSink
//!                                                        └──────────▶ rejects ─▶ RowSink
//! ```
//!
//! Nothing is dropped silently: every record becomes a row, a counted
//! framing record (a VPC Flow header), or a [`Reject`] naming the object,
//! line, byte offset, log type tried and reason.

mod classify;
pub mod sinks;
mod stream;

pub use classify::Classifier;
pub use stream::{parse_stream, Options, Reject, RowSink, StreamName, StreamStats, TypeStats};
