//! The time values of CEF and LEEF attributes (`rt`, `start`, `end`,
//! `devTime`): epoch milliseconds (the CEF specification's form) or
//! seconds, `MMM dd yyyy HH:mm:ss[.SSS][ zone]`, the same without a year
//! (the reference clock's, as for BSD syslog), or RFC 3339. The zone is an
//! offset (`-0400`, `+02:00`), `Z`, `UTC`/`GMT`, or a North American
//! abbreviation; without one, the source's zone. Anything else is `None`:
//! the caller keeps the value as text.

use seclake_core::time::{digits, month_from_abbrev, parse_i64, parse_offset};
use seclake_core::{ParseContext, TimeZone, Timestamp};

/// Reads a time value.
pub fn parse(v: &str, ctx: &ParseContext) -> Option<Timestamp> {
    let v = v.trim();
    let b = v.as_bytes();
    if !b.is_empty() && b.iter().all(u8::is_ascii_digit) {
        let n = parse_i64(v)?;
        // Thirteen digits and more are milliseconds (after 1973).
        return if b.len() >= 12 {
            Timestamp::from_millis(n)
        } else {
            Timestamp::from_secs(n)
        };
    }
    if b.first().is_some_and(u8::is_ascii_digit) {
        return Timestamp::parse_rfc3339(v);
    }
    month_first(v, ctx)
}

/// `MMM dd [yyyy ]HH:mm:ss[.fff][ zone]`, or C's `ctime` form `EEE MMM dd
/// HH:mm:ss yyyy`.
fn month_first(v: &str, ctx: &ParseContext) -> Option<Timestamp> {
    let mut parts = v.split_ascii_whitespace().peekable();
    let weekday = parts.next_if(|p| is_weekday(p)).is_some();
    let month = month_from_abbrev(parts.next()?.as_bytes().get(..3)?)?;
    let day = digits(parts.next()?.as_bytes()).filter(|d| *d <= 31)?;
    let mut next = parts.next()?;
    let year = if !next.contains(':') {
        let y = digits(next.as_bytes()).filter(|_| next.len() == 4)?;
        next = parts.next()?;
        Some(i64::from(y))
    } else {
        None
    };
    let (h, m, s, nanos) = clock(next)?;
    let year = match year {
        None if weekday => {
            Some(i64::from(parts.next().and_then(|y| {
                digits(y.as_bytes()).filter(|_| y.len() == 4)
            })?))
        }
        y => y,
    };
    let zone = match parts.next() {
        None => ctx.time_zone,
        Some(z) => zone(z)?,
    };
    if parts.next().is_some() {
        return None;
    }
    let at = |y: i64| zone.to_utc((y, month, day, h, m, s, nanos));
    match year {
        Some(y) => at(y),
        None => {
            let (year, ..) = ctx.reference_time.to_civil();
            let latest = ctx.reference_time.add_secs(86_400)?;
            match at(year) {
                Some(t) if t <= latest => Some(t),
                _ => at(year - 1),
            }
        }
    }
}

fn is_weekday(s: &str) -> bool {
    matches!(s, "Mon" | "Tue" | "Wed" | "Thu" | "Fri" | "Sat" | "Sun")
}

/// `HH:mm:ss[.fff]`: hours, minutes, seconds, nanoseconds.
fn clock(s: &str) -> Option<(u32, u32, u32, u32)> {
    let (hms, frac) = s.split_once('.').unwrap_or((s, ""));
    let b = hms.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let nanos = if frac.is_empty() {
        0
    } else {
        let f = frac.as_bytes().get(..frac.len().min(9))?;
        digits(f)? * 10u32.pow(9 - f.len() as u32)
    };
    Some((
        digits(&b[..2])?,
        digits(&b[3..5])?,
        digits(&b[6..8])?,
        nanos,
    ))
}

/// A zone after the time.
fn zone(z: &str) -> Option<TimeZone> {
    let hours = match z {
        "Z" | "UTC" | "GMT" => 0,
        "EDT" => -4,
        "EST" | "CDT" => -5,
        "CST" | "MDT" => -6,
        "MST" | "PDT" => -7,
        "PST" => -8,
        _ => {
            let z = z
                .strip_prefix("GMT")
                .or_else(|| z.strip_prefix("UTC"))
                .unwrap_or(z);
            return parse_offset(z.as_bytes()).map(|o| TimeZone::Fixed(o as i32));
        }
    };
    Some(TimeZone::Fixed(hours * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Option<Timestamp> {
        Timestamp::parse_rfc3339(s)
    }

    #[test]
    fn the_forms_vendors_send() {
        let c = ParseContext::at(t("2024-06-01T00:00:00Z").unwrap());
        for (v, want) in [
            ("1453290121336", "2016-01-20T11:42:01.336Z"),
            ("1705314600", "2024-01-15T10:30:00Z"),
            ("May 1 2016 09:29:11.356 -0400", "2016-05-01T13:29:11.356Z"),
            ("Sep 03 2020 14:54:59 GMT", "2020-09-03T14:54:59Z"),
            ("Jan 15 2024 10:30:00.000 EST", "2024-01-15T15:30:00Z"),
            ("Jan 15 10:30:00", "2024-01-15T10:30:00Z"),
            ("Dec 31 10:30:00", "2023-12-31T10:30:00Z"),
            ("2025-06-29T23:35:00Z", "2025-06-29T23:35:00Z"),
            ("Jan 15 2024 10:30:00 +02:00", "2024-01-15T08:30:00Z"),
            ("Fri Oct 21 11:10:02 2022", "2022-10-21T11:10:02Z"),
        ] {
            assert_eq!(parse(v, &c), t(want), "{v}");
        }
        for bad in [
            "",
            "yesterday",
            "Jan 15 2024 10:30:00 Mars/Olympus",
            "Jan 32 2024 10:30:00",
            "Jan 15 2024 25:30:00",
            "99999999999999999999999",
            "Jan 15 2024",
            "Fri Oct 21 11:10:02",
        ] {
            assert_eq!(parse(bad, &c), None, "{bad}");
        }
    }
}
