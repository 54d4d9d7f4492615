//! Rules at ingest (`seclake ingest --rules`, `serve` with
//! `[detections]`): every batch bound for a table is matched against that
//! table's rules in the parse worker that built it, before the writer
//! takes it, and the alerts wait until the run's rows are committed. Only
//! then, and only for inputs whose rows were acknowledged, are they
//! appended to `_alerts` (deduplicated against what is stored, as a
//! scheduled run does): an alert never points at a row that is not in the
//! lake. A crash between the commit of the rows and the append loses the
//! alerts, not the match: the next scheduled run over those hours fires
//! them, with the same ids.
//!
//! The work is split in two because the pipeline's collecting thread is a
//! single one that also feeds the writer; matching there capped a run
//! with many rules at one core. [`IngestRules`] is the shared part: the
//! rules, planned once per table, run as the pipeline's
//! [`BatchHook`] on every worker at once. [`Detector`] is the collecting
//! part: it keeps the alerts by the input that fired them
//! ([`Detector::alerts`], from
//! [`Observer::derived`](seclake_lake::ingest::Observer::derived)) and
//! records them ([`Detector::finish`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use seclake_core::{LogType, Timestamp};
use seclake_engine::pipeline::BatchHook;
use seclake_lake::Lake;

use crate::alert_log::{append, Known};
use crate::alerts::AlertRule;
use crate::batch::BatchMatcher;
use crate::error::DetectError;
use crate::scheduled::{Evaluator, Window};

/// The rules of one ingest run, shared by the parse workers: matches a
/// batch and gives its alerts.
pub struct IngestRules {
    rules: Vec<AlertRule>,
    /// The rules by table.
    tables: HashMap<String, TableRules>,
    fired_at: Timestamp,
    /// Why a rule could not be evaluated on a batch (each once).
    errors: Mutex<Vec<String>>,
}

/// The rules of one table, and their matchers.
struct TableRules {
    /// Indices into [`IngestRules::rules`].
    rules: Vec<usize>,
    /// Planned for the first batch: every batch of a table has its
    /// table's schema, so planning (which costs as much as matching
    /// thousands of rows) is done once, not once per batch and rule.
    planned: OnceLock<Planned>,
}

/// Matchers for batches of one schema.
struct Planned {
    schema: SchemaRef,
    /// Per rule of the table; `None` when the rule could not be planned
    /// (noted in the errors).
    matchers: Vec<Option<BatchMatcher>>,
}

impl IngestRules {
    pub fn new(rules: Vec<AlertRule>) -> Self {
        let mut tables: HashMap<String, TableRules> = HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            tables
                .entry(rule.compiled.table.clone())
                .or_insert_with(|| TableRules {
                    rules: Vec::new(),
                    planned: OnceLock::new(),
                })
                .rules
                .push(i);
        }
        IngestRules {
            rules,
            tables,
            fired_at: Timestamp::now(),
            errors: Mutex::default(),
        }
    }

    /// The alerts `batch` (rows of `table`) fires, per rule that matched
    /// something; usually none.
    pub fn alerts(&self, table: &str, batch: &RecordBatch) -> Vec<RecordBatch> {
        let Some(t) = self.tables.get(table) else {
            return Vec::new();
        };
        let schema = batch.schema_ref();
        let first = t.planned.get_or_init(|| self.plan(t, schema));
        // A batch of another schema is matched all the same, planned for
        // it alone.
        let other;
        let planned = if Arc::ptr_eq(&first.schema, schema) || first.schema == *schema {
            first
        } else {
            other = self.plan(t, schema);
            &other
        };
        let mut fired = Vec::new();
        for (&i, matcher) in t.rules.iter().zip(&planned.matchers) {
            let Some(matcher) = matcher else { continue };
            let rule = &self.rules[i];
            match self.fire(rule, matcher, batch) {
                Ok(Some(a)) => fired.push(a),
                Ok(None) => {}
                Err(e) => self.note(rule, e),
            }
        }
        fired
    }

    /// Why rules could not be evaluated so far, each once.
    pub fn errors(&self) -> Vec<String> {
        self.errors.lock().map(|e| e.clone()).unwrap_or_default()
    }

    fn plan(&self, t: &TableRules, schema: &SchemaRef) -> Planned {
        let matchers = t
            .rules
            .iter()
            .map(|&i| {
                let rule = &self.rules[i];
                BatchMatcher::new(&rule.compiled, schema.clone())
                    .map_err(|e| self.note(rule, e))
                    .ok()
            })
            .collect();
        Planned {
            schema: schema.clone(),
            matchers,
        }
    }

    /// The alerts of `rule` on `batch`, `None` when it matches nothing.
    fn fire(
        &self,
        rule: &AlertRule,
        matcher: &BatchMatcher,
        batch: &RecordBatch,
    ) -> Result<Option<RecordBatch>, DetectError> {
        // Most batches match nothing: no rows are gathered then.
        let alerts = match matcher.matching_rows(batch)? {
            Some(idx) if idx.is_empty() => return Ok(None),
            None => crate::alerts::alert_batch(rule, batch, self.fired_at)?,
            Some(idx) => {
                let matched = arrow_select::take::take_record_batch(batch, &idx)?;
                crate::alerts::alert_batch(rule, &matched, self.fired_at)?
            }
        };
        Ok((alerts.num_rows() > 0).then_some(alerts))
    }

    /// Keeps why `rule` could not be evaluated, once.
    fn note(&self, rule: &AlertRule, e: DetectError) {
        let why = format!("{}: {e}", rule.compiled.rule.title);
        if let Ok(mut errors) = self.errors.lock() {
            if !errors.contains(&why) {
                errors.push(why);
            }
        }
    }
}

