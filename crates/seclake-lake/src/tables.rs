//! What is in a lake: its tables with row counts, sizes and time ranges.

use std::collections::BTreeMap;

use futures::TryStreamExt;
use object_store::path::Path;
use object_store::ObjectMeta;
use parquet::arrow::ParquetRecordBatchStreamBuilder;

use crate::layout::parse_partition;
use crate::store::{Lake, LakeError};

/// One table's summary.
#[derive(Debug, Default, Clone)]
pub struct TableInfo {
    pub name: String,
    pub files: u64,
    pub bytes: u64,
    pub rows: u64,
    /// First and last event hour (hours since the epoch) with data.
    pub hours: Option<(i64, i64)>,
}

/// Every data file of the lake, grouped by table (files not ending in
/// `.parquet`, and staging or hidden files, are not data).
pub async fn list_files(lake: &Lake) -> Result<BTreeMap<String, Vec<ObjectMeta>>, LakeError> {
    let metas: Vec<ObjectMeta> = lake.store.list(Some(&lake.root)).try_collect().await?;
    let mut out: BTreeMap<String, Vec<ObjectMeta>> = BTreeMap::new();
    for m in metas {
        let Some(rel) = relative(&lake.root, &m.location) else {
            continue;
        };
        let mut parts = rel.split('/');
        let Some(table) = parts.next() else { continue };
        let rest: Vec<&str> = parts.collect();
        let hidden = rest
            .iter()
            .any(|p| p.starts_with('_') || p.starts_with('.'));
        if rest.is_empty() || hidden || !rel.ends_with(".parquet") {
            continue;
        }
        out.entry(table.to_string()).or_default().push(m);
    }
    for files in out.values_mut() {
        files.sort_by(|a, b| a.location.cmp(&b.location));
    }
    Ok(out)
}

/// The path of `p` below `root`, as text.
pub fn relative(root: &Path, p: &Path) -> Option<String> {
    let root = root.as_ref();
    let p = p.as_ref();
    if root.is_empty() {
        return Some(p.to_string());
    }
    p.strip_prefix(root)
        .and_then(|r| r.strip_prefix('/'))
        .map(str::to_string)
}

/// Tables with their row counts (from the Parquet footers), sizes and
/// time ranges (from the partition directories).
pub async fn tables(lake: &Lake) -> Result<Vec<TableInfo>, LakeError> {
    let mut out = Vec::new();
    for (name, files) in list_files(lake).await? {
        let mut info = TableInfo {
            name,
            ..TableInfo::default()
        };
        for f in &files {
            info.files += 1;
            info.bytes += f.size;
            let builder = ParquetRecordBatchStreamBuilder::new(open_parquet(lake, f)).await?;
            info.rows += builder.metadata().file_metadata().num_rows() as u64;
            if let Some(h) = parse_partition(f.location.as_ref()) {
                info.hours = Some(match info.hours {
                    Some((lo, hi)) => (lo.min(h), hi.max(h)),
                    None => (h, h),
                });
            }
        }
        out.push(info);
    }
    Ok(out)
}

/// A reader of one Parquet file of the lake, fetching only the byte ranges
/// it needs (the footer first).
// `ParquetObjectReader` is deprecated in favour of hand-written
// `AsyncFileReader`s; it still does exactly what is needed here, so it is
// kept in this one place until a replacement is worth its code.
#[allow(deprecated)]
pub fn open_parquet(
    lake: &Lake,
    f: &ObjectMeta,
) -> parquet::arrow::async_reader::ParquetObjectReader {
    parquet::arrow::async_reader::ParquetObjectReader::new(lake.store.clone(), f.location.clone())
        .with_file_size(f.size)
}
