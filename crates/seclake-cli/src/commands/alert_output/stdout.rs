//! The `stdout` alert output: one JSON line per alert, written and
//! flushed as the alerts are recorded. `seclake serve` logs on stderr, so
//! stdout carries alerts only, for a log shipper or a pipe to read.

use std::io::Write;

use seclake_sources::metrics::Metrics;

pub struct Stdout {
    pub name: String,
}

impl Stdout {
    pub fn new(name: String) -> Self {
        Stdout { name }
    }

    /// Writes `objects` (JSON objects), a line each.
    pub fn write(&self, objects: &[String], metrics: &Metrics) {
        let mut out = std::io::stdout().lock();
        let written = objects
            .iter()
            .try_for_each(|o| writeln!(out, "{o}"))
            .and_then(|()| out.flush());
        if let Err(e) = &written {
            super::log(format!(
                "alert output {:?}: writing stdout failed: {e}; {} alert(s) not delivered (they are in _alerts)",
                self.name,
                objects.len()
            ));
        }
        super::counted(metrics, &self.name, written.is_ok(), objects.len());
    }
}
