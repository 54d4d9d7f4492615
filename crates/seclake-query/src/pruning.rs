//! Turning time predicates on `p_event_time` into predicates on the
//! partition columns `year`, `month`, `day`, `hour`.
//!
//! Why: the lake is partitioned by each row's event hour, but the
//! partition columns exist only in the paths, and DataFusion cannot know
//! that `hour=07` holds exactly the rows whose `p_event_time` falls in that
//! hour. Without help, `WHERE p_event_time > now() - interval '1 day'` opens
//! every file of the table. [`partition_filters`] derives, from the filters
//! DataFusion pushes into a scan, equivalent (never narrower) filters on
//! the partition columns, which `ListingTable` evaluates on the paths
//! before opening any file.
//!
//! Soundness rests on the lake contract: a row lives in the partition of
//! the UTC hour of its `p_event_time`, and partition values are zero-padded
//! (`year=2024/month=03/day=07/hour=05`), so comparing the strings compares
//! the times. Derived bounds are inclusive at hour granularity, so no row
//! that the original filter keeps can be pruned; DataFusion still applies
//! the original filter to the rows that are read.

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{Column, ScalarValue};
use datafusion::logical_expr::expr::InList;
use datafusion::logical_expr::{col, lit, Between, BinaryExpr, Expr, Operator};

/// The column the lake is partitioned by (by hour, in UTC).
pub const EVENT_TIME: &str = "p_event_time";

/// The partition columns, outermost first, as they appear in paths.
pub const PARTITION_COLUMNS: [&str; 4] = ["year", "month", "day", "hour"];

/// More ranges than this are merged into one covering range, to keep the
/// derived predicate small (a long `IN` list of times, say).
const MAX_RANGES: usize = 32;

/// Derives partition-column filters implied by `filters` (a conjunction,
/// as DataFusion passes them to `TableProvider::scan`).
///
/// Recognises comparisons (`=`, `<`, `<=`, `>`, `>=`) of `p_event_time`
/// (possibly cast to a finer timestamp type) with a timestamp literal,
/// `BETWEEN`, `IN` lists of literals, and `AND` / `OR` of those. Anything
/// else contributes no restriction. Returns no filters when nothing
/// restricts the event time.
pub fn partition_filters(filters: &[Expr]) -> Vec<Expr> {
    let mut ranges: Option<Vec<HourRange>> = None;
    for f in filters {
        if let Some(r) = implied_ranges(f) {
            ranges = Some(match ranges {
                None => r,
                Some(prev) => intersect_all(&prev, &r),
            });
        }
    }
    let Some(ranges) = ranges.map(normalize) else {
        return vec![];
    };
    match ranges.as_slice() {
        // The time predicate is unsatisfiable: no partition can match.
        [] => vec![lit(false)],
        [one] => one.conjuncts(),
        many => {
            let disjunction = many
                .iter()
                .map(|r| r.conjuncts().into_iter().reduce(Expr::and))
                .collect::<Option<Vec<_>>>();
            // A range without bounds would make the whole disjunction true.
            match disjunction.and_then(|d| d.into_iter().reduce(Expr::or)) {
                Some(expr) => vec![expr],
                None => vec![],
            }
        }
    }
}

/// An inclusive range of event hours (hours since the Unix epoch, UTC);
/// `None` is unbounded on that side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourRange {
    pub lo: Option<i64>,
    pub hi: Option<i64>,
}

impl HourRange {
    fn intersect(self, other: HourRange) -> HourRange {
        HourRange {
            lo: combine(self.lo, other.lo, i64::max),
            hi: combine(self.hi, other.hi, i64::min),
        }
    }

    fn is_empty(&self) -> bool {
        matches!((self.lo, self.hi), (Some(lo), Some(hi)) if lo > hi)
    }

