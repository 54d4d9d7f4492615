//! The `_alerts` table: one row per (rule, matched row), beside the log
//! tables in the same lake and laid out like them.
//!
//! - **Identity.** `alert_id` is the xxh3-128 hash (32 hex digits) of the
//!   rule id and the matched row's `p_row_id`. Row ids are deterministic
//!   (re-reading an input yields the same ids), so every evaluation of the
//!   same event by the same rule, in overlapping windows, after a replay or
//!   a redelivery, or at ingest time and again on a schedule, names the
//!   same alert, and whoever writes alerts drops those already there. The
//!   table's `p_row_id` is the alert id too, so `seclake compact` removes
//!   duplicates (two writers racing) as it does in every table.
//! - **Partitioning.** By the hour of the *matched event's* time, stored as
//!   `p_event_time`, not of the time the alert fired: an alert then lives
//!   in the same hour as its event whenever it fires, so finding the alerts
//!   a window's matches may already have reads only that window's
//!   partitions (the lake's time pruning applies unchanged), and a replay
//!   of last month fires into last month's partitions. When it fired is
//!   `fired_at`.
//! - **Indicators.** The matched row's `p_any_*` lists, every one the
//!   standard fields define (null where the row has none), so alerts can
//!   be searched by IP address, user, ARN... without a join.
//!
//! The matched row's own id is `matched_row_id` (joins back to the log
//! table's `p_row_id`); the table it is in is `table_name`, since `table`
//! needs quoting in every SQL dialect.

use std::sync::{Arc, OnceLock};

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use seclake_core::standard::STANDARD_COLUMNS;
use seclake_core::Timestamp;

use crate::error::{DetectError, RuleError};
use crate::Compiled;

/// The table's name in the lake (the query engine's catalog knows it).
pub const TABLE: &str = seclake_query::catalog::ALERTS_TABLE;

/// The id of the alert `rule_id` fires for the row `row_id`: xxh3-128 of
/// both (the rule id's length first, so no two pairs hash the same
/// input), as 32 lower-case hex digits.
pub fn alert_id(rule_id: &str, row_id: &str) -> String {
    let mut input = Vec::with_capacity(8 + rule_id.len() + row_id.len());
    input.extend_from_slice(&(rule_id.len() as u64).to_le_bytes());
    input.extend_from_slice(rule_id.as_bytes());
    input.extend_from_slice(row_id.as_bytes());
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&input))
}

/// The indicator columns alerts copy: every `p_any_*` standard field.
pub fn indicator_columns() -> impl Iterator<Item = &'static str> {
    STANDARD_COLUMNS
        .iter()
        .map(|c| c.name)
        .filter(|n| n.starts_with("p_any_"))
}

fn string_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

fn timestamp() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// The schema of `_alerts` rows.
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let text = |name: &str, nullable| Field::new(name, DataType::Utf8, nullable);
            let mut fields = vec![
                text("alert_id", false),
                text("rule_id", false),
                text("rule_title", false),
                text("rule_level", true),
                Field::new("rule_tags", string_list(), true),
                text("log_type", false),
                text("table_name", false),
                text("matched_row_id", false),
                Field::new("p_event_time", timestamp(), false),
            ];
            fields.extend(indicator_columns().map(|n| Field::new(n, string_list(), true)));
            fields.push(Field::new("fired_at", timestamp(), false));
            fields.push(text("p_row_id", false));
            Arc::new(Schema::new(fields))
        })
        .clone()
}

/// A compiled rule that can fire alerts: one with an id (alerts are
/// keyed by it; a title can change).
#[derive(Debug, Clone)]
pub struct AlertRule {
    pub id: String,
    pub compiled: Compiled,
}

impl AlertRule {
    /// The rule, if it has an `id`.
    pub fn new(compiled: Compiled) -> Result<Self, RuleError> {
        let id = compiled.rule.id.clone().filter(|id| !id.trim().is_empty());
        match id {
            Some(id) => Ok(AlertRule { id, compiled }),
            None => Err(RuleError::invalid(
                "id",
                "missing: a rule that fires alerts needs one (alerts are keyed by it)",
            )),
        }
    }
}

