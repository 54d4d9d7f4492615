//! Delivery gaps: sequence numbers a vendor gave out that never reached
//! the lake, found from the lake itself.
//!
//! Two vendors number what they deliver. Imperva numbers the log files of
//! each log configuration (`<id>_<sequence>.log`, one more per file; rows
//! carry `log_file_id`, `log_file_sequence`); Edgecast numbers the files
//! of each delivery agent from 0 every UTC day (`agent_id`, `datestamp`,
//! `seq_num`). A number missing between those seen is a file that was
//! lost: deleted before it was fetched, a failed upload, a source that
//! skipped it.
//!
//! SQL reduces each table to its distinct (key, sequence) pairs, in order
//! (one per delivered file, not per event), and [`GapScanner`] turns the
//! sorted numbers into runs of missing ones as the batches stream by: a
//! million missing files are one [`Gap`], and memory does not grow with
//! the table.
//!
//! A file whose records were all rejected, or that held none, leaves no
//! row and so shows as missing: to the lake, its data is lost.

use std::time::{SystemTime, UNIX_EPOCH};

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, RecordBatch};
use datafusion::arrow::datatypes::DataType;
use futures::StreamExt;

use crate::{QueryEngine, QueryError};

/// Whose numbering a gap is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GapSource {
    /// Imperva Cloud WAF log files, numbered per log file id.
    Imperva,
    /// Edgecast WAF deliveries, numbered per agent and UTC day.
    Edgecast,
}

impl GapSource {
    /// The log type whose table holds the numbers.
    pub fn log_type(self) -> &'static str {
        match self {
            GapSource::Imperva => "Imperva.CloudWAF",
            GapSource::Edgecast => "Edgecast.WAF",
        }
    }

    fn table(self) -> &'static str {
        match self {
            GapSource::Imperva => "imperva_cloudwaf",
            GapSource::Edgecast => "edgecast_waf",
        }
    }
}

/// A run of missing sequence numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub source: GapSource,
    /// Imperva: the log file id; Edgecast: `<agent id>/<YYYYMMDD>`.
    pub key: String,
    /// The first missing number.
    pub from: i64,
    /// The last missing number (inclusive).
    pub to: i64,
}

impl Gap {
    /// How many numbers are missing.
    pub fn count(&self) -> u64 {
        self.to.abs_diff(self.from) + 1
    }
}

/// How much earlier than `since` rows still count as seen, so that a file
/// whose events are older than its neighbours' (a slow request logged
/// late) is not taken for lost at the window's edge.
const SLACK_MICROS: i64 = 86_400_000_000;

/// The gaps in what was delivered since `since`: for Imperva, per log
/// file id, the numbers missing between the lowest sequence with events
/// since then and the highest; for Edgecast, per agent and UTC day from
/// the day of `since` on, the numbers missing between 0 and the highest
/// (a day's count starts at 0, so missing first files count too). Tables
/// the lake does not have, or that predate the sequence columns, have no
/// gaps. Sorted by source, key and number.
pub async fn find_gaps(engine: &QueryEngine, since: SystemTime) -> Result<Vec<Gap>, QueryError> {
    let since = since
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    let day = since - since.rem_euclid(86_400_000_000);
    let imperva = format!(
        "SELECT log_file_id, log_file_sequence, max(p_event_time) >= to_timestamp_micros({since}) \
         FROM imperva_cloudwaf \
         WHERE p_event_time >= to_timestamp_micros({}) \
           AND log_file_id IS NOT NULL AND log_file_sequence IS NOT NULL \
         GROUP BY 1, 2 ORDER BY 1, 2",
        since.saturating_sub(SLACK_MICROS)
    );
    let edgecast = format!(
        "SELECT concat(agent_id, '/', datestamp), seq_num, true \
         FROM edgecast_waf \
         WHERE p_event_time >= to_timestamp_micros({}) \
           AND datestamp >= to_char(to_timestamp_micros({day}), '%Y%m%d') \
           AND agent_id IS NOT NULL AND seq_num >= 0 \
         GROUP BY 1, 2 ORDER BY 1, 2",
        day.saturating_sub(SLACK_MICROS)
    );
    let mut gaps = Vec::new();
    for (source, sql, columns, floor) in [
        (
            GapSource::Imperva,
            imperva,
            ["log_file_id", "log_file_sequence"],
            None,
        ),
        (
            GapSource::Edgecast,
            edgecast,
            ["agent_id", "seq_num"],
            Some(0),
        ),
    ] {
        if !has_columns(engine, source.table(), &columns).await? {
            continue;
        }
        let mut scanner = GapScanner::new(source, floor);
        let mut stream = engine.execute(&sql).await?;
        while let Some(batch) = stream.next().await {
            scan_batch(&mut scanner, &batch?, source.table())?;
        }
        gaps.extend(scanner.finish());
    }
    Ok(gaps)
}

/// Whether the lake has `table` and its schema has every one of `columns`.
async fn has_columns(
    engine: &QueryEngine,
    table: &str,
    columns: &[&str],
) -> Result<bool, QueryError> {
    if !engine.tables().iter().any(|t| t == table) {
        return Ok(false);
    }
    let df = engine
        .plan(&format!("SELECT * FROM {table} LIMIT 0"))
        .await?;
    Ok(columns
        .iter()
        .all(|c| df.schema().has_column_with_unqualified_name(c)))
}

