//! One builder per column, a tree for nested types. Values go straight into
//! typed Arrow buffers: scalars from a parser's [`Value`]s, nested columns
//! (structs, lists) by walking the record's JSON text once
//! ([`seclake_core::json::Cursor`]), with no JSON rendered and decoded again.
//!
//! Every append adds exactly one slot to the builder and to each of its
//! children, whatever the input (a wrong type is a null, malformed JSON
//! closes what was open), so the arrays always line up.

use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Float32Builder, Float64Builder, Int16Builder, Int32Builder,
    Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, ListArray, MapArray, StructArray};
use arrow_buffer::{NullBufferBuilder, OffsetBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, FieldRef, Fields};
use seclake_core::schema::ColumnType;
use seclake_core::{Timestamp, Value};

use super::coerce;
use crate::arrow_map::{data_type, map_entries};
use seclake_core::json::Cursor;

pub enum Builder {
    Utf8(StringBuilder),
    I64(Int64Builder),
    I32(Int32Builder),
    I16(Int16Builder),
    F64(Float64Builder),
    F32(Float32Builder),
    Bool(BooleanBuilder),
    Ts(TimestampMicrosecondBuilder),
    Struct {
        fields: Fields,
        /// The declared member names, for matching JSON keys.
        names: Vec<String>,
        children: Vec<Builder>,
        /// Which children got a value in the row being appended.
        seen: Vec<bool>,
        nulls: NullBufferBuilder,
    },
    List {
        field: FieldRef,
        child: Box<Builder>,
        offsets: Vec<i32>,
        nulls: NullBufferBuilder,
    },
    /// `map<string,string>`.
    Map {
        keys: StringBuilder,
        values: StringBuilder,
        offsets: Vec<i32>,
        nulls: NullBufferBuilder,
    },
}

impl Builder {
    pub fn new(ty: &ColumnType) -> Self {
        match ty {
            ColumnType::String => Builder::Utf8(StringBuilder::new()),
            ColumnType::Bigint => Builder::I64(Int64Builder::new()),
            ColumnType::Int => Builder::I32(Int32Builder::new()),
            ColumnType::Smallint => Builder::I16(Int16Builder::new()),
            ColumnType::Double => Builder::F64(Float64Builder::new()),
            ColumnType::Float => Builder::F32(Float32Builder::new()),
            ColumnType::Boolean => Builder::Bool(BooleanBuilder::new()),
            ColumnType::Timestamp => {
                Builder::Ts(TimestampMicrosecondBuilder::new().with_timezone("UTC"))
            }
            ColumnType::Object(members) => {
                let arrow_schema::DataType::Struct(fields) = data_type(ty) else {
                    unreachable!("objects map to structs")
                };
                Builder::Struct {
                    fields,
                    names: members.iter().map(|m| m.name.clone()).collect(),
                    children: members.iter().map(|m| Builder::new(&m.ty)).collect(),
                    seen: vec![false; members.len()],
                    nulls: NullBufferBuilder::new(0),
                }
            }
            ColumnType::Map => Builder::Map {
                keys: StringBuilder::new(),
                values: StringBuilder::new(),
                offsets: vec![0],
                nulls: NullBufferBuilder::new(0),
            },
            ColumnType::Array(inner) => {
                let arrow_schema::DataType::List(field) = data_type(ty) else {
                    unreachable!("arrays map to lists")
                };
                Builder::List {
                    field,
                    child: Box::new(Builder::new(inner)),
                    offsets: vec![0],
                    nulls: NullBufferBuilder::new(0),
                }
            }
        }
    }

    /// Appends `n` nulls at once (columns a row does not set are filled in
    /// bulk, not one call per column per row).
    pub fn append_nulls(&mut self, n: usize) {
        match self {
            Builder::Utf8(b) => b.append_nulls(n),
            Builder::I64(b) => b.append_nulls(n),
            Builder::I32(b) => b.append_nulls(n),
            Builder::I16(b) => b.append_nulls(n),
            Builder::F64(b) => b.append_nulls(n),
            Builder::F32(b) => b.append_nulls(n),
            Builder::Bool(b) => b.append_nulls(n),
            Builder::Ts(b) => b.append_nulls(n),
            Builder::Struct {
                children, nulls, ..
            } => {
                children.iter_mut().for_each(|c| c.append_nulls(n));
                nulls.append_n_nulls(n);
            }
            Builder::List { offsets, nulls, .. } | Builder::Map { offsets, nulls, .. } => {
                let last = *offsets.last().unwrap_or(&0);
                offsets.extend(std::iter::repeat_n(last, n));
                nulls.append_n_nulls(n);
            }
        }
    }

