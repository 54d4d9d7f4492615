//! What `seclake serve` has done, for Prometheus: counters per source (and
//! per log type for rows and rejects), served as text at `/metrics` with a
//! `/healthz` that answers `ok`, by a small HTTP listener on its own
//! thread (`[metrics] listen = "127.0.0.1:9464"`). Every metric is
//! declared in [`catalog`], the only way to name one when recording it.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

pub mod catalog;
pub use catalog::{Counter, Gauge};

/// Counters and gauges by (metric, labels).
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, String), u64>>,
    gauges: Mutex<BTreeMap<(&'static str, String), f64>>,
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        Arc::default()
    }

    /// Adds `n` to a counter; `labels` as Prometheus writes them
    /// (`source="a",log_type="b"`).
    pub fn add(&self, counter: Counter, labels: String, n: u64) {
        if let Ok(mut c) = self.counters.lock() {
            *c.entry((counter.name(), labels)).or_default() += n;
        }
    }

    /// Sets a gauge.
    pub fn set(&self, gauge: Gauge, labels: String, v: f64) {
        if let Ok(mut g) = self.gauges.lock() {
            g.insert((gauge.name(), labels), v);
        }
    }

    /// The text exposition format: every declared metric (see
    /// [`catalog`]), with its help line even before it is recorded.
    pub fn render(&self) -> String {
        let counters = self.counters.lock().map(|c| c.clone()).unwrap_or_default();
        let mut out = String::from("# HELP seclake_up Whether seclake serve is running.\n# TYPE seclake_up gauge\nseclake_up 1\n");
        for c in catalog::COUNTERS {
            family(&mut out, c.name(), c.help(), "counter", &counters);
        }
        let gauges = self.gauges.lock().map(|g| g.clone()).unwrap_or_default();
        for g in catalog::GAUGES {
            family(&mut out, g.name(), g.help(), "gauge", &gauges);
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

/// One metric's help and type lines, and its values by labels.
fn family<V: std::fmt::Display>(
    out: &mut String,
    name: &str,
    help: &str,
    kind: &str,
    values: &BTreeMap<(&'static str, String), V>,
) {
    out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
    for ((n, labels), v) in values {
        match labels.as_str() {
            _ if *n != name => {}
            "" => out.push_str(&format!("{name} {v}\n")),
            _ => out.push_str(&format!("{name}{{{labels}}} {v}\n")),
        }
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
            catalog::ROWS,
            labels(&[("source", "a\"b"), ("log_type", "AWS.ALB")]),
            5,
        );
        m.add(
            catalog::ROWS,
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

    /// The metrics of HTTP sources and of the delivery gap watch, once
    /// recorded by names missing from the help tables, are rendered.
    #[test]
    fn http_and_gap_metrics_are_rendered() {
        let m = Metrics::new();
        let push = labels(&[("source", "push")]);
        m.add(
            catalog::HTTP_REQUESTS,
            labels(&[("source", "push"), ("code", "401")]),
            3,
        );
        m.add(catalog::HTTP_BODY_BYTES, push.clone(), 1200);
        m.set(catalog::HTTP_OPEN_CONNECTIONS, push, 2.0);
        let imperva = labels(&[("log_type", "Imperva.CloudWAF")]);
        m.set(catalog::MISSING_SEQUENCES, imperva, 4.0);
        m.add(catalog::DETECTION_ERRORS, String::new(), 1);
        let text = m.render();
        for want in [
            "# TYPE seclake_http_requests_total counter\n",
            "seclake_http_requests_total{source=\"push\",code=\"401\"} 3\n",
            "seclake_http_body_bytes_total{source=\"push\"} 1200\n",
            "# TYPE seclake_http_open_connections gauge\n",
            "seclake_http_open_connections{source=\"push\"} 2\n",
            "# HELP seclake_missing_sequences Sequence numbers missing",
            "# TYPE seclake_missing_sequences gauge\n",
            "seclake_missing_sequences{log_type=\"Imperva.CloudWAF\"} 4\n",
            "seclake_detection_errors_total 1\n",
        ] {
            assert!(text.contains(want), "no {want:?} in:\n{text}");
        }
        // Every declared metric has its help and type, recorded or not.
        let names = catalog::COUNTERS.iter().map(|c| c.name());
        for name in names.chain(catalog::GAUGES.iter().map(|g| g.name())) {
            assert!(text.contains(&format!("# HELP {name} ")), "{name}");
            assert!(text.contains(&format!("# TYPE {name} ")), "{name}");
        }
    }
}
