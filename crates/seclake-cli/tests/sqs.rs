//! `seclake serve` with SQS sources against a real SQS+S3-compatible
//! server (moto) started here: every notification form (S3 event with an
//! encoded key, SNS-wrapped, EventBridge, CloudTrail's own, a test event)
//! is ingested with the source's id and the queue left empty; a message
//! whose object is missing is left for redelivery and reaches the
//! dead-letter queue through the redrive policy while the others flow on;
//! message bodies as log data (`mode = "messages"`).

mod common;

use common::{ok, query, repo, s3_env, seclake, text};
use seclake_testkit::moto::Moto;

fn put(moto: &Moto, key: &str, file: &str) {
    let body = std::fs::read(repo().join("examples/logs").join(file)).unwrap();
    assert_eq!(moto.request("PUT", &format!("/sqs-test/{key}"), &body), 200);
}

fn serve_once(dir: &std::path::Path, envs: &[(&'static str, String)], sources: &str) -> String {
    let lake = dir.join("lake");
    let cfg = dir.join("seclake.toml");
    std::fs::write(
        &cfg,
        format!("[lake]\nuri = \"{}\"\n{sources}", lake.display()),
    )
    .unwrap();
    let out = seclake()
        .args(["serve", "--once", "--config"])
        .arg(&cfg)
        .envs(envs.iter().cloned())
        .output()
        .unwrap();
    let err = text(&out.stderr);
    eprintln!("{err}");
    err
}

#[test]
fn notifications_of_every_form_are_ingested_and_deleted() {
    let Some(moto) = Moto::start() else { return };
    let envs = s3_env(&moto.endpoint);
    moto.create_bucket("sqs-test");
    // Stored as `AWSLogs/dt=2024-01-01/vpc flow.log`.
    put(
        &moto,
        "AWSLogs/dt%3D2024-01-01/vpc%20flow.log",
        "vpcflow-default.log",
    );
    put(&moto, "AWSLogs/trail.json.gz", "cloudtrail-records.json.gz");
    put(&moto, "AWSLogs/alb.log", "alb.log");
    put(&moto, "AWSLogs/s3.log", "s3-access.log");
    let dlq = moto.create_queue("notify-dlq", "{}");
    let dlq_arn = "arn:aws:sqs:us-east-1:123456789012:notify-dlq";
    let queue = moto.create_queue(
        "notify",
        &format!(
            "{{\"RedrivePolicy\":\"{{\\\"deadLetterTargetArn\\\":\\\"{dlq_arn}\\\",\\\"maxReceiveCount\\\":\\\"1\\\"}}\"}}"
        ),
    );
    let s3_event = r#"{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"sqs-test"},"object":{"key":"AWSLogs/dt%3D2024-01-01/vpc+flow.log","size":700}}}]}"#;
    moto.send(&queue, s3_event);
    let sns = serde_json::json!({
        "Type": "Notification",
        "Message": r#"{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"sqs-test"},"object":{"key":"AWSLogs/alb.log","size":10}}}]}"#
    });
    moto.send(&queue, &sns.to_string());
    moto.send(&queue, r#"{"detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"sqs-test"},"object":{"key":"AWSLogs/s3.log","size":10}}}"#);
    moto.send(
        &queue,
        r#"{"s3Bucket":"sqs-test","s3ObjectKey":["AWSLogs/trail.json.gz"]}"#,
    );
    moto.send(
        &queue,
        r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"sqs-test"}"#,
    );
    // A poison message: its object does not exist.
    moto.send(
        &queue,
        r#"{"s3Bucket":"sqs-test","s3ObjectKey":["AWSLogs/missing.log"]}"#,
    );

    let dir = tempfile::tempdir().unwrap();
    let source = format!(
        "[[source]]\nid = \"aws-prod\"\nlabel = \"AWS production\"\ntype = \"sqs\"\nqueue_url = \"{queue}\"\nvisibility_timeout = \"1s\"\n"
    );
    let err = serve_once(dir.path(), &envs, &source);
    assert!(err.contains("missing.log: not ingested"), "{err}");
    let lake = dir.path().join("lake");
    let lake = lake.to_str().unwrap();
    for (table, n) in [
        ("aws_vpcflow", "7"),
        ("aws_alb", "8"),
        ("aws_s3serveraccess", "5"),
        ("aws_cloudtrail", "7"),
    ] {
        let rows = query(
            lake,
            &[],
            &format!("SELECT p_source_id, count(*) FROM {table} GROUP BY 1"),
            &[],
        );
        assert_eq!(rows, [["aws-prod", n]], "{table}");
    }
    // Everything but the poison message is deleted; it comes back once
    // its visibility runs out, past maxReceiveCount, into the DLQ.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let err = serve_once(dir.path(), &envs, &source);
    assert!(
        !err.contains("ingested: 7 rows"),
        "nothing ingested twice: {err}"
    );
    assert_eq!(
        moto.queue_attribute(&queue, "ApproximateNumberOfMessages"),
        "0"
    );
    assert_eq!(
        moto.queue_attribute(&queue, "ApproximateNumberOfMessagesNotVisible"),
        "0"
    );
    assert_eq!(
        moto.queue_attribute(&dlq, "ApproximateNumberOfMessages"),
        "1"
    );
    assert_eq!(
        query(lake, &[], "SELECT count(*) FROM aws_vpcflow", &[]),
        [["7"]]
    );
}

#[test]
fn message_bodies_as_log_data() {
    let Some(moto) = Moto::start() else { return };
    let envs = s3_env(&moto.endpoint);
    let queue = moto.create_queue("data", "{}");
    let vpc = std::fs::read_to_string(repo().join("examples/logs/vpcflow-default.log")).unwrap();
    let lines: Vec<&str> = vpc.lines().filter(|l| !l.starts_with("version")).collect();
    moto.send(&queue, &lines[..3].join("\n"));
    moto.send(&queue, &lines[3..].join("\n"));
    let dir = tempfile::tempdir().unwrap();
    let source = format!(
        "[[source]]\nid = \"pushed\"\ntype = \"sqs\"\nmode = \"messages\"\nqueue_url = \"{queue}\"\nlog_types = [\"AWS.VPCFlow\"]\n"
    );
    let err = serve_once(dir.path(), &envs, &source);
    assert!(err.contains("2 of 2 message(s) done"), "{err}");
    let lake = dir.path().join("lake");
    let rows = query(
        lake.to_str().unwrap(),
        &[],
        "SELECT p_source_id, count(*) FROM aws_vpcflow GROUP BY 1",
        &[],
    );
    assert_eq!(rows, [["pushed", lines.len().to_string().as_str()]]);
    assert_eq!(
        moto.queue_attribute(&queue, "ApproximateNumberOfMessages"),
        "0"
    );
    let _ = ok;
}
