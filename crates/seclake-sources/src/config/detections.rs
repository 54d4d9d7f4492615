//! `[detections]` and `[[alert_output]]`: Sigma rules while serving, and
//! where their new alerts go (see the binary's `serve::detections` and
//! `alert_output`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::{one_or_many, parse_duration, Config};

/// `[detections]`: Sigma rules run on every round's rows before they are
/// committed (their alerts recorded once the rows are), and over the lake
/// on a schedule, which catches what ingest time cannot see: rows other
/// workers or `seclake ingest` wrote, alerts lost to a crash between a
/// commit and the alerts' append. Alert ids are fixed by rule and row, so
/// the two never fire the same alert twice. Correlation rules in the same
/// files run on the schedule only: they count events over a timespan,
/// which no round's rows hold.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectionsConfig {
    /// Rule files (`.yml`, `.yaml`) or directories searched recursively.
    #[serde(default, deserialize_with = "one_or_many")]
    pub rules: Option<Vec<String>>,
    /// How often the scheduled run evaluates every rule and correlation
    /// over the lake; default 5m. `0` turns scheduled runs off (ingest
    /// time only, so no correlation runs): with several workers, keep
    /// them in one.
    pub schedule: Option<String>,
    /// The window of event times a scheduled run covers, ending now;
    /// default twice the schedule and at least an hour.
    pub lookback: Option<String>,
}

/// Default time between two scheduled runs.
pub const DEFAULT_SCHEDULE: Duration = Duration::from_secs(300);

impl DetectionsConfig {
    /// The rule paths.
    pub fn rule_paths(&self) -> Vec<std::path::PathBuf> {
        self.rules.iter().flatten().map(Into::into).collect()
    }

    /// The time between two scheduled runs; `None` when they are off.
    pub fn schedule(&self) -> Option<Duration> {
        let every = self
            .schedule
            .as_deref()
            .and_then(|t| parse_duration(t).ok())
            .unwrap_or(DEFAULT_SCHEDULE);
        (!every.is_zero()).then_some(every)
    }

    /// The window a scheduled run covers. By default twice the schedule,
    /// so that consecutive windows overlap and an event ingested a little
    /// after its time is still in the next run's window, and at least an
    /// hour: sources deliver late (CloudTrail within about 15 minutes, S3
    /// scans on their interval). The overlap costs a query over one or two
    /// more hour partitions, never a duplicate alert.
    pub fn lookback(&self) -> Duration {
        let every = self.schedule().unwrap_or(DEFAULT_SCHEDULE);
        self.lookback
            .as_deref()
            .and_then(|t| parse_duration(t).ok())
            .unwrap_or((every * 2).max(Duration::from_secs(3600)))
    }
}

/// `[[alert_output]]`: where the new alerts go, once they are in
/// `_alerts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertOutputConfig {
    /// `webhook` or `stdout`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Names the output in logs and metrics; default `<type>-<n>`, `n`
    /// counting outputs from 1 in file order.
    pub name: Option<String>,
    /// `webhook`: the `http://` or `https://` URL alerts are POSTed to.
    pub url: Option<String>,
    /// `webhook`: headers sent with every request (an `Authorization`).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// `webhook`: how long a request may take; default 10s.
    pub timeout: Option<String>,
    /// `webhook`: retries after a failed request; default 5.
    pub retries: Option<u32>,
    /// `webhook`: the wait before the first retry, doubled for each next
    /// one (at most a minute); default 1s.
    pub backoff: Option<String>,
}

/// The alert output kinds.
pub const OUTPUT_KINDS: &[&str] = &["webhook", "stdout"];

impl AlertOutputConfig {
    /// The output's name; `index` counts outputs from 0.
    pub fn name(&self, index: usize) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("{}-{}", self.kind, index + 1),
        }
    }

    fn duration(v: &Option<String>, default: Duration) -> Duration {
        v.as_deref()
            .and_then(|t| parse_duration(t).ok())
            .unwrap_or(default)
    }

    pub fn timeout(&self) -> Duration {
        Self::duration(&self.timeout, Duration::from_secs(10))
    }

    pub fn retries(&self) -> u32 {
        self.retries.unwrap_or(5)
    }

    pub fn backoff(&self) -> Duration {
        Self::duration(&self.backoff, Duration::from_secs(1))
    }

    /// Everything wrong with the output (`at` names it).
    fn problems(&self, at: &str, out: &mut Vec<String>) {
        if !OUTPUT_KINDS.contains(&self.kind.as_str()) {
            out.push(format!(
                "{at}: type {:?} is not one of {}",
                self.kind,
                OUTPUT_KINDS.join(", ")
            ));
            return;
        }
        if self.kind == "stdout" {
            let webhook_only = [
                ("url", self.url.is_some()),
                ("headers", !self.headers.is_empty()),
                ("timeout", self.timeout.is_some()),
                ("retries", self.retries.is_some()),
                ("backoff", self.backoff.is_some()),
            ];
            for (key, set) in webhook_only {
                if set {
                    out.push(format!("{at}: {key} applies to type webhook only"));
                }
            }
            return;
        }
        match self.url.as_deref().map(reqwest::Url::parse) {
            None => out.push(format!("{at}: url is required for type webhook")),
            Some(Ok(u)) if matches!(u.scheme(), "http" | "https") && u.has_host() => {}
            Some(_) => out.push(format!(
                "{at}: url {:?} is not an http:// or https:// URL",
                self.url.as_deref().unwrap_or_default()
            )),
        }
        for (name, value) in &self.headers {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                out.push(format!("{at}: header name {name:?} is not valid"));
            }
            if reqwest::header::HeaderValue::from_str(value).is_err() {
                out.push(format!("{at}: header {name}: the value is not valid"));
            }
        }
        for (key, v) in [("timeout", &self.timeout), ("backoff", &self.backoff)] {
            if let Some(Err(e)) = v.as_deref().map(parse_duration) {
                out.push(format!("{at}: {key} {e}"));
            }
        }
        if self.timeout().is_zero() {
            out.push(format!("{at}: timeout must be more than 0"));
        }
    }
}

