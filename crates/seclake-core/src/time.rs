//! UTC timestamps as microseconds since the Unix epoch, with the parsers and
//! the formatter the hot path needs. Hand-written because every log line
//! carries at least one timestamp and a general date library costs more
//! than the rest of the line.
//!
//! Microseconds are what the lake stores (Parquet `TIMESTAMP(MICROS)`), so
//! the JSON output and the Parquet files agree by construction. Every
//! constructor checks the range: years 0001 to 9999 (what RFC 3339 can
//! write, far inside what an `i64` of microseconds holds). Anything else is
//! `None`, which parsers turn into a reject naming the value: a date never
//! wraps into another century.

use std::fmt;

/// Microseconds since 1970-01-01T00:00:00Z, between [`Timestamp::MIN`] and
/// [`Timestamp::MAX`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

const MICROS_PER_SEC: i64 = 1_000_000;

impl Timestamp {
    /// 0001-01-01T00:00:00Z.
    pub const MIN: Timestamp = Timestamp(-62_135_596_800 * MICROS_PER_SEC);
    /// 9999-12-31T23:59:59.999999Z.
    pub const MAX: Timestamp = Timestamp(253_402_300_800 * MICROS_PER_SEC - 1);

    /// `Some` when `micros` is within the supported range.
    pub fn checked(micros: i64) -> Option<Self> {
        (Self::MIN.0..=Self::MAX.0)
            .contains(&micros)
            .then_some(Timestamp(micros))
    }
    pub fn from_secs(secs: i64) -> Option<Self> {
        secs.checked_mul(MICROS_PER_SEC).and_then(Self::checked)
    }
    pub fn from_millis(ms: i64) -> Option<Self> {
        ms.checked_mul(1_000).and_then(Self::checked)
    }
    pub fn from_micros(us: i64) -> Option<Self> {
        Self::checked(us)
    }
    pub fn micros(self) -> i64 {
        self.0
    }
    /// Adds seconds (a UTC offset, say); `None` past the range.
    pub fn add_secs(self, secs: i64) -> Option<Self> {
        secs.checked_mul(MICROS_PER_SEC)
            .and_then(|d| self.0.checked_add(d))
            .and_then(Self::checked)
    }
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(d.as_micros() as i64)
    }

    /// Builds a timestamp from civil UTC fields; `None` when out of range.
    /// Fractions finer than a microsecond are truncated.
    pub fn from_civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        min: u32,
        sec: u32,
        nanos: u32,
    ) -> Option<Self> {
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || min > 59
            || sec > 60
            || nanos >= 1_000_000_000
            || !(1..=9999).contains(&year)
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + (hour as i64) * 3600 + (min as i64) * 60 + sec as i64;
        Self::checked(secs * MICROS_PER_SEC + (nanos / 1_000) as i64)
    }

    /// Civil fields (year, month, day, hour, minute, second, nanos) in UTC.
    pub fn to_civil(self) -> (i64, u32, u32, u32, u32, u32, u32) {
        let secs = self.0.div_euclid(MICROS_PER_SEC);
        let nanos = self.0.rem_euclid(MICROS_PER_SEC) as u32 * 1_000;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400) as u32;
        let (y, m, d) = civil_from_days(days);
        (y, m, d, sod / 3600, (sod / 60) % 60, sod % 60, nanos)
    }

    /// Parses RFC 3339 / ISO 8601 date-times: `2019-01-01T00:00:00Z`,
    /// fractional seconds of any length, `+hh:mm`/`-hh:mm`/`+hhmm` offsets,
    /// a space instead of `T`. No offset means UTC.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() >= 15 && b[8] == b'T' && b[..8].iter().all(u8::is_ascii_digit) {
            return Self::parse_iso_basic(b);
        }
        if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        if b[10] != b'T' && b[10] != b't' && b[10] != b' ' {
            return None;
        }
        let year = digits(&b[0..4])? as i64;
        let month = digits(&b[5..7])?;
        let day = digits(&b[8..10])?;
        let hour = digits(&b[11..13])?;
        let min = digits(&b[14..16])?;
        let sec = digits(&b[17..19])?;
        let mut i = 19;
        let mut nanos = 0u32;
        if i < b.len() && (b[i] == b'.' || b[i] == b',') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                if i - start < 9 {
                    nanos = nanos * 10 + (b[i] - b'0') as u32;
                }
                i += 1;
            }
            let n = i - start;
            if n == 0 {
                return None;
            }
            for _ in n..9 {
                nanos *= 10;
            }
        }
        let ts = Timestamp::from_civil(year, month, day, hour, min, sec, nanos)?;
        ts.add_secs(-parse_offset(&b[i..])?)
    }

    /// ISO 8601 basic format, `20131102T010628Z` (seen in CloudTrail
    /// session attributes).
    fn parse_iso_basic(b: &[u8]) -> Option<Self> {
        let ts = Timestamp::from_civil(
            digits(&b[0..4])? as i64,
            digits(&b[4..6])?,
            digits(&b[6..8])?,
            digits(&b[9..11])?,
            digits(&b[11..13])?,
            digits(&b[13..15])?,
            0,
        )?;
        ts.add_secs(-parse_offset(&b[15..])?)
    }

    /// Parses a decimal Unix time in seconds, with an optional fraction
    /// (`1418530010`, `1418530010.123`).
    #[inline]
    pub fn parse_unix_seconds(s: &str) -> Option<Self> {
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        let secs: i64 = parse_i64(int)?;
        let mut micros = 0i64;
        if !frac.is_empty() {
            let fb = frac.as_bytes();
            for (k, &c) in fb.iter().enumerate() {
                if !c.is_ascii_digit() {
                    return None;
                }
                if k < 6 {
                    micros = micros * 10 + (c - b'0') as i64;
                }
            }
            for _ in fb.len()..6 {
                micros *= 10;
            }
        }
        // A negative time with a fraction counts the fraction away from zero.
        let micros = if int.starts_with('-') {
            -micros
        } else {
            micros
        };
        secs.checked_mul(MICROS_PER_SEC)?
            .checked_add(micros)
            .and_then(Self::checked)
    }

    /// Writes the RFC 3339 form with `Z`, fractional digits in groups of
    /// three and only as many as needed.
    pub fn write_rfc3339(self, out: &mut Vec<u8>) {
        self.write_rfc3339_with(&mut SecondCache::default(), out);
    }

    /// [`Self::write_rfc3339`], reusing the date and time of day from
    /// `cache` when the second is the one it rendered last: a column's
    /// timestamps repeat their second far more often than not (a batch's
    /// parse time always does).
    pub fn write_rfc3339_with(self, cache: &mut SecondCache, out: &mut Vec<u8>) {
        let secs = self.0.div_euclid(MICROS_PER_SEC);
        let us = self.0.rem_euclid(MICROS_PER_SEC) as u32;
        if !(FOUR_DIGIT_YEARS_START..FOUR_DIGIT_YEARS_END).contains(&secs) {
            return self.write_expanded_year(out);
        }
        if cache.secs != secs {
            *cache = SecondCache {
                secs,
                prefix: second_prefix(secs),
            };
        }
        let mut buf = [0u8; crate::json_out::SHORT];
        buf[..19].copy_from_slice(&cache.prefix);
        let mut n = 19;
        if us != 0 {
            buf[19] = b'.';
            let (digits, value) = if us.is_multiple_of(1_000) {
                (3, us / 1_000)
            } else {
                (6, us)
            };
            let mut v = value;
            for k in (0..digits).rev() {
                buf[20 + k] = b'0' + (v % 10) as u8;
                v /= 10;
            }
            n = 20 + digits;
        }
        buf[n] = b'Z';
        crate::json_out::extend_prefix(out, &buf, n + 1);
    }

    /// Years before 0000 or after 9999 have no RFC 3339 form; they are
    /// written as ISO 8601's expanded years are, with a sign
    /// (`+10000-01-01T00:00:00Z`, `-0001-12-31T23:59:59Z`).
    #[cold]
    fn write_expanded_year(self, out: &mut Vec<u8>) {
        use std::io::Write;
        let (y, mo, d, h, mi, s, nanos) = self.to_civil();
        let sign = if y < 0 { '-' } else { '+' };
        let _ = write!(
            out,
            "{sign}{:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}",
            y.unsigned_abs()
        );
        let us = nanos / 1_000;
        if us != 0 && us.is_multiple_of(1_000) {
            let _ = write!(out, ".{:03}", us / 1_000);
        } else if us != 0 {
            let _ = write!(out, ".{us:06}");
        }
        out.push(b'Z');
    }

    pub fn to_rfc3339(self) -> String {
        let mut v = Vec::with_capacity(32);
        self.write_rfc3339(&mut v);
        String::from_utf8(v).expect("ascii")
    }
}