/// The alerts `rule` fires for `matches`: rows of its table (any
/// columns, among them `p_row_id`, `p_event_time` and whichever `p_any_*`
/// the table has), one alert each, all fired at `fired_at`.
pub fn alert_batch(
    rule: &AlertRule,
    matches: &RecordBatch,
    fired_at: Timestamp,
) -> Result<RecordBatch, DetectError> {
    let table = &rule.compiled.table;
    let n = matches.num_rows();
    let column = |name: &str| {
        matches
            .column_by_name(name)
            .ok_or_else(|| DetectError::Contract {
                table: table.clone(),
                reason: format!("the rows have no `{name}` column"),
            })
    };
    let row_ids = arrow_cast::cast(column("p_row_id")?, &DataType::Utf8)?;
    let row_ids = row_ids.as_string::<i32>();
    if row_ids.null_count() > 0 {
        return Err(DetectError::Contract {
            table: table.clone(),
            reason: "a matched row has no p_row_id".into(),
        });
    }
    let ids: StringArray = row_ids
        .iter()
        .map(|r| Some(alert_id(&rule.id, r.unwrap_or_default())))
        .collect();
    let ids: ArrayRef = Arc::new(ids);
    let repeat = |v: &str| -> ArrayRef { Arc::new(StringArray::from(vec![v; n])) };
    let rule_def = &rule.compiled.rule;
    let level: ArrayRef = Arc::new(StringArray::from(vec![
        rule_def.level.map(|l| l.as_str());
        n
    ]));
    let mut tags = ListBuilder::new(StringBuilder::new());
    for _ in 0..n {
        for t in &rule_def.tags {
            tags.values().append_value(t);
        }
        tags.append(!rule_def.tags.is_empty());
    }
    let mut columns: Vec<ArrayRef> = vec![
        ids.clone(),
        repeat(&rule.id),
        repeat(&rule_def.title),
        level,
        Arc::new(tags.finish()),
        repeat(rule.compiled.log_type),
        repeat(table),
        Arc::new(row_ids.clone()),
        arrow_cast::cast(column("p_event_time")?, &timestamp())?,
    ];
    for name in indicator_columns() {
        columns.push(match matches.column_by_name(name) {
            Some(c) => arrow_cast::cast(c, &string_list())?,
            None => arrow_array::new_null_array(&string_list(), n),
        });
    }
    columns.push(Arc::new(
        TimestampMicrosecondArray::from(vec![fired_at.0; n]).with_timezone("UTC"),
    ));
    columns.push(ids);
    Ok(RecordBatch::try_new(schema(), columns)?)
}

/// The `alert_id` column of an `_alerts` batch.
pub fn ids(batch: &RecordBatch) -> &StringArray {
    batch.column(0).as_string::<i32>()
}

/// The `rule_id` column of an `_alerts` batch.
pub fn rule_ids(batch: &RecordBatch) -> &StringArray {
    batch.column(1).as_string::<i32>()
}

/// The `p_event_time` column (microseconds) of an `_alerts` batch.
pub fn event_times(batch: &RecordBatch) -> &TimestampMicrosecondArray {
    batch.column(8).as_primitive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_tell_rules_and_rows_apart() {
        let rule = "5b0a2f4e-3c39-4a53-9d0e-4f7c1d9e2a10";
        let row = "3c1f6a0e9b2d47c80000000000010000";
        // The value itself is part of the table's contract: alerts written
        // by an older seclake must keep matching the ones a newer computes.
        // (The same as Python's `xxhash.xxh3_128_hexdigest` of the
        // length-prefixed input.)
        assert_eq!(alert_id(rule, row), "317d5e3761c00c15c12e498fe7b49ac0");
        assert_eq!(alert_id(rule, row), alert_id(rule, row));
        assert_eq!(alert_id(rule, row).len(), 32);
        assert_ne!(alert_id(rule, row), alert_id("another-rule", row));
        assert_ne!(
            alert_id(rule, row),
            alert_id(rule, "3c1f6a0e9b2d47c80000000000020000")
        );
        // Moving bytes between the two parts gives another id.
        assert_ne!(alert_id("ab", "c"), alert_id("a", "bc"));
    }

    #[test]
    fn the_schema_has_every_indicator_and_the_lake_columns() {
        let s = schema();
        let indicators: Vec<&str> = indicator_columns().collect();
        assert_eq!(indicators.len(), 12);
        for n in indicators
            .iter()
            .chain(&["p_event_time", "p_row_id", "alert_id"])
        {
            assert!(s.field_with_name(n).is_ok(), "{n}");
        }
        assert_eq!(s.field(0).name(), "alert_id");
    }
}
