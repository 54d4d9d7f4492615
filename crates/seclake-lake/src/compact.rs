//! Compaction: merge the small files of each closed hour of a table into
//! one and drop rows whose `p_row_id` was already seen in that hour.
//!
//! This is how a lake is cleaned up after at-least-once delivery (a
//! redelivered object is parsed again into rows with the same ids) and
//! after many small flushes. For each table:
//!
//! 1. the snapshot's files are grouped by partition; hours that ended less
//!    than `older_than` ago are left to the writers still filling them;
//! 2. each group's rows are streamed into one new file (schemas merged: a
//!    column a newer file has reads null in older rows), skipping repeated
//!    ids;
//! 3. one commit removes the old files from the table and adds the new
//!    ones. Data files are not deleted (`seclake vacuum` does that once no
//!    snapshot a reader may hold needs them), so a query running meanwhile
//!    reads its snapshot to the end and never sees a row twice.
//!
//! A crash before 3 leaves only unreferenced files; a compaction racing
//! another one over the same files loses its commit the same way.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray};
use arrow_schema::{Schema, SchemaRef};
use futures::TryStreamExt;
use object_store::ObjectStoreExt;
use parquet::arrow::async_writer::AsyncArrowWriter;
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use seclake_core::Timestamp;

use crate::delta::files::{current_files, table_names, TableFile};
use crate::delta::{replace, NewFile};
use crate::layout::{file_name, new_writer_id, partition_dir, MICROS_PER_HOUR};
use crate::store::{Lake, LakeError};
use crate::tables::open_parquet;

/// What compaction did to one table.
#[derive(Debug, Default, Clone)]
pub struct CompactStats {
    pub table: String,
    pub partitions: u64,
    pub files_before: u64,
    pub files_after: u64,
    pub rows_before: u64,
    pub rows_after: u64,
    /// The log version of the commit, when there was one.
    pub version: Option<u64>,
}

impl CompactStats {
    pub fn duplicates_removed(&self) -> u64 {
        self.rows_before - self.rows_after
    }
}

/// What to compact.
#[derive(Debug, Clone)]
pub struct CompactOptions {
    /// Only this table (default: all).
    pub table: Option<String>,
    /// Leave alone the hours that ended less than this long ago (zero:
    /// every hour, the current one too).
    pub older_than: Duration,
    /// Start a new file once one holds this many bytes.
    pub target_file_bytes: u64,
}

impl Default for CompactOptions {
    fn default() -> Self {
        CompactOptions {
            table: None,
            older_than: Duration::from_secs(3600),
            target_file_bytes: 256 << 20,
        }
    }
}

/// Compacts the tables `opts` names.
pub async fn compact(lake: &Lake, opts: &CompactOptions) -> Result<Vec<CompactStats>, LakeError> {
    let table = opts.table.as_deref();
    let older_than = opts.older_than;
    let names = table_names(lake).await?;
    if let Some(t) = table {
        if !names.iter().any(|n| n == t) {
            return Err(LakeError::Uri {
                uri: lake.uri.clone(),
                reason: format!("no table {t:?} in the lake; tables: {}", names.join(", ")),
            });
        }
    }
    let closed_before = Timestamp::now().0 - older_than.as_micros() as i64;
    let writer_id = new_writer_id();
    let mut seq = 0;
    let mut out = Vec::new();
    for name in names {
        if table.is_some_and(|t| t != name) {
            continue;
        }
        let (state, files) = current_files(lake, &name).await?;
        let mut stats = CompactStats {
            table: name.clone(),
            files_before: files.len() as u64,
            ..CompactStats::default()
        };
        let mut removes = Vec::new();
        let mut adds = Vec::new();
        let mut groups: Vec<(i64, Vec<TableFile>)> = Vec::new();
        for f in files {
            let Some(hour) = f.hour else { continue };
            match groups.last_mut() {
                Some((h, v)) if *h == hour => v.push(f),
                _ => groups.push((hour, vec![f])),
            }
        }
        for (hour, files) in groups {
            let closed = older_than.is_zero() || (hour + 1) * MICROS_PER_HOUR <= closed_before;
            if files.len() < 2 || !closed {
                continue;
            }
            let mut next_name = || {
                seq += 1;
                format!(
                    "{}/{}",
                    partition_dir(hour),
                    file_name(writer_id, seq, Timestamp::now())
                )
            };
            let (before, new) = compact_partition(
                lake,
                &name,
                hour,
                &files,
                opts.target_file_bytes,
                &mut next_name,
            )
            .await?;
            stats.partitions += 1;
            stats.rows_before += before;
            stats.rows_after += new.iter().map(|f| f.rows).sum::<u64>();
            removes.extend(files.iter().map(TableFile::remove_action));
            adds.extend(new);
        }
        stats.files_after = stats.files_before - removes.len() as u64 + adds.len() as u64;
        if !removes.is_empty() {
            stats.version = Some(replace(lake, &name, &state, removes, adds).await?);
        }
        out.push(stats);
    }
    Ok(out)
}