impl Config {
    /// What is wrong with `[detections]` and `[[alert_output]]` (whether
    /// the rules compile is the binary's business: this crate does not
    /// know Sigma).
    pub(super) fn detection_problems(&self, out: &mut Vec<String>) {
        if let Some(d) = &self.detections {
            match d.rules.as_deref() {
                None | Some([]) => out.push(
                    "[detections] rules: required (a file or directory of Sigma rules, or a list)"
                        .to_string(),
                ),
                Some(paths) => {
                    for p in paths {
                        if !std::path::Path::new(p).exists() {
                            out.push(format!(
                                "[detections] rules {p:?}: no such file or directory"
                            ));
                        }
                    }
                }
            }
            for (name, v) in [("schedule", &d.schedule), ("lookback", &d.lookback)] {
                if let Some(Err(e)) = v.as_deref().map(parse_duration) {
                    out.push(format!("[detections] {name} {e}"));
                }
            }
            if let (Some(every), Some(back)) = (d.schedule(), &d.lookback) {
                if d.lookback() < every {
                    out.push(format!(
                        "[detections] lookback {back:?} is shorter than schedule {:?}: events between two runs' windows would never be evaluated",
                        d.schedule.as_deref().unwrap_or("5m")
                    ));
                }
            }
        } else if !self.alert_outputs.is_empty() {
            out.push("[[alert_output]] without [detections]: no rules fire alerts".to_string());
        }
        let mut names = std::collections::HashSet::new();
        for (i, o) in self.alert_outputs.iter().enumerate() {
            let name = o.name(i);
            let at = format!("alert_output {name:?}");
            if !names.insert(name) {
                out.push(format!(
                    "{at}: name used twice; names tell outputs apart in logs and metrics"
                ));
            }
            o.problems(&at, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    const BASE: &str = "[lake]\nuri = \"/tmp/lake\"\n[[source]]\nid = \"trail\"\ntype = \"s3\"\nuri = \"s3://org-trail/AWSLogs/\"\n";

    #[test]
    fn detections_and_alert_outputs() {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().display().to_string();
        let good = format!(
            "{BASE}\n[detections]\nrules = \"{rules}\"\nschedule = \"10m\"\n[[alert_output]]\ntype = \"webhook\"\nurl = \"https://hooks.example.com/x\"\nheaders = {{ Authorization = \"Bearer t\" }}\nretries = 2\n[[alert_output]]\ntype = \"stdout\"\n"
        );
        let c = parse(&good).unwrap();
        let d = c.detections.as_ref().unwrap();
        assert_eq!(d.rule_paths(), [dir.path()]);
        assert_eq!(d.schedule(), Some(Duration::from_secs(600)));
        // Twice the schedule, but at least an hour.
        assert_eq!(d.lookback(), Duration::from_secs(3600));
        let o = &c.alert_outputs;
        assert_eq!(
            (o[0].name(0), o[1].name(1)),
            ("webhook-1".into(), "stdout-2".into())
        );
        assert_eq!(
            (o[0].retries(), o[0].backoff()),
            (2, Duration::from_secs(1))
        );
        assert_eq!(o[0].headers["Authorization"], "Bearer t");
        let long = good.replace("\"10m\"", "\"2h\"");
        let c = parse(&long).unwrap();
        assert_eq!(
            c.detections.unwrap().lookback(),
            Duration::from_secs(4 * 3600)
        );
        let off = good.replace("\"10m\"", "\"0\"");
        assert_eq!(parse(&off).unwrap().detections.unwrap().schedule(), None);
        let list = good.replace(
            &format!("\"{rules}\""),
            &format!("[\"{rules}\", \"{rules}\"]"),
        );
        assert_eq!(
            parse(&list).unwrap().detections.unwrap().rule_paths().len(),
            2
        );

        let bad = format!(
            "{BASE}\n[detections]\nrules = \"/no/such/rules\"\nschedule = \"2h\"\nlookback = \"1h\"\n[[alert_output]]\ntype = \"webhook\"\nurl = \"ftp://x/\"\ntimeout = \"soon\"\n[[alert_output]]\ntype = \"webhook\"\n[[alert_output]]\ntype = \"stdout\"\nurl = \"http://x/\"\n[[alert_output]]\ntype = \"pager\"\nname = \"stdout-3\"\n"
        );
        let e = parse(&bad).unwrap_err();
        for want in [
            "[detections] rules \"/no/such/rules\": no such file or directory",
            "[detections] lookback \"1h\" is shorter than schedule \"2h\"",
            "alert_output \"webhook-1\": url \"ftp://x/\" is not an http:// or https:// URL",
            "alert_output \"webhook-1\": timeout \"soon\"",
            "alert_output \"webhook-2\": url is required for type webhook",
            "alert_output \"stdout-3\": url applies to type webhook only",
            "alert_output \"stdout-3\": name used twice",
            "alert_output \"stdout-3\": type \"pager\" is not one of webhook, stdout",
        ] {
            assert!(e.contains(want), "missing {want:?} in:\n{e}");
        }
        let orphan = format!("{BASE}\n[[alert_output]]\ntype = \"stdout\"\n");
        assert!(parse(&orphan).unwrap_err().contains("without [detections]"));
        let no_rules = format!("{BASE}\n[detections]\n");
        assert!(parse(&no_rules)
            .unwrap_err()
            .contains("[detections] rules: required"));
    }
}