    /// The partition predicates of this range, as separate conjuncts:
    /// equalities on the components both bounds share (which also lets
    /// `ListingTable` list only that directory), then a lexicographic
    /// comparison from the first component where they differ.
    fn conjuncts(&self) -> Vec<Expr> {
        let lo = self.lo.and_then(PartitionKey::of_hour);
        let hi = self.hi.and_then(PartitionKey::of_hour);
        let mut out = vec![];
        let mut start = 0;
        if let (Some(lo), Some(hi)) = (&lo, &hi) {
            while start < 4 && lo.0[start] == hi.0[start] {
                out.push(part_col(start).eq(lit(lo.0[start].clone())));
                start += 1;
            }
            if start == 4 {
                return out;
            }
        }
        if let Some(lo) = &lo {
            out.push(tuple_cmp(&lo.0, start, Operator::Gt));
        }
        if let Some(hi) = &hi {
            out.push(tuple_cmp(&hi.0, start, Operator::Lt));
        }
        out
    }
}

fn combine(a: Option<i64>, b: Option<i64>, pick: fn(i64, i64) -> i64) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(pick(a, b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// Pairwise intersections of two unions of ranges (`A AND B`).
fn intersect_all(a: &[HourRange], b: &[HourRange]) -> Vec<HourRange> {
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in a {
        for y in b {
            let r = x.intersect(*y);
            if !r.is_empty() {
                out.push(r);
            }
        }
    }
    normalize(out)
}

/// Sorts, drops empty ranges, merges overlapping or adjacent ones, and caps
/// the count by merging everything into the covering range.
fn normalize(mut ranges: Vec<HourRange>) -> Vec<HourRange> {
    ranges.retain(|r| !r.is_empty());
    ranges.sort_by_key(|r| r.lo.unwrap_or(i64::MIN));
    let mut out: Vec<HourRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last)
                if last.hi.is_none()
                    || r.lo.is_none()
                    || r.lo.unwrap_or(i64::MIN)
                        <= last.hi.unwrap_or(i64::MAX).saturating_add(1) =>
            {
                last.hi = match (last.hi, r.hi) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            _ => out.push(r),
        }
    }
    if out.len() > MAX_RANGES {
        let lo = out.first().and_then(|r| r.lo);
        let hi = out.last().and_then(|r| r.hi);
        out = vec![HourRange { lo, hi }];
    }
    out
}

/// The event-hour ranges a predicate restricts rows to (a union), or
/// `None` when it does not restrict the event time.
fn implied_ranges(expr: &Expr) -> Option<Vec<HourRange>> {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
            Operator::And => match (implied_ranges(left), implied_ranges(right)) {
                (Some(a), Some(b)) => Some(intersect_all(&a, &b)),
                (a, b) => a.or(b),
            },
            Operator::Or => {
                let mut a = implied_ranges(left)?;
                a.extend(implied_ranges(right)?);
                Some(normalize(a))
            }
            _ => comparison(left, *op, right).map(|r| vec![r]),
        },
        Expr::Between(Between {
            expr,
            negated: false,
            low,
            high,
        }) => {
            let lo = comparison(expr, Operator::GtEq, low)?;
            let hi = comparison(expr, Operator::LtEq, high)?;
            Some(normalize(vec![lo.intersect(hi)]))
        }
        Expr::InList(InList {
            expr,
            list,
            negated: false,
        }) if !list.is_empty() => list
            .iter()
            .map(|v| comparison(expr, Operator::Eq, v))
            .collect::<Option<Vec<_>>>()
            .map(normalize),
        _ => None,
    }
}

/// `p_event_time <op> literal` (either side) as a range of hours.
fn comparison(left: &Expr, op: Operator, right: &Expr) -> Option<HourRange> {
    let (value, op) = if is_event_time(left) {
        (timestamp_literal(right)?, op)
    } else if is_event_time(right) {
        (timestamp_literal(left)?, op.swap()?)
    } else {
        return None;
    };
    let TimeValue { hour, on_boundary } = value;
    Some(match op {
        Operator::Eq | Operator::IsNotDistinctFrom => HourRange {
            lo: Some(hour),
            hi: Some(hour),
        },
        Operator::Gt | Operator::GtEq => HourRange {
            lo: Some(hour),
            hi: None,
        },
        // `t < 10:00:00` excludes the 10:00 hour entirely.
        Operator::Lt if on_boundary => HourRange {
            lo: None,
            hi: Some(hour - 1),
        },
        Operator::Lt | Operator::LtEq => HourRange {
            lo: None,
            hi: Some(hour),
        },
        _ => return None,
    })
}

