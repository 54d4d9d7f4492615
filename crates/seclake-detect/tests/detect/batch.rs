//! Rules over batches as ingest builds them (`BatchMatcher`): the same
//! rows as the query over the table, for every rule file that compiles,
//! with strings as built and as Parquet reads them; and the same alerts
//! from the shared rules the parse workers run (`IngestRules`).

use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_schema::DataType;
use seclake_detect::alerts::{alert_id, AlertRule};
use seclake_detect::at_ingest::IngestRules;
use seclake_detect::batch::BatchMatcher;
use seclake_detect::load_dir;
use seclake_engine::pipeline::BatchHook;

use crate::support::{batch, compile_one, run, with_views};

#[tokio::test]
async fn a_batch_matcher_keeps_the_rows_the_query_matches() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rules"));
    let mut checked = 0;
    for (path, rule) in load_dir(dir) {
        let Ok(compiled) = rule.and_then(|r| compile_one(&r)) else {
            continue;
        };
        let expected = run(&std::fs::read_to_string(&path).unwrap()).await;
        assert!(!expected.is_empty(), "{}", path.display());
        for rows in [batch(), with_views(&batch())] {
            let matcher = BatchMatcher::new(&compiled, rows.schema()).unwrap();
            let kept = matcher.matches(&rows).unwrap();
            let ids =
                arrow_cast::cast(kept.column_by_name("eventID").unwrap(), &DataType::Utf8).unwrap();
            let mut ids: Vec<String> = ids
                .as_string::<i32>()
                .iter()
                .map(|v| v.unwrap().to_string())
                .collect();
            ids.sort();
            assert_eq!(ids, expected, "{}", path.display());
        }
        checked += 1;
    }
    assert_eq!(checked, 5);
}

/// The shared rules, called from several threads at once and with batches
/// of two schemas (the second planned on the fly), fire one alert per
/// matching row of each rule, with the ids of the alerts' rows.
#[test]
fn ingest_rules_fire_an_alert_per_match_from_every_thread() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rules"));
    let rules: Vec<AlertRule> = load_dir(dir)
        .into_iter()
        .filter_map(|(_, rule)| rule.and_then(|r| compile_one(&r)).ok())
        .map(|c| AlertRule::new(c).unwrap())
        .collect();
    assert_eq!(rules.len(), 5);
    let plain = batch();
    let mut want = Vec::new();
    for rule in &rules {
        let matcher = BatchMatcher::new(&rule.compiled, plain.schema()).unwrap();
        let kept = matcher.matches(&plain).unwrap();
        let rows =
            arrow_cast::cast(kept.column_by_name("p_row_id").unwrap(), &DataType::Utf8).unwrap();
        for row in rows.as_string::<i32>().iter() {
            want.push(alert_id(&rule.id, row.unwrap()));
        }
    }
    want.sort();
    assert!(!want.is_empty());
    let shared = IngestRules::new(rules);
    let t = seclake_registry::find("AWS.CloudTrail").unwrap();
    let views = with_views(&plain);
    std::thread::scope(|s| {
        for n in 0..4 {
            let (shared, plain, views, want) = (&shared, &plain, &views, &want);
            s.spawn(move || {
                let rows = if n % 2 == 0 { plain } else { views };
                let mut got: Vec<String> = shared
                    .batch(t, rows)
                    .iter()
                    .flat_map(|a| seclake_detect::alerts::ids(a).iter())
                    .map(|id| id.unwrap().to_string())
                    .collect();
                got.sort();
                assert_eq!(&got, want, "thread {n}");
            });
        }
    });
    assert!(shared.alerts("aws_s3_access", &plain).is_empty());
    assert_eq!(shared.errors(), Vec::<String>::new());
}
