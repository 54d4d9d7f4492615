//! `map<string,string>` columns survive Parquet: what is read back renders
//! the same JSON as what was written.

use seclake_core::{columns, LogType, LogTypeDef, Row, StandardFields, Timestamp, Value};
use seclake_engine::batch::TableBatch;
use seclake_lake::encode::{encode, EncodeOptions};

columns! {
    Ext = "ext", "map<string,string>", optional, [Ip], "Extensions.";
    Nested = "nested", "{ \"labels\":map<string,string>, \"n\":bigint }", optional, [], "A struct holding a map.";
}

const DEF: LogTypeDef = LogTypeDef {
    name: "Test.Maps",
    description: "Map columns.",
    reference: "",
    columns: COLUMNS,
    signature: seclake_core::Signature::Any,
    event_time: None,
    examples: &[],
    new_parser: || unreachable!("rows are built by the test"),
    sigma: seclake_core::SigmaDef::NONE,
};

#[test]
fn maps_round_trip_through_parquet() {
    let t = LogType::new(DEF).unwrap();
    let mut b = TableBatch::new(&t.schema);
    let std = StandardFields {
        log_type: "Test.Maps",
        row_id: [b'0'; 32],
        parse_time: Timestamp(0),
        source_id: None,
        source_label: None,
    };
    let mut row = Row::new(2);
    row.set(
        C::Ext,
        Value::Map(vec![
            ("src".into(), "10.0.0.1".into()),
            ("act".into(), "deny".into()),
        ]),
    );
    row.set(
        C::Nested,
        Value::Json(r#"{"labels":{"a":"1","b":null},"n":7}"#.into()),
    );
    row.collect_indicators(&t.schema);
    b.append(&row, &std, Timestamp(0));
    b.append(&Row::new(2), &std, Timestamp(0));
    let batch = b.finish().unwrap();
    let mut want = Vec::new();
    seclake_engine::json_lines::write_batch(&mut want, &batch);
    let opts = EncodeOptions {
        row_group_rows: 1024,
        zstd_level: 1,
        attempts: 1,
        first_backoff: std::time::Duration::ZERO,
    };
    let (file, rows) = encode(&[batch], &opts).unwrap();
    assert_eq!(rows, 2);
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        bytes::Bytes::from(file),
    )
    .unwrap()
    .build()
    .unwrap();
    let mut got = Vec::new();
    for b in reader {
        seclake_engine::json_lines::write_batch(&mut got, &b.unwrap());
    }
    assert_eq!(
        String::from_utf8(got).unwrap(),
        String::from_utf8(want.clone()).unwrap()
    );
    let text = String::from_utf8(want).unwrap();
    assert!(
        text.contains(r#""ext":{"src":"10.0.0.1","act":"deny"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#""p_any_ip_addresses":["10.0.0.1"]"#),
        "{text}"
    );
}
