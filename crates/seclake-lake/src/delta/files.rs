//! What a table holds, read from its log: the tables of a lake are the
//! directories with a `_delta_log`, and a table's files are those its
//! current (or an earlier) snapshot names, with their size, partition and
//! row count. Nothing here lists data directories or reads a footer.

use deltalake_core::kernel::Remove;
use deltalake_core::table::state::DeltaTableState;
use object_store::path::Path;
use object_store::ObjectStoreExt;

use super::snapshot;
use crate::layout::parse_partition;
use crate::store::{Lake, LakeError};
use crate::tables::relative;

/// A data file of a table's snapshot.
#[derive(Debug, Clone)]
pub struct TableFile {
    /// Below the table root.
    pub path: String,
    /// In the lake's store.
    pub location: Path,
    pub size: u64,
    /// Event hour of its partition.
    pub hour: Option<i64>,
    pub rows: Option<u64>,
    remove: Remove,
}

impl TableFile {
    /// The log action that takes this file out of the table.
    pub fn remove_action(&self) -> Remove {
        self.remove.clone()
    }
}

/// The names of the lake's tables (directories with a Delta log), sorted.
pub async fn table_names(lake: &Lake) -> Result<Vec<String>, LakeError> {
    let top = lake.store.list_with_delimiter(Some(&lake.root)).await?;
    let mut names = Vec::new();
    for dir in top.common_prefixes {
        let Some(name) = relative(&lake.root, &dir) else {
            continue;
        };
        let log = lake.path(&format!("{name}/_delta_log"));
        let entries = lake.store.list_with_delimiter(Some(&log)).await?;
        if !entries.objects.is_empty() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// The files of `table`'s snapshot.
pub fn files_of(lake: &Lake, table: &str, state: &DeltaTableState) -> Vec<TableFile> {
    let mut out: Vec<TableFile> = state
        .log_data()
        .iter()
        .map(|f| {
            let path = f.path().to_string();
            TableFile {
                location: lake.path(&format!("{table}/{path}")),
                hour: parse_partition(&path),
                size: f.size().max(0) as u64,
                rows: f.num_records().map(|n| n as u64),
                remove: f.remove_action(false),
                path,
            }
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Which snapshot of a table to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AsOf {
    /// The newest commit.
    #[default]
    Latest,
    /// The table as of this log version.
    Version(u64),
    /// The table as it was at this time (milliseconds since the epoch):
    /// the newest commit made at or before it.
    Time(i64),
}

/// The snapshot of `table` at `as_of`; `None` when the table has no log.
/// A version or time before the table's first commit is an error.
pub async fn snapshot_at(
    lake: &Lake,
    table: &str,
    as_of: AsOf,
) -> Result<Option<DeltaTableState>, LakeError> {
    let version = match as_of {
        AsOf::Latest => return snapshot(lake, table).await,
        AsOf::Version(v) => v,
        AsOf::Time(ms) => {
            let Some(latest) = snapshot(lake, table).await? else {
                return Ok(None);
            };
            match version_at(lake, table, &latest, ms).await? {
                Some(v) => v,
                None => {
                    return Err(LakeError::Delta(format!(
                        "table {table} has no commit at or before {}",
                        seclake_core::Timestamp(ms * 1000).to_rfc3339()
                    )))
                }
            }
        }
    };
    if !super::has_log(lake, table).await? {
        return Ok(None);
    }
    let store = lake.log_store(table)?;
    match DeltaTableState::try_new(store.as_ref(), Some(version)).await {
        Ok(s) => Ok(Some(s)),
        Err(deltalake_core::DeltaTableError::NotATable(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The newest version committed at or before `ms`: commits are numbered
/// in time order, so a binary search over their timestamps.
async fn version_at(
    lake: &Lake,
    table: &str,
    latest: &DeltaTableState,
    ms: i64,
) -> Result<Option<u64>, LakeError> {
    let time_of = |v: u64| async move {
        if let Some(t) = latest.version_timestamp(v) {
            return Ok::<i64, LakeError>(t);
        }
        let path = lake.path(&format!("{table}/_delta_log/{v:020}.json"));
        let meta = lake.store.head(&path).await?;
        Ok(meta.last_modified.timestamp_millis())
    };
    let (mut lo, mut hi) = (0u64, latest.version());
    if time_of(lo).await? > ms {
        return Ok(None);
    }
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if time_of(mid).await? <= ms {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(Some(lo))
}

/// The current snapshot of `table` and its files; an error naming the
/// tables that exist when it has no log.
pub async fn current_files(
    lake: &Lake,
    table: &str,
) -> Result<(DeltaTableState, Vec<TableFile>), LakeError> {
    match snapshot(lake, table).await? {
        Some(s) => {
            let files = files_of(lake, table, &s);
            Ok((s, files))
        }
        None => Err(LakeError::Uri {
            uri: lake.uri.clone(),
            reason: format!(
                "no table {table:?} in the lake; tables: {}",
                table_names(lake).await?.join(", ")
            ),
        }),
    }
}
