//! Helpers shared by the space-separated AWS line formats (ALB, S3 server
//! access, VPC Flow) and by the JSON ones.

use std::borrow::Cow;

use seclake_core::json::record::top_level_member;
use seclake_core::json::{unquote, Cursor, Member};
use seclake_core::time::parse_i64;
use seclake_core::{ParseError, Timestamp, Value};

/// Splits a line into space-separated fields. A field that starts with
/// `"` runs to the next unescaped `"` (the quotes are dropped, `\"` kept
/// as written); one that starts with `[` runs to the next `]` (brackets
/// dropped). Returns an error for an unterminated quote or bracket.
pub fn split_fields<'a>(line: &'a str, out: &mut Vec<&'a str>) -> Result<(), ParseError> {
    out.clear();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' => i += 1,
            b'"' => {
                let start = i + 1;
                let mut j = start;
                loop {
                    match memchr::memchr2(b'"', b'\\', &b[j..]) {
                        Some(k) if b[j + k] == b'\\' => j += k + 2,
                        Some(k) => {
                            j += k;
                            break;
                        }
                        None => {
                            return Err(ParseError::invalid("unterminated quoted field")
                                .with_detail(format!("at column {}", i + 1)))
                        }
                    }
                    if j > b.len() {
                        return Err(ParseError::invalid("unterminated quoted field")
                            .with_detail(format!("at column {}", i + 1)));
                    }
                }
                out.push(&line[start..j]);
                i = j + 1;
                if i < b.len() && b[i] != b' ' {
                    return Err(ParseError::invalid("no space after quoted field")
                        .with_detail(format!("at column {}", i + 1)));
                }
            }
            // `[...]` is one field (S3's `[06/Feb/2019:00:00:38 +0000]`)
            // unless the `]` is followed by more of the token, as in an
            // IPv6 `[2001:db8::1]:443`, which is an ordinary field.
            b'[' if memchr::memchr(b']', &b[i..])
                .is_none_or(|k| matches!(b.get(i + k + 1), None | Some(b' '))) =>
            {
                let start = i + 1;
                let Some(k) = memchr::memchr(b']', &b[start..]) else {
                    return Err(ParseError::invalid("unterminated [")
                        .with_detail(format!("at column {}", i + 1)));
                };
                out.push(&line[start..start + k]);
                i = start + k + 1;
            }
            _ => {
                let start = i;
                let end = memchr::memchr(b' ', &b[i..]).map_or(b.len(), |k| i + k);
                out.push(&line[start..end]);
                i = end;
            }
        }
    }
    Ok(())
}

/// A field list kept between the lines of a stream, so splitting a line
/// allocates nothing once the first line has sized it.
#[derive(Default)]
pub struct FieldBuf {
    fields: Vec<&'static str>,
}

impl FieldBuf {
    /// Splits `line` with [`split_fields`] and hands the fields to `fill`.
    pub fn with_fields<'a, R>(
        &mut self,
        line: &'a str,
        fill: impl FnOnce(&[&'a str]) -> Result<R, ParseError>,
    ) -> Result<R, ParseError> {
        // An emptied vector collects into one of another lifetime in place,
        // keeping its allocation.
        let mut f: Vec<&'a str> = std::mem::take(&mut self.fields)
            .into_iter()
            .map(|_| "")
            .collect();
        let result = split_fields(line, &mut f).and_then(|()| fill(&f));
        f.clear();
        self.fields = f.into_iter().map(|_| "").collect();
        result
    }
}

/// Undoes `\"` and `\\` escapes of a quoted field; borrows when there are none.
pub fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n @ ('"' | '\\')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A string, null for `-` and empty.
#[inline]
pub fn text(s: &str) -> Value<'_> {
    Value::dash_null(s)
}

/// A quoted string with escapes undone, null for `-` and empty.
#[inline]
pub fn quoted(s: &str) -> Value<'_> {
    if s == "-" || s.is_empty() {
        Value::Null
    } else {
        Value::Str(unescape(s))
    }
}

/// An integer, null for `-` and empty.
#[inline]
pub fn int<'a>(field: &str, s: &str) -> Result<Value<'a>, ParseError> {
    if s == "-" || s.is_empty() {
        return Ok(Value::Null);
    }
    parse_i64(s)
        .map(Value::Int)
        .ok_or_else(|| ParseError::field(field, "not an integer", s))
}

/// A decimal number, null for `-` and empty.
#[inline]
pub fn float<'a>(field: &str, s: &str) -> Result<Value<'a>, ParseError> {
    if s == "-" || s.is_empty() {
        return Ok(Value::Null);
    }
    if !s
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return Err(ParseError::field(field, "not a number", s));
    }
    s.parse::<f64>()
        .map(Value::Float)
        .map_err(|_| ParseError::field(field, "not a number", s))
}

