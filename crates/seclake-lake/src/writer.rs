//! The lake writer: a [`RowSink`] that batches rows by table and event
//! hour and writes each batch as one Parquet file.
//!
//! A batch is flushed when it reaches `target_file_bytes` (estimated from
//! the values appended), when it is older than `max_age`, when all batches
//! together exceed `memory_budget` (the largest goes first), and at
//! [`LakeWriter::finish`]. Nothing is acknowledged before it is written:
//! a caller that needs durability calls `finish` (or `flush_all`) and only
//! then deletes or acknowledges its input.

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use seclake_core::row::RowBuf;
use seclake_core::standard::RowIdHasher;
use seclake_core::{LogType, Row, StandardFields, Timestamp};
use seclake_engine::batch::TableBatch;
use seclake_engine::{Reject, RowSink};
use tokio::runtime::Handle;

use crate::layout::{file_name, hour_of, new_writer_id, partition_dir};
use crate::rejects;
use crate::store::{Lake, LakeError};

#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Flush a partition's batch at about this many bytes of values.
    pub target_file_bytes: usize,
    /// Flush the largest batch when all batches hold more than this.
    pub memory_budget: usize,
    /// Flush batches older than this (checked as rows arrive).
    pub max_age: Duration,
    /// Rows per Parquet row group.
    pub row_group_rows: usize,
    pub zstd_level: i32,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            target_file_bytes: 48 << 20,
            memory_budget: 128 << 20,
            max_age: Duration::from_secs(60),
            row_group_rows: 128 * 1024,
            zstd_level: 1,
        }
    }
}

/// What a writer wrote, per table.
#[derive(Debug, Default, Clone)]
pub struct WriteStats {
    pub tables: BTreeMap<String, TableStats>,
}

#[derive(Debug, Default, Clone)]
pub struct TableStats {
    pub rows: u64,
    pub files: u64,
    pub bytes: u64,
}

struct Open {
    table: String,
    schema_of: *const LogType,
    hour: i64,
    batch: TableBatch,
    since: Instant,
}

// `schema_of` is only compared, never dereferenced.
unsafe impl Send for Open {}

pub struct LakeWriter {
    lake: Lake,
    rt: Handle,
    opts: WriterOptions,
    writer_id: u64,
    seq: u64,
    open: Vec<Open>,
    last: usize,
    buffered: usize,
    rows_since_check: u32,
    stats: WriteStats,
    reject_buf: RowBuf,
}

impl LakeWriter {
    /// A writer into `lake`; object store calls run on `rt`.
    pub fn new(lake: Lake, rt: Handle, opts: WriterOptions) -> Self {
        LakeWriter {
            lake,
            rt,
            opts,
            writer_id: new_writer_id(),
            seq: 0,
            open: Vec::new(),
            last: 0,
            buffered: 0,
            rows_since_check: 0,
            stats: WriteStats::default(),
            reject_buf: RowBuf::default(),
        }
    }

    pub fn stats(&self) -> &WriteStats {
        &self.stats
    }

    /// Rows buffered and not yet written.
    pub fn pending_rows(&self) -> usize {
        self.open.iter().map(|o| o.batch.rows()).sum()
    }

    /// Writes every batch; afterwards every row given so far is durable.
    pub fn flush_all(&mut self) -> Result<(), LakeError> {
        while let Some(o) = self.open.pop() {
            self.write_batch(o)?;
        }
        self.buffered = 0;
        Ok(())
    }

    /// Writes batches older than `max_age`.
    pub fn flush_aged(&mut self) -> Result<(), LakeError> {
        let max_age = self.opts.max_age;
        let mut i = 0;
        while i < self.open.len() {
            if self.open[i].since.elapsed() >= max_age {
                let o = self.open.swap_remove(i);
                self.write_batch(o)?;
            } else {
                i += 1;
            }
        }
        Ok(())
    }

    /// Flushes everything and returns the statistics.
    pub fn finish(mut self) -> Result<WriteStats, LakeError> {
        self.flush_all()?;
        Ok(std::mem::take(&mut self.stats))
    }

