//! Writes a normalized row as one JSON object: the log type's columns in
//! schema order (nulls omitted), then the standard fields. Values are
//! shaped by their column type, so the JSON a user sees is what the lake
//! stores.

use serde_json::Value as Json;

use crate::indicators::Indicator;
use crate::jsonscan::compact;
use crate::row::Row;
use crate::schema::{ColumnType, Schema};
use crate::standard::StandardFields;
use crate::time::Timestamp;
use crate::value::Value;

/// Appends `row` as a JSON object followed by a newline.
pub fn write_row(
    out: &mut Vec<u8>,
    schema: &Schema,
    row: &Row<'_>,
    std: &StandardFields<'_>,
    event_time: Timestamp,
) {
    out.push(b'{');
    let mut first = true;
    for (idx, value) in row.cells() {
        let col = &schema.columns[*idx as usize];
        let mark = out.len();
        let k = &schema.json_keys[*idx as usize];
        out.extend_from_slice(if first { &k[1..] } else { k });
        first = false;
        if !write_value(out, &col.ty, value) {
            // Nothing to write after all (e.g. an object with no known
            // members): drop the key.
            out.truncate(mark);
            first = out.last() == Some(&b'{');
        }
    }
    key(out, &mut first, "p_log_type");
    write_str(out, std.log_type);
    key(out, &mut first, "p_row_id");
    out.push(b'"');
    out.extend_from_slice(&std.row_id);
    out.push(b'"');
    key(out, &mut first, "p_event_time");
    write_time(out, event_time);
    key(out, &mut first, "p_parse_time");
    write_time(out, std.parse_time);
    if let Some(id) = std.source_id {
        key(out, &mut first, "p_source_id");
        write_str(out, id);
    }
    if let Some(label) = std.source_label {
        key(out, &mut first, "p_source_label");
        write_str(out, label);
    }
    for kind in Indicator::ALL {
        let mut values = row.indicator_values(kind).peekable();
        if values.peek().is_none() {
            continue;
        }
        key(out, &mut first, kind.field());
        out.push(b'[');
        for (i, v) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(out, v);
        }
        out.push(b']');
    }
    out.extend_from_slice(b"}\n");
}

/// Writes `"name":`. Column names never need escaping (the schema tests
/// check that), so they are copied as they are.
fn key(out: &mut Vec<u8>, first: &mut bool, name: &str) {
    if !*first {
        out.push(b',');
    }
    *first = false;
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

/// Writes a value shaped by `ty`; returns false when nothing was written.
fn write_value(out: &mut Vec<u8>, ty: &ColumnType, value: &Value<'_>) -> bool {
    match value {
        Value::Null => return false,
        Value::Str(s) => write_str(out, s),
        Value::Int(i) => {
            let mut b = itoa::Buffer::new();
            out.extend_from_slice(b.format(*i).as_bytes());
        }
        Value::Float(f) => write_f64(out, *f),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Time(t) => write_time(out, *t),
        Value::Json(text) => {
            if ty.is_nested() {
                return match serde_json::from_str::<Json>(text) {
                    Ok(v) => write_shaped(out, ty, &v),
                    Err(_) => false,
                };
            }
            write_str(out, &compact(text));
        }
        Value::List(items) => {
            let inner = match ty {
                ColumnType::Array(inner) => inner.as_ref(),
                other => other,
            };
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if !write_value(out, inner, item) {
                    out.extend_from_slice(b"null");
                }
            }
            out.push(b']');
        }
    }
    true
}

/// Writes a JSON document shaped by a column type: declared object
/// members only, in declared order; scalars converted to the declared
/// type; JSON in a `string` member kept as compact text.
pub fn write_shaped(out: &mut Vec<u8>, ty: &ColumnType, v: &Json) -> bool {
    if v.is_null() {
        return false;
    }
    match ty {
        ColumnType::String => match v {
            Json::String(s) => write_str(out, s),
            other => write_str(out, &other.to_string()),
        },
        ColumnType::Bigint | ColumnType::Int | ColumnType::Smallint => match shape_int(v) {
            Some(i) => {
                let mut b = itoa::Buffer::new();
                out.extend_from_slice(b.format(i).as_bytes());
            }
            None => return false,
        },
        ColumnType::Double | ColumnType::Float => match shape_float(v) {
            Some(f) => write_f64(out, f),
            None => return false,
        },
        ColumnType::Boolean => match shape_bool(v) {
            Some(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
            None => return false,
        },
        ColumnType::Timestamp => match shape_time(v) {
            Some(t) => write_time(out, t),
            None => return false,
        },
        ColumnType::Array(inner) => {
            let Json::Array(items) = v else { return false };
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if !write_shaped(out, inner, item) {
                    out.extend_from_slice(b"null");
                }
            }
            out.push(b']');
        }
        ColumnType::Object(fields) => {
            let Json::Object(map) = v else { return false };
            out.push(b'{');
            let mut first = true;
            for field in fields {
                // Exact name first; vendors are not consistent about case
                // (CloudTrail writes `ARN` where its documentation says `arn`).
                let member = match map.get(&field.name) {
                    Some(m) => m,
                    None => match map
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(&field.name))
                    {
                        Some((_, m)) => m,
                        None => continue,
                    },
                };
                let mark = out.len();
                key(out, &mut first, &field.name);
                if !write_shaped(out, &field.ty, member) {
                    out.truncate(mark);
                    first = out.last() == Some(&b'{');
                }
            }
            out.push(b'}');
        }
    }
    true
}

