//! Unit tests of the derivation of partition filters (kept apart from
//! `pruning.rs` so that file stays readable).

use super::*;
use datafusion::logical_expr::{cast, try_cast};

const US_PER_HOUR: i64 = 3_600_000_000;

/// Microseconds since the epoch of a UTC civil time (test helper, the
/// inverse of `civil_from_days` via a linear search-free formula).
fn us(y: i64, m: u32, d: u32, h: u32, min: u32) -> i64 {
    // days_from_civil (H. Hinnant)
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (days * 24 + i64::from(h)) * US_PER_HOUR + i64::from(min) * 60_000_000
}

fn ts(v: i64) -> Expr {
    lit(ScalarValue::TimestampMicrosecond(
        Some(v),
        Some("UTC".into()),
    ))
}

fn ev() -> Expr {
    col(EVENT_TIME)
}

fn derive(filters: &[Expr]) -> Vec<String> {
    partition_filters(filters)
        .iter()
        .map(|e| e.to_string())
        .collect()
}

#[test]
fn civil_dates() {
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(-1), (1969, 12, 31));
    assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    assert_eq!(civil_from_days(11_017), (2000, 3, 1));
    for (y, m, d) in [(2024, 12, 31), (2023, 1, 1), (1999, 2, 28), (2100, 3, 1)] {
        let days = us(y, m, d, 0, 0) / US_PER_HOUR / 24;
        assert_eq!(civil_from_days(days), (y, m, d));
    }
}

#[test]
fn lower_bound() {
    let t = us(2024, 3, 7, 5, 30);
    assert_eq!(
        derive(&[ev().gt_eq(ts(t))]),
        [
            "year > Utf8(\"2024\") OR year = Utf8(\"2024\") AND (month > Utf8(\"03\") OR \
          month = Utf8(\"03\") AND (day > Utf8(\"07\") OR day = Utf8(\"07\") AND \
          hour >= Utf8(\"05\")))"
        ]
    );
    // Strict or not, the hour of the bound is kept (inclusive).
    assert_eq!(derive(&[ev().gt(ts(t))]), derive(&[ev().gt_eq(ts(t))]));
    // Literal on the left.
    assert_eq!(derive(&[ts(t).lt(ev())]), derive(&[ev().gt_eq(ts(t))]));
}

#[test]
fn upper_bound_on_the_hour_excludes_that_hour() {
    let on_hour = us(2024, 3, 8, 0, 0);
    let before = derive(&[ev().lt(ts(on_hour))]);
    // `< 2024-03-08T00:00` ends with hour 23 of the 7th.
    assert_eq!(
        before,
        [
            "year < Utf8(\"2024\") OR year = Utf8(\"2024\") AND (month < Utf8(\"03\") OR \
          month = Utf8(\"03\") AND (day < Utf8(\"07\") OR day = Utf8(\"07\") AND \
          hour <= Utf8(\"23\")))"
        ]
    );
    // `<=` the same instant keeps the 00 hour of the 8th.
    let at_most = derive(&[ev().lt_eq(ts(on_hour))]);
    assert!(
        at_most[0].contains("day = Utf8(\"08\") AND hour <= Utf8(\"00\")"),
        "{at_most:?}"
    );
    // Off the hour, `<` keeps the hour of the bound.
    let off = derive(&[ev().lt(ts(on_hour + 1))]);
    assert_eq!(off, at_most);
}

#[test]
fn range_within_a_day_uses_equalities() {
    let lo = us(2024, 3, 7, 5, 0);
    let hi = us(2024, 3, 7, 9, 15);
    let expected = [
        "year = Utf8(\"2024\")",
        "month = Utf8(\"03\")",
        "day = Utf8(\"07\")",
        "hour >= Utf8(\"05\")",
        "hour <= Utf8(\"09\")",
    ];
    assert_eq!(derive(&[ev().gt_eq(ts(lo)), ev().lt(ts(hi))]), expected);
    assert_eq!(derive(&[ev().gt_eq(ts(lo)).and(ev().lt(ts(hi)))]), expected);
    assert_eq!(derive(&[ev().between(ts(lo), ts(hi))]), expected);
    // One hour: four equalities.
    assert_eq!(
        derive(&[ev().eq(ts(lo + 42))]),
        [
            "year = Utf8(\"2024\")",
            "month = Utf8(\"03\")",
            "day = Utf8(\"07\")",
            "hour = Utf8(\"05\")"
        ]
    );
}

