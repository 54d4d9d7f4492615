//! The lake writer, rejects table, table listing and compaction against a
//! real local lake.

use std::sync::Arc;
use std::time::Duration;

use arrow_array::{Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, TimeUnit};
use futures::TryStreamExt;
use object_store::ObjectStoreExt;
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use std::io;

use seclake_engine::pipeline::{Input, Output, Settings};
use seclake_engine::Options;
use seclake_lake::delta::files::{current_files, table_names, TableFile};
use seclake_lake::delta::{Committer, NewFile};
use seclake_lake::ingest::ingest_all;
use seclake_lake::{Lake, LakeError, LakeWriter, WriterOptions};

const VPC: &str = "\
2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418533610 1418533670 REJECT OK
2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA
this line is not a flow record
";

const TRAIL: &str = r#"{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/Alice","accountId":"123456789012","sessionContext":{"attributes":{"creationDate":"2024-01-01T00:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2024-01-01T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.5","resources":[{"ARN":"arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0","accountId":"123456789012","type":"AWS::EC2::Instance"}],"requestParameters":{"instanceType":"t3.micro"},"responseElements":null,"eventID":"e1"}]}"#;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn ingest(lake: &Lake, rt: &tokio::runtime::Runtime, name: &str, input: &str) {
    let types: Vec<_> = seclake_registry::all().iter().collect();
    let w = LakeWriter::new(lake.clone(), rt.handle().clone(), WriterOptions::default());
    let opts = Options {
        source_id: Some("s1".into()),
        ..Options::default()
    };
    let data = input.as_bytes().to_vec();
    let input = Input {
        display: name.to_string(),
        identity: name.to_string(),
        peer_prefix: false,
        open: Box::new(move || Ok(Box::new(io::Cursor::new(data)) as Box<dyn io::Read + Send>)),
    };
    ingest_all(
        vec![input],
        &types,
        &opts,
        Settings::new(2, Output::Batches),
        w,
    )
    .unwrap();
}

/// Compaction of every hour (the current one too) of `table`, or of all.
fn all_hours(table: Option<&str>) -> seclake_lake::compact::CompactOptions {
    seclake_lake::compact::CompactOptions {
        table: table.map(str::to_string),
        older_than: Duration::ZERO,
        ..Default::default()
    }
}

/// Every table's files, from the tables' logs.
async fn list_files(
    lake: &Lake,
) -> Result<std::collections::BTreeMap<String, Vec<TableFile>>, LakeError> {
    let mut out = std::collections::BTreeMap::new();
    for t in table_names(lake).await? {
        let (_, files) = current_files(lake, &t).await?;
        out.insert(t, files);
    }
    Ok(out)
}

async fn read_table(lake: &Lake, table: &str) -> Vec<RecordBatch> {
    let files = list_files(lake).await.unwrap();
    let mut out = Vec::new();
    for f in files.get(table).cloned().unwrap_or_default() {
        let s = ParquetRecordBatchStreamBuilder::new(seclake_lake::tables::open_parquet(
            lake,
            &f.location,
            f.size,
        ))
        .await
        .unwrap()
        .build()
        .unwrap();
        out.extend(s.try_collect::<Vec<_>>().await.unwrap());
    }
    out
}

fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(|b| b.num_rows()).sum()
}

/// Writes and commits `batch` as `older.parquet` in the partition of
/// `beside`, as a writer of an older version of the log type would.
fn put_older_file(
    lake: &Lake,
    rt: &tokio::runtime::Runtime,
    table: &str,
    beside: &TableFile,
    batch: &RecordBatch,
) {
    let mut buf = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), None).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
    let dirname = beside.path.rsplit_once('/').unwrap().0.to_string();
    let rel = format!("{dirname}/older.parquet");
    let size = buf.len() as u64;
    rt.block_on(
        lake.store
            .put(&lake.path(&format!("{table}/{rel}")), buf.into()),
    )
    .unwrap();
    let file = NewFile {
        path: rel,
        hour: beside.hour.unwrap(),
        size,
        rows: batch.num_rows() as u64,
        min_time: 0,
        max_time: i64::MAX / 2,
    };
    rt.block_on(Committer::default().append(lake, table, &batch.schema(), &[file]))
        .unwrap();
}

