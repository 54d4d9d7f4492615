//! Every table of the lake is a Delta Lake table: `<lake>/<table>/` holds
//! the Parquet files in `year=/month=/day=/hour=/` directories and the
//! transaction log in `_delta_log/`. A file is part of the table only once
//! a commit names it; readers (this crate's query engine, Athena, Trino,
//! Spark, DuckDB) see whole commits or nothing.
//!
//! Writing, and what it means for acknowledgements:
//!
//! 1. The writer encodes a partition's rows and PUTs the Parquet file
//!    under a name no other writer can choose. A file no commit names is
//!    invisible (and `seclake vacuum` deletes it once it is old).
//! 2. Files finished since the last commit are committed together, in one
//!    transaction per table, at least every second and at the end of a run:
//!    `add` actions with partition values and `p_event_time` statistics.
//! 3. Only after that commit succeeds are the inputs whose rows the files
//!    hold acknowledged. A commit that fails after retries fails those
//!    inputs: they are not acknowledged, and their files stay unreferenced.
//!
//! Many writers (threads, processes, machines) commit to one table with no
//! lock service: log entry `N` is created with a conditional PUT
//! (`If-None-Match` on S3, an atomic create on a local disk), so exactly
//! one writer wins each version; a loser reads the new entries and, since
//! appends never conflict, retries as the next version. A writer that
//! adds a column or a struct member commits the merged schema with its
//! files; a writer racing it re-reads and merges again.
//!
//! The protocol stays at reader 1 / writer 2 (no deletion vectors, no
//! column mapping), which every engine reads.

pub mod files;
pub mod schema;

use std::collections::HashMap;
use std::sync::Arc;

use deltalake_core::kernel::transaction::CommitBuilder;
use deltalake_core::kernel::{Action, Add, MetadataExt};
use deltalake_core::logstore::{default_logstore, LogStoreRef, StorageConfig};
use deltalake_core::operations::create::CreateBuilder;
use deltalake_core::protocol::{DeltaOperation, SaveMode};
use deltalake_core::table::state::DeltaTableState;
use deltalake_core::DeltaTableError;
use object_store::prefix::PrefixStore;

use crate::store::{Lake, LakeError};
use schema::{merge, partition_values, table_schema, PARTITION_COLUMNS};

/// A data file written and waiting to be committed.
#[derive(Debug, Clone)]
pub struct NewFile {
    /// Below the table root: `year=…/month=…/day=…/hour=…/<name>.parquet`.
    pub path: String,
    pub hour: i64,
    pub size: u64,
    pub rows: u64,
    /// Least and greatest `p_event_time`, microseconds.
    pub min_time: i64,
    pub max_time: i64,
}

/// How many times a commit is tried against other writers' commits before
/// it fails.
const COMMIT_ATTEMPTS: usize = 30;

impl Lake {
    /// The Delta log store of `table`.
    pub fn log_store(&self, table: &str) -> Result<LogStoreRef, LakeError> {
        let url = self.table_url(table)?;
        let prefix = self.path(table);
        let prefixed: Arc<dyn object_store::ObjectStore> = Arc::new(PrefixStore::new(
            self.root_store.clone(),
            prefix_of(&self.root_prefix, &prefix),
        ));
        Ok(default_logstore(
            prefixed,
            self.root_store.clone(),
            &url,
            &StorageConfig::default(),
        ))
    }

    fn table_url(&self, table: &str) -> Result<url::Url, LakeError> {
        self.root_url
            .join(&format!("{table}/"))
            .map_err(|e| LakeError::Delta(format!("table {table}: {e}")))
    }
}

/// The path of `p` (below the lake's store) in the root store.
fn prefix_of(
    root_prefix: &object_store::path::Path,
    p: &object_store::path::Path,
) -> object_store::path::Path {
    root_prefix.parts().chain(p.parts()).collect()
}

