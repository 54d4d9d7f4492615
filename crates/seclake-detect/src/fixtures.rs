//! Rules as code: test events kept beside a rule, checked in both modes.
//!
//! A rule file `name.yml` may have fixtures beside it: files named
//! `name.match…` hold records every one of which the rule must match,
//! files named `name.nomatch…` records none of which it may match
//! (`trail_stopped.match.jsonl`, `sqli.match.alb.log`). A fixture holds raw
//! log records as the source writes them, in any format and compression
//! `seclake ingest` reads, and is parsed by the same engine, classified
//! among the log types the rule runs on.
//!
//! Each fixture is evaluated the two ways a rule runs ([`evaluate`]):
//! at ingest, by [`BatchMatcher`] on the batch as the parser built it, and
//! as a scheduled run sees the rows, by the same expression as a
//! DataFusion filter over the batch written as the lake writes Parquet and
//! read back. A record that the modes disagree on is a failure of its own,
//! so a fixture suite also guards the promise that both modes fire the
//! same alerts.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::DataType;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use object_store::memory::InMemory;
use object_store::path::Path as StorePath;
use object_store::ObjectStoreExt;
use seclake_core::{LogType, Row, StandardFields, Timestamp};
use seclake_engine::batch::TableBatch;
use seclake_engine::{parse_stream, Options, Reject, RowSink, StreamName};
use seclake_lake::encode::{encode, EncodeOptions};

use crate::batch::BatchMatcher;
use crate::error::DetectError;
use crate::Compiled;

/// What a fixture's records must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Every record matches.
    Match,
    /// No record matches.
    NoMatch,
}

/// A fixture file beside a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixture {
    pub path: PathBuf,
    pub expect: Expect,
}

/// Why a fixture could not be evaluated.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path}: {source}")]
    Evaluate {
        path: PathBuf,
        #[source]
        source: DetectError,
    },
}

/// The fixtures of `rule_file`, in name order.
pub fn fixtures_of(rule_file: &Path) -> Vec<Fixture> {
    let (Some(dir), Some(stem)) = (
        rule_file.parent(),
        rule_file.file_stem().and_then(|s| s.to_str()),
    ) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<Fixture> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let rest = name.strip_prefix(stem)?.strip_prefix('.')?;
            let expect = if rest.starts_with("nomatch") {
                Expect::NoMatch
            } else if rest.starts_with("match") {
                Expect::Match
            } else {
                return None;
            };
            Some(Fixture {
                path: e.path(),
                expect,
            })
        })
        .collect();
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

/// What a rule did with a fixture's records, numbered from 1 in the
/// order they are in the file (each row of a record that gives several,
/// an Edgecast document's events, counts as one).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub records: usize,
    /// Records that did not parse as any of the rule's log types.
    pub rejects: Vec<String>,
    /// Records matched by the batch matcher (ingest time).
    pub at_ingest: Vec<usize>,
    /// Records matched by the filter over the Parquet rows (scheduled).
    pub scheduled: Vec<usize>,
}

impl Outcome {
    /// Why the outcome does not meet `expect`, a line each; empty when
    /// it does.
    pub fn failures(&self, expect: Expect) -> Vec<String> {
        let mut out: Vec<String> = self
            .rejects
            .iter()
            .map(|r| format!("not parsed: {r}"))
            .collect();
        if self.records == 0 {
            out.push("no records".to_string());
        }
        for n in 1..=self.records {
            let ingest = self.at_ingest.contains(&n);
            let scheduled = self.scheduled.contains(&n);
            if ingest != scheduled {
                out.push(format!(
                    "record {n}: matched {} only (the modes disagree)",
                    if ingest {
                        "at ingest"
                    } else {
                        "by the scheduled query"
                    }
                ));
            } else if ingest && expect == Expect::NoMatch {
                out.push(format!("record {n}: matched, expected no match"));
            } else if !ingest && expect == Expect::Match {
                out.push(format!("record {n}: not matched"));
            }
        }
        out
    }
}

