//! The same lake in S3, against a real S3-compatible server (moto, started
//! here), reached through `AWS_ENDPOINT_URL` like a user would.
//!
//! One test per file on purpose: it sets process environment variables.

mod common;

use std::path::Path;
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use seclake_query::{OutputFormat, QueryEngine};
use seclake_testkit::moto::Moto;

/// Uploads every file below `dir` to `prefix/` in the store.
async fn upload(store: &Arc<dyn ObjectStore>, dir: &Path, prefix: &str) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(dir).unwrap().to_str().unwrap();
            let key = StorePath::from(format!("{prefix}/{rel}"));
            let body = std::fs::read(&path).unwrap();
            store.put(&key, PutPayload::from(body)).await.unwrap();
        }
    }
}

#[tokio::test]
async fn queries_a_lake_in_s3() {
    let Some(moto) = Moto::start() else { return };
    // Safe here: this file's only test, so no other thread reads the
    // environment concurrently.
    std::env::set_var("AWS_ENDPOINT_URL", &moto.endpoint);
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    std::env::set_var("AWS_REGION", "us-east-1");

    moto.create_bucket("seclake-query-test");
    let store: Arc<dyn ObjectStore> = Arc::new(
        AmazonS3Builder::from_env()
            .with_bucket_name("seclake-query-test")
            .with_allow_http(true)
            .build()
            .unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    common::build_lake(dir.path());
    upload(&store, dir.path(), "some/lake").await;

    let engine = QueryEngine::open("s3://seclake-query-test/some/lake")
        .await
        .unwrap();
    assert_eq!(
        engine.tables(),
        ["_rejects", "aws_cloudtrail", "aws_vpcflow"]
    );
    let csv = engine
        .collect(
            "SELECT eventName, count(*) FROM aws_cloudtrail \
             WHERE p_event_time >= '2024-03-07T06:00:00Z' GROUP BY 1 ORDER BY 1",
        )
        .await
        .unwrap()
        .render(OutputFormat::Csv)
        .unwrap();
    assert_eq!(
        csv,
        "eventName,count(*)\nConsoleLogin,1\nDeleteBucket,1\nGetObject,2\nPutObject,1\n"
    );
    let err = engine.collect("SELECT * FROM aws_alb").await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("table 'aws_alb' not found; tables in the lake: _rejects, aws_cloudtrail"),
        "{err}"
    );
    // The lake's root in the bucket is respected: the bucket root has no tables.
    let root = QueryEngine::open("s3://seclake-query-test").await.unwrap();
    assert!(root.tables().is_empty(), "{:?}", root.tables());
}
