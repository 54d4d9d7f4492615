//! The `seclake serve` configuration file (TOML): the lake, and the
//! sources to run. Checked whole before anything starts: every problem is
//! reported with where it is (`source "aws-prod": ...`), unknown keys
//! included, so a typo never silently turns a setting off.
//!
//! ```toml
//! [lake]
//! uri = "s3://security-lake/logs"   # or a local directory
//!
//! [[source]]
//! id = "cloudtrail-backfill"        # p_source_id
//! label = "CloudTrail, prod"        # p_source_label
//! type = "s3"                       # s3, sqs, file, syslog, http
//! uri = "s3://org-trail/AWSLogs/"   # the bucket and prefix to scan
//! interval = "60s"                  # how often to look for new objects
//! log_types = ["AWS.CloudTrail"]    # optional: classify among these only
//!
//! [[source]]
//! id = "aws-prod"
//! type = "sqs"
//! queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/seclake-notify"
//! mode = "notifications"            # or "messages": bodies are log data
//! visibility_timeout = "5m"         # extended while a message is processed
//!
//! [[source]]
//! id = "app"
//! type = "file"                     # a directory of growing, rotating files
//! path = "/var/log/app"
//! interval = "5s"
//!
//! [[source]]
//! id = "branch-routers"
//! type = "syslog"                   # UDP, TCP (RFC 6587 framing), TLS
//! listen = ["udp://0.0.0.0:514", "tcp://0.0.0.0:514", "tls://0.0.0.0:6514"]
//! tls_cert = "/etc/seclake/cert.pem"
//! tls_key = "/etc/seclake/key.pem"
//! spool = "/var/lib/seclake/spool/branch-routers"  # optional write-ahead
//!
//! [[source]]
//! id = "edgecast-push"
//! type = "http"                     # POSTed log data, answered after commit
//! listen = "0.0.0.0:8443"
//! tls_cert = "/etc/seclake/cert.pem" # HTTPS when set
//! tls_key = "/etc/seclake/key.pem"
//! auth_token = "..."                # or basic_auth = { user = "...", password = "..." }
//!
//! [[source]]
//! id = "imperva"
//! type = "imperva"                  # Imperva's log repository (log API)
//! url = "https://logs1.incapsula.com/1234_5678/"
//! api_id = "..."
//! api_key = "..."
//! private_keys = ["/etc/seclake/imperva.pem"]  # of encrypted log files
//! poll = "60s"                      # the same as interval
//!
//! [metrics]
//! listen = "127.0.0.1:9464"         # /metrics (Prometheus) and /healthz
//!
//! [maintenance]                     # in one worker only
//! compact_every = "1h"              # seclake compact, hours older than:
//! compact_older_than = "1h"
//! vacuum_every = "24h"              # seclake vacuum, keeping:
//! vacuum_retain = "168h"
//!
//! [detections]                      # Sigma rules (see DetectionsConfig)
//! rules = "/etc/seclake/rules"      # a file or directory, or a list
//! schedule = "5m"                   # rules and correlations; "0": ingest-time only
//! lookback = "1h"                   # the window each scheduled run covers
//!
//! [[alert_output]]                  # where new alerts go (any number)
//! type = "webhook"                  # a JSON array of alerts, POSTed
//! url = "https://hooks.example.com/seclake"
//! headers = { Authorization = "Bearer ..." }
//!
//! [[alert_output]]
//! type = "stdout"                   # one JSON line per alert
//! ```

use std::time::Duration;

use serde::Deserialize;

mod detections;
pub use detections::{AlertOutputConfig, DetectionsConfig, DEFAULT_SCHEDULE, OUTPUT_KINDS};

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub lake: LakeConfig,
    #[serde(default, rename = "source")]
    pub sources: Vec<SourceConfig>,
    pub metrics: Option<MetricsConfig>,
    pub maintenance: Option<MaintenanceConfig>,
    pub detections: Option<DetectionsConfig>,
    #[serde(default, rename = "alert_output")]
    pub alert_outputs: Vec<AlertOutputConfig>,
}

