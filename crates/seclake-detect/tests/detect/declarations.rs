//! Every log type's Sigma declaration ([`seclake_core::SigmaDef`]) holds
//! up against its own schema: what it names exists, with the kind a rule
//! needs there.

use seclake_core::ColumnType;
use seclake_detect::mapping::{Fields, Kind};

#[test]
fn every_declared_field_keyword_field_and_json_column_resolves() {
    let mut declared = 0;
    for log_type in seclake_registry::all() {
        let sigma = &log_type.def.sigma;
        let fields = Fields::new(log_type);
        let name = log_type.name();
        for (sigma_name, _) in sigma.fields {
            let r = fields
                .resolve(sigma_name)
                .unwrap_or_else(|e| panic!("{name}: {sigma_name}: {e}"));
            assert!(
                !matches!(r.kind, Kind::Nested(_)),
                "{name}: {sigma_name} names a nested value"
            );
            declared += 1;
        }
        for keyword in sigma.keyword_fields {
            let r = fields
                .resolve(keyword)
                .unwrap_or_else(|e| panic!("{name}: keyword field {keyword}: {e}"));
            assert_eq!(r.kind, Kind::Text, "{name}: keyword field {keyword}");
        }
        for column in sigma.json_columns.iter().chain(sigma.dns_names) {
            let c = log_type
                .schema
                .all_columns()
                .find(|c| c.name == *column)
                .unwrap_or_else(|| panic!("{name}: no column {column}"));
            assert_eq!(c.ty, ColumnType::String, "{name}: {column}");
        }
        // Names in a type's declaration are unique.
        let mut names: Vec<&str> = sigma.fields.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "{name}: a Sigma field declared twice");
    }
    assert!(declared > 40, "{declared}");
}

#[test]
fn every_type_with_a_logsource_reaches_its_own_table() {
    for log_type in seclake_registry::all() {
        for ls in log_type.def.sigma.logsources {
            let rule = seclake_detect::LogSource {
                product: ls.product.map(String::from),
                service: ls.service.map(String::from),
                category: ls.category.map(String::from),
            };
            let types = seclake_detect::mapping::log_types(&rule).unwrap();
            assert!(
                types.iter().any(|t| t.name() == log_type.name()),
                "{}: {ls:?}",
                log_type.name()
            );
        }
    }
}