#[test]
fn range_across_months() {
    let lo = us(2024, 1, 31, 22, 0);
    let hi = us(2024, 2, 1, 2, 0);
    let got = derive(&[ev().gt_eq(ts(lo)), ev().lt_eq(ts(hi))]);
    assert_eq!(got[0], "year = Utf8(\"2024\")");
    assert_eq!(
        got[1],
        "month > Utf8(\"01\") OR month = Utf8(\"01\") AND (day > Utf8(\"31\") OR \
         day = Utf8(\"31\") AND hour >= Utf8(\"22\"))"
    );
    assert_eq!(got.len(), 3);
}

#[test]
fn any_timestamp_unit_and_casts() {
    let t = us(2024, 3, 7, 5, 30);
    let expected = derive(&[ev().gt(ts(t))]);
    let ns = lit(ScalarValue::TimestampNanosecond(
        Some(t * 1_000),
        Some("+00:00".into()),
    ));
    let ms = lit(ScalarValue::TimestampMillisecond(Some(t / 1_000), None));
    let s = lit(ScalarValue::TimestampSecond(Some(t / 1_000_000), None));
    let ns_type = DataType::Timestamp(TimeUnit::Nanosecond, Some("+00:00".into()));
    assert_eq!(
        derive(&[cast(ev(), ns_type.clone()).gt(ns.clone())]),
        expected
    );
    assert_eq!(derive(&[try_cast(ev(), ns_type).gt(ns)]), expected);
    assert_eq!(derive(&[ev().gt(ms)]), expected);
    assert_eq!(derive(&[ev().gt(s)]), expected);
    // A cast that could move a value to another hour is not trusted.
    let to_date = cast(ev(), DataType::Date32);
    assert!(derive(&[to_date.gt(ts(t))]).is_empty());
}

#[test]
fn disjunctions_and_in_lists() {
    let a = us(2024, 3, 7, 5, 0);
    let b = us(2024, 3, 9, 1, 0);
    let or = ev().eq(ts(a)).or(ev().eq(ts(b)));
    let got = derive(std::slice::from_ref(&or));
    assert_eq!(got.len(), 1);
    assert!(got[0].contains(" OR "), "{got:?}");
    assert!(
        got[0].contains("day = Utf8(\"07\") AND hour = Utf8(\"05\")"),
        "{got:?}"
    );
    assert!(
        got[0].contains("day = Utf8(\"09\") AND hour = Utf8(\"01\")"),
        "{got:?}"
    );
    assert_eq!(derive(&[ev().in_list(vec![ts(a), ts(b)], false)]), got);
    // Adjacent hours merge into one range.
    let adjacent = ev().in_list(vec![ts(a), ts(a + US_PER_HOUR)], false);
    assert_eq!(derive(&[adjacent]).len(), 5);
}

#[test]
fn unrelated_or_unsupported_predicates_derive_nothing() {
    let t = us(2024, 3, 7, 5, 0);
    assert!(derive(&[col("eventName").eq(lit("x"))]).is_empty());
    assert!(derive(&[ev().not_eq(ts(t))]).is_empty());
    assert!(derive(&[ev().in_list(vec![ts(t)], true)]).is_empty());
    assert!(derive(&[ev().not_between(ts(t), ts(t + 1))]).is_empty());
    assert!(derive(&[ev().gt(col("p_parse_time"))]).is_empty());
    // An OR with a branch that does not restrict the time cannot prune.
    assert!(derive(&[ev().gt(ts(t)).or(col("eventName").eq(lit("x")))]).is_empty());
    // But an AND with such a branch still can.
    assert!(!derive(&[ev().gt(ts(t)).and(col("eventName").eq(lit("x")))]).is_empty());
}

#[test]
fn contradictions_prune_everything() {
    let t = us(2024, 3, 7, 5, 0);
    assert_eq!(
        derive(&[ev().gt(ts(t)), ev().lt(ts(t - 2 * US_PER_HOUR))]),
        ["Boolean(false)"]
    );
}

#[test]
fn years_beyond_four_digits_are_not_bounds() {
    let far = us(10_000, 1, 1, 0, 0);
    assert!(derive(&[ev().gt(ts(far))]).is_empty());
    let before_year_zero = us(-1, 1, 1, 0, 0);
    assert!(derive(&[ev().lt(ts(before_year_zero))]).is_empty());
}

#[test]
fn many_ranges_collapse_to_their_hull() {
    let base = us(2024, 1, 1, 0, 0);
    let list: Vec<Expr> = (0..100).map(|i| ts(base + i * 3 * US_PER_HOUR)).collect();
    let got = derive(&[ev().in_list(list, false)]);
    // One range: year and month shared, then the day/hour bounds.
    assert_eq!(got.len(), 4, "{got:?}");
}