impl BatchHook for IngestRules {
    fn batch(&self, log_type: &LogType, batch: &RecordBatch) -> Vec<RecordBatch> {
        self.alerts(&log_type.table, batch)
    }
}

/// The rules of one ingest run on the collecting side: the alerts fired
/// so far, by input, until [`Detector::finish`] records them.
///
/// ```text
/// settings.hook = Some(detector.hook());      // matching, in the workers
/// Observer::derived(input, _, alerts)  ──▶ detector.alerts(input, alerts)
/// after the commit: detector.finish(lake, acknowledged)
/// ```
pub struct Detector {
    shared: Arc<IngestRules>,
    /// Alerts by the input whose rows fired them.
    fired: Vec<(usize, RecordBatch)>,
}

/// What [`Detector::finish`] recorded.
#[derive(Debug, Default, PartialEq)]
pub struct Recorded {
    /// New alerts per rule title, in rule order.
    pub per_rule: Vec<(String, usize)>,
    pub new: usize,
    pub known: usize,
    /// The alerts appended (batches of [`crate::alerts::schema`], none
    /// empty): what is new, for whatever forwards alerts.
    pub alerts: Vec<RecordBatch>,
}

impl Detector {
    pub fn new(rules: Vec<AlertRule>) -> Self {
        Detector {
            shared: Arc::new(IngestRules::new(rules)),
            fired: Vec::new(),
        }
    }

    /// The matching, for the pipeline's
    /// [`Settings::hook`](seclake_engine::pipeline::Settings::hook).
    pub fn hook(&self) -> Arc<dyn BatchHook> {
        self.shared.clone()
    }

    /// Keeps `alerts`, which rows of input `input` fired (what the hook
    /// derived from them).
    pub fn alerts(&mut self, input: usize, alerts: Vec<RecordBatch>) {
        self.fired.extend(alerts.into_iter().map(|a| (input, a)));
    }

    /// Why rules could not be evaluated, each once.
    pub fn errors(&self) -> Vec<String> {
        self.shared.errors()
    }

    /// Appends the alerts of the inputs `acknowledged` says are in the
    /// lake, the ones already in `_alerts` left out; one commit.
    pub async fn finish(
        self,
        lake: &Lake,
        acknowledged: impl Fn(usize) -> bool,
    ) -> Result<Recorded, DetectError> {
        let alerts: Vec<RecordBatch> = self
            .fired
            .into_iter()
            .filter(|(input, _)| acknowledged(*input))
            .map(|(_, a)| a)
            .collect();
        let mut recorded = Recorded {
            per_rule: self
                .shared
                .rules
                .iter()
                .map(|r| (r.compiled.rule.title.clone(), 0))
                .collect(),
            ..Recorded::default()
        };
        let Some(window) = event_window(&alerts)? else {
            return Ok(recorded);
        };
        let evaluator = Evaluator::open(&lake.uri).await?;
        let mut known = Known::load(evaluator.engine(), &window).await?;
        let mut new = Vec::new();
        for batch in &alerts {
            let admitted = known.admit(batch)?;
            recorded.known += admitted.known;
            let rule_ids = crate::alerts::rule_ids(&admitted.new);
            for id in rule_ids.iter().flatten() {
                if let Some(i) = self.shared.rules.iter().position(|r| r.id == id) {
                    recorded.per_rule[i].1 += 1;
                }
            }
            recorded.new += admitted.new.num_rows();
            if admitted.new.num_rows() > 0 {
                new.push(admitted.new);
            }
        }
        append(lake, &new).await?;
        recorded.alerts = new;
        Ok(recorded)
    }
}

/// The event times the alerts span (`None` without alerts).
fn event_window(alerts: &[RecordBatch]) -> Result<Option<Window>, DetectError> {
    let mut span: Option<(i64, i64)> = None;
    for batch in alerts {
        let times = crate::alerts::event_times(batch);
        for t in times.iter().flatten() {
            span = Some(match span {
                None => (t, t),
                Some((a, b)) => (a.min(t), b.max(t)),
            });
        }
    }
    Ok(span.map(|(a, b)| Window {
        since: Timestamp(a),
        until: Timestamp(b.saturating_add(1)),
    }))
}