/// `[maintenance]`: compaction and vacuum on an interval, in the one
/// worker whose configuration has this section (the others leave it out).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceConfig {
    /// How often to compact (`seclake compact`); default 1h.
    pub compact_every: Option<String>,
    /// Hours that ended less than this long ago are left alone; default 1h.
    pub compact_older_than: Option<String>,
    /// How often to vacuum (`seclake vacuum`); default 24h.
    pub vacuum_every: Option<String>,
    /// Files replaced less than this long ago are kept; default 168h.
    pub vacuum_retain: Option<String>,
}

impl MaintenanceConfig {
    fn get(v: &Option<String>, default: u64) -> Duration {
        v.as_deref()
            .and_then(|t| parse_duration(t).ok())
            .unwrap_or(Duration::from_secs(default))
    }
    pub fn compact_every(&self) -> Duration {
        Self::get(&self.compact_every, 3600)
    }
    pub fn compact_older_than(&self) -> Duration {
        Self::get(&self.compact_older_than, 3600)
    }
    pub fn vacuum_every(&self) -> Duration {
        Self::get(&self.vacuum_every, 86_400)
    }
    pub fn vacuum_retain(&self) -> Duration {
        Self::get(&self.vacuum_retain, 168 * 3600)
    }
}

/// `[metrics]`: where Prometheus scrapes `/metrics` (and `/healthz`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// `host:port`, e.g. `127.0.0.1:9464`.
    pub listen: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LakeConfig {
    /// A local directory or `s3://bucket/prefix`.
    pub uri: String,
}

/// One source; `kind` says which fields apply.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// `p_source_id` of its rows; unique in the file; names its state.
    pub id: String,
    /// `p_source_label` of its rows.
    pub label: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    /// `s3`: the bucket and prefix to scan, `s3://bucket/prefix`.
    pub uri: Option<String>,
    /// How often to look for new data (`60s`, `5m`): S3 scans, file
    /// sources, the Imperva log API (also written `poll`).
    #[serde(alias = "poll")]
    pub interval: Option<String>,
    /// Classify among these log types only; default all.
    pub log_types: Option<Vec<String>>,
    /// Time zone of formats whose times carry none; default UTC.
    pub timezone: Option<String>,
    /// `file`: the directory of log files to follow.
    pub path: Option<String>,
    /// `syslog`: where to listen, `udp://`, `tcp://` and `tls://host:port`;
    /// `http`: `host:port` (or `http://`, `https://host:port`). One address
    /// or a list. The other settings of these receivers are explained in
    /// [`crate::syslog::SyslogOptions`] and [`crate::http::HttpOptions`].
    #[serde(default, deserialize_with = "one_or_many")]
    pub listen: Option<Vec<String>>,
    pub auth_token: Option<String>,
    pub basic_auth: Option<BasicAuth>,
    pub max_body_bytes: Option<usize>,
    pub max_message_bytes: Option<usize>,
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    pub tls_client_ca: Option<String>,
    pub max_connections: Option<usize>,
    pub idle_timeout: Option<String>,
    pub frame_timeout: Option<String>,
    pub receive_buffer_bytes: Option<usize>,
    pub queue_bytes: Option<usize>,
    pub spool: Option<String>,
    pub spool_sync: Option<String>,
    /// `imperva`: the log repository's URL, and the API id and key that
    /// open it.
    pub url: Option<String>,
    pub api_id: Option<String>,
    pub api_key: Option<String>,
    /// The private keys (PEM files, `PATH` or `ID=PATH` for one
    /// `publicKeyId`) of encrypted Imperva log files, for any source that
    /// brings them.
    pub private_keys: Option<Vec<String>>,
    /// `sqs`: the queue's URL.
    pub queue_url: Option<String>,
    /// `sqs`: `notifications` (S3 events, the default) or `messages` (the
    /// bodies are log data).
    pub mode: Option<String>,
    /// `sqs`: how long a received message stays hidden (extended while it
    /// is processed); default 5m.
    pub visibility_timeout: Option<String>,
}

/// `basic_auth = { user = "...", password = "..." }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    pub user: String,
    pub password: String,
}

/// A string or a list of strings.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(Some(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    }))
}

/// The source kinds this build runs.
pub const KINDS: &[&str] = &["s3", "sqs", "file", "syslog", "http", "imperva"];

