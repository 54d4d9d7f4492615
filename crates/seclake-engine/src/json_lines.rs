//! Record batches as JSON lines: one object per row, columns in schema
//! order, nulls (and empty indicator lists, stored as null) omitted,
//! timestamps in RFC 3339 with `Z`. This is what `seclake parse` prints,
//! rendered from the same batches the lake stores.

use std::cell::Cell;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use seclake_core::json_out::write_str;
use seclake_core::time::SecondCache;
use seclake_core::Timestamp;

use crate::batch::coerce::write_f64;

/// A column resolved to its concrete array once per batch, so each cell
/// costs a null check and a write, not a type dispatch and a downcast.
enum Col<'a> {
    Utf8(&'a arrow_array::StringArray),
    I64(&'a arrow_array::Int64Array),
    I32(&'a arrow_array::Int32Array),
    /// A list of strings (the `p_any_*` indicator fields, tags).
    StrList(&'a arrow_array::ListArray, &'a arrow_array::StringArray),
    /// With the last second it rendered.
    Ts(
        &'a arrow_array::TimestampMicrosecondArray,
        Cell<SecondCache>,
    ),
    Other(&'a ArrayRef),
}

impl<'a> Col<'a> {
    fn new(array: &'a ArrayRef) -> Self {
        match array.data_type() {
            DataType::Utf8 => Col::Utf8(array.as_string::<i32>()),
            DataType::Int64 => Col::I64(array.as_primitive::<Int64Type>()),
            DataType::Int32 => Col::I32(array.as_primitive::<Int32Type>()),
            DataType::List(item) if item.data_type() == &DataType::Utf8 => {
                let list = array.as_list::<i32>();
                Col::StrList(list, list.values().as_string::<i32>())
            }
            DataType::Timestamp(..) => Col::Ts(
                array.as_primitive::<TimestampMicrosecondType>(),
                Cell::default(),
            ),
            _ => Col::Other(array),
        }
    }

    fn is_null(&self, row: usize) -> bool {
        match self {
            Col::Utf8(a) => a.is_null(row),
            Col::I64(a) => a.is_null(row),
            Col::I32(a) => a.is_null(row),
            Col::StrList(a, _) => a.is_null(row),
            Col::Ts(a, _) => a.is_null(row),
            Col::Other(a) => a.is_null(row),
        }
    }

    fn write(&self, out: &mut Vec<u8>, row: usize) {
        match self {
            Col::Utf8(a) => write_str(out, a.value(row)),
            Col::I64(a) => int(out, a.value(row)),
            Col::I32(a) => int(out, a.value(row).into()),
            Col::StrList(list, values) => {
                let offsets = list.value_offsets();
                out.push(b'[');
                for i in offsets[row] as usize..offsets[row + 1] as usize {
                    if i > offsets[row] as usize {
                        out.push(b',');
                    }
                    if values.is_null(i) {
                        out.extend_from_slice(b"null");
                    } else {
                        write_str(out, values.value(i));
                    }
                }
                out.push(b']');
            }
            Col::Ts(a, cache) => {
                let mut c = cache.get();
                out.push(b'"');
                Timestamp(a.value(row)).write_rfc3339_with(&mut c, out);
                out.push(b'"');
                cache.set(c);
            }
            Col::Other(a) => write_value(out, a, row),
        }
    }
}

/// Appends every row of `batch` to `out`, a JSON object and a newline each.
pub fn write_batch(out: &mut Vec<u8>, batch: &RecordBatch) {
    let schema = batch.schema();
    // `"name":` rendered once, with the comma that follows a first member.
    let keys: Vec<(Vec<u8>, Vec<u8>)> = schema
        .fields()
        .iter()
        .map(|f| {
            let mut k = Vec::with_capacity(f.name().len() + 4);
            write_str(&mut k, f.name());
            k.push(b':');
            let mut later = Vec::with_capacity(k.len() + 1);
            later.push(b',');
            later.extend_from_slice(&k);
            (k, later)
        })
        .collect();
    let columns: Vec<Col<'_>> = batch.columns().iter().map(Col::new).collect();
    // Columns with no value in the whole batch are skipped outright.
    // Each with whether it has nulls to check for at all.
    let live: Vec<(usize, bool)> = (0..columns.len())
        .filter(|&i| batch.column(i).null_count() < batch.num_rows())
        .map(|i| (i, batch.column(i).null_count() > 0))
        .collect();
    for row in 0..batch.num_rows() {
        out.push(b'{');
        let mut first = true;
        for &(i, has_nulls) in &live {
            let col = &columns[i];
            if has_nulls && col.is_null(row) {
                continue;
            }
            out.extend_from_slice(if first { &keys[i].0 } else { &keys[i].1 });
            first = false;
            col.write(out, row);
        }
        out.extend_from_slice(b"}\n");
    }
}

/// Writes the value at `row` of `array` (which is not null there).
fn write_value(out: &mut Vec<u8>, array: &ArrayRef, row: usize) {
    match array.data_type() {
        DataType::Utf8 => write_str(out, array.as_string::<i32>().value(row)),
        DataType::Int64 => int(out, array.as_primitive::<Int64Type>().value(row)),
        DataType::Int32 => int(out, array.as_primitive::<Int32Type>().value(row).into()),
        DataType::Int16 => int(out, array.as_primitive::<Int16Type>().value(row).into()),
        DataType::Float64 => write_f64(out, array.as_primitive::<Float64Type>().value(row)),
        DataType::Float32 => {
            let f = array.as_primitive::<Float32Type>().value(row);
            if f.is_finite() {
                out.extend_from_slice(ryu::Buffer::new().format_finite(f).as_bytes());
            } else {
                out.extend_from_slice(b"null");
            }
        }
        DataType::Boolean => out.extend_from_slice(if array.as_boolean().value(row) {
            b"true"
        } else {
            b"false"
        }),
        DataType::Timestamp(..) => {
            let us = array.as_primitive::<TimestampMicrosecondType>().value(row);
            out.push(b'"');
            Timestamp(us).write_rfc3339(out);
            out.push(b'"');
        }
        DataType::List(_) => {
            let list = array.as_list::<i32>();
            let offsets = list.value_offsets();
            let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
            let values = list.values();
            out.push(b'[');
            for i in start..end {
                if i > start {
                    out.push(b',');
                }
                if values.is_null(i) {
                    out.extend_from_slice(b"null");
                } else {
                    write_value(out, values, i);
                }
            }
            out.push(b']');
        }
        DataType::Struct(fields) => {
            let s = array.as_struct();
            out.push(b'{');
            let mut first = true;
            for (field, child) in fields.iter().zip(s.columns()) {
                if child.is_null(row) {
                    continue;
                }
                if !first {
                    out.push(b',');
                }
                first = false;
                write_str(out, field.name());
                out.push(b':');
                write_value(out, child, row);
            }
            out.push(b'}');
        }
        DataType::Map(..) => {
            let map = array.as_map();
            let offsets = map.value_offsets();
            let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
            let (keys, values) = (map.keys().as_string::<i32>(), map.values());
            out.push(b'{');
            for i in start..end {
                if i > start {
                    out.push(b',');
                }
                write_str(out, keys.value(i));
                out.push(b':');
                if values.is_null(i) {
                    out.extend_from_slice(b"null");
                } else {
                    write_value(out, values, i);
                }
            }
            out.push(b'}');
        }
        // The batches hold only the types above (`arrow_map`).
        other => write_str(out, &format!("<{other}>")),
    }
}

fn int(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}
