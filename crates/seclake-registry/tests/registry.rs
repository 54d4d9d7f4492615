//! Tests that loop over every registered log type.

mod common;

use std::collections::HashSet;

use common::parse_str;
use seclake_core::standard::STANDARD_COLUMNS;

#[test]
fn names_and_tables_are_unique_and_well_formed() {
    let mut names = HashSet::new();
    let mut tables = HashSet::new();
    for t in seclake_registry::all() {
        assert!(names.insert(t.name()), "duplicate log type {}", t.name());
        assert!(
            tables.insert(t.table.clone()),
            "duplicate table {}",
            t.table
        );
        assert_eq!(t.table, t.name().to_ascii_lowercase().replace('.', "_"));
        assert!(
            !t.def.description.is_empty(),
            "{} has no description",
            t.name()
        );
        assert!(
            t.def.reference.starts_with("http"),
            "{} has no reference",
            t.name()
        );
        assert!(seclake_registry::find(t.name()).is_some());
        assert!(seclake_registry::find(&t.table).is_some());
    }
    let mut sorted: Vec<_> = seclake_registry::DEFINITIONS
        .iter()
        .map(|d| d.name)
        .collect();
    sorted.sort();
    let listed: Vec<_> = seclake_registry::DEFINITIONS
        .iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(sorted, listed, "keep DEFINITIONS in name order");
}

#[test]
fn every_schema_carries_the_standard_fields() {
    for t in seclake_registry::all() {
        let names: Vec<&str> = t.schema.all_columns().map(|c| c.name).collect();
        for std in STANDARD_COLUMNS {
            assert!(names.contains(&std.name), "{} lacks {}", t.name(), std.name);
            assert!(
                t.schema.index_of(std.name).is_none(),
                "{} declares {} itself",
                t.name(),
                std.name
            );
        }
        assert!(!t.schema.columns.is_empty());
    }
}

#[test]
fn every_example_parses_as_its_type_and_classifies_as_it() {
    let all: Vec<_> = seclake_registry::all().iter().collect();
    for t in &all {
        assert!(!t.def.examples.is_empty(), "{} has no examples", t.name());
        for ex in t.def.examples {
            let forced = parse_str(ex, &[t]);
            assert!(
                forced.rejects.is_empty(),
                "{} example rejected: {}\n{ex}",
                t.name(),
                String::from_utf8_lossy(&forced.rejects)
            );
            assert_eq!(
                forced.row_types.len(),
                1,
                "{} example gave no row: {ex}",
                t.name()
            );
            let classified = parse_str(ex, &all);
            assert_eq!(
                classified.row_types,
                vec![t.name()],
                "example of {} classified wrongly: {ex}",
                t.name()
            );
            assert_eq!(classified.rows, forced.rows);
        }
    }
}

#[test]
fn garbage_is_rejected_by_every_type() {
    let all: Vec<_> = seclake_registry::all().iter().collect();
    for garbage in [
        "Phony unsupported log format.",
        "{\"hello\":\"world\"}",
        "[1,2,3]",
        "-",
    ] {
        let cap = parse_str(garbage, &all);
        assert!(
            cap.row_types.is_empty(),
            "{garbage:?} became a {:?} row",
            cap.row_types
        );
        assert!(
            !cap.rejects.is_empty(),
            "{garbage:?} was dropped without a reject"
        );
    }
}

/// A signature is a necessary condition: every example shows its own
/// type's signature (or classification would never try that type).
#[test]
fn every_example_shows_its_types_signature() {
    for t in seclake_registry::all() {
        for ex in t.def.examples {
            assert!(
                t.def.signature.admits(ex),
                "{}: an example lacks the signature {:?}",
                t.name(),
                t.def.signature
            );
        }
    }
}

#[test]
fn decoder_and_log_type_names_are_unique() {
    let mut names: Vec<&str> = seclake_registry::decoders()
        .iter()
        .map(|d| d.name)
        .chain(seclake_registry::all().iter().map(|t| t.name()))
        .collect();
    let n = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), n, "a decoder shares a name with another entry");
    for d in seclake_registry::decoders() {
        assert!(!d.description.is_empty(), "{}: no description", d.name);
        assert!(!(d.detect)(b""), "{}: claims an empty stream", d.name);
    }
}
