//! A table's Delta schema: the Arrow schema of its rows, plus the four
//! partition columns that live in the file paths (`year`, `month`, `day`,
//! `hour`, zero-padded strings as in the directory names), and how a newer
//! writer's schema merges into the table's.

use std::collections::HashMap;

use arrow_schema::Schema as ArrowSchema;
use deltalake_core::kernel::engine::arrow_conversion::TryFromArrow;
use deltalake_core::kernel::{DataType, StructField, StructType};

use crate::layout::MICROS_PER_HOUR;
use crate::LakeError;

/// The partition columns, outermost first.
pub const PARTITION_COLUMNS: [&str; 4] = ["year", "month", "day", "hour"];

/// The Delta schema of rows with `arrow` schema: its fields, then the
/// partition columns.
pub fn table_schema(arrow: &ArrowSchema) -> Result<StructType, LakeError> {
    let rows = StructType::try_from_arrow(arrow).map_err(LakeError::Arrow)?;
    let mut fields: Vec<StructField> = rows.fields().cloned().collect();
    for p in PARTITION_COLUMNS {
        fields.push(StructField::new(p, DataType::STRING, true));
    }
    StructType::try_new(fields).map_err(|e| LakeError::Delta(e.to_string()))
}

/// The Arrow schema of the rows of a table whose log has schema `table`:
/// the partition columns dropped (they are in the paths, not the files),
/// lists' items named `item` and maps' entries `entries` as the writer
/// names them, so files and table agree without casts.
pub fn rows_schema(table: &StructType) -> Result<arrow_schema::SchemaRef, LakeError> {
    use deltalake_core::kernel::engine::arrow_conversion::TryFromKernel;
    let arrow = ArrowSchema::try_from_kernel(table).map_err(LakeError::Arrow)?;
    let fields: Vec<arrow_schema::Field> = arrow
        .fields()
        .iter()
        .filter(|f| !PARTITION_COLUMNS.contains(&f.name().as_str()))
        .map(|f| normalize_field(f))
        .collect();
    Ok(std::sync::Arc::new(ArrowSchema::new(fields)))
}

fn normalize_field(f: &arrow_schema::Field) -> arrow_schema::Field {
    use arrow_schema::{DataType as A, Field};
    use std::sync::Arc;
    let ty = match f.data_type() {
        A::List(item) => A::List(Arc::new(Field::new(
            "item",
            normalize_field(item).data_type().clone(),
            item.is_nullable(),
        ))),
        A::Struct(members) => A::Struct(members.iter().map(|m| normalize_field(m)).collect()),
        A::Map(entries, sorted) => {
            let inner = match entries.data_type() {
                A::Struct(kv) => A::Struct(kv.iter().map(|m| normalize_field(m)).collect()),
                other => other.clone(),
            };
            A::Map(Arc::new(Field::new("entries", inner, false)), *sorted)
        }
        other => other.clone(),
    };
    Field::new(f.name(), ty, f.is_nullable())
}

/// The partition values of an hour since the epoch.
pub fn partition_values(hour: i64) -> HashMap<String, Option<String>> {
    let (y, mo, d, h, ..) = seclake_core::Timestamp(hour * MICROS_PER_HOUR).to_civil();
    [
        format!("{y:04}"),
        format!("{mo:02}"),
        format!("{d:02}"),
        format!("{h:02}"),
    ]
    .into_iter()
    .zip(PARTITION_COLUMNS)
    .map(|(v, k)| (k.to_string(), Some(v)))
    .collect()
}

/// The table's schema with what `incoming` adds: new columns, and new
/// members of struct columns (at any depth), always nullable. `None` when
/// nothing is new. A column whose type changed is an error: rows of the
/// two types cannot share the table.
pub fn merge(table: &StructType, incoming: &StructType) -> Result<Option<StructType>, LakeError> {
    let (merged, changed) = merge_struct(table, incoming, "")?;
    Ok(changed.then_some(merged))
}

