//! The lake holds exactly what `seclake parse` prints: for every log type's
//! golden fixtures, each row's batch written as Parquet (as the lake writes
//! it) and read back renders the same JSON as the batch itself.

mod common;

use std::fs;

use common::{fixture_inputs, fixture_options, repo_root, Capture};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;

#[test]
fn parquet_read_back_equals_the_json_output_for_every_log_type() {
    let all: Vec<_> = seclake_registry::all().iter().collect();
    for t in &all {
        let dir = repo_root().join("fixtures/log-types").join(t.name());
        let mut cap = Capture::default();
        for (name, path) in fixture_inputs(&dir) {
            let bytes = fs::read(&path).unwrap();
            seclake_engine::parse_stream(
                &bytes[..],
                seclake_engine::StreamName::same(&name),
                &[t],
                &fixture_options(),
                &mut cap,
            )
            .unwrap();
        }
        assert!(!cap.batches.is_empty(), "{}: no rows", t.name());
        let schema = cap.batches[0].schema();
        let mut file = Vec::new();
        let mut w = ArrowWriter::try_new(&mut file, schema.clone(), None).unwrap();
        for b in &cap.batches {
            w.write(b).unwrap();
        }
        w.close().unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(file))
            .unwrap()
            .build()
            .unwrap();
        let mut back = Vec::new();
        for b in reader {
            let b = b.unwrap();
            assert_eq!(b.schema(), schema, "{}: schema changed", t.name());
            seclake_engine::json_lines::write_batch(&mut back, &b);
        }
        assert_eq!(
            String::from_utf8(back).unwrap(),
            String::from_utf8(cap.rows).unwrap(),
            "{}: Parquet read back differs from the JSON output",
            t.name()
        );
    }
}
