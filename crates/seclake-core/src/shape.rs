//! Shaping nested JSON by a column type, straight from the JSON text.
//!
//! Nested columns (CloudTrail `userIdentity`, WAF `httpRequest`, ...) are
//! kept by parsers as the raw JSON of the record. Writing them walks that
//! text once, without building a document tree: object members the type
//! declares are kept (in the order the vendor wrote them; member names
//! match exactly, or ignoring case when no exact match exists), others
//! are dropped; scalars are converted to the declared type; JSON under a
//! `string` member is kept as compact JSON text.

use std::borrow::Cow;

use crate::json_out::{write_f64, write_str, write_time};
use crate::jsonscan::compact;
use crate::schema::{ColumnType, Field};
use crate::time::Timestamp;

/// Writes `json` shaped by `ty`; returns false (writing nothing) when the
/// value is null or cannot have that type.
pub fn write_shaped_json(out: &mut Vec<u8>, ty: &ColumnType, json: &str) -> bool {
    let mut c = Cursor { s: json, i: 0 };
    shape(out, ty, &mut c)
}

struct Cursor<'j> {
    s: &'j str,
    i: usize,
}

impl<'j> Cursor<'j> {
    fn ws(&mut self) {
        let b = self.s.as_bytes();
        while self.i < b.len() && b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.as_bytes().get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// The raw text of the string literal at the cursor, quotes included.
    fn string_literal(&mut self) -> Option<&'j str> {
        self.ws();
        let b = self.s.as_bytes();
        if b.get(self.i) != Some(&b'"') {
            return None;
        }
        let start = self.i;
        let mut j = start + 1;
        loop {
            match memchr::memchr2(b'"', b'\\', b.get(j..)?) {
                Some(k) if b[j + k] == b'\\' => j += k + 2,
                Some(k) => {
                    j += k + 1;
                    break;
                }
                None => return None,
            }
        }
        self.i = j;
        Some(&self.s[start..j])
    }

    /// The raw text of the value at the cursor.
    fn skip_value(&mut self) -> Option<&'j str> {
        let first = self.peek()?;
        let start = self.i;
        match first {
            b'"' => {
                self.string_literal()?;
            }
            b'{' | b'[' => {
                let b = self.s.as_bytes();
                let mut depth = 0usize;
                while self.i < b.len() {
                    match b[self.i] {
                        b'"' => {
                            self.string_literal()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return Some(&self.s[start..self.i]);
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
                return None;
            }
            _ => {
                let b = self.s.as_bytes();
                while self.i < b.len()
                    && !matches!(b[self.i], b',' | b'}' | b']')
                    && !b[self.i].is_ascii_whitespace()
                {
                    self.i += 1;
                }
            }
        }
        Some(&self.s[start..self.i])
    }
}

/// The text of a string literal, escapes undone.
fn unquote(lit: &str) -> Cow<'_, str> {
    let inner = &lit[1..lit.len() - 1];
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    serde_json::from_str::<String>(lit).map_or(Cow::Borrowed(inner), Cow::Owned)
}

fn shape(out: &mut Vec<u8>, ty: &ColumnType, c: &mut Cursor<'_>) -> bool {
    let Some(first) = c.peek() else { return false };
    match ty {
        ColumnType::Object(fields) if first == b'{' => shape_object(out, fields, c),
        ColumnType::Array(inner) if first == b'[' => {
            c.i += 1;
            out.push(b'[');
            let mut n = 0;
            while !c.eat(b']') {
                if n > 0 && !c.eat(b',') {
                    return false;
                }
                if c.peek() == Some(b']') {
                    c.i += 1;
                    break;
                }
                if n > 0 {
                    out.push(b',');
                }
                let at = c.i;
                if !shape(out, inner, c) {
                    c.i = at;
                    if c.skip_value().is_none() {
                        return false;
                    }
                    out.extend_from_slice(b"null");
                }
                n += 1;
            }
            out.push(b']');
            true
        }
        ColumnType::Object(_) | ColumnType::Array(_) => {
            c.skip_value();
            false
        }
        ColumnType::String => match c.skip_value() {
            None | Some("null") => false,
            Some(lit) if lit.starts_with('"') => {
                if lit.contains('\\') {
                    write_str(out, &unquote(lit));
                } else {
                    out.extend_from_slice(lit.as_bytes());
                }
                true
            }
            Some(other) => {
                write_str(out, &compact(other));
                true
            }
        },
        scalar => {
            let Some(lit) = c.skip_value() else {
                return false;
            };
            let text: Cow<'_, str> = if lit.starts_with('"') {
                unquote(lit)
            } else {
                Cow::Borrowed(lit)
            };
            write_scalar(out, scalar, &text, lit.starts_with('"'))
        }
    }
}