pub fn shape_int(v: &Json) -> Option<i64> {
    match v {
        Json::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

pub fn shape_float(v: &Json) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

pub fn shape_bool(v: &Json) -> Option<bool> {
    match v {
        Json::Bool(b) => Some(*b),
        Json::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Json::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// RFC 3339 strings, or numbers as Unix seconds (or milliseconds when too
/// large to be seconds).
pub fn shape_time(v: &Json) -> Option<Timestamp> {
    match v {
        Json::String(s) => Timestamp::parse_rfc3339(s),
        Json::Number(n) => {
            let f = n.as_f64()?;
            if f.abs() > 1e11 {
                Timestamp::from_millis(f as i64)
            } else {
                Some(Timestamp((f * 1e9) as i64))
            }
        }
        _ => None,
    }
}

pub fn write_time(out: &mut Vec<u8>, t: Timestamp) {
    out.push(b'"');
    t.write_rfc3339(out);
    out.push(b'"');
}

fn write_f64(out: &mut Vec<u8>, f: f64) {
    if f.is_finite() {
        let mut b = ryu::Buffer::new();
        out.extend_from_slice(b.format_finite(f).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

/// Writes a JSON string literal, escaping only what JSON requires. Runs of
/// plain bytes are found eight at a time (SWAR), since almost no log
/// value needs escaping.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let b = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    loop {
        while i + 8 <= b.len()
            && !needs_escape_word(u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes")))
        {
            i += 8;
        }
        while i < b.len() && !needs_escape(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        out.extend_from_slice(&b[start..i]);
        write_escape(out, b[i]);
        i += 1;
        start = i;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

#[inline]
fn needs_escape(c: u8) -> bool {
    c < 0x20 || c == b'"' || c == b'\\'
}

/// True when any byte of `w` is a control character, `"` or `\\`.
#[inline]
fn needs_escape_word(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    (below_space | has_zero(w ^ (ONES * b'"' as u64)) | has_zero(w ^ (ONES * b'\\' as u64))) != 0
}

fn write_escape(out: &mut Vec<u8>, c: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match c {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        _ => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[(c >> 4) as usize],
            HEX[(c & 15) as usize],
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_serde_json_on_every_byte_position() {
        let specials = ['"', '\\', '\n', '\u{1}', '\u{1f}', 'é', ' ', '~'];
        for len in 0..20 {
            for pos in 0..len {
                for sp in specials {
                    let s: String = (0..len).map(|i| if i == pos { sp } else { 'a' }).collect();
                    let mut out = Vec::new();
                    write_str(&mut out, &s);
                    let back: String = serde_json::from_slice(&out).unwrap();
                    assert_eq!(back, s);
                }
            }
        }
    }

    #[test]
    fn strings_are_escaped() {
        let mut out = Vec::new();
        write_str(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a\\\"b\\\\c\\nd\\u0001é\""
        );
    }

    #[test]
    fn shaping_keeps_declared_members_and_types() {
        let ty =
            ColumnType::parse("{ \"a\":bigint, \"b\":timestamp, \"c\":string, \"d\":[string] }")
                .unwrap();
        let v: Json = serde_json::from_str(
            r#"{"z":1,"d":["x",null],"c":{"k":[1, 2]},"b":"2020-01-01T00:00:00+01:00","a":"42"}"#,
        )
        .unwrap();
        let mut out = Vec::new();
        assert!(write_shaped(&mut out, &ty, &v));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":42,"b":"2019-12-31T23:00:00Z","c":"{\"k\":[1,2]}","d":["x",null]}"#
        );
    }
}