    pub fn append_null(&mut self) {
        match self {
            Builder::Utf8(b) => b.append_null(),
            Builder::I64(b) => b.append_null(),
            Builder::I32(b) => b.append_null(),
            Builder::I16(b) => b.append_null(),
            Builder::F64(b) => b.append_null(),
            Builder::F32(b) => b.append_null(),
            Builder::Bool(b) => b.append_null(),
            Builder::Ts(b) => b.append_null(),
            Builder::Struct {
                children, nulls, ..
            } => {
                children.iter_mut().for_each(Builder::append_null);
                nulls.append_null();
            }
            Builder::List { offsets, nulls, .. } | Builder::Map { offsets, nulls, .. } => {
                offsets.push(*offsets.last().unwrap_or(&0));
                nulls.append_null();
            }
        }
    }

    /// Appends a parser's value converted to this column's type (a value
    /// that does not convert is a null). Returns the bytes added, roughly.
    pub fn append_value(&mut self, v: &Value<'_>) -> usize {
        match (v, &mut *self) {
            (Value::Null, _) => {
                self.append_null();
                0
            }
            (Value::Json(text), b) => {
                let mut c = Cursor::new(text);
                b.append_json(&mut c)
            }
            (
                Value::List(items),
                Builder::List {
                    child,
                    offsets,
                    nulls,
                    ..
                },
            ) => {
                let mut n = 0;
                for item in items {
                    n += child.append_value(item);
                }
                push_offset(offsets, items.len());
                nulls.append_non_null();
                n + 4 * items.len()
            }
            (
                Value::Map(pairs),
                Builder::Map {
                    keys,
                    values,
                    offsets,
                    nulls,
                },
            ) => {
                let mut n = 0;
                for (k, v) in pairs {
                    keys.append_value(k);
                    values.append_value(v);
                    n += k.len() + v.len();
                }
                push_offset(offsets, pairs.len());
                nulls.append_non_null();
                n
            }
            (Value::List(_) | Value::Map(_), Builder::Utf8(b)) => {
                let mut text = Vec::new();
                coerce::value_json(&mut text, v);
                b.append_value(String::from_utf8_lossy(&text));
                text.len()
            }
            (_, Builder::Struct { .. } | Builder::List { .. } | Builder::Map { .. })
            | (Value::List(_) | Value::Map(_), _) => {
                self.append_null();
                0
            }
            // The common cases, a parser's value of the column's own type,
            // go straight in.
            (Value::Str(s), Builder::Utf8(b)) => {
                b.append_value(s);
                s.len()
            }
            (Value::Int(i), Builder::I64(b)) => {
                b.append_value(*i);
                8
            }
            (Value::Time(t), Builder::Ts(b)) => {
                b.append_value(t.micros());
                8
            }
            (v, b) => b.append_scalar(&coerce::Scalar::from_value(v)),
        }
    }

