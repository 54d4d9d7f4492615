//! Arrow builders for one table, filled row by row.
//!
//! Scalar columns append straight into typed builders. Nested columns
//! (structs and lists) are shaped into JSON text by the same code that
//! writes `seclake parse` output and decoded into Arrow in one pass when
//! the batch is finished, so the lake holds exactly what the JSON shows.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float32Builder, Float64Builder, Int16Builder, Int32Builder, Int64Builder,
    ListBuilder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use seclake_core::indicators::Indicator;
use seclake_core::json_out::write_value;
use seclake_core::jsonscan::compact;
use seclake_core::schema::ColumnType;
use seclake_core::{Row, StandardFields, Timestamp, Value};

use crate::arrow_map::table_schema;

/// One column's builder.
enum ColBuilder {
    Utf8(StringBuilder),
    I64(Int64Builder),
    I32(Int32Builder),
    I16(Int16Builder),
    F64(Float64Builder),
    F32(Float32Builder),
    Bool(BooleanBuilder),
    Ts(TimestampMicrosecondBuilder),
    /// JSON lines `{"v":<shaped value>}` (or `{}` for null), decoded at finish.
    Nested {
        field: Arc<Field>,
        json: Vec<u8>,
        scratch: Vec<u8>,
    },
}

impl ColBuilder {
    fn new(ty: &ColumnType, field: &Field) -> Self {
        match ty {
            ColumnType::String => ColBuilder::Utf8(StringBuilder::new()),
            ColumnType::Bigint => ColBuilder::I64(Int64Builder::new()),
            ColumnType::Int => ColBuilder::I32(Int32Builder::new()),
            ColumnType::Smallint => ColBuilder::I16(Int16Builder::new()),
            ColumnType::Double => ColBuilder::F64(Float64Builder::new()),
            ColumnType::Float => ColBuilder::F32(Float32Builder::new()),
            ColumnType::Boolean => ColBuilder::Bool(BooleanBuilder::new()),
            ColumnType::Timestamp => {
                ColBuilder::Ts(TimestampMicrosecondBuilder::new().with_timezone("UTC"))
            }
            ColumnType::Array(_) | ColumnType::Object(_) => ColBuilder::Nested {
                field: Arc::new(Field::new("v", field.data_type().clone(), true)),
                json: Vec::new(),
                scratch: Vec::new(),
            },
        }
    }

    /// Appends a value (or null) converted to the column's type. Returns
    /// an estimate of the bytes added.
    fn append(&mut self, ty: &ColumnType, v: Option<&Value<'_>>) -> usize {
        match self {
            ColBuilder::Utf8(b) => match v {
                Some(Value::Str(s)) => {
                    b.append_value(s);
                    s.len()
                }
                Some(Value::Json(j)) => {
                    let c = compact(j);
                    b.append_value(&c);
                    c.len()
                }
                Some(other) => {
                    let mut buf = Vec::new();
                    write_value(&mut buf, ty, other);
                    let text = String::from_utf8_lossy(&buf);
                    b.append_value(text.trim_matches('"'));
                    buf.len()
                }
                None => {
                    b.append_null();
                    0
                }
            },
            ColBuilder::I64(b) => {
                b.append_option(as_i64(v));
                8
            }
            ColBuilder::I32(b) => {
                b.append_option(as_i64(v).and_then(|i| i32::try_from(i).ok()));
                4
            }
            ColBuilder::I16(b) => {
                b.append_option(as_i64(v).and_then(|i| i16::try_from(i).ok()));
                2
            }
            ColBuilder::F64(b) => {
                b.append_option(as_f64(v));
                8
            }
            ColBuilder::F32(b) => {
                b.append_option(as_f64(v).map(|f| f as f32));
                4
            }
            ColBuilder::Bool(b) => {
                b.append_option(match v {
                    Some(Value::Bool(x)) => Some(*x),
                    _ => None,
                });
                1
            }
            ColBuilder::Ts(b) => {
                b.append_option(match v {
                    Some(Value::Time(t)) => Some(t.micros()),
                    _ => None,
                });
                8
            }
            ColBuilder::Nested { json, scratch, .. } => {
                let start = json.len();
                scratch.clear();
                if let Some(v) = v {
                    if write_value(scratch, ty, v) {
                        json.extend_from_slice(b"{\"v\":");
                        json.extend_from_slice(scratch);
                        json.extend_from_slice(b"}\n");
                        return json.len() - start;
                    }
                }
                json.extend_from_slice(b"{}\n");
                3
            }
        }
    }