fn shape_object(out: &mut Vec<u8>, fields: &[Field], c: &mut Cursor<'_>) -> bool {
    c.i += 1;
    out.push(b'{');
    let mut wrote = false;
    loop {
        if c.eat(b'}') {
            break;
        }
        if c.eat(b',') {
            continue;
        }
        let Some(key_lit) = c.string_literal() else {
            return false;
        };
        if !c.eat(b':') {
            return false;
        }
        let key = unquote(key_lit);
        let field = fields
            .iter()
            .find(|f| f.name == key)
            .or_else(|| fields.iter().find(|f| f.name.eq_ignore_ascii_case(&key)));
        let Some(field) = field else {
            if c.skip_value().is_none() {
                return false;
            }
            continue;
        };
        let mark = out.len();
        if wrote {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(field.name.as_bytes());
        out.extend_from_slice(b"\":");
        let at = c.i;
        if shape(out, &field.ty, c) {
            wrote = true;
        } else {
            out.truncate(mark);
            c.i = at;
            if c.skip_value().is_none() {
                return false;
            }
        }
    }
    out.push(b'}');
    true
}

fn write_scalar(out: &mut Vec<u8>, ty: &ColumnType, text: &str, quoted: bool) -> bool {
    if !quoted && text == "null" {
        return false;
    }
    match ty {
        ColumnType::Bigint | ColumnType::Int | ColumnType::Smallint => {
            let v = text.parse::<i64>().ok().or_else(|| {
                text.parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
                    .map(|f| f as i64)
            });
            match v {
                Some(i) => {
                    out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
                    true
                }
                None => false,
            }
        }
        ColumnType::Double | ColumnType::Float => match text.parse::<f64>() {
            Ok(f) => {
                write_f64(out, f);
                true
            }
            Err(_) => false,
        },
        ColumnType::Boolean => {
            let v = if text.eq_ignore_ascii_case("true") {
                true
            } else if text.eq_ignore_ascii_case("false") {
                false
            } else {
                return false;
            };
            out.extend_from_slice(if v { b"true" } else { b"false" });
            true
        }
        ColumnType::Timestamp => {
            let t = if quoted {
                Timestamp::parse_rfc3339(text)
            } else {
                text.parse::<f64>().ok().and_then(|f| {
                    if f.abs() > 1e11 {
                        Timestamp::from_millis(f as i64)
                    } else {
                        Timestamp::from_micros((f * 1e6) as i64)
                    }
                })
            };
            match t {
                Some(t) => {
                    write_time(out, t);
                    true
                }
                None => false,
            }
        }
        ColumnType::String | ColumnType::Array(_) | ColumnType::Object(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shaped(ty: &str, json: &str) -> Option<String> {
        let ty = ColumnType::parse(ty).unwrap();
        let mut out = Vec::new();
        write_shaped_json(&mut out, &ty, json).then(|| String::from_utf8(out).unwrap())
    }

    #[test]
    fn keeps_declared_members_converted_to_their_types() {
        let got = shaped(
            "{ \"a\":bigint, \"b\":timestamp, \"c\":string, \"d\":[string], \"e\":boolean, \"f\":double }",
            r#"{"z":{"deep":[1,{"x":"}"}]},"d":["x",null, 3],"c":{"k":[1, 2]},"b":"2020-01-01T00:00:00+01:00","a":"42","E":"true","f":1}"#,
        );
        assert_eq!(
            got.as_deref(),
            Some(
                r#"{"d":["x",null,"3"],"c":"{\"k\":[1,2]}","b":"2019-12-31T23:00:00Z","a":42,"e":true,"f":1.0}"#
            )
        );
    }

    #[test]
    fn wrong_kinds_and_nulls_are_omitted() {
        assert_eq!(
            shaped("{ \"a\":bigint }", r#"{"a":"x","b":1}"#).as_deref(),
            Some("{}")
        );
        assert_eq!(shaped("{ \"a\":bigint }", "\"text\""), None);
        assert_eq!(shaped("[string]", "null"), None);
        assert_eq!(
            shaped("{ \"a\":{ \"b\":string } }", r#"{"a":null}"#).as_deref(),
            Some("{}")
        );
    }

    #[test]
    fn strings_with_escapes_are_normalized() {
        assert_eq!(
            shaped("{ \"s\":string }", r#"{"s":"a\u0041\/b\"q"}"#).as_deref(),
            Some(r#"{"s":"aA/b\"q"}"#)
        );
    }

    #[test]
    fn truncated_json_is_not_shaped() {
        assert_eq!(shaped("{ \"s\":string }", r#"{"s":"abc"#), None);
        assert_eq!(shaped("[{ \"s\":string }]", r#"[{"s":"a"},"#), None);
    }
}
