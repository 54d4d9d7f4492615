//! SQL over a small lake built in a temporary directory (see `common`).

mod common;

use std::any::Any;
use std::sync::Arc;

use arrow_schema::{DataType, TimeUnit};
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::physical_plan::ExecutionPlan;
use seclake_query::{OutputFormat, QueryEngine, QueryError};

use common::{build_lake, partition, write_garbage};

async fn lake() -> (tempfile::TempDir, QueryEngine) {
    let dir = tempfile::tempdir().unwrap();
    build_lake(dir.path());
    let engine = QueryEngine::open(dir.path().to_str().unwrap())
        .await
        .unwrap();
    (dir, engine)
}

/// The results as CSV lines without the header.
async fn rows(engine: &QueryEngine, sql: &str) -> Vec<String> {
    let csv = engine
        .collect(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .render(OutputFormat::Csv)
        .unwrap();
    csv.lines().skip(1).map(str::to_string).collect()
}

/// The files the physical plan of `sql` will open, as paths relative to
/// the table directory.
async fn scanned_files(engine: &QueryEngine, sql: &str) -> Vec<String> {
    fn walk(plan: &Arc<dyn ExecutionPlan>, out: &mut Vec<String>) {
        if let Some(exec) = plan.downcast_ref::<DataSourceExec>() {
            let source: &dyn Any = exec.data_source().as_ref();
            if let Some(config) = source.downcast_ref::<FileScanConfig>() {
                for group in &config.file_groups {
                    for f in group.files() {
                        let p = f.object_meta.location.as_ref();
                        let rel = p.find("year=").map_or(p, |i| &p[i..]);
                        out.push(rel.to_string());
                    }
                }
            }
        }
        for child in plan.children() {
            walk(child, out);
        }
    }
    let plan = engine
        .plan(sql)
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    let mut files = vec![];
    walk(&plan, &mut files);
    files.sort();
    files
}

#[tokio::test]
async fn lists_tables_and_ignores_what_is_not_data() {
    let (_dir, engine) = lake().await;
    assert_eq!(
        engine.tables(),
        ["_rejects", "aws_cloudtrail", "aws_vpcflow"]
    );
    // Garbage under `_tmp/`, hidden and `_` files, `.tmp`/`#1` staging
    // files and an empty file are never read.
    assert_eq!(
        rows(&engine, "SELECT count(*) FROM aws_cloudtrail").await,
        ["8"]
    );
    assert_eq!(
        rows(
            &engine,
            "SELECT count(*) FROM (SELECT * FROM aws_cloudtrail)"
        )
        .await,
        ["8"]
    );
}

#[tokio::test]
async fn group_by_counts() {
    let (_dir, engine) = lake().await;
    assert_eq!(
        rows(
            &engine,
            "SELECT eventName, count(*) AS n FROM aws_cloudtrail GROUP BY 1 ORDER BY 2 DESC, 1"
        )
        .await,
        [
            "GetObject,4",
            "ConsoleLogin,2",
            "DeleteBucket,1",
            "PutObject,1"
        ]
    );
    assert_eq!(
        rows(
            &engine,
            "SELECT action, count(*), sum(bytes) FROM aws_vpcflow GROUP BY action ORDER BY action"
        )
        .await,
        ["ACCEPT,4,1600", "REJECT,1,40"]
    );
}

#[tokio::test]
async fn partition_columns_are_queryable() {
    let (_dir, engine) = lake().await;
    assert_eq!(
        rows(
            &engine,
            "SELECT year, month, day, hour, count(*) FROM aws_cloudtrail GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
        )
        .await,
        [
            "2024,03,07,05,3",
            "2024,03,07,06,2",
            "2024,03,07,07,2",
            "2024,03,08,00,1"
        ]
    );
}

#[tokio::test]
async fn time_range_filters_rows_and_prunes_partitions() {
    let (_dir, engine) = lake().await;
    let sql = "SELECT eventName, p_event_time FROM aws_cloudtrail \
               WHERE p_event_time >= '2024-03-07T06:00:00Z' AND p_event_time < '2024-03-07T08:00:00Z' \
               ORDER BY p_event_time";
    assert_eq!(
        rows(&engine, sql).await,
        [
            "GetObject,2024-03-07T06:00:00Z",
            "PutObject,2024-03-07T06:30:00Z",
            "ConsoleLogin,2024-03-07T07:15:00Z",
            "GetObject,2024-03-07T07:45:00Z",
        ]
    );
    assert_eq!(
        scanned_files(&engine, sql).await,
        [
            "year=2024/month=03/day=07/hour=06/20240307T0700Z-a-000002.parquet",
            "year=2024/month=03/day=07/hour=07/20240307T0800Z-b-000001.parquet",
        ]
    );
    // Without a time predicate, every data file.
    assert_eq!(
        scanned_files(&engine, "SELECT eventName FROM aws_cloudtrail")
            .await
            .len(),
        4
    );
}

#[tokio::test]
async fn pruning_handles_the_usual_spellings() {
    let (_dir, engine) = lake().await;
    let cases: &[(&str, &[&str])] = &[
        // The last microsecond of hour 05 keeps hour 05 only.
        (
            "p_event_time >= TIMESTAMP '2024-03-07 05:59:59.999999'",
            &["hour=05", "hour=06", "hour=07", "day=08/hour=00"],
        ),
        (
            "p_event_time > '2024-03-07T07:00:00Z'",
            &["hour=07", "day=08/hour=00"],
        ),
        ("p_event_time < '2024-03-07T06:00:00Z'", &["hour=05"]),
        (
            "p_event_time <= '2024-03-07T06:00:00Z'",
            &["hour=05", "hour=06"],
        ),
        (
            "p_event_time BETWEEN '2024-03-07T06:10:00Z' AND '2024-03-07T07:10:00Z'",
            &["hour=06", "hour=07"],
        ),
        ("p_event_time = '2024-03-08T00:05:00Z'", &["day=08/hour=00"]),
        (
            "(p_event_time < '2024-03-07T06:00:00Z' OR p_event_time >= '2024-03-08T00:00:00Z')",
            &["hour=05", "day=08/hour=00"],
        ),
        (
            "p_event_time > '2024-03-07T06:30:00Z' AND eventName = 'GetObject'",
            &["hour=06", "hour=07", "day=08/hour=00"],
        ),
        // Relative to now (folded to a literal before the scan): the data
        // is from 2024, so nothing is opened.
        ("p_event_time > now() - interval '1 day'", &[]),
        ("p_event_time > '2024-03-09T00:00:00Z'", &[]),
    ];
    for (predicate, expected) in cases {
        let sql = format!("SELECT eventName FROM aws_cloudtrail WHERE {predicate}");
        let files = scanned_files(&engine, &sql).await;
        assert_eq!(files.len(), expected.len(), "{predicate}: {files:?}");
        for (f, e) in files.iter().zip(expected.iter()) {
            assert!(f.contains(e), "{predicate}: {files:?}");
        }
    }
    // The rows are right too (DataFusion still applies the predicate).
    assert_eq!(
        rows(
            &engine,
            "SELECT count(*) FROM aws_cloudtrail WHERE p_event_time >= TIMESTAMP '2024-03-07 05:59:59.999999'"
        )
        .await,
        ["6"]
    );
    assert_eq!(
        rows(
            &engine,
            "SELECT count(*) FROM aws_cloudtrail WHERE p_event_time > now() - interval '1 day'"
        )
        .await,
        ["0"]
    );
}

/// A corrupt file in a partition outside the time range: the range query
/// never opens it, a full scan fails on it.
#[tokio::test]
async fn pruned_partitions_are_never_opened() {
    let (dir, engine) = lake().await;
    // Registered (schemas merged) before the corrupt file appears.
    assert_eq!(
        rows(&engine, "SELECT count(*) FROM aws_cloudtrail").await,
        ["8"]
    );
    // Committed to the table, as a file damaged after its commit would be.
    let corrupt = partition(dir.path(), "aws_cloudtrail", 6, 23).join("corrupt.parquet");
    write_garbage(&corrupt);
    let hour = common::march_2024(6, 23, 0, 0);
    common::commit_file(
        &corrupt,
        Arc::new(arrow_schema::Schema::empty()),
        1,
        (hour, hour + common::US_PER_HOUR - 1),
    );

    let in_range = "SELECT eventName FROM aws_cloudtrail \
                    WHERE p_event_time > '2024-03-07T07:00:00Z' ORDER BY 1";
    assert_eq!(
        rows(&engine, in_range).await,
        ["ConsoleLogin", "DeleteBucket", "GetObject"]
    );

    let full = engine
        .collect("SELECT eventName FROM aws_cloudtrail")
        .await
        .expect_err("a full scan opens the corrupt file");
    let msg = full.to_string();
    assert!(msg.to_lowercase().contains("parquet"), "{msg}");
}

#[tokio::test]
async fn schemas_merge_and_old_files_read_null() {
    let (_dir, engine) = lake().await;
    let result = engine
        .collect("SELECT * FROM aws_cloudtrail LIMIT 1")
        .await
        .unwrap();
    let names: Vec<&str> = result
        .schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert!(names.contains(&"errorCode"), "{names:?}");
    assert_eq!(&names[names.len() - 4..], ["year", "month", "day", "hour"]);
    assert_eq!(
        rows(
            &engine,
            "SELECT hour, eventName, errorCode FROM aws_cloudtrail ORDER BY p_event_time"
        )
        .await,
        [
            "05,ConsoleLogin,",
            "05,GetObject,",
            "05,GetObject,",
            "06,GetObject,",
            "06,PutObject,",
            "07,ConsoleLogin,AccessDenied",
            "07,GetObject,",
            "00,DeleteBucket,NoSuchBucket",
        ]
    );
    assert_eq!(
        rows(
            &engine,
            "SELECT count(*) FROM aws_cloudtrail WHERE errorCode IS NULL"
        )
        .await,
        ["6"]
    );
    // A field added to a struct: old rows read null in it.
    assert_eq!(
        rows(
            &engine,
            "SELECT hour, userIdentity['accountId'] FROM aws_cloudtrail \
             WHERE eventName IN ('PutObject', 'DeleteBucket') ORDER BY p_event_time"
        )
        .await,
        ["06,", "00,123456789012"]
    );
    // ...and keep their values of the members they had: the struct is not
    // blanked by the table's newer shape.
    assert_eq!(
        rows(
            &engine,
            "SELECT count(*) FROM aws_cloudtrail \
             WHERE userIdentity['type'] = 'IAMUser' \
             AND userIdentity['arn'] = 'arn:aws:iam::123456789012:user/alice'"
        )
        .await,
        ["8"]
    );
}

#[tokio::test]
async fn timestamps_are_utc_microseconds() {
    let (_dir, engine) = lake().await;
    let result = engine
        .collect("SELECT p_event_time, p_parse_time FROM aws_cloudtrail LIMIT 1")
        .await
        .unwrap();
    let utc_us = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    for f in result.schema.fields() {
        assert_eq!(f.data_type(), &utc_us, "{}", f.name());
    }
}

#[tokio::test]
async fn rejects_table_is_queryable_quoted_or_not() {
    let (_dir, engine) = lake().await;
    for sql in [
        "SELECT reason, raw FROM _rejects",
        "SELECT reason, raw FROM \"_rejects\"",
    ] {
        assert_eq!(rows(&engine, sql).await, ["not JSON,{oops"], "{sql}");
    }
}

#[tokio::test]
async fn identifiers_are_taken_as_written() {
    let (_dir, engine) = lake().await;
    // camelCase columns need no quotes; functions and keywords are
    // case-insensitive.
    assert_eq!(
        rows(
            &engine,
            "select COUNT(*), Max(eventName) FROM aws_cloudtrail where \"eventName\" <> 'x'"
        )
        .await,
        ["8,PutObject"]
    );
    // A table name in the wrong case gets a suggestion.
    let err = engine
        .collect("SELECT count(*) FROM AWS_VPCFlow")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "table 'AWS_VPCFlow' not found; tables in the lake: _rejects, aws_cloudtrail, aws_vpcflow \
         (did you mean 'aws_vpcflow'?)"
    );
}