/// An RFC 3339 timestamp (required).
pub fn rfc3339(field: &str, s: &str) -> Result<Timestamp, ParseError> {
    Timestamp::parse_rfc3339(s)
        .ok_or_else(|| ParseError::field(field, "not an RFC 3339 timestamp", s))
}

/// Unix seconds, null for `-`.
#[inline]
pub fn unix_seconds(field: &str, s: &str) -> Result<Option<Timestamp>, ParseError> {
    if s == "-" || s.is_empty() {
        return Ok(None);
    }
    Timestamp::parse_unix_seconds(s)
        .map(Some)
        .ok_or_else(|| ParseError::field(field, "not a Unix time", s))
}

/// Splits `host:port` (IPv6 hosts may be bracketed); `-` gives nulls.
pub fn host_port<'a>(field: &str, s: &'a str) -> Result<(Value<'a>, Value<'a>), ParseError> {
    if s == "-" || s.is_empty() {
        return Ok((Value::Null, Value::Null));
    }
    let Some(colon) = s.rfind(':') else {
        return Err(ParseError::field(field, "expected host:port", s));
    };
    let host = s[..colon].trim_start_matches('[').trim_end_matches(']');
    let port = parse_i64(&s[colon + 1..])
        .ok_or_else(|| ParseError::field(field, "bad port in host:port", s))?;
    Ok((Value::str(host), Value::Int(port)))
}

/// A member whose name is not its column's (CloudTrail Insights writes
/// `eventID` for the `eventId` column), by the decoder's rule for string
/// columns: a string's contents, nested JSON as text, a number as written;
/// null for `null` and `""`.
pub fn member_text<'a>(m: &Member<'_, 'a>) -> Value<'a> {
    match m.raw.as_bytes().first() {
        _ if m.raw == "null" || m.raw == "\"\"" => Value::Null,
        Some(b'"') => Value::Str(unquote(m.raw)),
        Some(b'{' | b'[') => Value::Json(Cow::Borrowed(m.raw)),
        _ => Value::Str(Cow::Borrowed(m.raw)),
    }
}

/// The text of a JSON scalar, for checks and messages: a string's
/// contents, anything else as written.
pub fn scalar_text(raw: &str) -> Cow<'_, str> {
    if raw.starts_with('"') {
        unquote(raw)
    } else {
        Cow::Borrowed(raw)
    }
}

/// A string member of a nested object (`object`, checked JSON text) that
/// feeds indicators: `None` when absent or null, invalid for `field` when
/// it is not a string.
pub fn nested_string<'a>(
    object: &'a str,
    name: &str,
    field: &str,
) -> Result<Option<Cow<'a, str>>, ParseError> {
    match top_level_member(object, name) {
        None | Some("null") => Ok(None),
        Some(v) if v.starts_with('"') => Ok(Some(unquote(v))),
        Some(v) => Err(ParseError::field(field, "expected a string", v)),
    }
}

/// Calls `f` with the JSON text of each element of `array`, a member the
/// decoder has checked; nothing when it is not an array.
pub fn each_element<'a>(
    array: &'a str,
    mut f: impl FnMut(&'a str) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    let mut c = Cursor::new(array);
    if !c.eat(b'[') || c.eat(b']') {
        return Ok(());
    }
    while let Some(element) = c.skip_value() {
        f(element)?;
        if !c.eat(b',') {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_and_bracketed_fields() {
        let mut out = Vec::new();
        split_fields(r#"a "b c" [d e] "x \"y\"" - "" [::1]:80"#, &mut out).unwrap();
        assert_eq!(
            out,
            vec!["a", "b c", "d e", r#"x \"y\""#, "-", "", "[::1]:80"]
        );
        assert_eq!(unescape(out[3]), r#"x "y""#);
    }

    #[test]
    fn unterminated_quotes_are_errors() {
        let mut out = Vec::new();
        assert!(split_fields(r#"a "b c"#, &mut out).is_err());
        assert!(split_fields("a [b c", &mut out).is_err());
    }

    #[test]
    fn host_port_handles_ipv6() {
        let (h, p) = host_port("client", "[2001:db8::1]:443").unwrap();
        assert_eq!(h, Value::str("2001:db8::1"));
        assert_eq!(p, Value::Int(443));
        let (h, _) = host_port("client", "2001:db8::1:443").unwrap();
        assert_eq!(h, Value::str("2001:db8::1"));
    }
}