/// `p_event_time`, bare or cast to a timestamp type that keeps every
/// value's hour (microseconds or nanoseconds; DataFusion coerces the column
/// to the literal's unit, e.g. for `now()`, which is in nanoseconds).
fn is_event_time(expr: &Expr) -> bool {
    match expr {
        Expr::Column(Column { name, .. }) => name == EVENT_TIME,
        Expr::Cast(c) => lossless_timestamp(c.field.data_type()) && is_event_time(&c.expr),
        Expr::TryCast(c) => lossless_timestamp(c.field.data_type()) && is_event_time(&c.expr),
        _ => false,
    }
}

fn lossless_timestamp(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Timestamp(TimeUnit::Microsecond | TimeUnit::Nanosecond, _)
    )
}

/// A timestamp literal: its hour since the epoch, and whether it is exactly
/// on the hour.
struct TimeValue {
    hour: i64,
    on_boundary: bool,
}

fn timestamp_literal(expr: &Expr) -> Option<TimeValue> {
    let Expr::Literal(value, _) = expr else {
        return None;
    };
    // The stored value is UTC whatever the time zone annotation says.
    let (v, per_hour): (i64, i64) = match value {
        ScalarValue::TimestampSecond(Some(v), _) => (*v, 3_600),
        ScalarValue::TimestampMillisecond(Some(v), _) => (*v, 3_600_000),
        ScalarValue::TimestampMicrosecond(Some(v), _) => (*v, 3_600_000_000),
        ScalarValue::TimestampNanosecond(Some(v), _) => (*v, 3_600_000_000_000),
        _ => return None,
    };
    Some(TimeValue {
        hour: v.div_euclid(per_hour),
        on_boundary: v.rem_euclid(per_hour) == 0,
    })
}

/// `(year, month, day, hour)` as the zero-padded strings of the paths.
#[derive(Debug, PartialEq, Eq)]
struct PartitionKey([String; 4]);

impl PartitionKey {
    /// The key of an hour since the epoch; `None` outside years 0000–9999,
    /// where four-digit string order no longer matches time order (such a
    /// bound is dropped, which only prunes less).
    fn of_hour(hour: i64) -> Option<PartitionKey> {
        let (y, m, d) = civil_from_days(hour.div_euclid(24));
        if !(0..=9999).contains(&y) {
            return None;
        }
        let h = hour.rem_euclid(24);
        Some(PartitionKey([
            format!("{y:04}"),
            format!("{m:02}"),
            format!("{d:02}"),
            format!("{h:02}"),
        ]))
    }
}

fn part_col(i: usize) -> Expr {
    col(Column::from_name(PARTITION_COLUMNS[i]))
}

/// Lexicographic comparison of `(year, month, day, hour)` from component
/// `start` on, inclusive: `op` is `Gt` for "at or after", `Lt` for "at or
/// before". E.g. at or after (…, "05", "07"): `day > '05' OR (day = '05'
/// AND hour >= '07')`.
fn tuple_cmp(key: &[String; 4], start: usize, op: Operator) -> Expr {
    let last = 3;
    let inclusive = if op == Operator::Gt {
        Operator::GtEq
    } else {
        Operator::LtEq
    };
    let mut expr = Expr::BinaryExpr(BinaryExpr::new(
        Box::new(part_col(last)),
        inclusive,
        Box::new(lit(key[last].clone())),
    ));
    for i in (start..last).rev() {
        let strict = Expr::BinaryExpr(BinaryExpr::new(
            Box::new(part_col(i)),
            op,
            Box::new(lit(key[i].clone())),
        ));
        expr = strict.or(part_col(i).eq(lit(key[i].clone())).and(expr));
    }
    expr
}

/// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01
/// (H. Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
#[path = "pruning_tests.rs"]
mod tests;