#[tokio::test]
async fn output_formats() {
    let (_dir, engine) = lake().await;
    let result = engine
        .collect(
            "SELECT eventName, p_event_time, p_any_ip_addresses, errorCode FROM aws_cloudtrail \
             WHERE eventName IN ('PutObject', 'ConsoleLogin') ORDER BY p_event_time LIMIT 3",
        )
        .await
        .unwrap();
    assert_eq!(
        result.render(OutputFormat::Csv).unwrap(),
        "eventName,p_event_time,p_any_ip_addresses,errorCode\n\
         ConsoleLogin,2024-03-07T05:10:00Z,\"[\"\"203.0.113.5\"\"]\",\n\
         PutObject,2024-03-07T06:30:00Z,\"[\"\"198.51.100.7\"\",\"\"2001:db8::1\"\"]\",\n\
         ConsoleLogin,2024-03-07T07:15:00Z,\"[\"\"203.0.113.5\"\"]\",AccessDenied\n"
    );
    assert_eq!(
        result.render(OutputFormat::Json).unwrap(),
        "{\"eventName\":\"ConsoleLogin\",\"p_event_time\":\"2024-03-07T05:10:00Z\",\"p_any_ip_addresses\":[\"203.0.113.5\"],\"errorCode\":null}\n\
         {\"eventName\":\"PutObject\",\"p_event_time\":\"2024-03-07T06:30:00Z\",\"p_any_ip_addresses\":[\"198.51.100.7\",\"2001:db8::1\"],\"errorCode\":null}\n\
         {\"eventName\":\"ConsoleLogin\",\"p_event_time\":\"2024-03-07T07:15:00Z\",\"p_any_ip_addresses\":[\"203.0.113.5\"],\"errorCode\":\"AccessDenied\"}\n"
    );
    let table = result.render(OutputFormat::Table).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    // Structs are JSON objects in `json` and JSON text in `csv`.
    let nested = engine
        .collect("SELECT userIdentity FROM aws_cloudtrail WHERE eventName = 'DeleteBucket'")
        .await
        .unwrap();
    assert_eq!(
        nested.render(OutputFormat::Json).unwrap(),
        "{\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::123456789012:user/alice\",\"accountId\":\"123456789012\"}}\n"
    );
    assert_eq!(
        nested.render(OutputFormat::Csv).unwrap(),
        "userIdentity\n\"{\"\"type\"\":\"\"IAMUser\"\",\"\"arn\"\":\"\"arn:aws:iam::123456789012:user/alice\"\",\"\"accountId\"\":\"\"123456789012\"\"}\"\n"
    );
    assert_eq!(lines.len(), 7, "{table}");
    assert!(
        lines[1].contains("| eventName    | p_event_time         |"),
        "{table}"
    );
    assert!(
        lines[3].contains("| ConsoleLogin | 2024-03-07T05:10:00Z | [203.0.113.5]"),
        "{table}"
    );
    assert!(lines[3].ends_with("| NULL         |"), "{table}");
}

