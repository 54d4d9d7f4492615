//! Log type schemas as Arrow schemas: nested objects become structs, arrays
//! lists, timestamps `Timestamp(Microsecond, "UTC")` (what Parquet calls
//! TIMESTAMP(MICROS, isAdjustedToUTC), read back as a UTC timestamp by
//! DataFusion, DuckDB, Athena, Trino and Spark alike).

use std::sync::Arc;

use arrow_schema::{DataType, Field, FieldRef, Fields, Schema, SchemaRef, TimeUnit};
use seclake_core::schema::{Column, ColumnType};

/// The Arrow type of a column type.
pub fn data_type(ty: &ColumnType) -> DataType {
    match ty {
        ColumnType::String => DataType::Utf8,
        ColumnType::Bigint => DataType::Int64,
        ColumnType::Int => DataType::Int32,
        ColumnType::Smallint => DataType::Int16,
        ColumnType::Double => DataType::Float64,
        ColumnType::Float => DataType::Float32,
        ColumnType::Boolean => DataType::Boolean,
        ColumnType::Timestamp => timestamp_type(),
        ColumnType::Array(inner) => {
            DataType::List(Arc::new(Field::new("item", data_type(inner), true)))
        }
        ColumnType::Map => DataType::Map(map_entries(), false),
        ColumnType::Object(fields) => DataType::Struct(
            fields
                .iter()
                .map(|f| Field::new(&f.name, data_type(&f.ty), true))
                .collect::<Fields>(),
        ),
    }
}

/// The entries of a `map<string,string>`: non-null keys, nullable values
/// (the layout Parquet's MAP and every engine reading it expect).
pub fn map_entries() -> FieldRef {
    Arc::new(Field::new(
        "entries",
        DataType::Struct(Fields::from(vec![
            Field::new("key", DataType::Utf8, false),
            Field::new("value", DataType::Utf8, true),
        ])),
        false,
    ))
}

pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn field(c: &Column) -> Field {
    // The standard fields every row has are non-null; the log type's own
    // columns are nullable whatever the vendor says, since a required
    // field is checked by the parser and a later version may drop it.
    let non_null = matches!(
        c.name,
        "p_log_type" | "p_row_id" | "p_event_time" | "p_parse_time"
    );
    Field::new(c.name, data_type(&c.ty), !non_null)
}

/// The Arrow schema of a log type's table: its columns, then the standard
/// fields.
pub fn table_schema(schema: &seclake_core::Schema) -> SchemaRef {
    Arc::new(Schema::new(
        schema.all_columns().map(field).collect::<Vec<_>>(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_types_map_to_structs_and_lists() {
        let ty = ColumnType::parse("[{ \"arn\":string, \"n\":bigint, \"t\":timestamp }]").unwrap();
        let DataType::List(item) = data_type(&ty) else {
            panic!()
        };
        let DataType::Struct(fields) = item.data_type() else {
            panic!()
        };
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[2].data_type(), &timestamp_type());
    }
}