#[test]
fn rows_land_in_hour_partitions_with_utc_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    let rt = rt();
    ingest(&lake, &rt, "flows.log", VPC);
    ingest(&lake, &rt, "trail.json", TRAIL);

    let files = rt.block_on(list_files(&lake)).unwrap();
    let vpc: Vec<String> = files["aws_vpcflow"]
        .iter()
        .map(|f| f.location.to_string())
        .collect();
    assert_eq!(vpc.len(), 3, "{vpc:?}");
    assert!(
        vpc[0].starts_with("aws_vpcflow/year=2014/month=12/day=14/hour=04/"),
        "{vpc:?}"
    );
    assert!(
        vpc[1].starts_with("aws_vpcflow/year=2014/month=12/day=14/hour=05/"),
        "{vpc:?}"
    );
    assert!(vpc.iter().all(|p| p.ends_with(".parquet")));

    let batches = rt.block_on(read_table(&lake, "aws_vpcflow"));
    assert_eq!(rows(&batches), 3);
    let schema = batches[0].schema();
    assert_eq!(
        schema.field_with_name("p_event_time").unwrap().data_type(),
        &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    );
    assert_eq!(
        schema.field_with_name("srcPort").unwrap().data_type(),
        &DataType::Int64
    );
    let t = batches[0]
        .column_by_name("p_event_time")
        .unwrap()
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .unwrap();
    assert_eq!(t.value(0), 1_418_530_010_000_000);

    // Nested CloudTrail columns are structs and lists with their values.
    let ct = rt.block_on(read_table(&lake, "aws_cloudtrail"));
    assert_eq!(rows(&ct), 1);
    let b = &ct[0];
    let DataType::Struct(ui) = b
        .schema()
        .field_with_name("userIdentity")
        .unwrap()
        .data_type()
        .clone()
    else {
        panic!()
    };
    assert!(ui.iter().any(|f| f.name() == "sessionContext"));
    let resources = b.column_by_name("resources").unwrap();
    assert_eq!(resources.len(), 1);
    let arns = b.column_by_name("p_any_aws_arns").unwrap();
    assert!(arns.is_valid(0));
    let req = b
        .column_by_name("requestParameters")
        .unwrap()
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    assert_eq!(req.value(0), r#"{"instanceType":"t3.micro"}"#);
}

#[test]
fn rejects_are_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    let rt = rt();
    ingest(&lake, &rt, "flows.log", VPC);
    let rejects = rt.block_on(read_table(&lake, "_rejects"));
    assert_eq!(rows(&rejects), 1);
    let b = &rejects[0];
    let col = |n: &str| {
        b.column_by_name(n)
            .unwrap()
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap()
            .value(0)
            .to_string()
    };
    assert_eq!(col("raw"), "this line is not a flow record");
    assert_eq!(col("file"), "flows.log");
    assert!(
        col("reason").contains("no log type recognises"),
        "{}",
        col("reason")
    );
    assert_eq!(col("p_source_id"), "s1");
}

#[test]
fn compaction_merges_files_and_removes_redelivered_rows() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    let rt = rt();
    ingest(&lake, &rt, "flows.log", VPC);
    ingest(&lake, &rt, "flows.log", VPC); // redelivered: same ids
    ingest(&lake, &rt, "other.log", VPC); // another object: new ids
    let before = rt.block_on(read_table(&lake, "aws_vpcflow"));
    assert_eq!(rows(&before), 9);
    let stats = rt
        .block_on(seclake_lake::compact::compact(
            &lake,
            &all_hours(Some("aws_vpcflow")),
        ))
        .unwrap();
    assert_eq!(stats.len(), 1);
    assert_eq!(stats[0].files_before, 9);
    assert_eq!(stats[0].files_after, 3);
    assert_eq!(stats[0].duplicates_removed(), 3);
    let after = rt.block_on(read_table(&lake, "aws_vpcflow"));
    assert_eq!(rows(&after), 6);
    let files = rt.block_on(list_files(&lake)).unwrap();
    assert_eq!(files["aws_vpcflow"].len(), 3);
    // Compacting again changes nothing there.
    let again = rt
        .block_on(seclake_lake::compact::compact(
            &lake,
            &all_hours(Some("aws_vpcflow")),
        ))
        .unwrap();
    assert!(again
        .iter()
        .all(|s| s.duplicates_removed() == 0 && s.partitions == 0));
    // The redelivered reject is a duplicate in _rejects too.
    let rejects = rt
        .block_on(seclake_lake::compact::compact(
            &lake,
            &all_hours(Some("_rejects")),
        ))
        .unwrap();
    assert_eq!(rejects[0].duplicates_removed(), 1);
    let err = rt
        .block_on(seclake_lake::compact::compact(
            &lake,
            &all_hours(Some("nope")),
        ))
        .unwrap_err();
    assert!(
        err.to_string().contains("tables: _rejects, aws_vpcflow"),
        "{err}"
    );
}

#[test]
fn compaction_starts_a_new_file_at_the_target_size() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    let rt = rt();
    ingest(&lake, &rt, "flows.log", VPC);
    ingest(&lake, &rt, "flows.log", VPC);
    ingest(&lake, &rt, "other.log", VPC);
    let opts = seclake_lake::compact::CompactOptions {
        target_file_bytes: 1,
        ..all_hours(Some("aws_vpcflow"))
    };
    let stats = rt
        .block_on(seclake_lake::compact::compact(&lake, &opts))
        .unwrap();
    // Per partition: the first input's row, its redelivery (dropped), the
    // other input's row; each file is full after one write.
    assert_eq!(stats[0].files_before, 9);
    assert_eq!(stats[0].files_after, 6);
    assert_eq!(stats[0].rows_after, 6);
    assert_eq!(rows(&rt.block_on(read_table(&lake, "aws_vpcflow"))), 6);
}

