//! The parts of a syslog header both RFCs share: the priority, and the
//! BSD timestamp whose year and zone come from the source.

use seclake_core::time::{digits, month_from_abbrev};
use seclake_core::{ParseContext, ParseError, Row, Timestamp, Value};

/// `<PRI>` at the start of `line`: the priority (facility × 8 + severity,
/// 0–191) and the text after `>`.
pub fn priority(line: &str) -> Option<(u8, &str)> {
    let rest = line.strip_prefix('<')?;
    let end = rest.find('>')?;
    if end == 0 || end > 3 || !rest[..end].bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let pri: u8 = rest[..end].parse().ok().filter(|p| *p <= 191)?;
    Some((pri, &rest[end + 1..]))
}

/// Sets the first three columns of a syslog type, which every one declares
/// as `priority`, `facility`, `severity` (a test checks), from PRI.
pub fn set_priority(row: &mut Row<'_>, pri: u8) {
    row.set(0usize, Value::Int(i64::from(pri)));
    row.set(1usize, Value::Int(i64::from(pri / 8)));
    row.set(2usize, Value::Int(i64::from(pri % 8)));
}

/// A single-space-separated token, and the text after the space.
pub fn token(s: &str) -> (&str, &str) {
    match s.find(' ') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    }
}

/// The four header fields after the time, `HOSTNAME APP-NAME PROCID
/// MSGID` (each may be `-`), and the text after them.
pub fn header_fields(s: &str) -> ([&str; 4], &str) {
    let mut fields = [""; 4];
    let mut rest = s;
    for f in &mut fields {
        (*f, rest) = token(rest);
    }
    (fields, rest)
}

/// `Mmm dd hh:mm:ss` (the day padded with a space or a zero) at the start
/// of `s`: the time and the text after it. The year is the reference
/// clock's, one earlier when that would put the time more than a day
/// after the clock (a log written in December read in January); the zone
/// is the source's.
pub fn bsd_time<'a>(
    s: &'a str,
    ctx: &ParseContext,
) -> Option<Result<(Timestamp, &'a str), ParseError>> {
    let b = s.as_bytes();
    if b.len() < 14 || b[3] != b' ' {
        return None;
    }
    let month = month_from_abbrev(&b[..3])?;
    // The day: `5`, ` 5` (the RFC's padding) or `05`.
    let start = if b[4] == b' ' { 5 } else { 4 };
    let mut i = start;
    while i < b.len() && i - start < 2 && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == start || b.get(i) != Some(&b' ') {
        return None;
    }
    let day = digits(&b[start..i])?;
    let t = i + 1;
    if b.len() < t + 8 || b[t + 2] != b':' || b[t + 5] != b':' {
        return None;
    }
    let (h, m, sec) = (
        digits(&b[t..t + 2])?,
        digits(&b[t + 3..t + 5])?,
        digits(&b[t + 6..t + 8])?,
    );
    let (shown, rest) = s.split_at(t + 8);
    let (year, ..) = ctx.reference_time.to_civil();
    let at = |y: i64| ctx.time_zone.to_utc((y, month, day, h, m, sec, 0));
    let latest = ctx.reference_time.add_secs(86_400)?;
    let t = match at(year) {
        Some(t) if t <= latest => Some(t),
        _ => at(year - 1),
    };
    Some(match t {
        Some(t) => Ok((t, rest)),
        None => Err(ParseError::field("timestamp", "not a date", shown)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(reference: &str) -> ParseContext {
        ParseContext::at(Timestamp::parse_rfc3339(reference).unwrap())
    }

    #[test]
    fn every_syslog_type_declares_the_priority_columns_first() {
        for def in [crate::rfc5424::DEF, crate::rfc3164::DEF] {
            let names: Vec<_> = def.columns[..3].iter().map(|c| c.name).collect();
            assert_eq!(names, ["priority", "facility", "severity"], "{}", def.name);
        }
    }

    #[test]
    fn priorities() {
        assert_eq!(priority("<34>1 x"), Some((34, "1 x")));
        assert_eq!(priority("<191>x"), Some((191, "x")));
        for bad in ["<192>x", "<>x", "<1234>x", "34>x", "<3a>x", "<34"] {
            assert_eq!(priority(bad), None, "{bad}");
        }
    }

    #[test]
    fn bsd_times_take_the_year_of_the_clock_or_the_one_before() {
        let c = ctx("2024-01-02T00:00:00Z");
        let (t, rest) = bsd_time("Jan  1 23:59:59 host", &c).unwrap().unwrap();
        assert_eq!(t, Timestamp::parse_rfc3339("2024-01-01T23:59:59Z").unwrap());
        assert_eq!(rest, " host");
        // December seen in January: last year.
        let (t, _) = bsd_time("Dec 31 10:00:00 x", &c).unwrap().unwrap();
        assert_eq!(t, Timestamp::parse_rfc3339("2023-12-31T10:00:00Z").unwrap());
        // Within a day ahead of the clock: this year (clocks drift).
        let (t, _) = bsd_time("Jan 02 12:00:00 x", &c).unwrap().unwrap();
        assert_eq!(t, Timestamp::parse_rfc3339("2024-01-02T12:00:00Z").unwrap());
        let paris = ParseContext {
            time_zone: "Europe/Paris".parse().unwrap(),
            ..ctx("2024-07-01T00:00:00Z")
        };
        let (t, _) = bsd_time("Jun  5 12:10:07 x", &paris).unwrap().unwrap();
        assert_eq!(t, Timestamp::parse_rfc3339("2024-06-05T10:10:07Z").unwrap());
        let (t, _) = bsd_time("Jun 5 12:10:07 x", &c).unwrap().unwrap();
        assert_eq!(t, Timestamp::parse_rfc3339("2023-06-05T12:10:07Z").unwrap());
        assert!(bsd_time("Foo  5 12:10:07 x", &c).is_none());
        assert!(bsd_time("Jun   5 12:10:07 x", &c).is_none());
        assert!(bsd_time("Jun 123 12:10:07 x", &c).is_none());
        assert!(bsd_time("Feb 30 12:10:07 x", &c).unwrap().is_err());
    }
}