/// The current snapshot of `table`, `None` when it has no log yet.
pub async fn snapshot(lake: &Lake, table: &str) -> Result<Option<DeltaTableState>, LakeError> {
    if !has_log(lake, table).await? {
        return Ok(None);
    }
    let store = lake.log_store(table)?;
    match DeltaTableState::try_new(store.as_ref(), None).await {
        Ok(s) => Ok(Some(s)),
        Err(DeltaTableError::NotATable(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Whether `table` has log entries. A table without them has no snapshot;
/// asking the log reader would say so as an error (and log it).
pub async fn has_log(lake: &Lake, table: &str) -> Result<bool, LakeError> {
    let log = lake.path(&format!("{table}/_delta_log"));
    Ok(!lake
        .store
        .list_with_delimiter(Some(&log))
        .await?
        .objects
        .is_empty())
}

/// A writer's view of the tables it commits to: the snapshot each commit
/// builds on, refreshed when another writer got there first.
#[derive(Default)]
pub struct Committer {
    tables: HashMap<String, Option<DeltaTableState>>,
}

impl Committer {
    /// Commits `files` of `table`, whose rows have schema `rows`, in one
    /// transaction (creating the table on its first commit). Returns the
    /// version committed.
    pub async fn append(
        &mut self,
        lake: &Lake,
        table: &str,
        rows: &arrow_schema::Schema,
        files: &[NewFile],
    ) -> Result<u64, LakeError> {
        let store = lake.log_store(table)?;
        let incoming = table_schema(rows)?;
        let adds: Vec<Action> = files.iter().map(add_action).collect();
        let mut last_error = None;
        for _ in 0..COMMIT_ATTEMPTS {
            let state = match self.tables.get_mut(table) {
                Some(s) => s,
                None => {
                    let s = snapshot(lake, table).await?;
                    self.tables.entry(table.to_string()).or_insert(s)
                }
            };
            let result = match state {
                None => create(&store, &incoming, adds.clone()).await,
                Some(snap) => append_to(&store, snap, &incoming, adds.clone()).await,
            };
            match result {
                Ok((version, new_state)) => {
                    *state = Some(new_state);
                    return Ok(version);
                }
                // Another writer committed first (or created the table):
                // read what it did and try again on top of it.
                Err(e) if is_race(&e) => {
                    last_error = Some(e);
                    let fresh = snapshot(lake, table).await?;
                    self.tables.insert(table.to_string(), fresh);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(LakeError::Delta(format!(
            "table {table}: gave up committing after {COMMIT_ATTEMPTS} races with other writers: {}",
            last_error.map(|e| e.to_string()).unwrap_or_default()
        )))
    }
}

/// Version 0: protocol, schema and the first files at once.
async fn create(
    store: &LogStoreRef,
    schema: &deltalake_core::kernel::StructType,
    adds: Vec<Action>,
) -> Result<(u64, DeltaTableState), DeltaTableError> {
    let table = CreateBuilder::new()
        .with_log_store(store.clone())
        .with_columns(schema.fields().cloned())
        .with_partition_columns(PARTITION_COLUMNS)
        .with_save_mode(SaveMode::ErrorIfExists)
        .with_actions(adds)
        .await?;
    let state = table.snapshot()?.clone();
    Ok((state.version(), state))
}

/// Version N+1 on top of `snap`: the files, and the merged schema when
/// these rows bring new columns or members.
async fn append_to(
    store: &LogStoreRef,
    snap: &DeltaTableState,
    incoming: &deltalake_core::kernel::StructType,
    mut actions: Vec<Action>,
) -> Result<(u64, DeltaTableState), DeltaTableError> {
    let current = snap.schema();
    let merged = merge(&current, incoming).map_err(|e| DeltaTableError::Generic(e.to_string()))?;
    if let Some(merged) = merged {
        let metadata = snap.metadata().clone().with_schema(&merged)?;
        actions.push(Action::Metadata(metadata));
    }
    let op = DeltaOperation::Write {
        mode: SaveMode::Append,
        partition_by: Some(PARTITION_COLUMNS.iter().map(|s| s.to_string()).collect()),
        predicate: None,
    };
    let done = CommitBuilder::default()
        .with_actions(actions)
        .with_max_retries(COMMIT_ATTEMPTS)
        .build(Some(snap), store.clone(), op)
        .await?;
    Ok((done.version, done.snapshot))
}

/// One commit that takes `removes` out of `table` and puts `adds` in, on
/// top of `state` (compaction). Not retried: losing to another writer
/// means the files changed under it, and its new files stay unreferenced.
pub async fn replace(
    lake: &Lake,
    table: &str,
    state: &DeltaTableState,
    removes: Vec<deltalake_core::kernel::Remove>,
    adds: Vec<NewFile>,
) -> Result<u64, LakeError> {
    let store = lake.log_store(table)?;
    let target_size = adds.iter().map(|f| f.size as i64).max().unwrap_or(0);
    let mut actions: Vec<Action> = removes.into_iter().map(Action::Remove).collect();
    actions.extend(adds.iter().map(add_action));
    let op = DeltaOperation::Optimize {
        predicate: None,
        target_size,
    };
    let done = CommitBuilder::default()
        .with_actions(actions)
        .build(Some(state), store, op)
        .await?;
    Ok(done.version)
}

/// Whether a commit lost to another writer (and may be tried again on a
/// fresh snapshot).
fn is_race(e: &DeltaTableError) -> bool {
    matches!(
        e,
        DeltaTableError::VersionAlreadyExists(_) | DeltaTableError::Transaction { .. }
    ) || matches!(e, DeltaTableError::CommitValidation { .. })
        || e.to_string().contains("already exists")
}

fn add_action(f: &NewFile) -> Action {
    Action::Add(Add {
        path: f.path.clone(),
        partition_values: partition_values(f.hour),
        size: f.size as i64,
        modification_time: seclake_core::Timestamp::now().0 / 1000,
        data_change: true,
        stats: Some(stats_json(f)),
        tags: None,
        deletion_vector: None,
        base_row_id: None,
        default_row_commit_version: None,
        clustering_provider: None,
    })
}

/// File statistics as Delta writes them: the row count, and the range of
/// `p_event_time` (milliseconds, the minimum rounded down and the maximum
/// up, so that pruning on them never drops a row).
fn stats_json(f: &NewFile) -> String {
    let ms = |t: i64, up: bool| {
        let m = t.div_euclid(1000) + i64::from(up && t.rem_euclid(1000) != 0);
        let (y, mo, d, h, mi, s, micros) = seclake_core::Timestamp(m * 1000).to_civil();
        format!(
            "\"{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z\"",
            micros / 1000
        )
    };
    format!(
        r#"{{"numRecords":{},"minValues":{{"p_event_time":{}}},"maxValues":{{"p_event_time":{}}},"nullCount":{{"p_event_time":0}}}}"#,
        f.rows,
        ms(f.min_time, false),
        ms(f.max_time, true)
    )
}

impl From<DeltaTableError> for LakeError {
    fn from(e: DeltaTableError) -> Self {
        LakeError::Delta(e.to_string())
    }
}