    /// Appends the JSON value at the cursor shaped by this column's type:
    /// object members the type declares are kept (exact name, else the
    /// same name in another case), others skipped; scalars converted.
    pub fn append_json(&mut self, c: &mut Cursor<'_>) -> usize {
        let first = c.peek();
        match self {
            Builder::Struct {
                names,
                children,
                seen,
                nulls,
                ..
            } if first == Some(b'{') => {
                c.bump();
                seen.iter_mut().for_each(|s| *s = false);
                let mut n = 0;
                let mut ok = true;
                loop {
                    if c.eat(b'}') {
                        break;
                    }
                    if c.eat(b',') {
                        continue;
                    }
                    let Some(key) = c.string() else {
                        ok = false;
                        break;
                    };
                    if !c.eat(b':') {
                        ok = false;
                        break;
                    }
                    let idx = names
                        .iter()
                        .position(|m| *m == key)
                        .or_else(|| names.iter().position(|m| m.eq_ignore_ascii_case(&key)));
                    match idx {
                        Some(i) if !seen[i] => {
                            seen[i] = true;
                            n += children[i].append_json(c);
                        }
                        _ => {
                            if c.skip_value().is_none() {
                                ok = false;
                                break;
                            }
                        }
                    }
                }
                for (child, s) in children.iter_mut().zip(seen.iter()) {
                    if !s {
                        child.append_null();
                    }
                }
                // Malformed JSON (never from a validated record) keeps what
                // was read and skips the rest; the slots still line up.
                if !ok {
                    c.skip_to_end();
                }
                nulls.append_non_null();
                n
            }
            Builder::List {
                child,
                offsets,
                nulls,
                ..
            } if first == Some(b'[') => {
                c.bump();
                let mut items = 0;
                let mut n = 0;
                loop {
                    if c.eat(b']') {
                        break;
                    }
                    if c.eat(b',') {
                        continue;
                    }
                    let at = c.position();
                    if c.peek().is_none() {
                        break;
                    }
                    n += child.append_json(c);
                    items += 1;
                    if c.position() == at {
                        // Not a value: malformed JSON; stop here.
                        break;
                    }
                }
                push_offset(offsets, items);
                nulls.append_non_null();
                n + 4 * items
            }
            Builder::Map {
                keys,
                values,
                offsets,
                nulls,
            } if first == Some(b'{') => {
                c.bump();
                let (mut entries, mut n) = (0, 0);
                loop {
                    if c.eat(b'}') {
                        break;
                    }
                    if c.eat(b',') {
                        continue;
                    }
                    let (Some(key), true) = (c.string(), c.eat(b':')) else {
                        c.skip_to_end();
                        break;
                    };
                    let Some(raw) = c.skip_value() else {
                        c.skip_to_end();
                        break;
                    };
                    keys.append_value(&key);
                    match raw {
                        "null" => values.append_null(),
                        lit if lit.starts_with('"') => values.append_value(coerce::unquote(lit)),
                        other => values.append_value(seclake_core::jsonscan::compact(other)),
                    }
                    n += key.len() + raw.len();
                    entries += 1;
                }
                push_offset(offsets, entries);
                nulls.append_non_null();
                n
            }
            Builder::Struct { .. } | Builder::List { .. } | Builder::Map { .. } => {
                c.skip_value();
                self.append_null();
                0
            }
            Builder::Utf8(b) => match c.skip_value() {
                None | Some("null") => {
                    b.append_null();
                    0
                }
                Some(lit) if lit.starts_with('"') => {
                    let s = coerce::unquote(lit);
                    b.append_value(&s);
                    s.len()
                }
                // Nested JSON under a string member is kept as compact JSON text.
                Some(other) => {
                    let s = seclake_core::jsonscan::compact(other);
                    b.append_value(&s);
                    s.len()
                }
            },
            scalar => match c.skip_value() {
                None | Some("null") => {
                    scalar.append_null();
                    0
                }
                Some(lit) => {
                    let quoted = lit.starts_with('"');
                    let text = if quoted {
                        coerce::unquote(lit)
                    } else {
                        std::borrow::Cow::Borrowed(lit)
                    };
                    scalar.append_scalar(&coerce::Scalar::Text {
                        text: &text,
                        quoted,
                    })
                }
            },
        }
    }

    /// Appends a scalar converted to this column's type.
    fn append_scalar(&mut self, s: &coerce::Scalar<'_>) -> usize {
        match self {
            Builder::Utf8(b) => match s.to_text() {
                Some(t) => {
                    b.append_value(&t);
                    t.len()
                }
                None => {
                    b.append_null();
                    0
                }
            },
            Builder::I64(b) => {
                b.append_option(s.to_i64());
                8
            }
            Builder::I32(b) => {
                b.append_option(s.to_i64().and_then(|i| i32::try_from(i).ok()));
                4
            }
            Builder::I16(b) => {
                b.append_option(s.to_i64().and_then(|i| i16::try_from(i).ok()));
                2
            }
            Builder::F64(b) => {
                b.append_option(s.to_f64());
                8
            }
            Builder::F32(b) => {
                b.append_option(s.to_f64().map(|f| f as f32));
                4
            }
            Builder::Bool(b) => {
                b.append_option(s.to_bool());
                1
            }
            Builder::Ts(b) => {
                b.append_option(s.to_time().map(Timestamp::micros));
                8
            }
            Builder::Struct { .. } | Builder::List { .. } | Builder::Map { .. } => {
                self.append_null();
                0
            }
        }
    }

