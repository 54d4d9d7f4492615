//! The one set of value rules: how a parser's value or a JSON scalar
//! becomes a column's type. The Parquet files and the JSON output both come
//! from the batches these rules fill, so they cannot disagree.
//!
//! - integers: an integer, or a number with no fraction, in the column's
//!   range (`bigint` 64, `int` 32, `smallint` 16 bits); else null;
//! - floating point: any number;
//! - booleans: `true`/`false` in any case;
//! - timestamps: RFC 3339 text, or a number of Unix seconds (milliseconds
//!   when larger than 10^11), within years 1 to 9999;
//! - strings: text as is; numbers, booleans and times in their JSON form;
//!   nested JSON as compact JSON text.

use std::borrow::Cow;

use seclake_core::json_out::{write_str, write_time};
use seclake_core::{Timestamp, Value};

/// A scalar on its way into a column.
pub enum Scalar<'a> {
    /// Text from JSON (`quoted` for a string literal) or from a parser.
    Text {
        text: &'a str,
        quoted: bool,
    },
    Int(i64),
    Float(f64),
    Bool(bool),
    Time(Timestamp),
    Null,
}

impl<'a> Scalar<'a> {
    pub fn from_value(v: &'a Value<'_>) -> Self {
        match v {
            Value::Str(s) => Scalar::Text {
                text: s,
                quoted: true,
            },
            Value::Int(i) => Scalar::Int(*i),
            Value::Float(f) => Scalar::Float(*f),
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Time(t) => Scalar::Time(*t),
            Value::Null | Value::Json(_) | Value::List(_) | Value::Map(_) => Scalar::Null,
        }
    }

    pub fn to_i64(&self) -> Option<i64> {
        match self {
            Scalar::Int(i) => Some(*i),
            Scalar::Float(f) => float_to_i64(*f),
            Scalar::Text { text, .. } => text
                .parse::<i64>()
                .ok()
                .or_else(|| text.parse::<f64>().ok().and_then(float_to_i64)),
            _ => None,
        }
    }

    pub fn to_f64(&self) -> Option<f64> {
        match self {
            Scalar::Float(f) => Some(*f),
            Scalar::Int(i) => Some(*i as f64),
            Scalar::Text { text, .. } => text.parse().ok(),
            _ => None,
        }
    }

    pub fn to_bool(&self) -> Option<bool> {
        match self {
            Scalar::Bool(b) => Some(*b),
            Scalar::Text { text, .. } if text.eq_ignore_ascii_case("true") => Some(true),
            Scalar::Text { text, .. } if text.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    pub fn to_time(&self) -> Option<Timestamp> {
        match self {
            Scalar::Time(t) => Some(*t),
            Scalar::Text { text, quoted: true } => Timestamp::parse_rfc3339(text),
            Scalar::Text {
                text,
                quoted: false,
            } => text.parse::<f64>().ok().and_then(unix_number),
            Scalar::Int(i) => unix_number(*i as f64),
            Scalar::Float(f) => unix_number(*f),
            _ => None,
        }
    }

    pub fn to_text(&self) -> Option<Cow<'a, str>> {
        Some(match self {
            Scalar::Text { text, .. } => Cow::Borrowed(*text),
            Scalar::Int(i) => Cow::Owned(itoa::Buffer::new().format(*i).to_string()),
            Scalar::Float(f) => {
                let mut out = Vec::new();
                write_f64(&mut out, *f);
                Cow::Owned(String::from_utf8(out).ok()?)
            }
            Scalar::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Scalar::Time(t) => Cow::Owned(t.to_rfc3339()),
            Scalar::Null => return None,
        })
    }
}

fn float_to_i64(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i64)
}

/// A Unix time given as a number: seconds, or milliseconds past 10^11.
fn unix_number(f: f64) -> Option<Timestamp> {
    if !f.is_finite() {
        return None;
    }
    if f.abs() > 1e11 {
        Timestamp::from_millis(f as i64)
    } else {
        Timestamp::from_micros((f * 1e6) as i64)
    }
}

pub use seclake_core::json::unquote;

/// Finite numbers in their shortest form; others (NaN, infinities) as
/// `null`, which is what JSON can say of them.
pub fn write_f64(out: &mut Vec<u8>, f: f64) {
    if f.is_finite() {
        out.extend_from_slice(ryu::Buffer::new().format_finite(f).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

/// A parser's value as JSON text (for a list stored in a string column).
pub fn value_json(out: &mut Vec<u8>, v: &Value<'_>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Str(s) => write_str(out, s),
        Value::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
        Value::Float(f) => write_f64(out, *f),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Time(t) => write_time(out, *t),
        Value::Json(j) => out.extend_from_slice(seclake_core::jsonscan::compact(j).as_bytes()),
        Value::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                value_json(out, item);
            }
            out.push(b']');
        }
        Value::Map(pairs) => {
            out.push(b'{');
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_str(out, v);
            }
            out.push(b'}');
        }
    }
}
