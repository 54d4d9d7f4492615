//! The `_alerts` table: one row per (rule, matched row), or per
//! (correlation, group, bucket), beside the log tables in the same lake
//! and laid out like them.
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
//!
//! A correlation rule ([`crate::correlation`]) fires one alert per group
//! and bucket: its id hashes the correlation's id with the bucket (start
//! and length) and the group's values ([`correlation_alert_id`]), so it
//! too is the same alert however often the bucket is evaluated. It names
//! the first event matched (`matched_row_id`, `table_name`, `log_type`);
//! its `p_event_time` is the bucket's start (fixed, unlike the events seen
//! so far, so the alert always lands in the same partition and the ids a
//! run looks up are those of the buckets it reads); its indicators are
//! those of all the events counted. Two columns only correlations fill:
//! `correlation_group`, the group-by values as a JSON object, and
//! `correlation_count`, the count the condition compared (events,
//! distinct values, or rules matched). They come last, so that tables
//! written before them gain them as Delta adds columns.

use std::sync::{Arc, OnceLock};

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::{
    Array, ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use seclake_core::standard::STANDARD_COLUMNS;
use seclake_core::Timestamp;

use crate::correlation::{AlertCorrelation, Group};
use crate::error::{DetectError, RuleError};
use crate::scheduled::Window;
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
            fields.push(text("correlation_group", true));
            fields.push(Field::new("correlation_count", DataType::Int64, true));
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
    columns.push(arrow_array::new_null_array(&DataType::Utf8, n));
    columns.push(arrow_array::new_null_array(&DataType::Int64, n));
    Ok(RecordBatch::try_new(schema(), columns)?)
}

/// The id of the alert the correlation `rule_id` fires for a group in a
/// bucket: [`alert_id`] of the rule id and a JSON array of the bucket's
/// start and length (microseconds) and the group's values. The key starts
/// with `[`, so it is never a row id (hex digits).
pub fn correlation_alert_id(rule_id: &str, bucket: &Window, values: &[&str]) -> String {
    let key = serde_json::json!([bucket.since.0, bucket.until.0 - bucket.since.0, values]);
    alert_id(rule_id, &key.to_string())
}

/// The alerts `correlation` fires for `groups`, all fired at `fired_at`.
pub fn correlation_alert_batch(
    correlation: &AlertCorrelation,
    groups: &[Group],
    fired_at: Timestamp,
) -> Result<RecordBatch, DetectError> {
    let c = &correlation.compiled.correlation;
    let n = groups.len();
    let ids: ArrayRef = Arc::new(StringArray::from_iter_values(groups.iter().map(|g| {
        let values: Vec<&str> = g.values.iter().map(|(_, v)| v.as_str()).collect();
        correlation_alert_id(&correlation.id, &g.bucket, &values)
    })));
    let repeat = |v: &str| -> ArrayRef { Arc::new(StringArray::from(vec![v; n])) };
    let each = |f: &dyn Fn(&Group) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(groups.iter().map(f)))
    };
    let mut tags = ListBuilder::new(StringBuilder::new());
    for _ in 0..n {
        for t in &c.tags {
            tags.values().append_value(t);
        }
        tags.append(!c.tags.is_empty());
    }
    let mut columns: Vec<ArrayRef> = vec![
        ids.clone(),
        repeat(&correlation.id),
        repeat(&c.title),
        Arc::new(StringArray::from(vec![c.level.map(|l| l.as_str()); n])),
        Arc::new(tags.finish()),
        each(&|g| g.log_type),
        each(&|g| &g.table),
        each(&|g| &g.first_row_id),
        Arc::new(
            TimestampMicrosecondArray::from_iter_values(groups.iter().map(|g| g.bucket.since.0))
                .with_timezone("UTC"),
        ),
    ];
    for i in 0..indicator_columns().count() {
        let mut list = ListBuilder::new(StringBuilder::new());
        for g in groups {
            for v in &g.indicators[i] {
                list.values().append_value(v);
            }
            list.append(!g.indicators[i].is_empty());
        }
        columns.push(Arc::new(list.finish()));
    }
    columns.push(Arc::new(
        TimestampMicrosecondArray::from(vec![fired_at.0; n]).with_timezone("UTC"),
    ));
    columns.push(ids);
    columns.push(Arc::new(StringArray::from_iter_values(
        groups.iter().map(|g| group_json(&g.values)),
    )));
    columns.push(Arc::new(Int64Array::from_iter_values(
        groups.iter().map(|g| g.count),
    )));
    Ok(RecordBatch::try_new(schema(), columns)?)
}

/// `{"field":"value",...}` in `group-by` order.
fn group_json(values: &[(String, String)]) -> String {
    let fields: Vec<String> = values
        .iter()
        .map(|(k, v)| {
            format!(
                "{}:{}",
                serde_json::Value::from(k.as_str()),
                serde_json::Value::from(v.as_str())
            )
        })
        .collect();
    format!("{{{}}}", fields.join(","))
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
    fn correlation_ids_name_the_rule_the_bucket_and_the_group() {
        let rule = "3a7c9e51-0b2d-4f68-a1c3-5e7f9b0d2c46";
        let hour = |h: i64| Window {
            since: Timestamp(h * 3_600_000_000),
            until: Timestamp((h + 1) * 3_600_000_000),
        };
        let id = correlation_alert_id(rule, &hour(473_885), &["alice"]);
        // The key hashed, spelled out: part of the table's contract.
        assert_eq!(
            id,
            alert_id(rule, r#"[1705986000000000,3600000000,["alice"]]"#)
        );
        assert_eq!(id, "b5d4c4971210d6333c681ccd6cfdcfaa");
        assert_ne!(id, correlation_alert_id(rule, &hour(473_886), &["alice"]));
        assert_ne!(id, correlation_alert_id(rule, &hour(473_885), &["bob"]));
        assert_ne!(
            id,
            correlation_alert_id("other", &hour(473_885), &["alice"])
        );
        // Another timespan from the same start is another window.
        let two_hours = Window {
            until: hour(473_886).until,
            ..hour(473_885)
        };
        assert_ne!(id, correlation_alert_id(rule, &two_hours, &["alice"]));
        // Values are not run together.
        assert_ne!(
            correlation_alert_id(rule, &hour(1), &["a,b"]),
            correlation_alert_id(rule, &hour(1), &["a", "b"])
        );
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
