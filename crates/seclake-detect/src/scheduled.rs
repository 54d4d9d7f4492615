//! Rules run over the lake: each compiled expression filters its table
//! over a time window of event times, `[since, until)`, which the query
//! engine turns into partition pruning (only the window's hours are
//! read).
//!
//! [`Evaluator::test`] counts a rule's matches and shows a few, writing
//! nothing; [`Evaluator::run`] turns every match into an alert and
//! appends those not already in `_alerts` ([`crate::alert_log`]) in one
//! commit. Since an alert's id is fixed by the rule and the row, windows
//! may overlap freely: a scheduler that runs every hour over the last few
//! hours catches rows ingested late (an event whose time is before the
//! window when its row arrives is only caught by a later, wider run).
//!
//! Correlation rules run here too ([`Evaluator::correlate`],
//! [`Evaluator::run_all`]), as aggregate queries over whole buckets of
//! their timespan ([`crate::correlation`]).

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use arrow_schema::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{col, lit, Expr};
use seclake_core::Timestamp;
use seclake_lake::Lake;
use seclake_query::QueryEngine;

use crate::alert_log::{append, Known};
use crate::alerts::{alert_batch, correlation_alert_batch, indicator_columns, AlertRule};
use crate::correlation::{AlertCorrelation, Correlated};
use crate::error::DetectError;
use crate::Compiled;

/// Event times from `since` (inclusive) to `until` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub since: Timestamp,
    pub until: Timestamp,
}

impl Window {
    /// `p_event_time` within the window, as the query engine prunes by.
    pub fn filter(&self) -> Expr {
        let at = |t: Timestamp| {
            lit(ScalarValue::TimestampMicrosecond(
                Some(t.0),
                Some("UTC".into()),
            ))
        };
        col("p_event_time")
            .gt_eq(at(self.since))
            .and(col("p_event_time").lt(at(self.until)))
    }
}

/// What [`Evaluator::test`] found for one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tested {
    /// The rule's table is not in the lake (nothing of its log type was
    /// ingested yet).
    NoTable,
    /// Distinct matched rows (by `p_row_id`), and the first few by time.
    Matches { count: usize, samples: Vec<Sample> },
}

/// A matched row, as [`Evaluator::test`] shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub event_time: Timestamp,
    pub row_id: String,
    /// The rule's fields (see [`Compiled::fields`]) that are not null.
    pub fields: Vec<(String, String)>,
}

/// What [`Evaluator::run`] did for one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fired {
    pub no_table: bool,
    /// Alerts appended.
    pub new: usize,
    /// Matches whose alert was already in `_alerts`.
    pub known: usize,
}

/// What [`Evaluator::run`] did.
#[derive(Debug, Default)]
pub struct RunReport {
    /// Per rule, in the order given: what it fired, or why evaluating it
    /// failed (the other rules still ran, and their alerts are committed).
    pub rules: Vec<Result<Fired, DetectError>>,
    /// Per correlation given to [`Evaluator::run_all`], likewise (`new`
    /// and `known` count groups).
    pub correlations: Vec<Result<Fired, DetectError>>,
    /// The alerts appended (batches of [`crate::alerts::schema`]).
    pub alerts: Vec<RecordBatch>,
    /// The `_alerts` log version committed; `None` when nothing was new.
    pub version: Option<u64>,
}

/// Rules over one lake, through the query engine.
pub struct Evaluator {
    engine: QueryEngine,
}

impl Evaluator {
    /// Opens the lake at `lake_uri` for reading, with this crate's SQL
    /// functions registered.
    pub async fn open(lake_uri: &str) -> Result<Self, DetectError> {
        let engine = QueryEngine::open(lake_uri).await?;
        crate::register_functions(engine.context());
        Ok(Evaluator { engine })
    }

    /// The query engine the rules run in.
    pub fn engine(&self) -> &QueryEngine {
        &self.engine
    }

    /// The rows of `rule`'s table in `window` that it matches; `None` when
    /// the table does not exist.
    pub async fn matches(
        &self,
        rule: &Compiled,
        window: &Window,
    ) -> Result<Option<DataFrame>, DetectError> {
        if !self.engine.tables().iter().any(|t| t == &rule.table) {
            return Ok(None);
        }
        let df = self
            .engine
            .plan(&format!("SELECT * FROM \"{}\"", rule.table))
            .await?
            .filter(window.filter())?
            .filter(rule.expr.clone())?;
        Ok(Some(df))
    }

    /// Counts `rule`'s matches in `window` and returns the first
    /// `samples` of them by event time.
    pub async fn test(
        &self,
        rule: &Compiled,
        window: &Window,
        samples: usize,
    ) -> Result<Tested, DetectError> {
        let Some(df) = self.matches(rule, window).await? else {
            return Ok(Tested::NoTable);
        };
        let count = df
            .clone()
            .select_columns(&["p_row_id"])?
            .distinct()?
            .count()
            .await?;
        let mut shown = vec![col("p_event_time"), col("p_row_id")];
        shown.extend(
            rule.fields
                .iter()
                .enumerate()
                .map(|(i, (_, e))| e.clone().alias(format!("f{i}"))),
        );
        let batches = df
            .select(shown)?
            .distinct()?
            .sort(vec![
                col("p_event_time").sort(true, false),
                col("p_row_id").sort(true, false),
            ])?
            .limit(0, Some(samples))?
            .collect()
            .await?;
        let mut out = Vec::new();
        for b in &batches {
            out.extend(samples_of(b, rule)?);
        }
        Ok(Tested::Matches {
            count,
            samples: out,
        })
    }

