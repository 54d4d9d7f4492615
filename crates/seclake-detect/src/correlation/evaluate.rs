//! A correlation over the lake as one DataFusion query: the rows each base
//! rule matches in each of its tables (over the window widened to whole
//! buckets), projected to one shape — time, row id, which rule, which
//! table, the group-by values as text, the counted value, the indicators
//! — and unioned; then grouped by bucket and group values, with the count
//! the condition compares (`count(DISTINCT ...)`: a row ingested twice,
//! or matched by two of the rules, is one event) and the condition as a
//! `HAVING`. Only the groups that fire leave the engine; the order of a
//! `temporal_ordered` correlation is checked here, on the times each rule
//! matched at.
//!
//! Events whose group-by fields are empty belong to no group (as a
//! `stats ... by` ignores them in most SIEMs): a missing user is not a
//! user.

use std::collections::BTreeSet;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::functions_aggregate::expr_fn::{array_agg, count_distinct, first_value, max, min};
use datafusion::logical_expr::{cast, col, lit, Expr, ExprFunctionExt};
use seclake_core::Timestamp;

use super::{CompiledCorrelation, Kind, Op};
use crate::alerts::indicator_columns;
use crate::error::DetectError;
use crate::scheduled::{Evaluator, Window};

/// A group whose count passed the condition in one bucket: what fires
/// one alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The bucket, `[since, until)`, one timespan long.
    pub bucket: Window,
    /// The bucket had not ended at the window's `until`: it fired early,
    /// on a condition more events cannot undo.
    pub open: bool,
    /// The `group-by` fields and their values, in `group-by` order.
    pub values: Vec<(String, String)>,
    /// What the condition compared: events, distinct values, or rules
    /// matched.
    pub count: i64,
    /// Distinct events matched (by `p_row_id`).
    pub events: i64,
    pub first: Timestamp,
    pub last: Timestamp,
    /// The first event matched (by time, then row id), and its table.
    pub first_row_id: String,
    pub table: String,
    pub log_type: &'static str,
    /// The union of the events' `p_any_*` lists, one per
    /// [`indicator_columns`], sorted.
    pub indicators: Vec<Vec<String>>,
}

/// What a correlation found over a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Correlated {
    /// None of the tables its rules read is in the lake.
    NoTable,
    /// The groups that fire, by bucket, then values.
    Groups(Vec<Group>),
}

fn micros_utc() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn string_list() -> DataType {
    DataType::List(std::sync::Arc::new(Field::new(
        "item",
        DataType::Utf8,
        true,
    )))
}

