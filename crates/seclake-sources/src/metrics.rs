//! What `seclake serve` has done, for Prometheus: counters per source (and
//! per log type for rows and rejects), served as text at `/metrics` with a
//! `/healthz` that answers `ok`, by a small HTTP listener on its own
//! thread (`[metrics] listen = "127.0.0.1:9464"`).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// Counters by (metric, labels).
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, String), u64>>,
    gauges: Mutex<BTreeMap<(&'static str, String), f64>>,
}

/// The metrics and their help lines.
const HELP: &[(&str, &str)] = &[
    (
        "seclake_input_bytes_total",
        "Bytes read from a source's inputs, after decompression.",
    ),
    ("seclake_rows_total", "Rows written to the lake."),
    (
        "seclake_rejects_total",
        "Records that did not become rows (in the _rejects table).",
    ),
    (
        "seclake_inputs_total",
        "Inputs (objects, messages) processed, by result.",
    ),
    (
        "seclake_messages_deleted_total",
        "Queue messages deleted after their inputs were committed.",
    ),
    (
        "seclake_errors_total",
        "Rounds of a source that failed (listing, receiving, writing).",
    ),
    ("seclake_syslog_received_total", "Syslog messages received."),
    (
        "seclake_syslog_dropped_total",
        "Syslog UDP datagrams dropped because the queue was full.",
    ),
    (
        "seclake_syslog_kernel_dropped_total",
        "Syslog UDP datagrams the kernel dropped: the socket's receive buffer was full (receive_buffer_bytes).",
    ),
    (
        "seclake_syslog_truncated_total",
        "Syslog messages cut to max_message_bytes.",
    ),
    (
        "seclake_syslog_connections_total",
        "Syslog TCP and TLS connections accepted.",
    ),
    (
        "seclake_syslog_refused_total",
        "Syslog connections closed at once: max_connections were open.",
    ),
    (
        "seclake_syslog_timed_out_total",
        "Syslog connections closed by frame_timeout or idle_timeout.",
    ),
    (
        "seclake_syslog_tls_failed_total",
        "Syslog TLS connections closed before a first message (failed handshake).",
    ),
    (
        "seclake_syslog_spool_errors_total",
        "Writes to the syslog spool that failed (messages kept in memory only).",
    ),
    (
        "seclake_alerts_total",
        "New alerts recorded in _alerts, by rule id (at ingest and by scheduled runs).",
    ),
    (
        "seclake_alerts_sent_total",
        "Alerts an alert output delivered.",
    ),
    (
        "seclake_alert_output_failures_total",
        "Alerts an alert output could not deliver (after its retries); they are in _alerts.",
    ),
    (
        "seclake_detection_errors_total",
        "Detection runs that failed: recording ingest-time alerts, or a scheduled run.",
    ),
];

/// The gauges and their help lines.
const GAUGES: &[(&str, &str)] = &[
    (
        "seclake_queue_lag_seconds",
        "Age of the oldest message of the last batch received from a queue.",
    ),
    (
        "seclake_syslog_open_connections",
        "Syslog TCP and TLS connections open now.",
    ),
];

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        Arc::default()
    }

    /// Adds `n` to a counter; `labels` as Prometheus writes them
    /// (`source="a",log_type="b"`).
    pub fn add(&self, name: &'static str, labels: String, n: u64) {
        if let Ok(mut c) = self.counters.lock() {
            *c.entry((name, labels)).or_default() += n;
        }
    }

    /// Sets a gauge.
    pub fn set(&self, name: &'static str, labels: String, v: f64) {
        if let Ok(mut g) = self.gauges.lock() {
            g.insert((name, labels), v);
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let counters = self.counters.lock().map(|c| c.clone()).unwrap_or_default();
        let mut out = String::from("# HELP seclake_up Whether seclake serve is running.\n# TYPE seclake_up gauge\nseclake_up 1\n");
        for (name, help) in HELP {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n"));
            for ((n, labels), v) in &counters {
                if n == name {
                    out.push_str(&format!("{name}{{{labels}}} {v}\n"));
                }
            }
        }
        let gauges = self.gauges.lock().map(|g| g.clone()).unwrap_or_default();
        for (name, help) in GAUGES {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
            for ((n, labels), v) in &gauges {
                if n == name {
                    out.push_str(&format!("{name}{{{labels}}} {v}\n"));
                }
            }
        }
        out
    }

    /// Serves `/metrics` and `/healthz` on `listen` from a thread.
    pub fn serve(self: &Arc<Self>, listen: &str) -> std::io::Result<std::net::SocketAddr> {
        let listener = TcpListener::bind(listen)?;
        let addr = listener.local_addr()?;
        let me = self.clone();
        std::thread::Builder::new()
            .name("metrics".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
                    let mut line = String::new();
                    let mut reader = BufReader::new(&stream);
                    if reader.read_line(&mut line).is_err() {
                        continue;
                    }
                    let path = line.split(' ').nth(1).unwrap_or("");
                    let (status, body) = match path {
                        "/metrics" => ("200 OK", me.render()),
                        "/healthz" => ("200 OK", "ok\n".to_string()),
                        _ => ("404 Not Found", "not found\n".to_string()),
                    };
                    let mut s = &stream;
                    let _ = write!(
                        s,
                        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                }
            })?;
        Ok(addr)
    }
}

/// `source="id"` with the value escaped as Prometheus wants.
pub fn labels(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}=\"{}\"",
                v.replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n")
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn counters_are_served() {
        let m = Metrics::new();
        m.add(
            "seclake_rows_total",
            labels(&[("source", "a\"b"), ("log_type", "AWS.ALB")]),
            5,
        );
        m.add(
            "seclake_rows_total",
            labels(&[("source", "a\"b"), ("log_type", "AWS.ALB")]),
            2,
        );
        let addr = m.serve("127.0.0.1:0").unwrap();
        let get = |path: &str| {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut r = String::new();
            s.read_to_string(&mut r).unwrap();
            r
        };
        let metrics = get("/metrics");
        assert!(
            metrics.contains("seclake_rows_total{source=\"a\\\"b\",log_type=\"AWS.ALB\"} 7"),
            "{metrics}"
        );
        assert!(metrics.contains("seclake_up 1"));
        assert!(get("/healthz").ends_with("ok\n"));
        assert!(get("/nope").starts_with("HTTP/1.1 404"));
    }
}
