//! A small lake written directly with `parquet` + `arrow-array`, in the
//! layout the lake writer produces, so the query side is tested against
//! the contract rather than against the writer.
//!
//! Contents (all times UTC):
//!
//! | table | partition | file | rows |
//! |---|---|---|---|
//! | aws_cloudtrail | 2024-03-07 05 | old schema (no `errorCode`) | ConsoleLogin 05:10, GetObject 05:20, GetObject 05:59:59.999999 |
//! | aws_cloudtrail | 2024-03-07 06 | old schema | GetObject 06:00, PutObject 06:30 |
//! | aws_cloudtrail | 2024-03-07 07 | new schema (`errorCode`, `userIdentity.accountId`) | ConsoleLogin 07:15 AccessDenied, GetObject 07:45 null |
//! | aws_cloudtrail | 2024-03-08 00 | new schema | DeleteBucket 00:05 NoSuchBucket |
//! | aws_vpcflow | 2024-03-07 05, 06 | | 3 ACCEPT + 1 REJECT, 1 ACCEPT |
//! | _rejects | 2024-03-07 06 | | one reject |
//!
//! plus things a reader must ignore: `_tmp/` and hidden files with
//! garbage in them, a `.parquet.tmp` file, an empty file, a top-level
//! `_staging/` directory, and an `aws_alb/` directory with no data.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{
    Array, ArrayRef, Int64Array, RecordBatch, StringArray, StructArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Fields, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

pub const US_PER_HOUR: i64 = 3_600_000_000;

/// Microseconds since the epoch of `2024-03-DD HH:MM:SS` UTC.
pub fn march_2024(day: i64, h: i64, m: i64, s: i64) -> i64 {
    // 2024-03-01T00:00:00Z
    const MARCH_1: i64 = 1_709_251_200;
    (MARCH_1 + (day - 1) * 86_400 + h * 3_600 + m * 60 + s) * 1_000_000
}

/// A row of the test CloudTrail table.
pub struct Trail {
    pub event: &'static str,
    pub time: i64,
    pub error: Option<&'static str>,
    pub ips: &'static [&'static str],
}

fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn list_of_strings(rows: &[&[&str]]) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new());
    for r in rows {
        if r.is_empty() {
            b.append_null();
        } else {
            for v in *r {
                b.values().append_value(v);
            }
            b.append(true);
        }
    }
    Arc::new(b.finish())
}

/// The standard `p_*` fields for `n` rows at `times`.
fn standard_fields(log_type: &str, times: &[i64], ips: &[&[&str]]) -> Vec<(Field, ArrayRef)> {
    let n = times.len();
    let s = |v: String| -> ArrayRef { Arc::new(StringArray::from(vec![v; n])) };
    let row_ids: Vec<String> = times.iter().map(|t| format!("{log_type}-{t}")).collect();
    vec![
        (
            Field::new("p_log_type", DataType::Utf8, false),
            s(log_type.into()),
        ),
        (
            Field::new("p_row_id", DataType::Utf8, false),
            Arc::new(StringArray::from(row_ids)),
        ),
        (
            Field::new("p_event_time", ts_type(), false),
            Arc::new(TimestampMicrosecondArray::from(times.to_vec()).with_timezone("UTC")),
        ),
        (
            Field::new("p_parse_time", ts_type(), false),
            Arc::new(
                TimestampMicrosecondArray::from(vec![march_2024(9, 0, 0, 0); n])
                    .with_timezone("UTC"),
            ),
        ),
        (
            Field::new("p_source_id", DataType::Utf8, true),
            s("src-1".into()),
        ),
        (
            Field::new("p_source_label", DataType::Utf8, true),
            s("test".into()),
        ),
        (
            Field::new(
                "p_any_ip_addresses",
                DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
                true,
            ),
            list_of_strings(ips),
        ),
    ]
}

fn batch(columns: Vec<(Field, ArrayRef)>) -> RecordBatch {
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = columns.into_iter().unzip();
    RecordBatch::try_new(Arc::new(arrow_schema::Schema::new(fields)), arrays).unwrap()
}

