//! The decoder every JSON log type uses. A type's column declaration is the
//! only description of its shape: one pass over the record's bytes checks
//! that it is JSON, matches each top-level member to the column of that
//! name and converts the value by the column's type (nested objects and
//! arrays stay borrowed JSON text that the batch builders walk once,
//! shaped by the column's type). A type writes code only for what the
//! declaration cannot say, through the member hook of [`JsonRecord::decode`].
//!
//! Classification and errors follow one rule: a record is of the type when
//! every identifying member is present at its top level; otherwise any
//! failure is a mismatch, so the next type is tried. A record that is of
//! the type but broken (bad JSON, a value of the wrong kind, a required
//! member missing) is invalid, with the member named in the reason.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::syntax::{skip_ws, string_end, unescape, value_end, SyntaxError};
use super::unquote;
use crate::fnv::Fnv;
use crate::parser::{has_quoted, ParseError};
use crate::row::Row;
use crate::schema::{ColumnDef, ColumnType, TypeSyntaxError};
use crate::time::{parse_i64, Timestamp};
use crate::value::Value;

/// One log type's columns, ready to decode its records.
#[derive(Debug)]
pub struct JsonRecord {
    columns: Vec<(&'static str, ColumnType, bool)>,
    by_name: HashMap<&'static str, usize, BuildHasherDefault<Fnv>>,
    identifying: &'static [&'static str],
    /// Per column, its bit among the identifying members (0: none), so a
    /// member is matched by one lookup.
    identifying_bit: Vec<u64>,
    /// Identifying members that are not columns.
    identifying_others: Vec<(&'static str, u64)>,
    not_this_type: String,
}

/// A top-level member as the decoder meets it, for the type's hook.
#[derive(Debug, Clone, Copy)]
pub struct Member<'k, 'a> {
    /// The member name, escapes undone.
    pub key: &'k str,
    /// The column of that name, if the type declares one.
    pub column: Option<usize>,
    /// The member's value as JSON text.
    pub raw: &'a str,
}

impl<'a> Member<'_, 'a> {
    /// The value's string contents when it is a JSON string.
    pub fn string(&self) -> Option<Cow<'a, str>> {
        self.raw.starts_with('"').then(|| unquote(self.raw))
    }
}