    fn slot(&mut self, t: &LogType, hour: i64) -> usize {
        let ptr = t as *const LogType;
        if let Some(o) = self.open.get(self.last) {
            if o.schema_of == ptr && o.hour == hour {
                return self.last;
            }
        }
        let idx = match self
            .open
            .iter()
            .position(|o| o.schema_of == ptr && o.hour == hour)
        {
            Some(i) => i,
            None => {
                self.open.push(Open {
                    table: t.table.clone(),
                    schema_of: ptr,
                    hour,
                    batch: TableBatch::new(&t.schema),
                    since: Instant::now(),
                });
                self.open.len() - 1
            }
        };
        self.last = idx;
        idx
    }

    fn append(
        &mut self,
        t: &LogType,
        row: &Row<'_>,
        std: &StandardFields<'_>,
        event_time: Timestamp,
    ) -> Result<(), LakeError> {
        let idx = self.slot(t, hour_of(event_time));
        let before = self.open[idx].batch.bytes();
        self.open[idx].batch.append(row, std, event_time);
        let after = self.open[idx].batch.bytes();
        self.buffered += after - before;
        if after >= self.opts.target_file_bytes {
            let o = self.open.swap_remove(idx);
            self.buffered -= o.batch.bytes();
            self.write_batch(o)?;
        } else if self.buffered > self.opts.memory_budget {
            let largest = (0..self.open.len())
                .max_by_key(|&i| self.open[i].batch.bytes())
                .unwrap_or(0);
            let o = self.open.swap_remove(largest);
            self.buffered -= o.batch.bytes();
            self.write_batch(o)?;
        }
        self.rows_since_check += 1;
        if self.rows_since_check >= 4096 {
            self.rows_since_check = 0;
            self.flush_aged()?;
            self.buffered = self.open.iter().map(|o| o.batch.bytes()).sum();
        }
        Ok(())
    }

    fn write_batch(&mut self, mut o: Open) -> Result<(), LakeError> {
        if o.batch.rows() == 0 {
            return Ok(());
        }
        let rows = o.batch.rows() as u64;
        let batch = o.batch.finish()?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(self.opts.zstd_level)?))
            .set_max_row_group_row_count(Some(self.opts.row_group_rows))
            .set_created_by(format!("seclake {}", env!("CARGO_PKG_VERSION")))
            .build();
        let mut w = ArrowWriter::try_new(Vec::new(), batch.schema(), Some(props))?;
        w.write(&batch)?;
        let bytes = w.into_inner()?;
        self.seq += 1;
        let name = file_name(self.writer_id, self.seq, Timestamp::now());
        let path = self
            .lake
            .path(&format!("{}/{}/{name}", o.table, partition_dir(o.hour)));
        let size = bytes.len() as u64;
        let store = Arc::clone(&self.lake.store);
        self.rt.block_on(async move {
            use object_store::ObjectStoreExt;
            store.put(&path, bytes.into()).await
        })?;
        let s = self.stats.tables.entry(o.table).or_default();
        s.rows += rows;
        s.files += 1;
        s.bytes += size;
        Ok(())
    }
}

fn to_io(e: LakeError) -> io::Error {
    io::Error::other(e)
}

impl RowSink for LakeWriter {
    fn row(
        &mut self,
        t: &LogType,
        row: &Row<'_>,
        std: &StandardFields<'_>,
        event_time: Timestamp,
    ) -> io::Result<()> {
        self.append(t, row, std, event_time).map_err(to_io)
    }

    fn reject(&mut self, r: &Reject<'_>) -> io::Result<()> {
        let t = rejects::log_type();
        let now = Timestamp::now();
        let raw = String::from_utf8_lossy(r.raw);
        let mut std = StandardFields {
            log_type: rejects::TABLE,
            row_id: [0; 32],
            parse_time: now,
            source_id: r.source_id,
            source_label: r.source_label,
        };
        RowIdHasher::new(r.source_id.unwrap_or(""), r.identity).row_id(
            r.offset,
            u32::MAX,
            &mut std.row_id,
        );
        let mut buf = std::mem::take(&mut self.reject_buf);
        let mut row = buf.row(t.schema.columns.len());
        rejects::fill(&mut row, r, &raw);
        row.collect_indicators(&t.schema);
        let res = self.append(t, &row, &std, now).map_err(to_io);
        buf.recycle(row);
        self.reject_buf = buf;
        res
    }
}
