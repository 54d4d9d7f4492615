//! Owned Arrow batches: the one form rows take after parsing. The lake
//! encodes them as Parquet and `seclake parse` renders its JSON lines from
//! them ([`crate::json_lines`]), so both outputs follow the same value
//! rules ([`coerce`]).

mod builder;
pub mod coerce;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder, TimestampMicrosecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, SchemaRef};
use seclake_core::indicators::Indicator;
use seclake_core::{Row, StandardFields, Timestamp};

pub use builder::Builder;

use crate::arrow_map::table_schema;

/// Builders for one table's rows: the log type's columns, then the
/// standard fields.
pub struct TableBatch {
    schema: SchemaRef,
    cols: Vec<Builder>,
    /// Rows each column holds; a column catches up with nulls when it next
    /// gets a value, or at finish (most rows set a fraction of a wide
    /// schema).
    filled: Vec<usize>,
    log_type: StringBuilder,
    row_id: StringBuilder,
    event_time: TimestampMicrosecondBuilder,
    parse_time: TimestampMicrosecondBuilder,
    source_id: StringBuilder,
    source_label: StringBuilder,
    indicators: Vec<ListBuilder<StringBuilder>>,
    /// Rows each indicator list holds: like `filled`, most rows have none
    /// of most kinds, and their nulls are added in bulk.
    indicators_filled: Vec<usize>,
    rows: usize,
    bytes: usize,
}

/// Bytes counted for a row before its values: the fixed-width standard
/// fields, and a validity bit and offset for every column, set or not.
fn row_overhead(columns: usize) -> usize {
    64 + columns * 5
}

impl TableBatch {
    pub fn new(schema: &seclake_core::Schema) -> Self {
        TableBatch {
            schema: table_schema(schema),
            cols: schema.columns.iter().map(|c| Builder::new(&c.ty)).collect(),
            filled: vec![0; schema.columns.len()],
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
            indicators_filled: vec![0; Indicator::ALL.len()],
            rows: 0,
            bytes: 0,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Approximate memory held by the builders: the values appended and a
    /// few bytes per column per row, null or not.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    pub fn append(&mut self, row: &Row<'_>, std: &StandardFields<'_>, event_time: Timestamp) {
        let mut bytes = row_overhead(self.cols.len());
        for (c, v) in row.cells() {
            let c = *c as usize;
            let behind = self.rows - self.filled[c];
            if behind > 0 {
                self.cols[c].append_nulls(behind);
            }
            bytes += self.cols[c].append_value(v);
            self.filled[c] = self.rows + 1;
        }
        self.log_type.append_value(std.log_type);
        self.row_id
            .append_value(std::str::from_utf8(&std.row_id).unwrap_or_default());
        self.event_time.append_value(event_time.micros());
        self.parse_time.append_value(std.parse_time.micros());
        self.source_id.append_option(std.source_id);
        self.source_label.append_option(std.source_label);
        // One pass over the row's indicators, grouped by field in field
        // order; empty lists are stored as null, as they are omitted in JSON,
        // and added when the list next gets values, or at finish.
        // (`Row::collect_indicators` sorted them by kind.)
        debug_assert!(row.indicators.iter().is_sorted_by_key(|(k, _)| k));
        let mut items = row.indicators.iter().peekable();
        while let Some(&(kind, _)) = items.peek() {
            let i = kind as usize;
            debug_assert_eq!(Indicator::ALL[i], kind);
            let builder = &mut self.indicators[i];
            let behind = self.rows - self.indicators_filled[i];
            if behind > 0 {
                builder.append_nulls(behind);
            }
            while let Some((_, v)) = items.next_if(|(k, _)| k == &kind) {
                builder.values().append_value(v);
                bytes += v.len() + 4;
            }
            builder.append(true);
            self.indicators_filled[i] = self.rows + 1;
        }
        self.rows += 1;
        self.bytes += bytes;
    }

    /// Takes the rows built so far as a record batch; the builders start
    /// over empty.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        // Columns that got values, and the standard fields every row has,
        // keep room for as many rows for the next batch.
        let rows = self.rows;
        for (c, filled) in self.cols.iter_mut().zip(&mut self.filled) {
            let had_values = *filled > 0;
            c.append_nulls(rows - *filled);
            *filled = 0;
            arrays.push(c.finish_and_reserve(had_values)?);
        }
        arrays.push(Arc::new(self.log_type.finish()));
        let row_ids = self.row_id.values_slice().len();
        arrays.push(Arc::new(
            std::mem::replace(
                &mut self.row_id,
                StringBuilder::with_capacity(rows, row_ids),
            )
            .finish(),
        ));
        for ts in [&mut self.event_time, &mut self.parse_time] {
            let fresh = TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC");
            arrays.push(Arc::new(std::mem::replace(ts, fresh).finish()));
        }
        arrays.push(Arc::new(self.source_id.finish()));
        arrays.push(Arc::new(self.source_label.finish()));
        for (b, filled) in self.indicators.iter_mut().zip(&mut self.indicators_filled) {
            b.append_nulls(self.rows - *filled);
            *filled = 0;
            arrays.push(Arc::new(b.finish()));
        }
        self.rows = 0;
        self.bytes = 0;
        // The list builders name their items "item" and allow nulls, as the
        // schema does; the timestamp builders carry the UTC zone.
        RecordBatch::try_new(self.schema.clone(), arrays)
    }
}
