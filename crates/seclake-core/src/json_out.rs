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
pub fn write_row(out: &mut Vec<u8>, schema: &Schema, row: &Row<'_>, std: &StandardFields<'_>, event_time: Timestamp) {
    out.push(b'{');
    let mut first = true;
    for (col, value) in schema.columns.iter().zip(row.values()) {
        if value.is_null() {
            continue;
        }
        let mark = out.len();
        key(out, &mut first, col.name);
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

fn key(out: &mut Vec<u8>, first: &mut bool, name: &str) {
    if !*first {
        out.push(b',');
    }
    *first = false;
    write_str(out, name);
    out.push(b':');
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
                let Some(member) = map.get(&field.name) else { continue };
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
        Json::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
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

/// Writes a JSON string literal, escaping only what JSON requires.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let b = s.as_bytes();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&b[start..i]);
        if esc.is_empty() {
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(c >> 4) as usize], HEX[(c & 15) as usize]]);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        let mut out = Vec::new();
        write_str(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(String::from_utf8(out).unwrap(), "\"a\\\"b\\\\c\\nd\\u0001é\"");
    }

    #[test]
    fn shaping_keeps_declared_members_and_types() {
        let ty = ColumnType::parse("{ \"a\":bigint, \"b\":timestamp, \"c\":string, \"d\":[string] }").unwrap();
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