#[test]
fn compaction_merges_older_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    let rt = rt();
    ingest(&lake, &rt, "a.log", VPC.lines().next().unwrap());
    // An "older" file in the same partition without the srcPort column.
    let files = rt.block_on(list_files(&lake)).unwrap();
    let f = &files["aws_vpcflow"][0];
    let batch = rt.block_on(read_table(&lake, "aws_vpcflow")).remove(0);
    let idx = batch.schema().index_of("srcPort").unwrap();
    let mut older = batch.clone();
    older.remove_column(idx);
    let ids: StringArray = vec![Some("another-row-id")].into();
    let id_idx = older.schema().index_of("p_row_id").unwrap();
    let mut cols = older.columns().to_vec();
    cols[id_idx] = Arc::new(ids);
    let older = RecordBatch::try_new(older.schema(), cols).unwrap();
    put_older_file(&lake, &rt, "aws_vpcflow", f, &older);

    let stats = rt
        .block_on(seclake_lake::compact::compact(&lake, &all_hours(None)))
        .unwrap();
    assert_eq!(
        stats
            .iter()
            .find(|s| s.table == "aws_vpcflow")
            .unwrap()
            .rows_after,
        2
    );
    let merged = rt.block_on(read_table(&lake, "aws_vpcflow"));
    assert_eq!(rows(&merged), 2);
    let port = merged[0].column_by_name("srcPort").unwrap();
    assert_eq!(
        port.null_count(),
        1,
        "the older file's rows have no srcPort"
    );
}

#[test]
fn table_listing_counts_rows_and_hours() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    let rt = rt();
    ingest(&lake, &rt, "flows.log", VPC);
    let tables = rt.block_on(seclake_lake::tables::tables(&lake)).unwrap();
    let names: Vec<_> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["_rejects", "aws_vpcflow"]);
    let vpc = &tables[1];
    assert_eq!(vpc.rows, 3);
    assert_eq!(vpc.files, 3);
    let (lo, hi) = vpc.hours.unwrap();
    assert_eq!(lo, 1_418_530_010 / 3600);
    assert_eq!(hi, 1_431_280_876 / 3600);
}

/// A file written before a struct gained a member: compaction keeps the
/// older rows' values of that struct (it once blanked the whole column).
#[test]
fn compaction_keeps_nested_values_of_older_files() {
    use arrow_array::cast::AsArray;
    use arrow_array::StructArray;
    use arrow_schema::{Field, Schema};

    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    let rt = rt();
    ingest(&lake, &rt, "trail.json", TRAIL);
    let files = rt.block_on(list_files(&lake)).unwrap();
    let f = &files["aws_cloudtrail"][0];
    let batch = rt.block_on(read_table(&lake, "aws_cloudtrail")).remove(0);

    // The older shape: userIdentity without its `arn` member, another row id.
    let ui_idx = batch.schema().index_of("userIdentity").unwrap();
    let ui = batch.column(ui_idx).as_struct();
    let (fields, cols): (Vec<Field>, Vec<_>) = ui
        .fields()
        .iter()
        .zip(ui.columns())
        .filter(|(f, _)| f.name() != "arn")
        .map(|(f, c)| (f.as_ref().clone(), c.clone()))
        .unzip();
    let older_ui = StructArray::try_new(fields.into(), cols, ui.nulls().cloned()).unwrap();
    let mut schema_fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    schema_fields[ui_idx] = Field::new("userIdentity", older_ui.data_type().clone(), true);
    let mut columns = batch.columns().to_vec();
    columns[ui_idx] = Arc::new(older_ui);
    let id_idx = batch.schema().index_of("p_row_id").unwrap();
    columns[id_idx] = Arc::new(StringArray::from(vec![Some("older-row-id")]));
    let older = RecordBatch::try_new(Arc::new(Schema::new(schema_fields)), columns).unwrap();
    put_older_file(&lake, &rt, "aws_cloudtrail", f, &older);

    rt.block_on(seclake_lake::compact::compact(&lake, &all_hours(None)))
        .unwrap();
    let merged = rt.block_on(read_table(&lake, "aws_cloudtrail"));
    assert_eq!(rows(&merged), 2);
    let b = &merged[0];
    let ids = b.column_by_name("p_row_id").unwrap().as_string::<i32>();
    let ui = b.column_by_name("userIdentity").unwrap().as_struct();
    let types = ui.column_by_name("type").unwrap().as_string::<i32>();
    let arns = ui.column_by_name("arn").unwrap();
    for i in 0..b.num_rows() {
        assert_eq!(
            types.value(i),
            "IAMUser",
            "row {i}: the struct kept its values"
        );
        assert_eq!(arns.is_null(i), ids.value(i) == "older-row-id", "row {i}");
    }
}