/// Default time between two scans of an S3 prefix.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// Reads and checks a configuration; the error lists every problem, one a
/// line.
pub fn parse(text: &str) -> Result<Config, String> {
    let config: Config = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
    let problems = config.problems();
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(problems.join("\n"))
    }
}

impl Config {
    /// Everything wrong with the configuration.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.lake.uri.trim().is_empty() {
            out.push("[lake] uri: empty; give a directory or s3://bucket/prefix".to_string());
        }
        if let Some(m) = &self.metrics {
            if m.listen.parse::<std::net::SocketAddr>().is_err() {
                out.push(format!(
                    "[metrics] listen {:?}: not host:port such as 127.0.0.1:9464",
                    m.listen
                ));
            }
        }
        if let Some(m) = &self.maintenance {
            for (name, v) in [
                ("compact_every", &m.compact_every),
                ("compact_older_than", &m.compact_older_than),
                ("vacuum_every", &m.vacuum_every),
                ("vacuum_retain", &m.vacuum_retain),
            ] {
                if let Some(Err(e)) = v.as_deref().map(parse_duration) {
                    out.push(format!("[maintenance] {name} {e}"));
                }
            }
        }
        self.detection_problems(&mut out);
        if self.sources.is_empty() {
            out.push("no [[source]]: nothing to run".to_string());
        }
        let mut ids = std::collections::HashSet::new();
        for s in &self.sources {
            let at = format!("source {:?}", s.id);
            if s.id.trim().is_empty() || s.id.contains(['/', '\\']) || s.id.starts_with('.') {
                out.push(format!(
                    "{at}: id must be non-empty, without / or \\, not starting with ."
                ));
            }
            if !ids.insert(&s.id) {
                out.push(format!("{at}: id used twice; ids name each source's state"));
            }
            if !KINDS.contains(&s.kind.as_str()) {
                out.push(format!(
                    "{at}: type {:?} is not one of {}",
                    s.kind,
                    KINDS.join(", ")
                ));
            }
            if s.kind == "s3" {
                match &s.uri {
                    None => out.push(format!(
                        "{at}: uri is required for type s3 (s3://bucket/prefix)"
                    )),
                    Some(u) if !u.starts_with("s3://") || u.len() <= 5 => {
                        out.push(format!("{at}: uri {u:?} is not s3://bucket/prefix"))
                    }
                    Some(_) => {}
                }
            }
            if s.kind == "file" {
                match &s.path {
                    None => out.push(format!(
                        "{at}: path is required for type file (a directory)"
                    )),
                    Some(p) if !std::path::Path::new(p).is_dir() => {
                        out.push(format!("{at}: path {p:?} is not a directory"))
                    }
                    Some(_) => {}
                }
            }
            if s.kind == "syslog" {
                if let Err(problems) = crate::syslog::SyslogOptions::from_config(s) {
                    out.extend(problems.into_iter().map(|p| format!("{at}: {p}")));
                }
            }
            if s.kind == "http" {
                if let Err(problems) = crate::http::HttpOptions::from_config(s) {
                    out.extend(problems.into_iter().map(|p| format!("{at}: {p}")));
                }
            }
            if s.kind == "imperva" {
                match &s.url {
                    None => out.push(format!("{at}: url is required for type imperva (the log repository, https://logs1.incapsula.com/<account>_<config>/)")),
                    Some(u) if !u.starts_with("https://") && !u.starts_with("http://") => {
                        out.push(format!("{at}: url {u:?} is not an https:// URL"))
                    }
                    Some(_) => {}
                }
                if s.api_id.as_deref().is_none_or(str::is_empty)
                    || s.api_key.as_deref().is_none_or(str::is_empty)
                {
                    out.push(format!(
                        "{at}: api_id and api_key are required for type imperva"
                    ));
                }
            }
            if let Some(keys) = &s.private_keys {
                if let Err(e) = seclake_imperva::crypto::load_private_keys(keys) {
                    out.push(format!("{at}: private_keys {e}"));
                }
            }
            if s.kind == "sqs" {
                match &s.queue_url {
                    None => out.push(format!("{at}: queue_url is required for type sqs")),
                    Some(u) if !u.starts_with("https://") && !u.starts_with("http://") => {
                        out.push(format!("{at}: queue_url {u:?} is not an https:// URL"))
                    }
                    Some(_) => {}
                }
                if let Some(m) = &s.mode {
                    if m != "notifications" && m != "messages" {
                        out.push(format!("{at}: mode {m:?} is not notifications or messages"));
                    }
                }
                if let Some(v) = &s.visibility_timeout {
                    if let Err(e) = parse_duration(v) {
                        out.push(format!("{at}: visibility_timeout {e}"));
                    }
                }
            }
            if let Some(i) = &s.interval {
                if let Err(e) = parse_duration(i) {
                    out.push(format!("{at}: interval {e}"));
                }
            }
            for t in s.log_types.iter().flatten() {
                if seclake_registry::find(t).is_none() {
                    out.push(format!(
                        "{at}: log type {t:?} is unknown (seclake log-types lists them)"
                    ));
                }
            }
            if let Some(tz) = &s.timezone {
                if let Err(e) = tz.parse::<seclake_core::TimeZone>() {
                    out.push(format!("{at}: timezone {e}"));
                }
            }
        }
        out
    }
}