/// The time zone of times written without one: UTC, a fixed offset, or a
/// named zone with its daylight-saving rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TimeZone {
    #[default]
    Utc,
    /// Seconds east of UTC.
    Fixed(i32),
    Named(chrono_tz::Tz),
}

impl std::str::FromStr for TimeZone {
    type Err = String;

    /// `UTC`, `Z`, `+02:00`, `-0530`, or an IANA name (`Europe/Paris`).
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("utc") || s == "Z" {
            return Ok(TimeZone::Utc);
        }
        if s.starts_with(['+', '-']) {
            return parse_offset(s.as_bytes())
                .map(|o| TimeZone::Fixed(o as i32))
                .ok_or_else(|| format!("{s:?}: not an offset like +02:00"));
        }
        s.parse::<chrono_tz::Tz>()
            .map(TimeZone::Named)
            .map_err(|_| {
                format!("{s:?}: not a time zone (UTC, +02:00 or a name like Europe/Paris)")
            })
    }
}

impl TimeZone {
    /// The UTC time of a local civil time in this zone. In a daylight-saving
    /// fold the earlier instant is taken; a time in a gap does not exist
    /// and is `None`.
    pub fn to_utc(
        self,
        (year, month, day, hour, min, sec, nanos): (i64, u32, u32, u32, u32, u32, u32),
    ) -> Option<Timestamp> {
        let local = Timestamp::from_civil(year, month, day, hour, min, sec, nanos)?;
        match self {
            TimeZone::Utc => Some(local),
            TimeZone::Fixed(offset) => local.add_secs(-i64::from(offset)),
            TimeZone::Named(tz) => {
                use chrono::{NaiveDate, TimeZone as _};
                let naive = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?
                    .and_hms_opt(hour, min, sec.min(59))?;
                let utc = tz.from_local_datetime(&naive).earliest()?;
                Timestamp::from_micros(utc.timestamp() * 1_000_000 + i64::from(nanos / 1_000))
            }
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// `YYYY-MM-DDTHH:MM:SS` of a timestamp.
/// The first second of year 0000 and of year 10000: the years RFC 3339
/// can write.
const FOUR_DIGIT_YEARS_START: i64 = -62_167_219_200;
const FOUR_DIGIT_YEARS_END: i64 = 253_402_300_800;

/// The last second [`Timestamp::write_rfc3339_with`] rendered, as
/// `YYYY-MM-DDThh:mm:ss`.
#[derive(Clone, Copy, Debug)]
pub struct SecondCache {
    secs: i64,
    prefix: [u8; 19],
}

impl Default for SecondCache {
    fn default() -> Self {
        SecondCache {
            secs: i64::MIN,
            prefix: [0; 19],
        }
    }
}

/// `YYYY-MM-DDThh:mm:ss` of a second since the epoch.
fn second_prefix(secs: i64) -> [u8; 19] {
    // Rows of a stream share their day far more often than not: the last
    // few dates formatted on this thread are kept (an event's day and the
    // parse time's differ, so one is not enough).
    /// Days with their `YYYY-MM-DD`, and the entry replaced next.
    type Days = ([(i64, [u8; 10]); 4], usize);
    thread_local! {
        static DAYS: std::cell::Cell<Days> =
            const { std::cell::Cell::new(([(i64::MIN, [0; 10]); 4], 0)) };
    }
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    let date = DAYS.with(|cache| {
        let (mut entries, next) = cache.get();
        if let Some((_, date)) = entries.iter().find(|(d, _)| *d == days) {
            return *date;
        }
        let full = format_seconds(Timestamp(days * 86_400 * MICROS_PER_SEC));
        let mut p = [0u8; 10];
        p.copy_from_slice(&full[..10]);
        entries[next] = (days, p);
        cache.set((entries, (next + 1) % entries.len()));
        p
    });
    let mut prefix = [0u8; 19];
    prefix[..10].copy_from_slice(&date);
    prefix[10] = b'T';
    put2(&mut prefix[11..13], sod / 3600);
    prefix[13] = b':';
    put2(&mut prefix[14..16], (sod / 60) % 60);
    prefix[16] = b':';
    put2(&mut prefix[17..19], sod % 60);
    prefix
}

fn format_seconds(t: Timestamp) -> [u8; 19] {
    let (y, mo, d, h, mi, s, _) = t.to_civil();
    let mut buf = [0u8; 19];
    put4(&mut buf[0..4], y as u32);
    buf[4] = b'-';
    put2(&mut buf[5..7], mo);
    buf[7] = b'-';
    put2(&mut buf[8..10], d);
    buf[10] = b'T';
    put2(&mut buf[11..13], h);
    buf[13] = b':';
    put2(&mut buf[14..16], mi);
    buf[16] = b':';
    put2(&mut buf[17..19], s);
    buf
}

/// Parses a trailing UTC offset: empty, `Z`, `+hh:mm`, `+hhmm`, `+hh`.
/// Returns the offset in seconds east of UTC.
pub fn parse_offset(b: &[u8]) -> Option<i64> {
    match b {
        [] | [b'Z'] | [b'z'] => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [h1, h2] => (digits(&[*h1, *h2])?, 0),
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => {
                    (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?)
                }
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let off = (h * 3600 + m * 60) as i64;
            Some(if *sign == b'-' { -off } else { off })
        }
        _ => None,
    }
}

/// Parses an all-digit slice (at most 9 digits).
pub fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

/// Strict decimal integer: optional `-`, digits only, no overflow.
#[inline]
pub fn parse_i64(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as i64)?;
    }
    Some(if neg { -v } else { v })
}