    /// Evaluates every rule over `window` and appends the alerts not
    /// already in `_alerts` of `lake` (the same lake, opened for writing),
    /// all fired at `fired_at`, in one commit.
    pub async fn run(
        &self,
        lake: &Lake,
        rules: &[AlertRule],
        window: &Window,
        fired_at: Timestamp,
    ) -> Result<RunReport, DetectError> {
        self.run_all(lake, rules, &[], window, fired_at).await
    }

    /// [`Evaluator::run`] with correlations too, their alerts in the same
    /// commit. The alerts already recorded are read from the start of the
    /// first bucket the window touches, where correlation alerts of the
    /// buckets it reads are (see [`crate::correlation`]).
    pub async fn run_all(
        &self,
        lake: &Lake,
        rules: &[AlertRule],
        correlations: &[AlertCorrelation],
        window: &Window,
        fired_at: Timestamp,
    ) -> Result<RunReport, DetectError> {
        let since = correlations
            .iter()
            .map(|c| {
                let span = c.compiled.correlation.timespan.micros;
                window.since.0.div_euclid(span) * span
            })
            .fold(window.since.0, i64::min);
        let stored = Window {
            since: Timestamp(since),
            until: window.until,
        };
        let mut known = Known::load(&self.engine, &stored).await?;
        let mut report = RunReport::default();
        for rule in rules {
            let fired = self.fire(rule, window, fired_at, &mut known).await;
            report.rules.push(fired.map(|(fired, new)| {
                report.alerts.extend(new);
                fired
            }));
        }
        for c in correlations {
            let fired = self.fire_correlation(c, window, fired_at, &mut known).await;
            report.correlations.push(fired.map(|(fired, new)| {
                report.alerts.extend(new);
                fired
            }));
        }
        report.version = append(lake, &report.alerts).await?;
        Ok(report)
    }

    /// One correlation's alerts not in `known` (now admitted to it).
    async fn fire_correlation(
        &self,
        c: &AlertCorrelation,
        window: &Window,
        fired_at: Timestamp,
        known: &mut Known,
    ) -> Result<(Fired, Vec<RecordBatch>), DetectError> {
        let groups = match self.correlate(&c.compiled, window).await? {
            Correlated::NoTable => {
                let fired = Fired {
                    no_table: true,
                    ..Fired::default()
                };
                return Ok((fired, Vec::new()));
            }
            Correlated::Groups(groups) => groups,
        };
        let admitted = known.admit(&correlation_alert_batch(c, &groups, fired_at)?)?;
        let fired = Fired {
            no_table: false,
            new: admitted.new.num_rows(),
            known: admitted.known,
        };
        let new = Some(admitted.new).filter(|b| b.num_rows() > 0);
        Ok((fired, new.into_iter().collect()))
    }

    /// One rule's alerts not in `known` (now admitted to it).
    async fn fire(
        &self,
        rule: &AlertRule,
        window: &Window,
        fired_at: Timestamp,
        known: &mut Known,
    ) -> Result<(Fired, Vec<RecordBatch>), DetectError> {
        let Some(df) = self.matches(&rule.compiled, window).await? else {
            let fired = Fired {
                no_table: true,
                ..Fired::default()
            };
            return Ok((fired, Vec::new()));
        };
        let present = df.schema().clone();
        let mut wanted = vec!["p_row_id", "p_event_time"];
        wanted.extend(indicator_columns().filter(|c| present.has_column_with_unqualified_name(c)));
        // Collected before any is admitted: a rule that fails half-way
        // leaves `known` as it was.
        let batches = df.select_columns(&wanted)?.collect().await?;
        let candidates = batches
            .iter()
            .map(|b| alert_batch(rule, b, fired_at))
            .collect::<Result<Vec<_>, _>>()?;
        let mut fired = Fired::default();
        let mut new = Vec::new();
        for c in &candidates {
            let admitted = known.admit(c)?;
            fired.new += admitted.new.num_rows();
            fired.known += admitted.known;
            if admitted.new.num_rows() > 0 {
                new.push(admitted.new);
            }
        }
        Ok((fired, new))
    }
}

/// The sample rows of a batch of (`p_event_time`, `p_row_id`, `f0`...).
fn samples_of(batch: &RecordBatch, rule: &Compiled) -> Result<Vec<Sample>, DetectError> {
    let micros = DataType::Timestamp(TimeUnit::Microsecond, None);
    let times = arrow_cast::cast(batch.column(0), &micros)?;
    let times = times.as_primitive::<TimestampMicrosecondType>();
    let ids = arrow_cast::cast(batch.column(1), &DataType::Utf8)?;
    let ids = ids.as_string::<i32>();
    let options = FormatOptions::default();
    let formatters = batch.columns()[2..]
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((0..batch.num_rows())
        .map(|row| Sample {
            event_time: Timestamp(times.value(row)),
            row_id: ids.value(row).to_string(),
            fields: rule
                .fields
                .iter()
                .zip(&formatters)
                .zip(&batch.columns()[2..])
                .filter(|(_, c)| c.is_valid(row))
                .map(|(((name, _), f), _)| (name.clone(), f.value(row).to_string()))
                .collect(),
        })
        .collect())
}
