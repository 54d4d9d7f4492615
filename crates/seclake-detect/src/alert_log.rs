//! Reading and appending the `_alerts` table.
//!
//! Appending is what makes alerts fire once: [`Known`] holds the ids of
//! the alerts already in the table over a time window, [`Known::admit`]
//! drops the candidates it holds (and repeats within one run: the same
//! row ingested twice before compaction is one event), and [`append`]
//! commits what is left in one Delta commit, one Parquet file per event
//! hour, with the lake's encoder and committer (other writers race it the
//! way ingest writers race each other).
//!
//! A write that fails fails the run before its commit: no alert is half
//! recorded (files already written stay unreferenced until `seclake
//! vacuum`), and the next run fires the same alerts again.
//!
//! The check and the append are not one transaction: two schedulers
//! running the same rules over the same rows at the same moment can both
//! write an alert. Run one scheduler per lake; the duplicates a race
//! leaves share `p_row_id` and `seclake compact` removes them.

use std::collections::{BTreeMap, HashSet};

use arrow_array::{BooleanArray, RecordBatch};
use object_store::ObjectStoreExt;
use seclake_core::Timestamp;
use seclake_lake::delta::{Committer, NewFile};
use seclake_lake::encode::{encode, EncodeOptions};
use seclake_lake::layout::{file_name, new_writer_id, partition_dir};
use seclake_lake::writer::rows_by_hour;
use seclake_lake::Lake;
use seclake_query::QueryEngine;

use crate::alerts::{ids, schema, TABLE};
use crate::error::DetectError;
use crate::scheduled::Window;

/// Alert ids already recorded, and those admitted since.
#[derive(Debug, Default)]
pub struct Known {
    stored: HashSet<String>,
    /// Stored ids candidates have named (each is counted as known once).
    met: HashSet<String>,
    admitted: HashSet<String>,
}

/// What [`Known::admit`] made of one batch of candidate alerts.
#[derive(Debug)]
pub struct Admitted {
    /// The alerts not recorded before (each id once).
    pub new: RecordBatch,
    /// Candidates already in the table (each id counted once per
    /// [`Known`], whichever batch names it).
    pub known: usize,
}

impl Known {
    /// The ids of the alerts in `_alerts` whose events are in `window`
    /// (none when the table does not exist yet). Alerts are partitioned by
    /// event time, so this reads only the window's partitions.
    pub async fn load(engine: &QueryEngine, window: &Window) -> Result<Known, DetectError> {
        let mut known = Known::default();
        if !engine.tables().iter().any(|t| t == TABLE) {
            return Ok(known);
        }
        let df = engine
            .plan(&format!("SELECT alert_id, p_event_time FROM \"{TABLE}\""))
            .await?
            .filter(window.filter())?
            .select_columns(&["alert_id"])?;
        for batch in df.collect().await? {
            let ids = arrow_cast::cast(batch.column(0), &arrow_schema::DataType::Utf8)?;
            let ids = arrow_array::cast::AsArray::as_string::<i32>(&ids);
            known
                .stored
                .extend(ids.iter().flatten().map(str::to_string));
        }
        Ok(known)
    }

    /// Known ids given directly (alerts recorded elsewhere, tests).
    pub fn from_ids(ids: impl IntoIterator<Item = String>) -> Known {
        Known {
            stored: ids.into_iter().collect(),
            ..Known::default()
        }
    }

    /// Keeps the alerts of `candidates` (an `_alerts` batch) whose id is
    /// neither stored nor admitted before, and remembers them.
    pub fn admit(&mut self, candidates: &RecordBatch) -> Result<Admitted, DetectError> {
        let mut known = 0;
        let keep: BooleanArray = ids(candidates)
            .iter()
            .map(|id| {
                let id = id.unwrap_or_default();
                if self.stored.contains(id) {
                    known += usize::from(self.met.insert(id.to_string()));
                    Some(false)
                } else {
                    Some(self.admitted.insert(id.to_string()))
                }
            })
            .collect();
        Ok(Admitted {
            new: arrow_select::filter::filter_record_batch(candidates, &keep)?,
            known,
        })
    }
}

/// Appends `alerts` (batches of [`crate::alerts::schema`]) to `_alerts`
/// in `lake`, creating the table on its first alerts: one file per event
/// hour, one commit. Returns the log version committed, `None` when there
/// was nothing to write.
pub async fn append(lake: &Lake, alerts: &[RecordBatch]) -> Result<Option<u64>, DetectError> {
    append_table(lake, TABLE, &schema(), alerts).await
}

/// Appends `batches` (rows with `p_event_time`, of schema `rows`) to
/// `table` as [`append`] does: any table laid out like the lake's (tests
/// write log tables with it).
pub async fn append_table(
    lake: &Lake,
    table: &str,
    rows: &arrow_schema::Schema,
    batches: &[RecordBatch],
) -> Result<Option<u64>, DetectError> {
    let mut hours: BTreeMap<i64, Vec<RecordBatch>> = BTreeMap::new();
    for batch in batches {
        for (hour, rows) in rows_by_hour(batch)? {
            let part = match rows {
                None => batch.clone(),
                Some(idx) => arrow_select::take::take_record_batch(
                    batch,
                    &arrow_array::UInt32Array::from(idx),
                )?,
            };
            hours.entry(hour).or_default().push(part);
        }
    }
    if hours.is_empty() {
        return Ok(None);
    }
    // Retrying is the next run's business: `encode` reads only the first
    // two options.
    let opts = EncodeOptions {
        row_group_rows: 128 * 1024,
        zstd_level: 3,
        attempts: 1,
        first_backoff: std::time::Duration::ZERO,
    };
    let writer = new_writer_id();
    let mut files = Vec::with_capacity(hours.len());
    for (seq, (hour, batches)) in hours.into_iter().enumerate() {
        let (bytes, rows) = encode(&batches, &opts)?;
        let rel = format!(
            "{}/{}",
            partition_dir(hour),
            file_name(writer, seq as u64, Timestamp::now())
        );
        let size = bytes.len() as u64;
        lake.store
            .put(&lake.path(&format!("{table}/{rel}")), bytes.into())
            .await
            .map_err(seclake_lake::LakeError::from)?;
        let (min_time, max_time) = event_time_range(&batches);
        files.push(NewFile {
            path: rel,
            hour,
            size,
            rows,
            min_time,
            max_time,
        });
    }
    let version = Committer::default()
        .append(lake, table, rows, &files)
        .await?;
    Ok(Some(version))
}

/// The least and greatest `p_event_time` of batches.
fn event_time_range(batches: &[RecordBatch]) -> (i64, i64) {
    use arrow_array::cast::AsArray;
    use arrow_array::types::TimestampMicrosecondType;
    batches
        .iter()
        .flat_map(|b| {
            b.column_by_name("p_event_time")
                .expect("rows_by_hour found p_event_time")
                .as_primitive::<TimestampMicrosecondType>()
                .values()
                .iter()
                .copied()
                .collect::<Vec<_>>()
        })
        .fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)))
}
