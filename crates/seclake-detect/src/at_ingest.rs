//! Rules at ingest (`seclake ingest --rules`): every batch bound for a
//! table is matched against that table's rules before the writer takes
//! it, and the alerts wait until the run's rows are committed. Only then,
//! and only for inputs whose rows were acknowledged, are they appended to
//! `_alerts` (deduplicated against what is stored, as a scheduled run
//! does): an alert never points at a row that is not in the lake. A crash
//! between the commit of the rows and the append loses the alerts, not
//! the match: the next scheduled run over those hours fires them, with
//! the same ids.

use std::collections::HashMap;

use arrow_array::RecordBatch;
use seclake_core::Timestamp;
use seclake_lake::Lake;

use crate::alert_log::{append, Known};
use crate::alerts::AlertRule;
use crate::batch::BatchMatcher;
use crate::error::DetectError;
use crate::scheduled::{Evaluator, Window};

/// The rules of one ingest run and the alerts they fired so far.
pub struct Detector {
    rules: Vec<AlertRule>,
    /// Per rule, the matcher planned for the schema last seen.
    matchers: HashMap<usize, BatchMatcher>,
    /// Alerts by the input whose rows fired them.
    fired: Vec<(usize, RecordBatch)>,
    fired_at: Timestamp,
    /// Why a rule could not be evaluated on a batch (each once).
    pub errors: Vec<String>,
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
            rules,
            matchers: HashMap::new(),
            fired: Vec::new(),
            fired_at: Timestamp::now(),
            errors: Vec::new(),
        }
    }

    /// Matches `batch` (rows of `table`, from input `input`) against the
    /// table's rules.
    pub fn batch(&mut self, input: usize, table: &str, batch: &RecordBatch) {
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.compiled.table != table {
                continue;
            }
            let stale = self
                .matchers
                .get(&i)
                .is_none_or(|m| m.schema() != &batch.schema());
            if stale {
                match BatchMatcher::new(&rule.compiled, batch.schema()) {
                    Ok(m) => {
                        self.matchers.insert(i, m);
                    }
                    Err(e) => {
                        note(&mut self.errors, rule, e);
                        continue;
                    }
                }
            }
            // Most batches match nothing: no rows are gathered then.
            let fired = match self.matchers[&i].matching_rows(batch) {
                Ok(Some(idx)) if idx.is_empty() => continue,
                Ok(None) => crate::alerts::alert_batch(rule, batch, self.fired_at),
                Ok(Some(idx)) => arrow_select::take::take_record_batch(batch, &idx)
                    .map_err(DetectError::from)
                    .and_then(|m| crate::alerts::alert_batch(rule, &m, self.fired_at)),
                Err(e) => Err(e),
            };
            match fired {
                Ok(a) if a.num_rows() > 0 => self.fired.push((input, a)),
                Ok(_) => {}
                Err(e) => note(&mut self.errors, rule, e),
            }
        }
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
                if let Some(i) = self.rules.iter().position(|r| r.id == id) {
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

/// Keeps why `rule` could not be evaluated, once.
fn note(errors: &mut Vec<String>, rule: &AlertRule, e: DetectError) {
    let why = format!("{}: {e}", rule.compiled.rule.title);
    if !errors.contains(&why) {
        errors.push(why);
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
