//! Compaction: merge the files of each partition into one and drop rows
//! whose `p_row_id` was already seen.
//!
//! This is how a lake is cleaned up after at-least-once delivery (a
//! redelivered object is parsed again into rows with the same ids) and
//! after many small flushes. For each partition with more than one file:
//!
//! 1. the file schemas are merged (a column added by a newer version of a
//!    log type is null in rows of older files);
//! 2. the rows are streamed into one new file, skipping repeated ids; the
//!    new file becomes visible only once complete;
//! 3. only then are the old files deleted.
//!
//! A crash between 2 and 3 leaves rows visible twice, never lost; running
//! compaction again removes the duplicates.

use std::collections::HashSet;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray};
use arrow_schema::{Schema, SchemaRef};
use futures::TryStreamExt;
use object_store::{ObjectMeta, ObjectStoreExt};
use parquet::arrow::async_writer::AsyncArrowWriter;
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use seclake_core::Timestamp;

use crate::layout::{file_name, new_writer_id};
use crate::store::{Lake, LakeError};
use crate::tables::{list_files, open_parquet, relative};

/// What compaction did to one table.
#[derive(Debug, Default, Clone)]
pub struct CompactStats {
    pub table: String,
    pub partitions: u64,
    pub files_before: u64,
    pub files_after: u64,
    pub rows_before: u64,
    pub rows_after: u64,
}

impl CompactStats {
    pub fn duplicates_removed(&self) -> u64 {
        self.rows_before - self.rows_after
    }
}

/// Compacts every table, or only `table`.
pub async fn compact(lake: &Lake, table: Option<&str>) -> Result<Vec<CompactStats>, LakeError> {
    let files = list_files(lake).await?;
    if let Some(t) = table {
        if !files.contains_key(t) {
            let known: Vec<_> = files.keys().cloned().collect();
            return Err(LakeError::Uri {
                uri: lake.uri.clone(),
                reason: format!("no table {t:?} in the lake; tables: {}", known.join(", ")),
            });
        }
    }
    let writer_id = new_writer_id();
    let mut seq = 0;
    let mut out = Vec::new();
    for (name, files) in files {
        if table.is_some_and(|t| t != name) {
            continue;
        }
        let mut stats = CompactStats {
            table: name.clone(),
            ..CompactStats::default()
        };
        // Group by partition directory.
        let mut groups: Vec<(String, Vec<ObjectMeta>)> = Vec::new();
        for f in files {
            let rel = relative(&lake.root, &f.location).unwrap_or_default();
            let dir = rel
                .rsplit_once('/')
                .map(|(d, _)| d.to_string())
                .unwrap_or_default();
            match groups.last_mut() {
                Some((d, v)) if *d == dir => v.push(f),
                _ => groups.push((dir, vec![f])),
            }
        }
        for (dir, files) in groups {
            stats.files_before += files.len() as u64;
            if files.len() < 2 {
                stats.files_after += files.len() as u64;
                continue;
            }
            seq += 1;
            let (before, after) = compact_partition(lake, &dir, &files, writer_id, seq).await?;
            stats.partitions += 1;
            stats.files_after += 1;
            stats.rows_before += before;
            stats.rows_after += after;
        }
        out.push(stats);
    }
    Ok(out)
}

async fn compact_partition(
    lake: &Lake,
    dir: &str,
    files: &[ObjectMeta],
    writer_id: u64,
    seq: u64,
) -> Result<(u64, u64), LakeError> {
    // 1. The merged schema, from the footers.
    let mut schemas = Vec::new();
    for f in files {
        let b = ParquetRecordBatchStreamBuilder::new(reader(lake, f)).await?;
        schemas.push(b.schema().as_ref().clone());
    }
    let merged: SchemaRef = Arc::new(Schema::try_merge(schemas)?);

    // 2. Stream every file into the new one, skipping seen ids.
    let target = lake.path(&format!(
        "{dir}/{}",
        file_name(writer_id, seq, Timestamp::now())
    ));
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_max_row_group_row_count(Some(128 * 1024))
        .set_created_by(format!("seclake {} compact", env!("CARGO_PKG_VERSION")))
        .build();
    let sink = object_store::buffered::BufWriter::new(lake.store.clone(), target.clone());
    let mut writer = AsyncArrowWriter::try_new(sink, merged.clone(), Some(props))?;
    let mut seen: HashSet<u128> = HashSet::new();
    let (mut before, mut after) = (0u64, 0u64);
    for f in files {
        let mut stream = ParquetRecordBatchStreamBuilder::new(reader(lake, f))
            .await?
            .build()?;
        while let Some(batch) = stream.try_next().await? {
            before += batch.num_rows() as u64;
            let batch = conform(&batch, &merged)?;
            let keep = unseen(&batch, &mut seen);
            let kept = arrow_select_filter(&batch, &keep)?;
            after += kept.num_rows() as u64;
            if kept.num_rows() > 0 {
                writer.write(&kept).await?;
            }
        }
    }
    writer.close().await?;

    // 3. The new file is complete and visible: remove the old ones.
    for f in files {
        lake.store.delete(&f.location).await?;
    }
    Ok((before, after))
}

fn reader(
    lake: &Lake,
    f: &ObjectMeta,
) -> impl parquet::arrow::async_reader::AsyncFileReader + Unpin + 'static {
    open_parquet(lake, f)
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
