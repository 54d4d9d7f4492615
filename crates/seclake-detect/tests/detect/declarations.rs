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

/// Every field a log type declares for Sigma, tested with `exists` over
/// the rows of its golden fixtures: the batch matcher (ingest) and the
/// filter over the Parquet rows (scheduled) keep the same records, and
/// each type's declared fields match some of its fixture rows.
#[tokio::test]
async fn declared_fields_match_the_same_golden_rows_in_both_modes() {
    let fixtures = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/log-types"
    ));
    let mut types = 0;
    for log_type in seclake_registry::all() {
        let sigma = &log_type.def.sigma;
        let Some(ls) = sigma.logsources.first() else {
            continue;
        };
        let logsource: Vec<String> = [
            ("product", ls.product),
            ("service", ls.service),
            ("category", ls.category),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("  {k}: {v}")))
        .collect();
        let mut inputs: Vec<_> = std::fs::read_dir(fixtures.join(log_type.name()))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                name.starts_with("input-") && p.is_file()
            })
            .collect();
        inputs.sort();
        let mut matched_any = false;
        for (field, _) in sigma.fields {
            let yaml = format!(
                "title: {field} exists\nlogsource:\n{}\ndetection:\n  selection:\n    {field}|exists: true\n  condition: selection\n",
                logsource.join("\n")
            );
            let rule = seclake_detect::Rule::parse(&yaml).unwrap();
            let targets = seclake_detect::compile(&rule).unwrap();
            let mine: Vec<_> = targets
                .compiled
                .into_iter()
                .filter(|c| c.table == log_type.table)
                .collect();
            assert_eq!(mine.len(), 1, "{}: {field}", log_type.name());
            for input in &inputs {
                let outcome = seclake_detect::fixtures::evaluate(&mine, input)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(
                    outcome.at_ingest,
                    outcome.scheduled,
                    "{} {field}: {}",
                    log_type.name(),
                    input.display()
                );
                matched_any |= !outcome.at_ingest.is_empty();
            }
        }
        if !sigma.fields.is_empty() {
            assert!(
                matched_any,
                "{}: no declared field matched",
                log_type.name()
            );
            types += 1;
        }
    }
    assert!(types >= 8, "{types}");
}
