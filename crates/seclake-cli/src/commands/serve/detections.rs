//! Sigma detections while serving (`[detections]`), in two places:
//!
//! - **At ingest**: every round's batches go through a
//!   [`Detector`] on their way to the writer (matched in the parse
//!   workers, as the pipeline's hook); once the round committed,
//!   the alerts of its acknowledged inputs are appended to `_alerts`
//!   ([`Detections::record`]), so an alert never names a row that is not
//!   in the lake, and it is known seconds after its row.
//! - **On a schedule** ([`Schedule`]): every `schedule`, every rule over
//!   the last `lookback` of event times in the lake, as `seclake rules
//!   run` does; first right after the sources' first rounds, and at the
//!   end of `--once`. It catches what ingest time could not see: rows other
//!   workers or `seclake ingest` wrote, alerts lost to a crash between a
//!   commit and their append. The correlation rules of the same files run
//!   here only, in the same commit: they count events over whole buckets
//!   of their timespan, which no ingest batch holds (a run reads every
//!   bucket its window touches, from the bucket's start).
//!
//! Both append only the alerts whose ids are not in `_alerts` yet, and ids
//! are fixed by rule and row, so the two never fire one alert twice. The
//! new ones are counted (`seclake_alerts_total{rule}`, by rule id) and
//! handed to the alert outputs. The rules are read at start: restart to
//! load changed rules.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use arrow_array::RecordBatch;
use seclake_core::Timestamp;
use seclake_detect::alerts::AlertRule;
use seclake_detect::at_ingest::Detector;
use seclake_detect::scheduled::{Evaluator, Fired, Window};
use seclake_detect::DetectError;
use seclake_sources::config::Config;
use seclake_sources::metrics::{catalog, labels, Metrics};

use super::Ctx;
use crate::commands::alert_output::Outputs;
use crate::commands::rules::correlate::Runnable;
use crate::commands::rules::{alert_set, AlertSet};

/// How long stopping waits for webhooks to deliver what they hold; after
/// `--once`, [`ONCE_WAIT`].
pub(super) const STOP_WAIT: Duration = Duration::from_secs(20);
pub(super) const ONCE_WAIT: Duration = Duration::from_secs(600);

/// The rules and where their alerts go.
pub(crate) struct Detections {
    rules: Vec<AlertRule>,
    /// Evaluated by the scheduled runs only.
    correlations: Runnable,
    outputs: Outputs,
    /// Why a rule could not be evaluated at ingest: logged once each.
    noted: Mutex<HashSet<String>>,
}

impl Detections {
    /// Loads the rules of `[detections]` (none without it) and starts the
    /// outputs.
    pub fn open(
        config: &Config,
        rt: &tokio::runtime::Runtime,
        metrics: &Arc<Metrics>,
    ) -> Result<Option<Detections>> {
        let Some(d) = &config.detections else {
            return Ok(None);
        };
        let AlertSet {
            rules,
            correlations,
            skipped,
        } = alert_set(&d.rule_paths()).map_err(|e| anyhow!("[detections] rules: {e:#}"))?;
        for line in &skipped {
            say!("detections: {line}");
        }
        if let Some(warning) = unscheduled(config, correlations.correlations.len()) {
            say!("detections: {warning}");
        }
        let outputs = Outputs::open(&config.alert_outputs, rt.handle(), metrics.clone())?;
        let scheduled = match d.schedule() {
            Some(every) => format!(
                "every {} over the last {}",
                human(every),
                human(d.lookback())
            ),
            None => "off".to_string(),
        };
        say!(
            "detections: {} rule(s) at ingest, {} correlation(s) on the schedule only; scheduled runs {scheduled}; alert outputs: {}",
            rules.len(),
            correlations.correlations.len(),
            match outputs.describe() {
                o if o.is_empty() => "none (alerts go to _alerts only)".to_string(),
                o => o.join(", "),
            }
        );
        Ok(Some(Detections {
            rules,
            correlations,
            outputs,
            noted: Mutex::default(),
        }))
    }

    /// A detector for one round.
    pub fn detector(&self) -> Detector {
        Detector::new(self.rules.clone())
    }

