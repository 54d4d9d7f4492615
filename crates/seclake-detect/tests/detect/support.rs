//! A CloudTrail table to run compiled rules over: the rows of
//! `tests/data/cloudtrail.jsonl`, parsed by the registry's parser and built
//! into an Arrow batch the way ingestion builds them, registered twice:
//! with `Utf8` strings (as built) and with `Utf8View` strings (as
//! DataFusion reads Parquet), so every rule is checked against both.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use seclake_core::{RowIdentity, StandardFields, Timestamp};
use seclake_detect::{Compiled, Rule, RuleError};
use seclake_engine::batch::TableBatch;

const ROWS: &str = include_str!("../data/cloudtrail.jsonl");

pub fn batch() -> RecordBatch {
    let lt = seclake_registry::find("AWS.CloudTrail").expect("registered");
    let mut table = TableBatch::new(&lt.schema);
    for (i, line) in ROWS.lines().enumerate() {
        let row = seclake_core::testing::parse(&lt.def, line)
            .unwrap_or_else(|e| panic!("row {i} does not parse: {e}"));
        let mut row_id = [0u8; 32];
        RowIdentity {
            source_id: "",
            object: "cloudtrail.jsonl",
            offset: i as u64,
            index: 0,
        }
        .row_id(&mut row_id);
        let std = StandardFields {
            log_type: lt.name(),
            row_id,
            parse_time: Timestamp(0),
            source_id: None,
            source_label: None,
        };
        table.append(&row, &std, row.event_time.unwrap_or(Timestamp(0)));
    }
    table.finish().expect("batch")
}

/// The batch with its top-level string columns as `Utf8View`.
pub fn with_views(batch: &RecordBatch) -> RecordBatch {
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        if f.data_type() == &DataType::Utf8 {
            fields.push(Field::new(f.name(), DataType::Utf8View, f.is_nullable()));
            columns.push(datafusion::arrow::compute::cast(c, &DataType::Utf8View).expect("cast"));
        } else {
            fields.push(f.as_ref().clone());
            columns.push(c.clone());
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("view batch")
}

pub async fn context() -> SessionContext {
    let ctx = SessionContext::new();
    let plain = batch();
    let view = with_views(&plain);
    for (name, b) in [("aws_cloudtrail", plain), ("aws_cloudtrail_view", view)] {
        let table = MemTable::try_new(b.schema(), vec![vec![b]]).expect("table");
        ctx.register_table(name, Arc::new(table)).expect("register");
    }
    ctx
}

/// Removes the indentation common to every non-empty line.
pub fn dedent(text: &str) -> String {
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    text.lines()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A CloudTrail rule with the given `detection` block.
pub fn cloudtrail_rule(detection: &str) -> String {
    let body: Vec<String> = dedent(detection)
        .lines()
        .map(|l| format!("  {l}"))
        .collect();
    format!(
        "title: test\nlevel: low\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n{}\n",
        body.join("\n")
    )
}

/// The `eventID`s of the rows a rule matches, sorted.
pub async fn run(yaml: &str) -> Vec<String> {
    let rule = Rule::parse(yaml).unwrap_or_else(|e| panic!("rule does not load: {e}\n{yaml}"));
    let compiled =
        compile_one(&rule).unwrap_or_else(|e| panic!("rule does not compile: {e}\n{yaml}"));
    assert_eq!(compiled.table, "aws_cloudtrail");
    let ctx = context().await;
    let mut results = Vec::new();
    for table in ["aws_cloudtrail", "aws_cloudtrail_view"] {
        let batches = ctx
            .table(table)
            .await
            .expect("table")
            .filter(compiled.expr.clone())
            .and_then(|df| df.select_columns(&["eventID"]))
            .unwrap_or_else(|e| panic!("{table}: cannot plan: {e}\n{yaml}"))
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{table}: cannot run: {e}\n{yaml}"));
        let mut ids: Vec<String> = batches
            .iter()
            .flat_map(|b| {
                let col =
                    datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8).expect("cast");
                let strings = col.as_string::<i32>().clone();
                (0..strings.len()).map(move |i| strings.value(i).to_string())
            })
            .collect();
        ids.sort();
        results.push(ids);
    }
    assert_eq!(
        results[0], results[1],
        "Utf8 and Utf8View tables disagree\n{yaml}"
    );
    results.swap_remove(0)
}

/// The `eventID`s a detection block matches.
pub async fn hits(detection: &str) -> Vec<String> {
    run(&cloudtrail_rule(detection)).await
}

/// Why a rule with this detection block does not load or compile.
pub fn error(detection: &str) -> String {
    rule_error(&cloudtrail_rule(detection))
}

/// Why a rule does not load or compile.
pub fn rule_error(yaml: &str) -> String {
    match Rule::parse(yaml).and_then(|r| compile_one(&r)) {
        Ok(c) => panic!("rule compiles to {}\n{yaml}", c.expr),
        Err(e) => e.to_string(),
    }
}

/// A rule compiled for its one table (the rules here are CloudTrail's).
pub fn compile_one(rule: &Rule) -> Result<Compiled, RuleError> {
    let mut targets = seclake_detect::compile(rule)?;
    assert_eq!(targets.tables(), ["aws_cloudtrail"], "{}", rule.title);
    assert!(targets.skipped.is_empty(), "{:?}", targets.skipped);
    Ok(targets.compiled.remove(0))
}