#[tokio::test]
async fn fractional_seconds_and_naive_timestamps_render_with_z() {
    let (_dir, engine) = lake().await;
    let result = engine
        .collect(
            "SELECT max(p_event_time) FILTER (WHERE hour = '05') AS t, \
             to_timestamp('2024-01-02T03:04:05') AS naive FROM aws_cloudtrail",
        )
        .await
        .unwrap();
    assert_eq!(
        result.render(OutputFormat::Csv).unwrap(),
        "t,naive\n2024-03-07T05:59:59.999999Z,2024-01-02T03:04:05Z\n"
    );
    let json = result.render(OutputFormat::Json).unwrap();
    assert_eq!(
        json,
        "{\"t\":\"2024-03-07T05:59:59.999999Z\",\"naive\":\"2024-01-02T03:04:05Z\"}\n"
    );
    let table = result.render(OutputFormat::Table).unwrap();
    assert!(
        table.contains("| 2024-03-07T05:59:59.999999Z | 2024-01-02T03:04:05Z |"),
        "{table}"
    );
}

#[tokio::test]
async fn empty_results_still_have_headers() {
    let (_dir, engine) = lake().await;
    let result = engine
        .collect("SELECT eventName, hour FROM aws_cloudtrail WHERE false")
        .await
        .unwrap();
    assert_eq!(
        result.render(OutputFormat::Csv).unwrap(),
        "eventName,hour\n"
    );
    assert_eq!(result.render(OutputFormat::Json).unwrap(), "");
    assert!(result
        .render(OutputFormat::Table)
        .unwrap()
        .contains("| eventName | hour |"));
}