    /// After a round committed: the alerts of its acknowledged inputs into
    /// `_alerts`, and the new ones out.
    pub fn record(&self, ctx: &Ctx, detector: Detector, acked: &[bool]) {
        if let Ok(mut noted) = self.noted.lock() {
            for why in detector.errors() {
                if noted.insert(why.clone()) {
                    say!("detections: not evaluated at ingest: {why}");
                }
            }
        }
        let finished = ctx
            .rt
            .block_on(detector.finish(ctx.lake, |i| acked.get(i).copied().unwrap_or(false)));
        match finished {
            Ok(r) if r.new > 0 => {
                let fired: Vec<String> = r
                    .per_rule
                    .iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|(title, n)| format!("{title}: {n}"))
                    .collect();
                say!(
                    "detections: {} new alert(s) at ingest ({}), {} already known",
                    r.new,
                    fired.join(", "),
                    r.known
                );
                self.deliver(ctx.metrics, &r.alerts);
            }
            Ok(_) => {}
            Err(e) => {
                ctx.metrics.add(catalog::DETECTION_ERRORS, String::new(), 1);
                say!("detections: recording the alerts at ingest failed: {e} (the next scheduled run fires them)");
            }
        }
    }

    /// Counts the new `alerts` and hands them to the outputs.
    fn deliver(&self, metrics: &Metrics, alerts: &[RecordBatch]) {
        for batch in alerts {
            for rule in seclake_detect::alerts::rule_ids(batch).iter().flatten() {
                metrics.add(catalog::ALERTS, labels(&[("rule", rule)]), 1);
            }
        }
        self.outputs.send(alerts);
    }

    /// Stops the outputs, letting them deliver for at most `wait`.
    pub fn finish(self, rt: &tokio::runtime::Runtime, wait: Duration) {
        self.outputs.finish(rt, wait);
    }
}

/// The warning for correlations that would never run: they run on the
/// schedule only, and `[detections]` turned it off.
pub(crate) fn unscheduled(config: &Config, correlations: usize) -> Option<String> {
    let d = config.detections.as_ref()?;
    (correlations > 0 && d.schedule().is_none()).then(|| {
        format!(
            "{correlations} correlation(s) never run: correlations run on the schedule only, and schedule is off"
        )
    })
}

/// `5m`, `1h`: a duration as the configuration writes it.
fn human(d: Duration) -> String {
    match d.as_secs() {
        s if s > 0 && d.subsec_nanos() == 0 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s > 0 && d.subsec_nanos() == 0 && s % 60 == 0 => format!("{}m", s / 60),
        _ => format!("{d:?}"),
    }
}

/// The scheduled runs.
pub(super) struct Schedule {
    every: Option<Duration>,
    lookback: Duration,
    due: Instant,
}

impl Schedule {
    /// The first run is due at once: [`Schedule::run_due`] is called after
    /// the sources' rounds.
    pub fn new(config: &Config) -> Self {
        let d = config.detections.as_ref();
        Schedule {
            every: d.and_then(|d| d.schedule()),
            lookback: d.map(|d| d.lookback()).unwrap_or_default(),
            due: Instant::now(),
        }
    }

    /// Runs every rule and correlation over the last `lookback`, if due.
    pub fn run_due(&mut self, ctx: &Ctx) {
        let (Some(d), Some(every)) = (ctx.detections, self.every) else {
            return;
        };
        if Instant::now() < self.due {
            return;
        }
        self.due = Instant::now() + every;
        let started = Instant::now();
        let until = Timestamp::now();
        let back = i64::try_from(self.lookback.as_micros()).unwrap_or(i64::MAX);
        let window = Window {
            since: Timestamp(until.0.saturating_sub(back)),
            until,
        };
        let uri = ctx.lake.uri.clone();
        let correlations = &d.correlations.correlations;
        let ran = ctx.rt.block_on(async {
            let eval = Evaluator::open(&uri).await?;
            eval.run_all(ctx.lake, &d.rules, correlations, &window, until)
                .await
        });
        let report = match ran {
            Ok(r) => r,
            Err(e) => {
                ctx.metrics.add(catalog::DETECTION_ERRORS, String::new(), 1);
                say!("detections: the scheduled run failed: {e}");
                return;
            }
        };
        let titles = d
            .rules
            .iter()
            .map(|r| format!("rule {:?}", r.compiled.rule.title));
        let (new, known) = tally(ctx, titles, &report.rules);
        let heads = d.correlations.heads().iter();
        let heads = heads.map(|h| format!("correlation {h}"));
        let (c_new, c_known) = tally(ctx, heads, &report.correlations);
        let correlated = match correlations.len() {
            0 => String::new(),
            n => format!("; {n} correlation(s): {c_new} new alert(s), {c_known} already known"),
        };
        say!(
            "detections: scheduled run over events from {} to {}: {new} new alert(s), {known} already known{correlated}, in {:.2}s",
            window.since.to_rfc3339(),
            window.until.to_rfc3339(),
            started.elapsed().as_secs_f64()
        );
        d.deliver(ctx.metrics, &report.alerts);
    }
}

/// The new and known alerts of a run's rules (or correlations), each
/// failure logged and counted.
fn tally(
    ctx: &Ctx,
    names: impl Iterator<Item = String>,
    fired: &[Result<Fired, DetectError>],
) -> (usize, usize) {
    let (mut new, mut known) = (0, 0);
    for (name, fired) in names.zip(fired) {
        match fired {
            Ok(f) => (new, known) = (new + f.new, known + f.known),
            Err(e) => {
                ctx.metrics.add(catalog::DETECTION_ERRORS, String::new(), 1);
                say!("detections: {name} failed in the scheduled run: {e}");
            }
        }
    }
    (new, known)
}
