//! The lake: one Delta Lake table per log type.
//!
//! ```text
//! rows ──▶ LakeWriter ──(table, event hour)──▶ TableBatch ──flush──▶ <lake>/<table>/year=/month=/day=/hour=/<unique>.parquet
//! rejects ─────┘                                      commit (≥ every second) ──▶ <lake>/<table>/_delta_log/NNN.json ──▶ acks
//! ```
//!
//! - [`store`]: a lake is a local directory or `s3://bucket/prefix`, both
//!   behind `object_store`.
//! - [`delta`]: the tables' logs: commits (many writers, conditional PUT),
//!   schema merging, snapshots and their files; the design note.
//! - Rows become Arrow batches in `seclake_engine::batch`.
//! - [`writer`]: partitioning by event hour, flushing by size, age and at
//!   the end, bounded memory, acknowledgements after the commit.
//! - [`rejects`]: the `_rejects` table.
//! - [`tables`], [`compact`], [`vacuum`], [`ddl`]: what is in the lake,
//!   merging small files, deleting unreferenced ones, registering the
//!   tables in other engines.

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
