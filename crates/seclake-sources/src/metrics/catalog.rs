//! Every metric `seclake serve` exposes, with its help line.
//!
//! [`Metrics::add`](super::Metrics::add) takes a [`Counter`] and
//! [`Metrics::set`](super::Metrics::set) a [`Gauge`], and the only way to
//! make either is a line of the [`declare!`] below, which also lists it in
//! [`COUNTERS`] or [`GAUGES`], the tables `/metrics` is rendered from. So a
//! metric cannot be recorded without being declared and rendered: before,
//! metrics were named by strings, and ones missing from the help tables
//! (`seclake_http_*`, `seclake_missing_sequences`) were counted and never
//! shown.

/// A counter: only ever grows (Prometheus `counter`; the name ends in
/// `_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counter {
    name: &'static str,
    help: &'static str,
}

/// A gauge: a value set each time (Prometheus `gauge`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gauge {
    name: &'static str,
    help: &'static str,
}

impl Counter {
    pub fn name(self) -> &'static str {
        self.name
    }

    pub fn help(self) -> &'static str {
        self.help
    }
}

impl Gauge {
    pub fn name(self) -> &'static str {
        self.name
    }

    pub fn help(self) -> &'static str {
        self.help
    }
}

/// `CONST "name" "help";` lines, counters then gauges: a constant each,
/// with the help line as its doc, and the tables of all of them, in the
/// order `/metrics` shows them.
macro_rules! declare {
    (
        counters { $($c:ident $c_name:literal $c_help:literal;)* }
        gauges { $($g:ident $g_name:literal $g_help:literal;)* }
    ) => {
        $(
            #[doc = $c_help]
            pub const $c: Counter = Counter { name: $c_name, help: $c_help };
        )*
        $(
            #[doc = $g_help]
            pub const $g: Gauge = Gauge { name: $g_name, help: $g_help };
        )*
        /// Every counter, in the order rendered.
        pub const COUNTERS: &[Counter] = &[$($c),*];
        /// Every gauge, in the order rendered.
        pub const GAUGES: &[Gauge] = &[$($g),*];
    };
}

declare! {
    counters {
        INPUT_BYTES "seclake_input_bytes_total"
            "Bytes read from a source's inputs, after decompression.";
        ROWS "seclake_rows_total" "Rows written to the lake.";
        REJECTS "seclake_rejects_total"
            "Records that did not become rows (in the _rejects table).";
        INPUTS "seclake_inputs_total" "Inputs (objects, messages) processed, by result.";
        MESSAGES_DELETED "seclake_messages_deleted_total"
            "Queue messages deleted after their inputs were committed.";
        ERRORS "seclake_errors_total"
            "Rounds of a source that failed (listing, receiving, writing).";
        SYSLOG_RECEIVED "seclake_syslog_received_total" "Syslog messages received.";
        SYSLOG_DROPPED "seclake_syslog_dropped_total"
            "Syslog UDP datagrams dropped because the queue was full.";
        SYSLOG_KERNEL_DROPPED "seclake_syslog_kernel_dropped_total"
            "Syslog UDP datagrams the kernel dropped: the socket's receive buffer was full (receive_buffer_bytes).";
        SYSLOG_TRUNCATED "seclake_syslog_truncated_total"
            "Syslog messages cut to max_message_bytes.";
        SYSLOG_CONNECTIONS "seclake_syslog_connections_total"
            "Syslog TCP and TLS connections accepted.";
        SYSLOG_REFUSED "seclake_syslog_refused_total"
            "Syslog connections closed at once: max_connections were open.";
        SYSLOG_TIMED_OUT "seclake_syslog_timed_out_total"
            "Syslog connections closed by frame_timeout or idle_timeout.";
        SYSLOG_TLS_FAILED "seclake_syslog_tls_failed_total"
            "Syslog TLS connections closed before a first message (failed handshake).";
        SYSLOG_SPOOL_ERRORS "seclake_syslog_spool_errors_total"
            "Writes to the syslog spool that failed (messages kept in memory only).";
        HTTP_REQUESTS "seclake_http_requests_total"
            "HTTP source requests answered, by status code (503: the writer is behind).";
        HTTP_BODY_BYTES "seclake_http_body_bytes_total"
            "HTTP source request body bytes received, as sent (before decompression).";
        HTTP_AUTH_FAILURES "seclake_http_auth_failures_total"
            "HTTP source requests without valid credentials (answered 401).";
        HTTP_BUSY "seclake_http_busy_total"
            "HTTP source requests answered 503 because the queue was full.";
        HTTP_CONNECTIONS "seclake_http_connections_total"
            "HTTP source connections accepted.";
        HTTP_REFUSED "seclake_http_refused_total"
            "HTTP source connections closed at once: max_connections were open.";
        HTTP_TIMED_OUT "seclake_http_timed_out_total"
            "HTTP source connections closed by frame_timeout or idle_timeout.";
        ALERTS "seclake_alerts_total"
            "New alerts recorded in _alerts, by rule id (at ingest and by scheduled runs).";
        ALERTS_SENT "seclake_alerts_sent_total" "Alerts an alert output delivered.";
        ALERT_OUTPUT_FAILURES "seclake_alert_output_failures_total"
            "Alerts an alert output could not deliver (after its retries); they are in _alerts.";
        DETECTION_ERRORS "seclake_detection_errors_total"
            "Detection runs that failed: recording ingest-time alerts, or a scheduled run.";
    }
    gauges {
        QUEUE_LAG "seclake_queue_lag_seconds"
            "Age of the oldest message of the last batch received from a queue.";
        SYSLOG_OPEN_CONNECTIONS "seclake_syslog_open_connections"
            "Syslog TCP and TLS connections open now.";
        HTTP_OPEN_CONNECTIONS "seclake_http_open_connections"
            "HTTP source connections open now.";
        MISSING_SEQUENCES "seclake_missing_sequences"
            "Sequence numbers missing from the last day's Imperva and Edgecast deliveries, by log type (seclake gaps lists them).";
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Names Prometheus accepts, each once, and counters named as such.
    #[test]
    fn names_are_unique_and_well_formed() {
        let names: Vec<&str> = COUNTERS
            .iter()
            .map(|c| c.name())
            .chain(GAUGES.iter().map(|g| g.name()))
            .collect();
        let unique: HashSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        for name in &names {
            assert!(name.starts_with("seclake_"), "{name}");
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
        }
        assert!(COUNTERS.iter().all(|c| c.name().ends_with("_total")));
        assert!(GAUGES.iter().all(|g| !g.name().ends_with("_total")));
        let helps = COUNTERS.iter().map(|c| c.help());
        assert!(helps
            .chain(GAUGES.iter().map(|g| g.help()))
            .all(|h| h.ends_with('.') && !h.contains('\n')));
    }
}
