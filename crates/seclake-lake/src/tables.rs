//! What is in a lake: its tables with row counts, sizes, time ranges and
//! log versions, all read from the tables' Delta logs.

use object_store::path::Path;

use crate::delta::files::{files_of, table_names};
use crate::delta::snapshot;
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
    /// The log version read, and when it was committed (ms since the epoch).
    pub version: u64,
    pub last_commit_ms: Option<i64>,
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

/// Tables with their row counts, sizes and time ranges, from the file
/// statistics in each table's log (no data file is listed or opened).
pub async fn tables(lake: &Lake) -> Result<Vec<TableInfo>, LakeError> {
    let mut out = Vec::new();
    for name in table_names(lake).await? {
        let Some(state) = snapshot(lake, &name).await? else {
            continue;
        };
        let mut info = TableInfo {
            version: state.version(),
            last_commit_ms: state.version_timestamp(state.version()),
            name: name.clone(),
            ..TableInfo::default()
        };
        for f in files_of(lake, &name, &state) {
            info.files += 1;
            info.bytes += f.size;
            info.rows += f.rows.unwrap_or(0);
            if let Some(h) = f.hour {
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
    location: &Path,
    size: u64,
) -> parquet::arrow::async_reader::ParquetObjectReader {
    parquet::arrow::async_reader::ParquetObjectReader::new(lake.store.clone(), location.clone())
        .with_file_size(size)
}