impl Evaluator {
    /// The groups of `c` that fire over `window`: every bucket that
    /// intersects it, read from the bucket's start up to `until`.
    pub async fn correlate(
        &self,
        c: &CompiledCorrelation,
        window: &Window,
    ) -> Result<Correlated, DetectError> {
        let corr = &c.correlation;
        let span = corr.timespan.micros;
        let read = Window {
            since: Timestamp(window.since.0.div_euclid(span) * span),
            until: window.until,
        };
        let mut tables: Vec<(String, &'static str)> = Vec::new();
        let mut union: Option<DataFrame> = None;
        for (i, base) in c.bases.iter().enumerate() {
            for target in &base.targets {
                let table = &target.compiled.table;
                if !self.engine().tables().iter().any(|t| t == table) {
                    continue;
                }
                let ti = tables
                    .iter()
                    .position(|(t, _)| t == table)
                    .unwrap_or_else(|| {
                        tables.push((table.clone(), target.compiled.log_type));
                        tables.len() - 1
                    });
                let df = self
                    .engine()
                    .plan(&format!("SELECT * FROM \"{table}\""))
                    .await?
                    .filter(read.filter())?
                    .filter(target.compiled.expr.clone())?;
                let present = df.schema().clone();
                let mut shape = vec![
                    cast(cast(col("p_event_time"), micros_utc()), DataType::Int64).alias("t"),
                    cast(col("p_row_id"), DataType::Utf8).alias("row_id"),
                    lit(i as i64).alias("rule"),
                    lit(ti as i64).alias("tbl"),
                ];
                for (k, g) in target.group.iter().enumerate() {
                    shape.push(cast(g.clone(), DataType::Utf8).alias(format!("g{k}")));
                }
                shape.push(match &target.value {
                    Some(v) => cast(v.clone(), DataType::Utf8).alias("v"),
                    None => lit(ScalarValue::Utf8(None)).alias("v"),
                });
                for name in indicator_columns() {
                    let e = if present.has_column_with_unqualified_name(name) {
                        cast(col(name), string_list())
                    } else {
                        cast(lit(ScalarValue::Null), string_list())
                    };
                    shape.push(e.alias(name));
                }
                let part = df.select(shape)?;
                union = Some(match union {
                    None => part,
                    Some(u) => u.union(part)?,
                });
            }
        }
        let Some(rows) = union else {
            return Ok(Correlated::NoTable);
        };
        let batches = aggregate(rows, c)?.collect().await?;
        let mut groups = Vec::new();
        for b in &batches {
            groups.extend(groups_of(b, c, window, &tables)?);
        }
        groups.sort_by(|a, b| (a.bucket.since, &a.values).cmp(&(b.bucket.since, &b.values)));
        Ok(Correlated::Groups(groups))
    }
}

/// Matched rows grouped by bucket and values, with the condition applied.
fn aggregate(rows: DataFrame, c: &CompiledCorrelation) -> Result<DataFrame, DetectError> {
    let corr = &c.correlation;
    let span = lit(corr.timespan.micros);
    let width = corr.group_by.len();
    let mut rows = rows;
    for k in 0..width {
        rows = rows.filter(col(format!("g{k}")).is_not_null())?;
    }
    // Floor, not truncation, so times before 1970 bucket alike.
    let t = col("t");
    let bucket = (t.clone() - ((t % span.clone()) + span.clone()) % span).alias("bucket");
    let mut keys = vec![bucket];
    keys.extend((0..width).map(|k| col(format!("g{k}"))));
    let order = || vec![col("t").sort(true, false), col("row_id").sort(true, false)];
    let counted = match &corr.kind {
        Kind::EventCount => count_distinct(col("row_id")),
        Kind::ValueCount { .. } => count_distinct(col("v")),
        Kind::Temporal | Kind::TemporalOrdered => count_distinct(col("rule")),
    };
    let mut aggs = vec![
        counted.alias("n"),
        count_distinct(col("row_id")).alias("events"),
        min(col("t")).alias("first_t"),
        max(col("t")).alias("last_t"),
        first_value(col("row_id"), order()).alias("first_row"),
        first_value(col("tbl"), order()).alias("first_tbl"),
    ];
    for name in indicator_columns() {
        aggs.push(array_agg(col(name)).alias(format!("i_{name}")));
    }
    if corr.kind == Kind::TemporalOrdered {
        for k in 0..c.bases.len() {
            let times = array_agg(col("t"))
                .filter(col("rule").eq(lit(k as i64)))
                .build()?;
            aggs.push(times.alias(format!("times{k}")));
        }
    }
    let having = corr
        .tests()
        .into_iter()
        .map(|(op, n)| compare(col("n"), op, n))
        .reduce(Expr::and)
        .unwrap_or(lit(true));
    Ok(rows.aggregate(keys, aggs)?.filter(having)?)
}

fn compare(e: Expr, op: Op, n: i64) -> Expr {
    let n = lit(n);
    match op {
        Op::Gt => e.gt(n),
        Op::Gte => e.gt_eq(n),
        Op::Lt => e.lt(n),
        Op::Lte => e.lt_eq(n),
        Op::Eq => e.eq(n),
        Op::Neq => e.not_eq(n),
    }
}

fn column(b: &RecordBatch, name: &str, ty: &DataType) -> Result<ArrayRef, DetectError> {
    let c = b
        .column_by_name(name)
        .ok_or_else(|| DetectError::Contract {
            table: "(correlation)".into(),
            reason: format!("the aggregate has no `{name}`"),
        })?;
    Ok(arrow_cast::cast(c, ty)?)
}

/// The groups of an aggregate batch that fire over `window`.
fn groups_of(
    b: &RecordBatch,
    c: &CompiledCorrelation,
    window: &Window,
    tables: &[(String, &'static str)],
) -> Result<Vec<Group>, DetectError> {
    let corr = &c.correlation;
    let span = corr.timespan.micros;
    let int = |name: &str| column(b, name, &DataType::Int64);
    let (bucket, n, events) = (int("bucket")?, int("n")?, int("events")?);
    let (first_t, last_t, first_tbl) = (int("first_t")?, int("last_t")?, int("first_tbl")?);
    let first_row = column(b, "first_row", &DataType::Utf8)?;
    let values = (0..corr.group_by.len())
        .map(|k| column(b, &format!("g{k}"), &DataType::Utf8))
        .collect::<Result<Vec<_>, _>>()?;
    let indicators = indicator_columns()
        .map(|name| {
            b.column_by_name(&format!("i_{name}"))
                .cloned()
                .ok_or_else(|| DetectError::Contract {
                    table: "(correlation)".into(),
                    reason: format!("the aggregate has no `i_{name}`"),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let times = match corr.kind {
        Kind::TemporalOrdered => (0..c.bases.len())
            .map(|k| {
                column(
                    b,
                    &format!("times{k}"),
                    &DataType::new_list(DataType::Int64, true),
                )
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    let i64s = |a: &ArrayRef| a.as_primitive::<Int64Type>().clone();
    let (bucket, n, events) = (i64s(&bucket), i64s(&n), i64s(&events));
    let (first_t, last_t, first_tbl) = (i64s(&first_t), i64s(&last_t), i64s(&first_tbl));
    let mut out = Vec::new();
    for row in 0..b.num_rows() {
        let start = bucket.value(row);
        let open = start.saturating_add(span) > window.until.0;
        if open && !corr.monotonic() {
            continue;
        }
        if !times.is_empty() && !in_order(&times, row) {
            continue;
        }
        let (table, log_type) = tables[first_tbl.value(row) as usize].clone();
        out.push(Group {
            bucket: Window {
                since: Timestamp(start),
                until: Timestamp(start.saturating_add(span)),
            },
            open,
            values: corr
                .group_by
                .iter()
                .zip(&values)
                .map(|(f, v)| (f.clone(), v.as_string::<i32>().value(row).to_string()))
                .collect(),
            count: n.value(row),
            events: events.value(row),
            first: Timestamp(first_t.value(row)),
            last: Timestamp(last_t.value(row)),
            first_row_id: first_row.as_string::<i32>().value(row).to_string(),
            table,
            log_type,
            indicators: indicators
                .iter()
                .map(|lists| union_of(lists, row))
                .collect::<Result<_, _>>()?,
        });
    }
    Ok(out)
}

/// Whether some event of each rule follows one of the rule before: the
/// earliest choice each time is as good as any.
fn in_order(times: &[ArrayRef], row: usize) -> bool {
    let mut after = i64::MIN;
    for lists in times {
        let lists = lists.as_list::<i32>();
        if lists.is_null(row) {
            return false;
        }
        let value = lists.value(row);
        let next = value
            .as_primitive::<Int64Type>()
            .iter()
            .flatten()
            .filter(|t| *t >= after)
            .min();
        match next {
            Some(t) => after = t,
            None => return false,
        }
    }
    true
}

/// The distinct strings of a row's list of string lists, sorted.
fn union_of(lists: &ArrayRef, row: usize) -> Result<Vec<String>, DetectError> {
    let lists = lists.as_list::<i32>();
    let mut out = BTreeSet::new();
    if lists.is_null(row) {
        return Ok(Vec::new());
    }
    let inner = lists.value(row);
    let inner = inner.as_list::<i32>();
    for j in 0..inner.len() {
        if inner.is_null(j) {
            continue;
        }
        let values = arrow_cast::cast(&inner.value(j), &DataType::Utf8)?;
        out.extend(
            values
                .as_string::<i32>()
                .iter()
                .flatten()
                .map(str::to_string),
        );
    }
    Ok(out.into_iter().collect())
}
