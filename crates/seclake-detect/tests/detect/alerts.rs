//! Alerts from matched rows, and the `_alerts` table in a real lake: the
//! row each alert names, its indicators, appending in one commit, and the
//! ids already recorded over a window, read from that window's partitions
//! only.

use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch};
use datafusion::physical_plan::displayable;
use seclake_core::Timestamp;
use seclake_detect::alert_log::{append, Known};
use seclake_detect::alerts::{alert_batch, alert_id, ids, AlertRule};
use seclake_detect::scheduled::{Evaluator, Window};
use seclake_detect::{load_file, Rule};

use crate::support::{cloudtrail_rule, compile_one, context};

fn rule_file(name: &str) -> AlertRule {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/rules")
        .join(name);
    AlertRule::new(compile_one(&load_file(&path).unwrap()).unwrap()).unwrap()
}

/// A rule with an id matching every row of the test data.
fn every_row() -> AlertRule {
    let yaml = cloudtrail_rule("selection:\n  eventVersion: '1.09'\ncondition: selection")
        .replace("title: test", "title: every row\nid: every-row");
    AlertRule::new(compile_one(&Rule::parse(&yaml).unwrap()).unwrap()).unwrap()
}

/// The rows of `table` that `rule` matches, every column.
async fn matched(rule: &AlertRule, table: &str) -> Vec<RecordBatch> {
    let ctx = context().await;
    let df = ctx.table(table).await.unwrap();
    df.filter(rule.compiled.expr.clone())
        .unwrap()
        .collect()
        .await
        .unwrap()
}

fn strings(batch: &RecordBatch, column: &str) -> Vec<String> {
    let c = batch.column_by_name(column).unwrap().as_string::<i32>();
    c.iter().map(|v| v.unwrap_or("NULL").to_string()).collect()
}

fn list(batch: &RecordBatch, column: &str, row: usize) -> Vec<String> {
    let c = batch.column_by_name(column).unwrap().as_list::<i32>();
    if c.is_null(row) {
        return vec![];
    }
    let v = c.value(row);
    v.as_string::<i32>()
        .iter()
        .map(|s| s.unwrap().to_string())
        .collect()
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

#[tokio::test]
async fn an_alert_names_its_rule_and_row_and_carries_the_rows_indicators() {
    let rule = rule_file("trail_stopped.yml");
    let fired_at = at("2026-01-02T03:04:05Z");
    // Read as built and as Parquet reads strings (views): the same alert.
    let mut seen = Vec::new();
    for table in ["aws_cloudtrail", "aws_cloudtrail_view"] {
        let rows = matched(&rule, table).await;
        let row = &rows.iter().find(|b| b.num_rows() > 0).unwrap();
        assert_eq!(row.num_rows(), 1, "only e06 stops a trail");
        let alert = alert_batch(&rule, row, fired_at).unwrap();
        let row_id = arrow_cast::cast(
            row.column_by_name("p_row_id").unwrap(),
            &arrow_schema::DataType::Utf8,
        )
        .unwrap();
        let row_id = row_id.as_string::<i32>().value(0).to_string();
        let id = alert_id("5b0a2f4e-3c39-4a53-9d0e-4f7c1d9e2a10", &row_id);
        assert_eq!(strings(&alert, "p_row_id"), strings(&alert, "alert_id"));
        assert_eq!(strings(&alert, "alert_id"), [id]);
        assert_eq!(strings(&alert, "matched_row_id"), [row_id]);
        assert_eq!(
            strings(&alert, "rule_id"),
            ["5b0a2f4e-3c39-4a53-9d0e-4f7c1d9e2a10"]
        );
        assert_eq!(
            strings(&alert, "rule_title"),
            ["CloudTrail logging stopped or trail deleted"]
        );
        assert_eq!(strings(&alert, "rule_level"), ["high"]);
        assert_eq!(strings(&alert, "log_type"), ["AWS.CloudTrail"]);
        assert_eq!(strings(&alert, "table_name"), ["aws_cloudtrail"]);
        assert_eq!(
            list(&alert, "rule_tags", 0),
            ["attack.defense-evasion", "attack.t1562.008"]
        );
        assert_eq!(list(&alert, "p_any_ip_addresses", 0), ["192.0.2.44"]);
        assert_eq!(list(&alert, "p_any_md5_hashes", 0), Vec::<String>::new());
        let time = |c: &str| {
            alert
                .column_by_name(c)
                .unwrap()
                .as_primitive::<TimestampMicrosecondType>()
                .value(0)
        };
        assert_eq!(time("p_event_time"), at("2024-03-01T07:45:00Z").0);
        assert_eq!(time("fired_at"), fired_at.0);
        seen.push(alert);
    }
    assert_eq!(seen[0], seen[1]);
}

#[test]
fn a_rule_without_an_id_cannot_fire_alerts() {
    let yaml = cloudtrail_rule("selection:\n  eventName: StopLogging\ncondition: selection");
    let err = AlertRule::new(compile_one(&Rule::parse(&yaml).unwrap()).unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "id: missing: a rule that fires alerts needs one (alerts are keyed by it)"
    );
}

#[tokio::test]
async fn alerts_are_appended_in_one_commit_and_known_by_window() {
    let dir = tempfile::tempdir().unwrap();
    let lake = seclake_lake::Lake::open(dir.path().to_str().unwrap()).unwrap();
    let rule = every_row();
    let rows = matched(&rule, "aws_cloudtrail").await;
    let alerts: Vec<RecordBatch> = rows
        .iter()
        .map(|b| alert_batch(&rule, b, Timestamp(0)).unwrap())
        .collect();
    let all: Vec<String> = alerts.iter().flat_map(|b| strings(b, "alert_id")).collect();
    assert_eq!(all.len(), 13);
    assert_eq!(append(&lake, &alerts).await.unwrap(), Some(0));
    assert_eq!(append(&lake, &[]).await.unwrap(), None);

    // One file per event hour (03:00 to 14:00, twelve hours), one commit.
    let log = std::fs::read_dir(dir.path().join("_alerts/_delta_log")).unwrap();
    assert_eq!(log.count(), 1);

    // 05:00 to 07:00 holds e03, e04 and e05.
    let eval = Evaluator::open(dir.path().to_str().unwrap()).await.unwrap();
    let window = Window {
        since: at("2024-03-01T05:00:00Z"),
        until: at("2024-03-01T07:00:00Z"),
    };
    let plan = eval
        .engine()
        .plan("SELECT alert_id, p_event_time FROM _alerts")
        .await
        .unwrap()
        .filter(window.filter())
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    let plan = displayable(plan.as_ref()).indent(true).to_string();
    assert_eq!(plan.matches(".parquet").count(), 2, "{plan}");
    assert!(
        plan.contains("hour=05/") && plan.contains("hour=06/"),
        "{plan}"
    );

    let mut known = Known::load(eval.engine(), &window).await.unwrap();
    let twice =
        arrow_select::concat::concat_batches(&alerts[0].schema(), alerts.iter().chain(&alerts))
            .unwrap();
    let admitted = known.admit(&twice).unwrap();
    assert_eq!(admitted.known, 3);
    // The ten outside the window are new (each once, though given twice).
    let new = strings(&admitted.new, "alert_id");
    assert_eq!(new.len(), 10);
    let mut distinct = new.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 10);
    // Admitted ones are not admitted again, nor counted as stored.
    let again = known.admit(&twice).unwrap();
    assert_eq!((again.new.num_rows(), again.known), (0, 0));
    assert_eq!(ids(&admitted.new).len(), 10);
}
