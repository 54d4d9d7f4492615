//! Alert outputs (`[[alert_output]]`): where `seclake serve` sends each
//! new alert, as the JSON object `seclake query --format json` writes for
//! its `_alerts` row (every column, nulls included, times RFC 3339 UTC).
//!
//! Only alerts that were just appended to `_alerts` are sent: the ones an
//! ingest round's rows fired (`Recorded::alerts`) and the ones a scheduled
//! run found new (`RunReport::alerts`). Since alert ids are fixed by rule
//! and row, and both paths drop the ids already stored, an alert is sent
//! once however often its event is evaluated (two workers racing on the
//! same rows are the exception: both may send it).
//!
//! An alert is durable in `_alerts` *before* it is sent, so a failed
//! delivery loses nothing: the failure is logged with the output's URL
//! and status and counted (`seclake_alert_output_failures_total{output}`),
//! and the alert can be read back with `seclake query` (by `fired_at`).
//! Deliveries are therefore not retried across restarts.
//!
//! - `stdout` ([`stdout`]): one JSON line per alert, written at once.
//! - `webhook` ([`webhook`]): a JSON array of alerts POSTed from a
//!   background task, so a slow or failing endpoint never holds up
//!   ingestion; retried with exponential backoff.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use arrow_array::RecordBatch;
use seclake_query::OutputFormat;
use seclake_sources::config::AlertOutputConfig;
use seclake_sources::metrics::{catalog, labels, Metrics};

pub mod stdout;
pub mod webhook;

/// The configured outputs.
pub struct Outputs {
    outputs: Vec<Output>,
    metrics: Arc<Metrics>,
}

enum Output {
    Stdout(stdout::Stdout),
    Webhook(webhook::Webhook),
}

impl Outputs {
    /// Starts the outputs (webhooks' tasks on `rt`).
    pub fn open(
        configs: &[AlertOutputConfig],
        rt: &tokio::runtime::Handle,
        metrics: Arc<Metrics>,
    ) -> Result<Outputs> {
        let mut outputs = Vec::new();
        for (i, c) in configs.iter().enumerate() {
            let name = c.name(i);
            outputs.push(match c.kind.as_str() {
                "stdout" => Output::Stdout(stdout::Stdout::new(name)),
                _ => Output::Webhook(
                    webhook::Webhook::start(name.clone(), c, rt, metrics.clone())
                        .with_context(|| format!("alert_output {name:?}"))?,
                ),
            });
        }
        Ok(Outputs { outputs, metrics })
    }

    /// What each output is, for the start-up log line.
    pub fn describe(&self) -> Vec<String> {
        self.outputs
            .iter()
            .map(|o| match o {
                Output::Stdout(s) => format!("{:?} (stdout)", s.name),
                Output::Webhook(w) => format!("{:?} (POST {})", w.name, w.shown_url),
            })
            .collect()
    }

    /// Hands `alerts` (batches of the `_alerts` schema, already appended)
    /// to every output.
    pub fn send(&self, alerts: &[RecordBatch]) {
        if self.outputs.is_empty() || alerts.iter().all(|b| b.num_rows() == 0) {
            return;
        }
        let objects = match to_json(alerts) {
            Ok(o) => Arc::new(o),
            Err(e) => {
                log(format!("alert outputs: cannot render the alerts: {e:#}"));
                return;
            }
        };
        for o in &self.outputs {
            match o {
                Output::Stdout(s) => s.write(&objects, &self.metrics),
                Output::Webhook(w) => w.send(objects.clone()),
            }
        }
    }

    /// Lets the webhooks deliver what they hold, for at most `wait`; what
    /// is left then is logged as not delivered.
    pub fn finish(self, rt: &tokio::runtime::Runtime, wait: Duration) {
        for o in self.outputs {
            if let Output::Webhook(w) = o {
                w.finish(rt, wait);
            }
        }
    }
}

/// The alerts as JSON objects, one text each, in order.
pub fn to_json(alerts: &[RecordBatch]) -> Result<Vec<String>> {
    let text = seclake_query::render(seclake_detect::alerts::schema(), alerts, OutputFormat::Json)?;
    Ok(text.lines().map(str::to_string).collect())
}

/// Counts `n` alerts an output delivered or failed to deliver.
fn counted(metrics: &Metrics, output: &str, delivered: bool, n: usize) {
    let name = match delivered {
        true => catalog::ALERTS_SENT,
        false => catalog::ALERT_OUTPUT_FAILURES,
    };
    metrics.add(name, labels(&[("output", output)]), n as u64);
}

/// A log line on stderr, as `seclake serve` writes them.
fn log(message: String) {
    super::serve::log_line(message);
}