fn merge_struct(
    table: &StructType,
    incoming: &StructType,
    at: &str,
) -> Result<(StructType, bool), LakeError> {
    let mut fields: Vec<StructField> = Vec::new();
    let mut changed = false;
    for f in table.fields() {
        match incoming.field(f.name()) {
            Some(new) => {
                let (ty, c) = merge_type(f.data_type(), new.data_type(), &path(at, f.name()))?;
                changed |= c;
                fields.push(
                    StructField::new(f.name(), ty, f.is_nullable())
                        .with_metadata(f.metadata().iter().map(|(k, v)| (k.clone(), v.clone()))),
                );
            }
            None => fields.push(f.clone()),
        }
    }
    for f in incoming.fields() {
        if table.field(f.name()).is_none() {
            changed = true;
            fields.push(StructField::new(f.name(), f.data_type().clone(), true));
        }
    }
    let merged = StructType::try_new(fields).map_err(|e| LakeError::Delta(e.to_string()))?;
    Ok((merged, changed))
}

fn merge_type(old: &DataType, new: &DataType, at: &str) -> Result<(DataType, bool), LakeError> {
    match (old, new) {
        (DataType::Struct(a), DataType::Struct(b)) => {
            let (s, changed) = merge_struct(a, b, at)?;
            Ok((DataType::Struct(Box::new(s)), changed))
        }
        (DataType::Array(a), DataType::Array(b)) => {
            let (element, changed) = merge_type(a.element_type(), b.element_type(), at)?;
            let array = deltalake_core::kernel::ArrayType::new(element, a.contains_null());
            Ok((DataType::Array(Box::new(array)), changed))
        }
        (a, b) if a == b => Ok((a.clone(), false)),
        (a, b) => Err(LakeError::SchemaConflict(format!(
            "column {at} is {a} in the table and {b} in the new rows"
        ))),
    }
}

fn path(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_string()
    } else {
        format!("{at}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::{DataType as A, Field, Fields};
    use std::sync::Arc;

    fn arrow(fields: Vec<Field>) -> StructType {
        table_schema(&ArrowSchema::new(fields)).unwrap()
    }

    #[test]
    fn partition_columns_follow_the_rows() {
        let s = arrow(vec![Field::new("a", A::Utf8, true)]);
        let names: Vec<_> = s.fields().map(|f| f.name().clone()).collect();
        assert_eq!(names, ["a", "year", "month", "day", "hour"]);
        let v = partition_values(24 * 366 + 5);
        assert_eq!(v["year"].as_deref(), Some("1971"));
        assert_eq!(v["hour"].as_deref(), Some("05"));
    }

    #[test]
    fn new_struct_members_and_columns_merge_old_ones_stay() {
        let user = |members: Vec<Field>| Field::new("user", A::Struct(Fields::from(members)), true);
        let old = arrow(vec![
            Field::new("a", A::Utf8, true),
            user(vec![Field::new("name", A::Utf8, true)]),
        ]);
        let new = arrow(vec![
            Field::new("a", A::Utf8, true),
            user(vec![
                Field::new("name", A::Utf8, true),
                Field::new("email", A::Utf8, true),
            ]),
            Field::new("b", A::Int64, true),
        ]);
        let merged = merge(&old, &new).unwrap().expect("changed");
        let json = serde_json::to_string(&merged).unwrap();
        assert!(json.contains("\"email\""), "{json}");
        assert!(json.contains("\"b\""), "{json}");
        assert!(json.contains("\"year\""), "{json}");
        // Nothing new: no change; a type change: an error.
        assert!(merge(&merged, &old).unwrap().is_none());
        let clash = arrow(vec![Field::new("a", A::Int64, true)]);
        assert!(matches!(
            merge(&old, &clash),
            Err(LakeError::SchemaConflict(_))
        ));
        let list = |t| Field::new("l", A::List(Arc::new(Field::new("item", t, true))), true);
        assert!(
            merge(&arrow(vec![list(A::Utf8)]), &arrow(vec![list(A::Utf8)]))
                .unwrap()
                .is_none()
        );
    }
}