/// Streams `files` into new files below the table (a new one each time
/// one passes `target` bytes, named by `next_name`), skipping repeated row
/// ids; returns the rows read and the files written.
async fn compact_partition(
    lake: &Lake,
    table: &str,
    hour: i64,
    files: &[TableFile],
    target: u64,
    next_name: &mut dyn FnMut() -> String,
) -> Result<(u64, Vec<NewFile>), LakeError> {
    // 1. The merged schema, from the footers.
    let mut schemas = Vec::new();
    for f in files {
        let b = ParquetRecordBatchStreamBuilder::new(reader(lake, f)).await?;
        schemas.push(b.schema().as_ref().clone());
    }
    let merged: SchemaRef = Arc::new(Schema::try_merge(schemas)?);

    // 2. Stream every file into the new ones, skipping seen ids.
    let mut seen: HashSet<u128> = HashSet::new();
    let mut before = 0u64;
    let mut written = Vec::new();
    let mut out: Option<Output> = None;
    for f in files {
        let mut stream = ParquetRecordBatchStreamBuilder::new(reader(lake, f))
            .await?
            .build()?;
        while let Some(batch) = stream.try_next().await? {
            before += batch.num_rows() as u64;
            let batch = conform(&batch, &merged)?;
            let keep = unseen(&batch, &mut seen);
            let kept = arrow_select_filter(&batch, &keep)?;
            if kept.num_rows() == 0 {
                continue;
            }
            let o = match out.as_mut() {
                Some(o) => o,
                None => out.insert(Output::create(lake, table, next_name(), hour, &merged)?),
            };
            o.write(&kept).await?;
            if o.writer.bytes_written() as u64 >= target {
                if let Some(full) = out.take() {
                    written.push(full.close(lake).await?);
                }
            }
        }
    }
    if let Some(last) = out.take() {
        written.push(last.close(lake).await?);
    }
    Ok((before, written))
}

/// A compacted file being written.
struct Output {
    writer: AsyncArrowWriter<object_store::buffered::BufWriter>,
    target: object_store::path::Path,
    file: NewFile,
}

impl Output {
    fn create(
        lake: &Lake,
        table: &str,
        rel: String,
        hour: i64,
        schema: &SchemaRef,
    ) -> Result<Self, LakeError> {
        let target = lake.path(&format!("{table}/{rel}"));
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
            .set_max_row_group_row_count(Some(128 * 1024))
            .set_created_by(format!("seclake {} compact", env!("CARGO_PKG_VERSION")))
            .build();
        let sink = object_store::buffered::BufWriter::new(lake.store.clone(), target.clone());
        Ok(Output {
            writer: AsyncArrowWriter::try_new(sink, schema.clone(), Some(props))?,
            target,
            file: NewFile {
                path: rel,
                hour,
                size: 0,
                rows: 0,
                min_time: i64::MAX,
                max_time: i64::MIN,
            },
        })
    }

    async fn write(&mut self, batch: &RecordBatch) -> Result<(), LakeError> {
        self.file.rows += batch.num_rows() as u64;
        if let Some(t) = batch.column_by_name("p_event_time") {
            for &v in t.as_primitive::<TimestampMicrosecondType>().values() {
                self.file.min_time = self.file.min_time.min(v);
                self.file.max_time = self.file.max_time.max(v);
            }
        }
        Ok(self.writer.write(batch).await?)
    }

    async fn close(self, lake: &Lake) -> Result<NewFile, LakeError> {
        self.writer.close().await?;
        let mut file = self.file;
        file.size = lake.store.head(&self.target).await?.size;
        Ok(file)
    }
}

fn reader(
    lake: &Lake,
    f: &TableFile,
) -> impl parquet::arrow::async_reader::AsyncFileReader + Unpin + 'static {
    open_parquet(lake, &f.location, f.size)
}

/// The batch with the merged schema's columns: its own aligned to the
/// merged types (struct members it lacks read null, the rest keep their
/// values), nulls for columns it lacks.
fn conform(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, LakeError> {
    let cols = schema
        .fields()
        .iter()
        .map(|f| match batch.column_by_name(f.name()) {
            Some(c) => crate::align::align(c, f.data_type()),
            None => Ok(arrow_array::new_null_array(f.data_type(), batch.num_rows())),
        })
        .collect::<Result<Vec<ArrayRef>, _>>()?;
    Ok(RecordBatch::try_new(schema.clone(), cols)?)
}

/// Which rows have a `p_row_id` not seen before (rows without one are kept).
fn unseen(batch: &RecordBatch, seen: &mut HashSet<u128>) -> BooleanArray {
    let ids = batch
        .column_by_name("p_row_id")
        .and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned());
    (0..batch.num_rows())
        .map(|i| match &ids {
            Some(ids) if ids.is_valid(i) => {
                Some(seen.insert(xxhash_rust::xxh3::xxh3_128(ids.value(i).as_bytes())))
            }
            _ => Some(true),
        })
        .collect()
}

fn arrow_select_filter(batch: &RecordBatch, keep: &BooleanArray) -> Result<RecordBatch, LakeError> {
    if keep.true_count() == batch.num_rows() {
        return Ok(batch.clone());
    }
    Ok(arrow_select::filter::filter_record_batch(batch, keep)?)
}
