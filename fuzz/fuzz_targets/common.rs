//! Shared by the parse targets: run records through the engine with a
//! chosen set of log types, render the batches as JSON, and check that
//! every line is a JSON object (the output contract).

use std::io;

use seclake_core::{LogType, Row, StandardFields, Timestamp};
use seclake_engine::batch::TableBatch;
use seclake_engine::{parse_stream, Options, Reject, RowSink, StreamName};

struct Check {
    json: Vec<u8>,
}

impl RowSink for Check {
    fn row(
        &mut self,
        t: &LogType,
        row: &Row<'_>,
        std: &StandardFields<'_>,
        event_time: Timestamp,
    ) -> io::Result<()> {
        let mut b = TableBatch::new(&t.schema);
        b.append(row, std, event_time);
        let batch = b.finish().expect("a row always makes a batch");
        self.json.clear();
        seclake_engine::json_lines::write_batch(&mut self.json, &batch);
        let v: serde_json::Value =
            serde_json::from_slice(&self.json).expect("the JSON output is valid JSON");
        assert!(v.is_object());
        Ok(())
    }
    fn reject(&mut self, r: &Reject<'_>) -> io::Result<()> {
        assert!(!r.reason.is_empty());
        Ok(())
    }
}

pub fn run(data: &[u8], types: &[&LogType]) {
    run_with(data, types, Options::default());
}

/// As [`run`], with the registry's decoders (Imperva log files) applied.
#[allow(dead_code)]
pub fn run_decoded(data: &[u8], types: &[&LogType]) {
    let opts = Options {
        decoders: seclake_registry::decoders().to_vec(),
        ..Options::default()
    };
    run_with(data, types, opts);
}

fn run_with(data: &[u8], types: &[&LogType], mut opts: Options) {
    opts.limits.max_record_bytes = 1 << 16;
    opts.limits.max_decompressed_bytes = 1 << 22;
    let mut sink = Check { json: Vec::new() };
    parse_stream(data, StreamName::same("fuzz"), types, &opts, &mut sink).expect("sink errors only");
}

/// The line grammars of the AWS family (the `parse_lines` target).
pub const LINE_TYPES: &[&str] = &["AWS.VPCFlow", "AWS.ALB", "AWS.S3ServerAccess", "AWS.AuroraMySQLAudit"];

/// The syslog grammars and the types riding on them (the `syslog` target).
pub const SYSLOG_TYPES: &[&str] = &[
    "Syslog.RFC5424",
    "Syslog.RFC3164",
    "Juniper.SSR",
    "Juniper.Access",
    "Juniper.Audit",
    "Juniper.Firewall",
    "Juniper.MWS",
    "Juniper.Postgres",
    "Juniper.Security",
];

/// The CEF and LEEF grammars and the types riding on them (the
/// `cef_leef` target).
#[allow(dead_code)]
pub const CEF_TYPES: &[&str] = &["CEF", "LEEF", "Imperva.CloudWAF"];