impl JsonRecord {
    /// `identifying`: the top-level members every record of the type has.
    pub fn new(
        columns: &[ColumnDef],
        identifying: &'static [&'static str],
    ) -> Result<Self, TypeSyntaxError> {
        assert!(identifying.len() <= 64, "at most 64 identifying members");
        let mut cols = Vec::with_capacity(columns.len());
        let mut by_name = HashMap::with_capacity_and_hasher(columns.len(), Default::default());
        for (i, def) in columns.iter().enumerate() {
            let col = crate::schema::Column::from_def(def)?;
            cols.push((def.name, col.ty, def.required));
            by_name.insert(def.name, i);
        }
        let mut identifying_bit = vec![0; cols.len()];
        let mut identifying_others = Vec::new();
        for (k, name) in identifying.iter().enumerate() {
            match by_name.get(name) {
                Some(&c) => identifying_bit[c] = 1 << k,
                None => identifying_others.push((*name, 1 << k)),
            }
        }
        Ok(JsonRecord {
            columns: cols,
            by_name,
            identifying,
            identifying_bit,
            identifying_others,
            not_this_type: format!("needs the top-level members {}", identifying.join(", ")),
        })
    }

    /// Decodes `record` into `row`. `hook` sees every top-level member
    /// first: `Ok(Some(value))` sets that value in the member's column
    /// (`Value::Null` sets nothing), `Ok(None)` leaves the member to the
    /// declaration (members without a column are then ignored), and an
    /// error makes the record invalid once it proves to be of this type.
    pub fn decode<'a>(
        &self,
        record: &'a str,
        row: &mut Row<'a>,
        mut hook: impl FnMut(Member<'_, 'a>, &mut Row<'a>) -> Result<Option<Value<'a>>, ParseError>,
    ) -> Result<(), ParseError> {
        let b = record.as_bytes();
        let mut i = skip_ws(b, 0);
        if b.get(i) != Some(&b'{') {
            return Err(ParseError::mismatch("not a JSON object"));
        }
        let syntax = |e: SyntaxError| self.syntax_error(record, e);
        let mut seen = 0u64;
        let mut first_error: Option<ParseError> = None;
        i = skip_ws(b, i + 1);
        if b.get(i) == Some(&b'}') {
            i += 1;
        } else {
            loop {
                if b.get(i) != Some(&b'"') {
                    return Err(syntax(SyntaxError {
                        at: i,
                        what: "expected a member name",
                    }));
                }
                let (key_end, escaped) = string_end(b, i).map_err(syntax)?;
                let inner = &record[i + 1..key_end - 1];
                let key: Cow<'_, str> = if escaped {
                    Cow::Owned(unescape(inner))
                } else {
                    Cow::Borrowed(inner)
                };
                i = skip_ws(b, key_end);
                if b.get(i) != Some(&b':') {
                    return Err(syntax(SyntaxError {
                        at: i,
                        what: "expected ':'",
                    }));
                }
                let start = skip_ws(b, i + 1);
                let end = value_end(b, start).map_err(syntax)?;
                let raw = &record[start..end];
                let column = self.by_name.get(&*key).copied();
                match column {
                    Some(c) => seen |= self.identifying_bit[c],
                    None => {
                        for (name, bit) in &self.identifying_others {
                            if *name == key {
                                seen |= bit;
                            }
                        }
                    }
                }
                let member = Member {
                    key: &key,
                    column,
                    raw,
                };
                let value = match hook(member, row) {
                    Ok(Some(v)) => Ok(v),
                    Ok(None) => match column {
                        Some(c) => self.convert(c, raw),
                        None => Ok(Value::Null),
                    },
                    Err(e) => Err(e),
                };
                match (value, column) {
                    (Ok(v), Some(c)) => row.set(c, v),
                    (Ok(_), None) => {}
                    (Err(e), _) => {
                        first_error.get_or_insert(e);
                    }
                }
                i = skip_ws(b, end);
                match b.get(i) {
                    Some(b',') => i = skip_ws(b, i + 1),
                    Some(b'}') => {
                        i += 1;
                        break;
                    }
                    _ => {
                        return Err(syntax(SyntaxError {
                            at: i,
                            what: "expected ',' or '}'",
                        }))
                    }
                }
            }
        }
        if skip_ws(b, i) != b.len() {
            return Err(syntax(SyntaxError {
                at: skip_ws(b, i),
                what: "text after the JSON value",
            }));
        }
        if seen.count_ones() as usize != self.identifying.len() {
            return Err(ParseError::mismatch(self.not_this_type.clone()));
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        for (c, (name, _, required)) in self.columns.iter().enumerate() {
            if *required && row.get(c).is_null() {
                return Err(ParseError::invalid(format!(
                    "required member {name} is missing"
                )));
            }
        }
        Ok(())
    }

    /// Malformed JSON is this type's broken record when it names every
    /// identifying member, and another type's business otherwise.
    fn syntax_error(&self, record: &str, e: SyntaxError) -> ParseError {
        if self.identifying.iter().all(|m| has_quoted(record, m)) {
            ParseError::invalid("invalid JSON").with_detail(e.to_string())
        } else {
            ParseError::mismatch("not JSON of this type").with_detail(e.to_string())
        }
    }

    /// The declaration's rule for a member's JSON value. JSON `null` and
    /// the empty string are null in every column.
    fn convert<'a>(&self, column: usize, raw: &'a str) -> Result<Value<'a>, ParseError> {
        let (name, ty, _) = &self.columns[column];
        if raw == "null" || raw == "\"\"" {
            return Ok(Value::Null);
        }
        let quoted = raw.starts_with('"');
        // The text of a scalar: a string's contents, or a number as written.
        let scalar = || {
            if quoted {
                unquote(raw)
            } else {
                Cow::Borrowed(raw)
            }
        };
        let field = |reason: &str| ParseError::field(name, reason, &scalar());
        match ty {
            ColumnType::String => Ok(match raw.as_bytes()[0] {
                b'"' => Value::Str(unquote(raw)),
                b'{' | b'[' => Value::Json(Cow::Borrowed(raw)),
                _ => Value::Str(Cow::Borrowed(raw)),
            }),
            ColumnType::Bigint | ColumnType::Int | ColumnType::Smallint => parse_i64(&scalar())
                .map(Value::Int)
                .ok_or_else(|| field("not an integer")),
            ColumnType::Double | ColumnType::Float => {
                let text = scalar();
                let numeric = text
                    .bytes()
                    .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E'));
                numeric
                    .then(|| text.parse::<f64>().ok())
                    .flatten()
                    .map(Value::Float)
                    .ok_or_else(|| field("not a number"))
            }
            ColumnType::Boolean => match raw {
                "true" | "\"true\"" => Ok(Value::Bool(true)),
                "false" | "\"false\"" => Ok(Value::Bool(false)),
                _ => Err(field("expected true or false")),
            },
            ColumnType::Timestamp => quoted
                .then(|| Timestamp::parse_rfc3339(&scalar()))
                .flatten()
                .map(Value::Time)
                .ok_or_else(|| field("not an RFC 3339 timestamp")),
            ColumnType::Array(_) if raw.starts_with('[') => Ok(Value::Json(Cow::Borrowed(raw))),
            ColumnType::Array(_) => Err(field("expected a JSON array")),
            ColumnType::Object(_) | ColumnType::Map if raw.starts_with('{') => {
                Ok(Value::Json(Cow::Borrowed(raw)))
            }
            ColumnType::Object(_) | ColumnType::Map => Err(field("expected a JSON object")),
        }
    }
}

/// The raw JSON text of a top-level member of an object, for the few types
/// that look inside an envelope before decoding (an EventBridge event
/// carrying a finding in `detail`). `None` when absent or not an object.
pub fn top_level_member<'a>(record: &'a str, name: &str) -> Option<&'a str> {
    let b = record.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    while b.get(i) == Some(&b'"') {
        let (key_end, _) = string_end(b, i).ok()?;
        let key = &record[i + 1..key_end - 1];
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_ws(b, i + 1);
        let end = value_end(b, start).ok()?;
        if key == name {
            return Some(&record[start..end]);
        }
        i = skip_ws(b, end);
        if b.get(i) != Some(&b',') {
            return None;
        }
        i = skip_ws(b, i + 1);
    }
    None
}

#[cfg(test)]
mod tests;