#[tokio::test]
async fn streaming_output_matches_collected() {
    let (_dir, engine) = lake().await;
    let sql = "SELECT * FROM aws_vpcflow ORDER BY p_event_time";
    for format in OutputFormat::ALL {
        let mut out = Vec::new();
        let stream = engine.execute(sql).await.unwrap();
        let n = seclake_query::write_stream(&mut out, stream, format)
            .await
            .unwrap();
        assert_eq!(n, 5);
        let collected = engine.collect(sql).await.unwrap().render(format).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), collected, "{format}");
    }
}

#[tokio::test]
async fn unknown_table_lists_the_tables() {
    let (_dir, engine) = lake().await;
    let err = engine
        .collect("SELECT eventName FROM aws_cloudtrai")
        .await
        .unwrap_err();
    assert!(matches!(err, QueryError::UnknownTable { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "table 'aws_cloudtrai' not found; tables in the lake: _rejects, aws_cloudtrail, aws_vpcflow \
         (did you mean 'aws_cloudtrail'?)"
    );
    // In a join or subquery as well.
    let err = engine
        .collect("SELECT * FROM aws_vpcflow v JOIN (SELECT * FROM okta) o ON true")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("table 'okta' not found; tables in the lake: "),
        "{err}"
    );
    // CTE names are not tables.
    assert_eq!(
        rows(&engine, "WITH c AS (SELECT 1 AS x) SELECT x FROM c").await,
        ["1"]
    );
}

#[tokio::test]
async fn empty_and_missing_lakes() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().to_str().unwrap();
    let engine = QueryEngine::open(uri).await.unwrap();
    assert!(engine.tables().is_empty());
    let err = engine
        .collect("SELECT * FROM aws_cloudtrail")
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("is empty"), "{msg}");
    assert!(
        msg.contains(&format!("seclake ingest --lake {uri}")),
        "{msg}"
    );
    // Queries that name no table still work.
    assert_eq!(rows(&engine, "SELECT 1 + 1").await, ["2"]);

    let missing = dir.path().join("nope");
    let err = QueryEngine::open(missing.to_str().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, QueryError::LakeNotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("nope' does not exist"), "{err}");
}

