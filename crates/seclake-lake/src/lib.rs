//! The Parquet lake.
//!
//! ```text
//! rows ──▶ LakeWriter ──(table, event hour)──▶ TableBatch ──flush──▶ <lake>/<table>/year=/month=/day=/hour=/<unique>.parquet
//! rejects ─────┘                                                    <lake>/_rejects/...
//! ```
//!
//! - [`store`]: a lake is a local directory or `s3://bucket/prefix`, both
//!   behind `object_store`; a file becomes visible only when complete.
//! - Rows become Arrow batches in `seclake_engine::batch`.
//! - [`writer`]: partitioning by event hour, flushing by size, age and at
//!   the end, bounded memory.
//! - [`rejects`]: the `_rejects` table.
//! - [`tables`], [`compact`]: what is in the lake, and merging small files.

pub mod align;
pub mod compact;
pub mod ddl;
pub mod delta;
pub mod encode;
pub mod ingest;
pub mod layout;
pub mod rejects;
pub mod store;
pub mod tables;
pub mod vacuum;
pub mod writer;

pub use store::{Lake, LakeError};
pub use writer::{LakeWriter, WriteStats, WriterOptions};