impl SourceConfig {
    /// `sqs`: seconds a received message stays hidden.
    pub fn visibility_secs(&self) -> u32 {
        self.visibility_timeout
            .as_deref()
            .and_then(|v| parse_duration(v).ok())
            .map_or(300, |d| d.as_secs().min(12 * 3600) as u32)
    }

    /// `sqs`: whether message bodies are log data.
    pub fn messages_mode(&self) -> bool {
        self.mode.as_deref() == Some("messages")
    }

    /// The time between two rounds (S3: 60s, files: 5s, syslog: 1s, by
    /// default).
    pub fn interval(&self) -> Duration {
        let default = match self.kind.as_str() {
            "file" => Duration::from_secs(5),
            "syslog" | "http" => Duration::from_secs(1),
            _ => DEFAULT_INTERVAL,
        };
        self.interval
            .as_deref()
            .and_then(|i| parse_duration(i).ok())
            .unwrap_or(default)
    }
}

/// A duration written as a number and a unit: `100ms`, `90s`, `30m`, `1h`,
/// `7d` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{text:?}: expected a number and a unit (ms, s, m, h, d), e.g. 1h"))?;
    if unit == "ms" {
        return Ok(Duration::from_millis(n));
    }
    let secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => {
            return Err(format!(
                "{text:?}: unknown unit {unit:?}; use ms, s, m, h or d"
            ))
        }
    };
    n.checked_mul(secs)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?}: too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[lake]
uri = "/tmp/lake"

[[source]]
id = "trail"
label = "CloudTrail"
type = "s3"
uri = "s3://org-trail/AWSLogs/"
interval = "5m"
log_types = ["AWS.CloudTrail"]
"#;

    #[test]
    fn a_good_file() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.sources.len(), 1);
        assert_eq!(c.sources[0].interval(), Duration::from_secs(300));
    }

    #[test]
    fn every_problem_is_named_with_its_place() {
        let e = parse(&GOOD.replace("interval", "intervall")).unwrap_err();
        assert!(e.contains("unknown field `intervall`"), "{e}");
        let bad = r#"
[lake]
uri = ""
[[source]]
id = "a/b"
type = "sqs"
[[source]]
id = "f"
type = "file"
path = "/no/such/dir"
[[source]]
id = "x"
type = "s3"
uri = "https://x"
interval = "5 minutes"
log_types = ["AWS.Nope"]
timezone = "Mars/Olympus"
[[source]]
id = "x"
type = "s3"
"#;
        let e = parse(bad).unwrap_err();
        for want in [
            "[lake] uri: empty",
            "source \"a/b\": id must be",
            "source \"a/b\": queue_url is required for type sqs",
            "source \"x\": uri \"https://x\" is not s3://bucket/prefix",
            "source \"x\": interval",
            "source \"x\": log type \"AWS.Nope\" is unknown",
            "source \"x\": timezone",
            "source \"x\": id used twice",
            "source \"x\": uri is required for type s3",
            "source \"f\": path \"/no/such/dir\" is not a directory",
        ] {
            assert!(e.contains(want), "missing {want:?} in:\n{e}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("2w").is_err());
        assert_eq!(parse_duration("100ms"), Ok(Duration::from_millis(100)));
        assert!(parse_duration("x").is_err());
    }
}
