//! The decode stage: bytes in, records out.
//!
//! [`decompress`] recognises gzip, zstd and zlib by their magic bytes (never
//! by file name) and caps what they may expand to. [`framing`] cuts the
//! decoded stream into records: lines, or JSON values (streamed one by one
//! out of top-level arrays and CloudTrail's `{"Records":[...]}` wrapper,
//! so a file of hundreds of MB is never held whole). [`syslog_frames`] and
//! [`http`] read what the network receivers take.

pub mod decompress;
pub mod framing;
pub mod http;
pub mod syslog_frames;

pub use decompress::{open, Compression, Limits};
pub use framing::{FrameError, Framer, Framing, Record};
