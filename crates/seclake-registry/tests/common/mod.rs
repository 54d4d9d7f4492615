//! Shared by the registry's test files.

#![allow(dead_code)]

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use seclake_core::{LogType, Row, StandardFields, Timestamp};
use seclake_engine::sinks::write_reject_json;
use seclake_engine::{Options, Reject, RowSink};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The inputs of a log type's fixture directory, sorted by name, each
/// with the name it is parsed under: every `input*` file, and every file
/// of an `input*` directory, named `<directory>/<file>` (for fixtures
/// that must bear a vendor's file name, which a log type reads facts
/// from, such as Imperva's `1234_5678.log`).
pub fn fixture_inputs(dir: &Path) -> Vec<(String, PathBuf)> {
    let starts_input = |p: &Path| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("input"))
    };
    let list = |d: &Path| -> Vec<PathBuf> {
        fs::read_dir(d)
            .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
            .map(|e| e.unwrap().path())
            .collect()
    };
    let mut out = Vec::new();
    for path in list(dir).into_iter().filter(|p| starts_input(p)) {
        if path.is_dir() {
            for file in list(&path) {
                let name = file.strip_prefix(dir).unwrap().to_string_lossy();
                out.push((name.into_owned(), file));
            }
        } else {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            out.push((name, path));
        }
    }
    out.sort();
    out
}

pub fn blessing() -> bool {
    std::env::var_os("SECLAKE_BLESS").is_some_and(|v| v != "0")
}

/// Fixed options so that fixture output is reproducible.
pub fn fixture_options() -> Options {
    Options {
        reference_time: Timestamp::parse_rfc3339("2024-06-01T00:00:00Z"),
        parse_time: Some(Timestamp::parse_rfc3339("2024-01-01T00:00:00Z").unwrap()),
        source_id: Some("fixture".into()),
        source_label: Some("golden fixtures".into()),
        decoders: seclake_registry::decoders().to_vec(),
        ..Options::default()
    }
}

/// Collects rows and rejects as JSON lines, and the log type of each row.
#[derive(Default)]
pub struct Capture {
    pub rows: Vec<u8>,
    pub rejects: Vec<u8>,
    pub row_types: Vec<&'static str>,
    /// The batch of each row, as the lake would store it.
    pub batches: Vec<arrow_array::RecordBatch>,
}

impl RowSink for Capture {
    fn row(
        &mut self,
        t: &LogType,
        row: &Row<'_>,
        std: &StandardFields<'_>,
        event_time: Timestamp,
    ) -> io::Result<()> {
        // Through an Arrow batch, as `seclake parse` and the lake see rows.
        let mut batch = seclake_engine::batch::TableBatch::new(&t.schema);
        batch.append(row, std, event_time);
        let batch = batch.finish().expect("a row makes a batch");
        seclake_engine::json_lines::write_batch(&mut self.rows, &batch);
        self.batches.push(batch);
        self.row_types.push(t.name());
        Ok(())
    }
    fn reject(&mut self, r: &Reject<'_>) -> io::Result<()> {
        write_reject_json(&mut self.rejects, r);
        Ok(())
    }
}

/// Parses a string with the given candidate types.
pub fn parse_str(input: &str, types: &[&LogType]) -> Capture {
    let mut cap = Capture::default();
    seclake_engine::parse_stream(
        input.as_bytes(),
        seclake_engine::StreamName::same("example"),
        types,
        &fixture_options(),
        &mut cap,
    )
    .unwrap();
    cap
}
