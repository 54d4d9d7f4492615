//! Rules over batches as ingest builds them (`BatchMatcher`): the same
//! rows as the query over the table, for every rule file that compiles,
//! with strings as built and as Parquet reads them.

use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_schema::DataType;
use seclake_detect::batch::BatchMatcher;
use seclake_detect::load_dir;

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