    /// The array built so far; the builder starts over empty.
    /// Finishes the array, then (when `again`) makes room for as many
    /// values as it had, so that the next batch of a steady stream is built
    /// without growing and copying its buffers (a few percent of ingest).
    /// Nested columns start empty.
    pub fn finish_and_reserve(&mut self, again: bool) -> Result<ArrayRef, ArrowError> {
        if !again {
            return self.finish();
        }
        let rows = self.len();
        let bytes = match self {
            Builder::Utf8(b) => b.values_slice().len(),
            _ => 0,
        };
        let array = self.finish()?;
        match self {
            Builder::Utf8(b) => *b = StringBuilder::with_capacity(rows, bytes),
            Builder::I64(b) => *b = Int64Builder::with_capacity(rows),
            Builder::I32(b) => *b = Int32Builder::with_capacity(rows),
            Builder::I16(b) => *b = Int16Builder::with_capacity(rows),
            Builder::F64(b) => *b = Float64Builder::with_capacity(rows),
            Builder::F32(b) => *b = Float32Builder::with_capacity(rows),
            Builder::Bool(b) => *b = BooleanBuilder::with_capacity(rows),
            Builder::Ts(b) => {
                *b = TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC")
            }
            Builder::Struct { .. } | Builder::List { .. } | Builder::Map { .. } => {}
        }
        Ok(array)
    }

    /// Values appended since the last finish.
    fn len(&self) -> usize {
        match self {
            Builder::Utf8(b) => b.len(),
            Builder::I64(b) => b.len(),
            Builder::I32(b) => b.len(),
            Builder::I16(b) => b.len(),
            Builder::F64(b) => b.len(),
            Builder::F32(b) => b.len(),
            Builder::Bool(b) => b.len(),
            Builder::Ts(b) => b.len(),
            Builder::Struct { nulls, .. }
            | Builder::List { nulls, .. }
            | Builder::Map { nulls, .. } => nulls.len(),
        }
    }

    pub fn finish(&mut self) -> Result<ArrayRef, ArrowError> {
        Ok(match self {
            Builder::Utf8(b) => Arc::new(b.finish()),
            Builder::I64(b) => Arc::new(b.finish()),
            Builder::I32(b) => Arc::new(b.finish()),
            Builder::I16(b) => Arc::new(b.finish()),
            Builder::F64(b) => Arc::new(b.finish()),
            Builder::F32(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Ts(b) => Arc::new(b.finish()),
            Builder::Struct {
                fields,
                children,
                nulls,
                ..
            } => {
                let arrays = children
                    .iter_mut()
                    .map(Builder::finish)
                    .collect::<Result<Vec<_>, _>>()?;
                let len = nulls.len();
                let nulls = nulls.finish();
                if fields.is_empty() {
                    Arc::new(StructArray::new_empty_fields(len, nulls))
                } else {
                    Arc::new(StructArray::try_new(fields.clone(), arrays, nulls)?)
                }
            }
            Builder::List {
                field,
                child,
                offsets,
                nulls,
            } => {
                let values = child.finish()?;
                let offs = std::mem::replace(offsets, vec![0]);
                let offsets = OffsetBuffer::new(ScalarBuffer::from(offs));
                Arc::new(ListArray::try_new(
                    field.clone(),
                    offsets,
                    values,
                    nulls.finish(),
                )?)
            }
            Builder::Map {
                keys,
                values,
                offsets,
                nulls,
            } => {
                let entries = StructArray::try_new(
                    match map_entries().data_type() {
                        arrow_schema::DataType::Struct(f) => f.clone(),
                        _ => unreachable!("map entries are a struct"),
                    },
                    vec![Arc::new(keys.finish()), Arc::new(values.finish())],
                    None,
                )?;
                let offs = std::mem::replace(offsets, vec![0]);
                Arc::new(MapArray::try_new(
                    map_entries(),
                    OffsetBuffer::new(ScalarBuffer::from(offs)),
                    entries,
                    nulls.finish(),
                    false,
                )?)
            }
        })
    }
}

fn push_offset(offsets: &mut Vec<i32>, items: usize) {
    let last = *offsets.last().unwrap_or(&0);
    // A list column holds far fewer than 2^31 values per batch: the writer
    // flushes at tens of MB.
    offsets.push(last.saturating_add(i32::try_from(items).unwrap_or(i32::MAX)));
}
