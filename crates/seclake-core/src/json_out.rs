//! Writes a normalized row as one JSON object: the log type's columns in
//! schema order (nulls omitted), then the standard fields. Values are
//! shaped by their column type, so the JSON a user sees is what the lake
//! stores.

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
    JsonRowWriter::default().write(out, schema, row, std, event_time)
}

/// Writes rows as JSON, remembering the standard fields that are the same
/// for every row of a stream (log type, parse time, source) rendered once.
#[derive(Default)]
pub struct JsonRowWriter {
    /// What `tail` was rendered for.
    tail_for: Option<(usize, Timestamp, Option<String>, Option<String>)>,
    /// `"p_parse_time":..,"p_source_id":..,"p_source_label":..`
    tail: Vec<u8>,
    /// `"p_log_type":"..","p_row_id":"`
    head: Vec<u8>,
}

impl JsonRowWriter {
    /// Appends `row` as a JSON object followed by a newline.
    pub fn write(
        &mut self,
        out: &mut Vec<u8>,
        schema: &Schema,
        row: &Row<'_>,
        std: &StandardFields<'_>,
        event_time: Timestamp,
    ) {
        self.prepare(std);
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
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(&self.head);
        out.extend_from_slice(&std.row_id);
        out.extend_from_slice(b"\",\"p_event_time\":");
        write_time(out, event_time);
        out.extend_from_slice(&self.tail);
        let mut current: Option<Indicator> = None;
        for (kind, v) in row.indicators.iter() {
            if current != Some(kind) {
                if current.is_some() {
                    out.push(b']');
                }
                out.extend_from_slice(b",\"");
                out.extend_from_slice(kind.field().as_bytes());
                out.extend_from_slice(b"\":[");
                current = Some(kind);
            } else {
                out.push(b',');
            }
            write_str(out, v);
        }
        if current.is_some() {
            out.push(b']');
        }
        out.extend_from_slice(b"}\n");
    }

    fn prepare(&mut self, std: &StandardFields<'_>) {
        let key = (std.log_type.as_ptr() as usize, std.parse_time);
        if let Some((p, t, id, label)) = &self.tail_for {
            if (*p, *t) == key
                && id.as_deref() == std.source_id
                && label.as_deref() == std.source_label
            {
                return;
            }
        }
        self.head.clear();
        self.head.extend_from_slice(b"\"p_log_type\":");
        write_str(&mut self.head, std.log_type);
        self.head.extend_from_slice(b",\"p_row_id\":\"");
        self.tail.clear();
        self.tail.extend_from_slice(b",\"p_parse_time\":");
        write_time(&mut self.tail, std.parse_time);
        if let Some(id) = std.source_id {
            self.tail.extend_from_slice(b",\"p_source_id\":");
            write_str(&mut self.tail, id);
        }
        if let Some(label) = std.source_label {
            self.tail.extend_from_slice(b",\"p_source_label\":");
            write_str(&mut self.tail, label);
        }
        self.tail_for = Some((
            key.0,
            key.1,
            std.source_id.map(str::to_string),
            std.source_label.map(str::to_string),
        ));
    }
}

/// Writes a value shaped by `ty`; returns false when nothing was written.
pub fn write_value(out: &mut Vec<u8>, ty: &ColumnType, value: &Value<'_>) -> bool {
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
                let mark = out.len();
                if crate::shape::write_shaped_json(out, ty, text) {
                    return true;
                }
                out.truncate(mark);
                return false;
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

pub fn write_time(out: &mut Vec<u8>, t: Timestamp) {
    out.push(b'"');
    t.write_rfc3339(out);
    out.push(b'"');
}

pub(crate) fn write_f64(out: &mut Vec<u8>, f: f64) {
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
}