fn put2(out: &mut [u8], v: u32) {
    out[0] = b'0' + (v / 10 % 10) as u8;
    out[1] = b'0' + (v % 10) as u8;
}

fn put4(out: &mut [u8], v: u32) {
    put2(&mut out[0..2], v / 100);
    put2(&mut out[2..4], v % 100);
}

pub fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// well-known algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Month number from an English three-letter abbreviation.
pub fn month_from_abbrev(b: &[u8]) -> Option<u32> {
    let m = match b {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    };
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_second_renders_what_a_fresh_one_does() {
        // Repeats, day changes beyond the day cache's four entries,
        // fractions, and times before 1970 and after 9999.
        let mut times = vec![
            0i64,
            -1,
            1,
            999_999,
            -86_400_000_001,
            253_402_300_800_000_000,
        ];
        // The ends of the range of four-digit years, and Arrow's ends.
        times.extend([
            -62_167_219_200_000_000,
            -62_167_219_200_000_001,
            253_402_300_799_999_999,
        ]);
        times.extend([i64::MIN, i64::MAX]);
        for day in 0..9i64 {
            for k in 0..3i64 {
                times.push((1_700_000_000 + day * 86_400 + k) * MICROS_PER_SEC + k * 1_500);
                times.push((1_700_000_000 + day * 86_400) * MICROS_PER_SEC + k);
            }
        }
        let mut cache = SecondCache::default();
        for &t in times.iter().chain(times.iter().rev()) {
            let mut cached = Vec::new();
            Timestamp(t).write_rfc3339_with(&mut cache, &mut cached);
            let fresh = Timestamp(t).to_civil();
            let (y, mo, d, h, mi, s, nanos) = fresh;
            let us = nanos / 1_000;
            let year = match y {
                0..=9999 => format!("{y:04}"),
                10000.. => format!("+{y}"),
                _ => format!("-{:04}", -y),
            };
            let mut expected = format!("{year}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
            if us % 1000 == 0 && us != 0 {
                expected += &format!(".{:03}", us / 1000);
            } else if us != 0 {
                expected += &format!(".{us:06}");
            }
            expected.push('Z');
            assert_eq!(String::from_utf8(cached).unwrap(), expected, "{t}");
        }
    }

    #[test]
    fn rfc3339_round_trip() {
        for s in [
            "2018-11-30T22:23:00.186641Z",
            "2019-01-01T00:00:00Z",
            "2020-02-29T23:59:59.123Z",
            "1969-12-31T23:59:59.999999Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(s).unwrap().to_rfc3339(), s);
        }
    }

    #[test]
    fn nanoseconds_are_truncated_to_microseconds() {
        let t = Timestamp::parse_rfc3339("2019-01-01T00:00:00.123456789Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2019-01-01T00:00:00.123456Z");
    }

    /// Years far from 1970 once wrapped silently into another century.
    #[test]
    fn extreme_years_keep_their_value_or_are_refused() {
        let first = Timestamp::parse_rfc3339("0001-01-01T00:00:00Z").unwrap();
        assert_eq!(first, Timestamp::MIN);
        assert_eq!(first.to_civil().0, 1);
        let last = Timestamp::parse_rfc3339("9999-12-31T23:59:59Z").unwrap();
        assert_eq!(last.to_civil().0, 9999);
        // An offset that pushes past the range is refused, not wrapped.
        assert!(Timestamp::parse_rfc3339("9999-12-31T23:59:59-01:00").is_none());
        assert!(Timestamp::parse_rfc3339("0001-01-01T00:00:00+01:00").is_none());
        assert!(Timestamp::parse_unix_seconds("253402300800").is_none());
        assert!(Timestamp::parse_unix_seconds("-62135596801").is_none());
        assert!(Timestamp::parse_unix_seconds("9223372036854775807").is_none());
        assert!(Timestamp::from_millis(i64::MAX).is_none());
        assert!(Timestamp::from_micros(i64::MIN).is_none());
        assert_eq!(
            Timestamp::parse_unix_seconds("-1.5").unwrap().to_rfc3339(),
            "1969-12-31T23:59:58.500Z"
        );
    }

    #[test]
    fn offsets_are_applied() {
        let a = Timestamp::parse_rfc3339("2019-02-06T02:00:38+02:00").unwrap();
        assert_eq!(a.to_rfc3339(), "2019-02-06T00:00:38Z");
        let b = Timestamp::parse_rfc3339("2019-02-06T00:00:38-0130").unwrap();
        assert_eq!(b.to_rfc3339(), "2019-02-06T01:30:38Z");
    }

    #[test]
    fn rejects_bad_dates() {
        for s in [
            "2019-02-30T00:00:00Z",
            "2019-13-01T00:00:00Z",
            "2019-01-01T24:00:00Z",
            "2019-01-01",
            "2019-01-01T00:00:00.Z",
            "2019-01-01T00:00:00Zjunk",
            "not a time at all!!",
        ] {
            assert!(Timestamp::parse_rfc3339(s).is_none(), "{s}");
        }
    }

    #[test]
    fn iso_basic_format() {
        assert_eq!(
            Timestamp::parse_rfc3339("20131102T010628Z")
                .unwrap()
                .to_rfc3339(),
            "2013-11-02T01:06:28Z"
        );
        assert!(Timestamp::parse_rfc3339("20131302T010628Z").is_none());
    }

    #[test]
    fn unix_seconds() {
        assert_eq!(
            Timestamp::parse_unix_seconds("1418530010")
                .unwrap()
                .to_rfc3339(),
            "2014-12-14T04:06:50Z"
        );
        assert_eq!(
            Timestamp::parse_unix_seconds("1418530010.5")
                .unwrap()
                .to_rfc3339(),
            "2014-12-14T04:06:50.500Z"
        );
        assert!(Timestamp::parse_unix_seconds("14x").is_none());
        assert!(Timestamp::parse_unix_seconds("").is_none());
    }

    #[test]
    fn local_times_in_zones() {
        let utc = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
        let paris: TimeZone = "Europe/Paris".parse().unwrap();
        assert_eq!(
            paris.to_utc((2024, 1, 15, 12, 0, 0, 0)),
            Some(utc("2024-01-15T11:00:00Z"))
        );
        assert_eq!(
            paris.to_utc((2024, 7, 15, 12, 0, 0, 0)),
            Some(utc("2024-07-15T10:00:00Z"))
        );
        // 02:30 on the spring-forward night does not exist in Paris.
        assert_eq!(paris.to_utc((2024, 3, 31, 2, 30, 0, 0)), None);
        let fixed: TimeZone = "-05:30".parse().unwrap();
        assert_eq!(
            fixed.to_utc((2024, 1, 1, 0, 0, 0, 0)),
            Some(utc("2024-01-01T05:30:00Z"))
        );
        assert_eq!("utc".parse::<TimeZone>(), Ok(TimeZone::Utc));
        assert!("Mars/Olympus".parse::<TimeZone>().is_err());
    }

    #[test]
    fn civil_round_trip_over_many_days() {
        for days in (-800_000i64..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