/// Parses `fixture` among the tables of `targets` (one rule compiled for
/// each) and evaluates the rule on its rows in both modes.
pub async fn evaluate(targets: &[Compiled], fixture: &Path) -> Result<Outcome, FixtureError> {
    let read_err = |source| FixtureError::Read {
        path: fixture.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(fixture).map_err(read_err)?;
    let types: Vec<&LogType> = targets
        .iter()
        .filter_map(|c| seclake_registry::find(c.log_type))
        .collect();
    let display = fixture.display().to_string();
    let name = StreamName {
        display: &display,
        identity: &display,
        peer_prefix: false,
    };
    let opts = Options {
        parse_time: Some(Timestamp(0)),
        decoders: seclake_registry::decoders().to_vec(),
        ..Options::default()
    };
    let mut sink = Collect::default();
    parse_stream(file, name, &types, &opts, &mut sink).map_err(read_err)?;
    let mut outcome = Outcome {
        records: sink.next,
        rejects: sink.rejects,
        ..Outcome::default()
    };
    let evaluated = async {
        for (table, (mut rows, ordinals)) in sink.tables {
            let Some(rule) = targets.iter().find(|c| c.table == table) else {
                continue;
            };
            let batch = rows.finish()?;
            let by_id = row_ordinals(&batch, &ordinals)?;
            let matcher = BatchMatcher::new(rule, batch.schema())?;
            outcome
                .at_ingest
                .extend(ordinals_of(&matcher.matches(&batch)?, &by_id)?);
            outcome
                .scheduled
                .extend(ordinals_of_all(&scheduled(rule, &batch).await?, &by_id)?);
        }
        Ok::<_, DetectError>(())
    };
    evaluated.await.map_err(|source| FixtureError::Evaluate {
        path: fixture.to_path_buf(),
        source,
    })?;
    outcome.at_ingest.sort_unstable();
    outcome.scheduled.sort_unstable();
    Ok(outcome)
}

/// The rows of `batch` the rule's expression keeps once the batch is
/// Parquet, as the lake writes it, read back by DataFusion.
async fn scheduled(rule: &Compiled, batch: &RecordBatch) -> Result<Vec<RecordBatch>, DetectError> {
    let opts = EncodeOptions {
        row_group_rows: 128 * 1024,
        zstd_level: 1,
        attempts: 1,
        first_backoff: std::time::Duration::ZERO,
    };
    let (bytes, _) = encode(std::slice::from_ref(batch), &opts)?;
    let store = Arc::new(InMemory::new());
    store
        .put(&StorePath::from("rows.parquet"), bytes.into())
        .await
        .map_err(|e| DetectError::Contract {
            table: rule.table.clone(),
            reason: e.to_string(),
        })?;
    let ctx = SessionContext::new();
    crate::register_functions(&ctx);
    let url = url::Url::parse("memory://").expect("a constant URL");
    ctx.register_object_store(&url, store);
    let df = ctx
        .read_parquet("memory:///rows.parquet", ParquetReadOptions::default())
        .await?
        .filter(rule.expr.clone())?
        .select_columns(&["p_row_id"])?;
    Ok(df.collect().await?)
}

/// Each row's `p_row_id` and its record number.
fn row_ordinals(
    batch: &RecordBatch,
    ordinals: &[usize],
) -> Result<HashMap<String, usize>, DetectError> {
    Ok(row_ids(batch)?
        .into_iter()
        .zip(ordinals.iter().copied())
        .collect())
}

fn ordinals_of(
    matched: &RecordBatch,
    by_id: &HashMap<String, usize>,
) -> Result<Vec<usize>, DetectError> {
    Ok(row_ids(matched)?
        .iter()
        .filter_map(|id| by_id.get(id).copied())
        .collect())
}

fn ordinals_of_all(
    batches: &[RecordBatch],
    by_id: &HashMap<String, usize>,
) -> Result<Vec<usize>, DetectError> {
    let mut out = Vec::new();
    for b in batches {
        out.extend(ordinals_of(b, by_id)?);
    }
    out.dedup();
    Ok(out)
}

fn row_ids(batch: &RecordBatch) -> Result<Vec<String>, DetectError> {
    let column = batch
        .column_by_name("p_row_id")
        .ok_or_else(|| DetectError::Contract {
            table: "fixture".into(),
            reason: "no p_row_id column".into(),
        })?;
    let text = arrow_cast::cast(column, &DataType::Utf8)?;
    Ok(arrow_array::cast::AsArray::as_string::<i32>(&text)
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

/// The parsed rows by table, each with the record number it came from.
#[derive(Default)]
struct Collect {
    tables: HashMap<String, (TableBatch, Vec<usize>)>,
    rejects: Vec<String>,
    /// Records seen so far (rows and rejects).
    next: usize,
}

impl RowSink for Collect {
    fn row(
        &mut self,
        log_type: &LogType,
        row: &Row<'_>,
        std: &StandardFields<'_>,
        event_time: Timestamp,
    ) -> io::Result<()> {
        self.next += 1;
        let (rows, ordinals) = self
            .tables
            .entry(log_type.table.clone())
            .or_insert_with(|| (TableBatch::new(&log_type.schema), Vec::new()));
        rows.append(row, std, event_time);
        ordinals.push(self.next);
        Ok(())
    }

    fn reject(&mut self, reject: &Reject<'_>) -> io::Result<()> {
        self.next += 1;
        self.rejects
            .push(seclake_engine::sinks::reject_message(reject));
        Ok(())
    }
}