    fn finish(&mut self, rows: usize) -> Result<ArrayRef, ArrowError> {
        Ok(match self {
            ColBuilder::Utf8(b) => Arc::new(b.finish()),
            ColBuilder::I64(b) => Arc::new(b.finish()),
            ColBuilder::I32(b) => Arc::new(b.finish()),
            ColBuilder::I16(b) => Arc::new(b.finish()),
            ColBuilder::F64(b) => Arc::new(b.finish()),
            ColBuilder::F32(b) => Arc::new(b.finish()),
            ColBuilder::Bool(b) => Arc::new(b.finish()),
            ColBuilder::Ts(b) => Arc::new(b.finish()),
            ColBuilder::Nested { field, json, .. } => {
                let schema = Arc::new(Schema::new(vec![field.as_ref().clone()]));
                let mut decoder = arrow_json::ReaderBuilder::new(schema)
                    .with_batch_size(rows.max(1))
                    .build_decoder()?;
                let consumed = decoder.decode(json)?;
                if consumed != json.len() {
                    return Err(ArrowError::JsonError(format!(
                        "nested column {}: decoded {consumed} of {} bytes",
                        field.name(),
                        json.len()
                    )));
                }
                json.clear();
                let batch = decoder
                    .flush()?
                    .ok_or_else(|| ArrowError::JsonError("no rows decoded".into()))?;
                batch.column(0).clone()
            }
        })
    }
}

fn as_i64(v: Option<&Value<'_>>) -> Option<i64> {
    match v? {
        Value::Int(i) => Some(*i),
        Value::Float(f) if f.fract() == 0.0 => Some(*f as i64),
        Value::Str(s) => s.parse().ok(),
        _ => None,
    }
}

fn as_f64(v: Option<&Value<'_>>) -> Option<f64> {
    match v? {
        Value::Float(f) => Some(*f),
        Value::Int(i) => Some(*i as f64),
        Value::Str(s) => s.parse().ok(),
        _ => None,
    }
}

/// Builders for one table's rows: the log type's columns, then the
/// standard fields.
pub struct TableBatch {
    schema: SchemaRef,
    types: Vec<ColumnType>,
    cols: Vec<ColBuilder>,
    log_type: StringBuilder,
    row_id: StringBuilder,
    event_time: TimestampMicrosecondBuilder,
    parse_time: TimestampMicrosecondBuilder,
    source_id: StringBuilder,
    source_label: StringBuilder,
    indicators: Vec<ListBuilder<StringBuilder>>,
    rows: usize,
    bytes: usize,
}

impl TableBatch {
    pub fn new(schema: &seclake_core::Schema) -> Self {
        let arrow = table_schema(schema);
        let cols = schema
            .columns
            .iter()
            .zip(arrow.fields())
            .map(|(c, f)| ColBuilder::new(&c.ty, f))
            .collect();
        TableBatch {
            types: schema.columns.iter().map(|c| c.ty.clone()).collect(),
            schema: arrow,
            cols,
            log_type: StringBuilder::new(),
            row_id: StringBuilder::new(),
            event_time: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            parse_time: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            source_id: StringBuilder::new(),
            source_label: StringBuilder::new(),
            indicators: Indicator::ALL
                .iter()
                .map(|_| ListBuilder::new(StringBuilder::new()))
                .collect(),
            rows: 0,
            bytes: 0,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Approximate memory held by the builders.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    pub fn append(&mut self, row: &Row<'_>, std: &StandardFields<'_>, event_time: Timestamp) {
        let mut cells = row.cells().iter().peekable();
        let mut bytes = 64;
        for (i, (b, ty)) in self.cols.iter_mut().zip(&self.types).enumerate() {
            let v = match cells.peek() {
                Some((c, v)) if *c as usize == i => {
                    cells.next();
                    Some(v)
                }
                _ => None,
            };
            bytes += b.append(ty, v);
        }
        self.log_type.append_value(std.log_type);
        self.row_id
            .append_value(std::str::from_utf8(&std.row_id).unwrap_or_default());
        self.event_time.append_value(event_time.micros());
        self.parse_time.append_value(std.parse_time.micros());
        self.source_id.append_option(std.source_id);
        self.source_label.append_option(std.source_label);
        for (kind, builder) in Indicator::ALL.iter().zip(&mut self.indicators) {
            let mut any = false;
            for v in row.indicator_values(*kind) {
                builder.values().append_value(v);
                bytes += v.len() + 4;
                any = true;
            }
            // Empty lists are stored as null, as they are omitted in JSON.
            builder.append(any);
        }
        self.rows += 1;
        self.bytes += bytes;
    }

    /// Takes the rows built so far as a record batch; the builders start
    /// over empty.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let rows = self.rows;
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        for c in &mut self.cols {
            arrays.push(c.finish(rows)?);
        }
        arrays.push(Arc::new(self.log_type.finish()));
        arrays.push(Arc::new(self.row_id.finish()));
        arrays.push(Arc::new(self.event_time.finish()));
        arrays.push(Arc::new(self.parse_time.finish()));
        arrays.push(Arc::new(self.source_id.finish()));
        arrays.push(Arc::new(self.source_label.finish()));
        for b in &mut self.indicators {
            arrays.push(Arc::new(b.finish()));
        }
        self.rows = 0;
        self.bytes = 0;
        // The list builders name their items "item" and allow nulls, as the
        // schema does; the timestamp builders carry the UTC zone.
        RecordBatch::try_new(self.schema.clone(), arrays)
    }
}

/// True for the data types whose values are built through JSON.
pub fn is_nested(dt: &DataType) -> bool {
    matches!(dt, DataType::List(_) | DataType::Struct(_))
}