/// Feeds one batch of (key, sequence, counts-as-recent) rows to `scanner`.
fn scan_batch(
    scanner: &mut GapScanner,
    batch: &RecordBatch,
    table: &str,
) -> Result<(), QueryError> {
    let cast = |i: usize, to: &DataType| {
        arrow_cast::cast(batch.column(i), to).map_err(|source| QueryError::Gaps {
            table: table.to_string(),
            source,
        })
    };
    let keys = cast(0, &DataType::Utf8)?;
    let seqs = cast(1, &DataType::Int64)?;
    let recent = cast(2, &DataType::Boolean)?;
    let (keys, seqs, recent) = (
        keys.as_string::<i32>(),
        seqs.as_primitive::<Int64Type>(),
        recent.as_boolean(),
    );
    for i in 0..batch.num_rows() {
        if keys.is_null(i) || seqs.is_null(i) {
            continue;
        }
        let is_recent = recent.is_valid(i) && recent.value(i);
        scanner.push(keys.value(i), seqs.value(i), is_recent);
    }
    Ok(())
}

/// Turns (key, sequence) pairs, sorted by key then sequence, into runs of
/// missing numbers.
///
/// Per key, counting starts at `floor` when there is one (Edgecast's 0),
/// otherwise at the first sequence marked recent (seen since the window
/// began): older sequences before it are ignored, older ones after it
/// count as seen.
pub struct GapScanner {
    source: GapSource,
    floor: Option<i64>,
    key: Option<String>,
    /// The highest number seen (or `floor - 1`) once counting started.
    last: Option<i64>,
    gaps: Vec<Gap>,
}

impl GapScanner {
    pub fn new(source: GapSource, floor: Option<i64>) -> Self {
        GapScanner {
            source,
            floor,
            key: None,
            last: None,
            gaps: Vec::new(),
        }
    }

    /// The next pair; `recent` says it was seen within the window.
    pub fn push(&mut self, key: &str, seq: i64, recent: bool) {
        if self.key.as_deref() != Some(key) {
            self.key = Some(key.to_string());
            self.last = self.floor.map(|f| f.saturating_sub(1));
        }
        let Some(last) = self.last else {
            if recent {
                self.last = Some(seq);
            }
            return;
        };
        if seq > last.saturating_add(1) {
            self.gaps.push(Gap {
                source: self.source,
                key: key.to_string(),
                from: last + 1,
                to: seq - 1,
            });
        }
        self.last = Some(last.max(seq));
    }

    /// The gaps found.
    pub fn finish(self) -> Vec<Gap> {
        self.gaps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaps(floor: Option<i64>, pairs: &[(&str, i64, bool)]) -> Vec<(String, i64, i64, u64)> {
        let mut s = GapScanner::new(GapSource::Imperva, floor);
        for (k, seq, recent) in pairs {
            s.push(k, *seq, *recent);
        }
        s.finish()
            .into_iter()
            .map(|g| (g.key.clone(), g.from, g.to, g.count()))
            .collect()
    }

    fn seen(key: &'static str, seqs: &[i64]) -> Vec<(&'static str, i64, bool)> {
        seqs.iter().map(|s| (key, *s, true)).collect()
    }

    #[test]
    fn missing_numbers_between_the_lowest_and_highest_are_ranges() {
        assert_eq!(
            gaps(None, &seen("1234", &[1, 2, 4, 7])),
            [("1234".into(), 3, 3, 1), ("1234".into(), 5, 6, 2)]
        );
        assert_eq!(gaps(None, &seen("1234", &[5, 6, 7])), []);
        assert_eq!(gaps(None, &seen("1234", &[9])), []);
        // A gap of a million is one range.
        assert_eq!(
            gaps(None, &seen("1", &[1, 1_000_002])),
            [("1".into(), 2, 1_000_001, 1_000_000)]
        );
        // Duplicates (the same file ingested twice) are no gap.
        assert_eq!(gaps(None, &seen("1", &[1, 1, 2, 2, 3])), []);
    }

    #[test]
    fn each_key_counts_on_its_own() {
        let mut pairs = seen("a", &[1, 3]);
        pairs.extend(seen("b", &[10, 11, 14]));
        pairs.extend(seen("c", &[100]));
        assert_eq!(
            gaps(None, &pairs),
            [("a".into(), 2, 2, 1), ("b".into(), 12, 13, 2)]
        );
    }

    #[test]
    fn a_floor_makes_missing_first_numbers_count() {
        let mut pairs = seen("agent/20240610", &[2, 3, 5]);
        pairs.extend(seen("agent/20240611", &[0, 1]));
        pairs.extend(seen("other/20240610", &[1]));
        assert_eq!(
            gaps(Some(0), &pairs),
            [
                ("agent/20240610".into(), 0, 1, 2),
                ("agent/20240610".into(), 4, 4, 1),
                ("other/20240610".into(), 0, 0, 1),
            ]
        );
    }

    #[test]
    fn counting_starts_at_the_first_number_seen_in_the_window() {
        // 1 and 3 are older than the window: 2 is not looked for; 6 is
        // old too but after the start, so it counts as delivered.
        let pairs = [
            ("k", 1, false),
            ("k", 3, false),
            ("k", 4, true),
            ("k", 6, false),
            ("k", 8, true),
        ];
        assert_eq!(
            gaps(None, &pairs),
            [("k".into(), 5, 5, 1), ("k".into(), 7, 7, 1)]
        );
        // A key seen only before the window has no gaps.
        assert_eq!(gaps(None, &[("k", 1, false), ("k", 5, false)]), []);
    }

    #[test]
    fn extreme_numbers_do_not_overflow() {
        assert_eq!(
            gaps(None, &seen("k", &[i64::MAX - 3, i64::MAX])),
            [("k".into(), i64::MAX - 2, i64::MAX - 1, 2)]
        );
        assert_eq!(gaps(None, &seen("k", &[i64::MIN, 0]))[0].3, i64::MAX as u64);
    }
}