fn cloudtrail_batch(rows: &[Trail], new_schema: bool) -> RecordBatch {
    let names: Vec<&str> = rows.iter().map(|r| r.event).collect();
    let mut identity_fields = vec![
        Field::new("type", DataType::Utf8, true),
        Field::new("arn", DataType::Utf8, true),
    ];
    let mut identity_columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec!["IAMUser"; rows.len()])),
        Arc::new(StringArray::from(
            vec!["arn:aws:iam::123456789012:user/alice"; rows.len()],
        )),
    ];
    if new_schema {
        identity_fields.push(Field::new("accountId", DataType::Utf8, true));
        identity_columns.push(Arc::new(StringArray::from(vec![
            "123456789012";
            rows.len()
        ])));
    }
    let identity = StructArray::new(Fields::from(identity_fields), identity_columns, None);
    let mut columns = vec![
        (
            Field::new("eventName", DataType::Utf8, true),
            Arc::new(StringArray::from(names)) as ArrayRef,
        ),
        (
            Field::new("userIdentity", identity.data_type().clone(), true),
            Arc::new(identity) as ArrayRef,
        ),
    ];
    if new_schema {
        let errors: Vec<Option<&str>> = rows.iter().map(|r| r.error).collect();
        columns.push((
            Field::new("errorCode", DataType::Utf8, true),
            Arc::new(StringArray::from(errors)),
        ));
    }
    let times: Vec<i64> = rows.iter().map(|r| r.time).collect();
    let ips: Vec<&[&str]> = rows.iter().map(|r| r.ips).collect();
    columns.extend(standard_fields("AWS.CloudTrail", &times, &ips));
    batch(columns)
}

fn vpcflow_batch(rows: &[(&str, i64, i64)]) -> RecordBatch {
    let actions: Vec<&str> = rows.iter().map(|r| r.0).collect();
    let bytes: Vec<i64> = rows.iter().map(|r| r.1).collect();
    let times: Vec<i64> = rows.iter().map(|r| r.2).collect();
    let ips: Vec<&[&str]> = vec![&["10.0.0.1", "10.0.0.2"]; rows.len()];
    let mut columns = vec![
        (
            Field::new("action", DataType::Utf8, true),
            Arc::new(StringArray::from(actions)) as ArrayRef,
        ),
        (
            Field::new("bytes", DataType::Int64, true),
            Arc::new(Int64Array::from(bytes)) as ArrayRef,
        ),
    ];
    columns.extend(standard_fields("AWS.VPCFlow", &times, &ips));
    batch(columns)
}

fn rejects_batch() -> RecordBatch {
    let t = march_2024(7, 6, 1, 0);
    let mut columns = vec![
        (
            Field::new("reason", DataType::Utf8, false),
            Arc::new(StringArray::from(vec!["not JSON"])) as ArrayRef,
        ),
        (
            Field::new("raw", DataType::Utf8, true),
            Arc::new(StringArray::from(vec!["{oops"])) as ArrayRef,
        ),
    ];
    columns.extend(standard_fields("_rejects", &[t], &[&[]]));
    batch(columns)
}

/// The directory of a partition of `table`.
pub fn partition(lake: &Path, table: &str, day: u32, hour: u32) -> PathBuf {
    lake.join(table)
        .join("year=2024")
        .join("month=03")
        .join(format!("day={day:02}"))
        .join(format!("hour={hour:02}"))
}

/// Writes `batch` as a zstd Parquet file at
/// `<lake>/<table>/year=/month=/day=/hour=/<name>` and commits it to the
/// table's Delta log, as the lake writer does.
pub fn write_parquet(path: &Path, batch: &RecordBatch) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
    commit(path, batch);
}

/// Commits the file at `path` (written from `batch`) to its table's log.
pub fn commit(path: &Path, batch: &RecordBatch) {
    use arrow_array::cast::AsArray;
    use arrow_array::types::TimestampMicrosecondType;
    let times = batch
        .column_by_name("p_event_time")
        .unwrap()
        .as_primitive::<TimestampMicrosecondType>()
        .values()
        .to_vec();
    commit_file(
        path,
        batch.schema(),
        batch.num_rows() as u64,
        (*times.iter().min().unwrap(), *times.iter().max().unwrap()),
    );
}

/// Commits whatever file is at `path` to its table's log, claiming it
/// holds `rows` rows of `schema` with event times in `range`.
pub fn commit_file(path: &Path, schema: arrow_schema::SchemaRef, rows: u64, range: (i64, i64)) {
    let table_dir = path.ancestors().nth(5).unwrap();
    let lake_dir = table_dir.parent().unwrap().to_path_buf();
    let table = table_dir.file_name().unwrap().to_str().unwrap().to_string();
    let rel = path
        .strip_prefix(table_dir)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let file = seclake_lake::delta::NewFile {
        hour: seclake_lake::layout::parse_partition(&rel).unwrap(),
        path: rel,
        size: std::fs::metadata(path).unwrap().len(),
        rows,
        min_time: range.0,
        max_time: range.1,
    };
    // The tests run inside a runtime; the commit gets its own, on its own thread.
    std::thread::spawn(move || {
        let lake = seclake_lake::Lake::open(lake_dir.to_str().unwrap()).unwrap();
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(seclake_lake::delta::Committer::default().append(
                &lake,
                &table,
                &schema,
                &[file],
            ))
            .unwrap();
    })
    .join()
    .unwrap();
}