#[tokio::test]
async fn only_queries_are_allowed() {
    let (_dir, engine) = lake().await;
    for sql in [
        "CREATE TABLE t AS SELECT 1",
        "INSERT INTO aws_vpcflow SELECT * FROM aws_vpcflow",
        "DROP TABLE aws_vpcflow",
        "SET datafusion.execution.batch_size = 1",
        "COPY (SELECT 1) TO '/tmp/seclake-query-copy.csv'",
    ] {
        let err = engine.collect(sql).await.unwrap_err();
        assert!(matches!(err, QueryError::NotAQuery(_)), "{sql}: {err:?}");
    }
    let err = engine
        .collect("COPY (SELECT 1) TO '/tmp/x.csv'")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "only queries are supported here (the lake is written by `seclake ingest`): \
         DML not supported: COPY"
    );
    // DESCRIBE, SHOW TABLES, information_schema and EXPLAIN are fine, and
    // show every table.
    let described = rows(&engine, "DESCRIBE _rejects").await;
    assert!(
        described.contains(&"p_event_time,\"Timestamp(µs, \"\"UTC\"\")\",NO".to_string()),
        "{described:?}"
    );
    let mut shown = rows(&engine, "SHOW TABLES").await;
    shown.retain(|r| r.contains(",public,"));
    assert_eq!(shown.len(), 3, "{shown:?}");
    let tables = rows(
        &engine,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    )
    .await;
    assert_eq!(tables, ["_rejects", "aws_cloudtrail", "aws_vpcflow"]);
    let explain = engine
        .collect(
            "EXPLAIN SELECT count(*) FROM aws_vpcflow WHERE p_event_time > '2024-03-07T06:00:00Z'",
        )
        .await
        .unwrap()
        .render(OutputFormat::Table)
        .unwrap();
    // The physical plan lists the files to read: hour 05 is pruned.
    assert!(explain.contains("hour=06/b.parquet"), "{explain}");
    assert!(!explain.contains("hour=05"), "{explain}");
}

#[tokio::test]
async fn one_shot_query_function() {
    let dir = tempfile::tempdir().unwrap();
    build_lake(dir.path());
    let out = seclake_query::query(
        dir.path().to_str().unwrap(),
        "SELECT count(*) AS n FROM aws_vpcflow",
        "json".parse().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(out, "{\"n\":5}\n");
    assert!("xml".parse::<OutputFormat>().is_err());
}

#[tokio::test]
async fn lake_paths_with_spaces() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("my lake");
    build_lake(&lake);
    let engine = QueryEngine::open(lake.to_str().unwrap()).await.unwrap();
    assert_eq!(
        rows(&engine, "SELECT count(*) FROM aws_vpcflow").await,
        ["5"]
    );
}

/// An output that accepts `budget` bytes, then fails like a closed pipe.
struct ClosedPipe {
    budget: usize,
}

impl std::io::Write for ClosedPipe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.budget < buf.len() {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        self.budget -= buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_closed_pipe_is_recognisable() {
    let (_dir, engine) = lake().await;
    for format in OutputFormat::ALL {
        let stream = engine
            .execute("SELECT * FROM aws_cloudtrail")
            .await
            .unwrap();
        let err = seclake_query::write_stream(ClosedPipe { budget: 10 }, stream, format)
            .await
            .unwrap_err();
        assert!(err.is_broken_pipe(), "{format}: {err:?}");
    }
}
