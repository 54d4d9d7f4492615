//! The crate's SQL functions by name, once registered with a session:
//! what `seclake query` users and stored alert queries will call.
//! (Identifiers are quoted: this session folds unquoted ones to lower case.)

use arrow_array::cast::AsArray;
use arrow_array::Array;
use arrow_schema::DataType;

use crate::support::context;

async fn column(sql: &str) -> Vec<Option<String>> {
    let ctx = context().await;
    seclake_detect::register_functions(&ctx);
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    batches
        .iter()
        .flat_map(|b| {
            let c = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8).unwrap();
            let s = c.as_string::<i32>().clone();
            (0..s.len()).map(move |i| (!s.is_null(i)).then(|| s.value(i).to_string()))
        })
        .collect()
}

#[tokio::test]
async fn json_extract_path_text_reads_members_of_json_columns() {
    let got = column(
        "SELECT json_extract_path_text(\"requestParameters\", 'bucketName') FROM aws_cloudtrail_view \
         WHERE \"eventSource\" = 's3.amazonaws.com' ORDER BY \"eventID\"",
    )
    .await;
    assert_eq!(
        got,
        [
            Some("Secret-Logs".to_string()),
            Some("tmp-bucket".to_string())
        ]
    );
    let got = column(
        "SELECT json_extract_path_text(\"responseElements\", 'accessKey', 'status') FROM aws_cloudtrail \
         WHERE \"eventName\" = 'CreateAccessKey' OR \"eventID\" = 'e01' ORDER BY \"eventID\"",
    )
    .await;
    assert_eq!(
        got,
        [None, Some("Active".to_string()), Some("Active".to_string())]
    );
}

#[tokio::test]
async fn cidr_match_tests_text_addresses() {
    let got = column(
        "SELECT \"eventID\" FROM aws_cloudtrail \
         WHERE cidr_match(\"sourceIPAddress\", '198.51.100.0/24') ORDER BY \"eventID\"",
    )
    .await;
    assert_eq!(got, ["e02", "e08", "e13"].map(|s| Some(s.to_string())));
}