/// Garbage that is named like a Parquet file.
pub fn write_garbage(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, b"this is not a parquet file").unwrap();
}

/// Builds the lake described in the module docs under `lake`.
pub fn build_lake(lake: &Path) {
    let ct = "aws_cloudtrail";
    let none: &[&str] = &[];
    write_parquet(
        &partition(lake, ct, 7, 5).join("20240307T0600Z-a-000001.parquet"),
        &cloudtrail_batch(
            &[
                Trail {
                    event: "ConsoleLogin",
                    time: march_2024(7, 5, 10, 0),
                    error: None,
                    ips: &["203.0.113.5"],
                },
                Trail {
                    event: "GetObject",
                    time: march_2024(7, 5, 20, 0),
                    error: None,
                    ips: none,
                },
                Trail {
                    event: "GetObject",
                    time: march_2024(7, 5, 59, 59) + 999_999,
                    error: None,
                    ips: none,
                },
            ],
            false,
        ),
    );
    write_parquet(
        &partition(lake, ct, 7, 6).join("20240307T0700Z-a-000002.parquet"),
        &cloudtrail_batch(
            &[
                Trail {
                    event: "GetObject",
                    time: march_2024(7, 6, 0, 0),
                    error: None,
                    ips: none,
                },
                Trail {
                    event: "PutObject",
                    time: march_2024(7, 6, 30, 0),
                    error: None,
                    ips: &["198.51.100.7", "2001:db8::1"],
                },
            ],
            false,
        ),
    );
    write_parquet(
        &partition(lake, ct, 7, 7).join("20240307T0800Z-b-000001.parquet"),
        &cloudtrail_batch(
            &[
                Trail {
                    event: "ConsoleLogin",
                    time: march_2024(7, 7, 15, 0),
                    error: Some("AccessDenied"),
                    ips: &["203.0.113.5"],
                },
                Trail {
                    event: "GetObject",
                    time: march_2024(7, 7, 45, 0),
                    error: None,
                    ips: none,
                },
            ],
            true,
        ),
    );
    write_parquet(
        &partition(lake, ct, 8, 0).join("20240308T0100Z-b-000002.parquet"),
        &cloudtrail_batch(
            &[Trail {
                event: "DeleteBucket",
                time: march_2024(8, 0, 5, 0),
                error: Some("NoSuchBucket"),
                ips: none,
            }],
            true,
        ),
    );

    let vpc = "aws_vpcflow";
    write_parquet(
        &partition(lake, vpc, 7, 5).join("a.parquet"),
        &vpcflow_batch(&[
            ("ACCEPT", 100, march_2024(7, 5, 1, 0)),
            ("ACCEPT", 200, march_2024(7, 5, 2, 0)),
            ("REJECT", 40, march_2024(7, 5, 3, 0)),
            ("ACCEPT", 300, march_2024(7, 5, 4, 0)),
        ]),
    );
    write_parquet(
        &partition(lake, vpc, 7, 6).join("b.parquet"),
        &vpcflow_batch(&[("ACCEPT", 1000, march_2024(7, 6, 1, 0))]),
    );

    write_parquet(
        &partition(lake, "_rejects", 7, 6).join("r.parquet"),
        &rejects_batch(),
    );

    // What a reader must not read.
    write_garbage(&lake.join(ct).join("_tmp").join("half-written.parquet"));
    write_garbage(
        &partition(lake, ct, 7, 5)
            .join("_tmp")
            .join("half-written.parquet"),
    );
    write_garbage(&partition(lake, ct, 7, 5).join(".hidden.parquet"));
    write_garbage(&partition(lake, ct, 7, 5).join("_SUCCESS.parquet"));
    write_garbage(&partition(lake, ct, 7, 6).join("c.parquet.tmp"));
    write_garbage(&partition(lake, ct, 7, 6).join("c.parquet#1"));
    std::fs::write(partition(lake, ct, 7, 6).join("empty.parquet"), b"").unwrap();
    write_garbage(&lake.join("_staging").join("x.parquet"));
    write_garbage(&lake.join(".trash").join("x.parquet"));
    std::fs::create_dir_all(lake.join("aws_alb").join("year=2024")).unwrap();
}
