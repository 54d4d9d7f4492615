//! Bringing an array written under an older schema to a newer one: the
//! only schema changes are nullable additions (a new column, a new member
//! of a struct, at any depth), so an older array keeps every value it has
//! and reads null where the newer schema has more. Nothing is ever blanked
//! for being of an older shape.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{new_null_array, Array, ArrayRef, ListArray, StructArray};
use arrow_schema::{ArrowError, DataType};

/// `array` with the type `target`: struct members matched by name (missing
/// ones null, in the target's order), list items aligned alike; other
/// types cast when they differ. An array that cannot become `target` is an
/// error, never nulls.
pub fn align(array: &ArrayRef, target: &DataType) -> Result<ArrayRef, ArrowError> {
    if array.data_type() == target {
        return Ok(array.clone());
    }
    match (array.data_type(), target) {
        (DataType::Struct(_), DataType::Struct(fields)) => {
            let s = array.as_struct();
            let children = fields
                .iter()
                .map(|f| match s.column_by_name(f.name()) {
                    Some(child) => align(child, f.data_type()),
                    None => Ok(new_null_array(f.data_type(), s.len())),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let nulls = s.nulls().cloned();
            Ok(Arc::new(StructArray::try_new(
                fields.clone(),
                children,
                nulls,
            )?))
        }
        (DataType::List(_), DataType::List(item)) => {
            let l = array.as_list::<i32>();
            let values = align(l.values(), item.data_type())?;
            Ok(Arc::new(ListArray::try_new(
                item.clone(),
                l.offsets().clone(),
                values,
                l.nulls().cloned(),
            )?))
        }
        _ => arrow_cast::cast(array, target),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int64Array, StringArray};
    use arrow_buffer::OffsetBuffer;
    use arrow_schema::{Field, Fields};

    fn strukt(fields: Vec<(&str, ArrayRef)>) -> ArrayRef {
        let (f, c): (Vec<Field>, Vec<ArrayRef>) = fields
            .into_iter()
            .map(|(n, a)| (Field::new(n, a.data_type().clone(), true), a))
            .unzip();
        Arc::new(StructArray::try_new(Fields::from(f), c, None).unwrap())
    }

    /// A member added to a nested struct: old rows keep their data.
    #[test]
    fn an_older_struct_keeps_its_members_and_reads_null_for_new_ones() {
        let older = strukt(vec![
            (
                "arn",
                Arc::new(StringArray::from(vec!["a1", "a2"])) as ArrayRef,
            ),
            (
                "session",
                strukt(vec![(
                    "mfa",
                    Arc::new(StringArray::from(vec!["yes", "no"])) as ArrayRef,
                )]),
            ),
        ]);
        let newer = strukt(vec![
            (
                "arn",
                Arc::new(StringArray::from(vec!["x", "y"])) as ArrayRef,
            ),
            (
                "session",
                strukt(vec![
                    (
                        "mfa",
                        Arc::new(StringArray::from(vec!["x", "y"])) as ArrayRef,
                    ),
                    (
                        "issuer",
                        Arc::new(StringArray::from(vec!["x", "y"])) as ArrayRef,
                    ),
                ]),
            ),
            ("count", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        ]);
        let got = align(&older, newer.data_type()).unwrap();
        assert_eq!(got.data_type(), newer.data_type());
        let s = got.as_struct();
        assert_eq!(
            s.column_by_name("arn").unwrap().as_string::<i32>().value(1),
            "a2"
        );
        let session = s.column_by_name("session").unwrap().as_struct();
        assert_eq!(
            session
                .column_by_name("mfa")
                .unwrap()
                .as_string::<i32>()
                .value(0),
            "yes"
        );
        assert_eq!(session.column_by_name("issuer").unwrap().null_count(), 2);
        assert_eq!(s.column_by_name("count").unwrap().null_count(), 2);
    }

    #[test]
    fn lists_of_structs_are_aligned_item_by_item() {
        let items = strukt(vec![(
            "arn",
            Arc::new(StringArray::from(vec!["r1", "r2", "r3"])) as ArrayRef,
        )]);
        let field = Arc::new(Field::new("item", items.data_type().clone(), true));
        let older: ArrayRef = Arc::new(
            ListArray::try_new(field, OffsetBuffer::new(vec![0, 1, 3].into()), items, None)
                .unwrap(),
        );
        let new_item = DataType::Struct(Fields::from(vec![
            Field::new("arn", DataType::Utf8, true),
            Field::new("type", DataType::Utf8, true),
        ]));
        let target = DataType::List(Arc::new(Field::new("item", new_item, true)));
        let got = align(&older, &target).unwrap();
        let values = got.as_list::<i32>().values().as_struct().clone();
        assert_eq!(
            values
                .column_by_name("arn")
                .unwrap()
                .as_string::<i32>()
                .value(2),
            "r3"
        );
        assert_eq!(values.column_by_name("type").unwrap().null_count(), 3);
    }
}
