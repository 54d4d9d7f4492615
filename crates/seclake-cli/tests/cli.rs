//! The `seclake` binary as a user runs it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn seclake() -> Command {
    Command::new(env!("CARGO_BIN_EXE_seclake"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    seclake().args(args).output().expect("run seclake")
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = seclake()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn rows(out: &Output) -> Vec<serde_json::Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each stdout line is JSON"))
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn write(dir: &Path, name: &str, data: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p.display().to_string()
}

const VPC: &str = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n";
const ALB: &str = "https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 [2001:db8::1]:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 \"GET https://www.example.com:443/ HTTP/1.1\" \"curl/7.46.0\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 \"Root=1-58337281-1d84f3d73c47ec4e58577259\" \"www.example.com\" \"arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012\" 1 2018-07-02T22:22:48.364000Z \"authenticate,forward\" \"-\" \"-\" \"10.0.0.1:80\" \"200\" \"-\" \"-\"\n";

#[test]
fn log_types_lists_every_registered_type() {
    let out = run(&["log-types"]);
    assert!(out.status.success());
    let listing = text(&out.stdout);
    for t in [
        "AWS.ALB",
        "AWS.CloudTrail",
        "AWS.VPCFlow",
        "AWS.WAFWebACL",
        "aws_cloudtrailinsight",
        "Syslog.RFC5424",
        "syslog_rfc3164",
    ] {
        assert!(listing.contains(t), "{t} missing from:\n{listing}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&run(&["log-types", "--format", "json"]).stdout).unwrap();
    assert_eq!(
        json.as_array().unwrap().len(),
        seclake_registry::all().len()
    );
}

#[test]
fn schema_prints_the_column_table() {
    let out = run(&["schema", "AWS.CloudTrail"]);
    assert!(out.status.success());
    let t = text(&out.stdout);
    assert!(
        t.contains("requestParameters")
            && t.contains("p_any_aws_arns")
            && t.contains("[{ \"arn\":string"),
        "{t}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&run(&["schema", "aws_vpcflow", "--format", "json"]).stdout)
            .unwrap();
    assert_eq!(json["name"], "AWS.VPCFlow");
    assert!(json["columns"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "srcAddr" && c["type"] == "string"));
    let bad = run(&["schema", "AWS.Nope"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("known log types: AWS.ALB"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn parse_classifies_mixed_compressed_input_from_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flows.log.gz", &gzip(VPC.as_bytes()));
    write(dir.path(), "alb.log", ALB.as_bytes());
    write(dir.path(), "trail.json.zst", &zstd_encode(br#"{"Records":[{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","sourceIPAddress":"ec2.amazonaws.com","recipientAccountId":"123456789012"}]}"#));
    let out = run(&[
        "parse",
        dir.path().to_str().unwrap(),
        "--source-id",
        "src-1",
        "--source-label",
        "prod",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows = rows(&out);
    let types: Vec<_> = rows
        .iter()
        .map(|r| r["p_log_type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(types, vec!["AWS.ALB", "AWS.VPCFlow", "AWS.CloudTrail"]);
    assert_eq!(rows[0]["clientIp"], "2001:db8::1");
    assert_eq!(
        rows[0]["p_any_ip_addresses"],
        serde_json::json!(["10.0.0.1", "2001:db8::1"])
    );
    assert_eq!(rows[1]["p_event_time"], "2014-12-14T04:06:50Z");
    assert_eq!(
        rows[2]["p_any_domain_names"],
        serde_json::json!(["ec2.amazonaws.com"])
    );
    assert!(rows[2].get("p_any_ip_addresses").is_none());
    assert!(rows
        .iter()
        .all(|r| r["p_source_id"] == "src-1" && r["p_source_label"] == "prod"));
    let summary = text(&out.stderr);
    assert!(
        summary.contains("AWS.VPCFlow: 1 rows, 0 rejects"),
        "{summary}"
    );
}

fn zstd_encode(data: &[u8]) -> Vec<u8> {
    // A zstd frame holding `data` as one raw block: enough to exercise
    // detection by magic bytes without a compressor in the test.
    let mut out = vec![0x28, 0xb5, 0x2f, 0xfd];
    out.push(0x20); // frame header: single segment, 1-byte content size
    assert!(data.len() < 256);
    out.push(data.len() as u8);
    let block_header = ((data.len() as u32) << 3) | 1; // last block, raw
    out.extend_from_slice(&block_header.to_le_bytes()[..3]);
    out.extend_from_slice(data);
    out
}

/// Row ids derive from what the input is, not how it was named: the same
/// file however spelled gives the same ids; two streams on standard input
/// are two inputs (compaction must never merge their rows).
#[test]
fn row_ids_follow_the_input_not_its_spelling() {
    let dir = tempfile::tempdir().unwrap();
    let absolute = write(dir.path(), "flows.log", VPC.as_bytes());
    let in_dir = |arg: &str| {
        let out = seclake()
            .current_dir(dir.path())
            .args(["parse", "--log-type", "AWS.VPCFlow", arg])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        rows(&out)[0]["p_row_id"].as_str().unwrap().to_string()
    };
    let id = in_dir(&absolute);
    assert_eq!(id.len(), 32);
    assert_eq!(in_dir("flows.log"), id);
    assert_eq!(in_dir("./flows.log"), id);
    assert_eq!(
        in_dir(&format!(
            "{}/../{}/flows.log",
            dir.path().display(),
            dir.path().file_name().unwrap().to_str().unwrap()
        )),
        id
    );
    write(dir.path(), "other.log", VPC.as_bytes());
    assert_ne!(in_dir("other.log"), id, "another file is another input");

    let a = run_stdin(&["parse", "--log-type", "AWS.VPCFlow", "-"], VPC.as_bytes());
    let b = run_stdin(&["parse", "--log-type", "AWS.VPCFlow"], VPC.as_bytes());
    assert!(a.status.success() && b.status.success());
    let (ra, rb) = (rows(&a), rows(&b));
    assert_eq!(ra[0]["p_row_id"].as_str().unwrap().len(), 32);
    assert_ne!(ra[0]["p_row_id"], rb[0]["p_row_id"]);
    assert_ne!(ra[0]["p_row_id"].as_str().unwrap(), id);
}

/// Years far from 1970 keep their value (once they wrapped into another
/// century); what no timestamp column can hold is a reject.
#[test]
fn extreme_event_times_are_kept_or_rejected_never_wrapped() {
    let record = |time: &str| {
        format!(
            r#"{{"eventVersion":"1.08","eventTime":"{time}","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","userAgent":"x","eventID":"e1","eventType":"AwsApiCall","recipientAccountId":"111122223333","userIdentity":{{"type":"Root"}}}}"#
        )
    };
    let input = [
        record("0001-01-01T00:00:00Z"),
        record("9999-12-31T23:59:59.999999Z"),
        record("9999-12-31T23:59:59-01:00"),
    ]
    .join("\n");
    let out = run_stdin(
        &[
            "parse",
            "--log-type",
            "AWS.CloudTrail",
            "--rejects",
            "/dev/stderr",
        ],
        input.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let got = rows(&out);
    let times: Vec<_> = got
        .iter()
        .map(|r| r["p_event_time"].as_str().unwrap())
        .collect();
    assert_eq!(
        times,
        ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"]
    );
    let err = text(&out.stderr);
    assert!(err.contains(":3: AWS.CloudTrail: field eventTime"), "{err}");
}

/// `reason` is a category that groups; the offending value is in `detail`.
#[test]
fn reject_reasons_group_and_details_hold_the_values() {
    let dir = tempfile::tempdir().unwrap();
    let line = |action: &str| {
        format!("2 123456789010 eni-1 1.1.1.1 2.2.2.2 1 2 6 20 4249 1418530010 1418530070 {action} OK\n")
    };
    let file = write(
        dir.path(),
        "flows.log",
        (line("MAYBE") + &line("PERHAPS")).as_bytes(),
    );
    let rejects = dir.path().join("rejects.jsonl");
    let out = run(&[
        "parse",
        "--log-type",
        "AWS.VPCFlow",
        "--rejects",
        rejects.to_str().unwrap(),
        &file,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let got: Vec<serde_json::Value> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["reason"], got[1]["reason"]);
    assert!(!got[0]["reason"].as_str().unwrap().contains("MAYBE"));
    assert!(got[0]["detail"].as_str().unwrap().contains("MAYBE"));
    assert!(got[1]["detail"].as_str().unwrap().contains("PERHAPS"));
}

#[test]
fn rejects_are_reported_with_file_line_type_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut input = Vec::new();
    input.extend_from_slice(VPC.as_bytes());
    input.extend_from_slice(
        b"2 123456789010 eni-1 1.1.1.1 2.2.2.2 1 2 6 20 4249 1418530010 1418530070 MAYBE OK\n",
    );
    input.extend_from_slice(b"caf\xe9 is not UTF-8\n");
    input.extend_from_slice(&vec![b'x'; 3000]);
    input.push(b'\n');
    input.extend_from_slice(VPC.as_bytes());
    let file = write(dir.path(), "flows.log", &input);
    let rejects = dir.path().join("rejects.jsonl");
    let out = run(&[
        "parse",
        "--log-type",
        "AWS.VPCFlow",
        "--max-record-bytes",
        "2048",
        "--rejects",
        rejects.to_str().unwrap(),
        &file,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        rows(&out).len(),
        2,
        "the good lines around the bad ones are kept"
    );
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "{file}:2: AWS.VPCFlow: field action: expected ACCEPT or REJECT"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{file}:3: AWS.VPCFlow: invalid UTF-8: at byte 3")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{file}:4: AWS.VPCFlow: record longer than 2048 bytes"
        )),
        "{err}"
    );
    assert!(err.contains("AWS.VPCFlow: 2 rows, 3 rejects"), "{err}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["line"], 2);
    assert_eq!(lines[0]["file"], file.as_str());
    assert!(lines[0]["raw"].as_str().unwrap().contains("MAYBE"));
    assert_eq!(lines[1]["raw"], "caf\u{fffd} is not UTF-8");
}

#[test]
fn unrecognised_records_are_rejects_when_classifying() {
    let out = run_stdin(&["parse", "-q"], b"Phony unsupported log format.\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("(unknown): 0 rows, 1 rejects"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn hostile_compressed_input_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    // 200 MB of zeros compresses to ~200 KB (1000:1): over the 200:1 limit.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..200 {
        enc.write_all(&zeros).unwrap();
    }
    let bomb = write(dir.path(), "bomb.gz", &enc.finish().unwrap());
    let mut good = gzip(VPC.repeat(2000).as_bytes());
    good.truncate(good.len() / 2);
    let truncated = write(dir.path(), "truncated.gz", &good);
    let out = run(&[
        "parse",
        "-q",
        "--log-type",
        "AWS.VPCFlow",
        &bomb,
        &truncated,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("AWS.VPCFlow: "), "{err}");
    let rejects = run(&["parse", "--log-type", "AWS.VPCFlow", &bomb]);
    assert!(
        text(&rejects.stderr).contains("possible decompression bomb"),
        "{}",
        text(&rejects.stderr)
    );
    let trunc = run(&["parse", "--log-type", "AWS.VPCFlow", &truncated]);
    assert!(
        text(&trunc.stderr).contains("gzip stream corrupt or truncated"),
        "{}",
        text(&trunc.stderr)
    );
    assert!(
        !rows(&trunc).is_empty(),
        "rows before the truncation are kept"
    );
}

#[test]
fn missing_inputs_and_bad_options_are_errors() {
    let out = run(&["parse", "/nonexistent/file.log"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("/nonexistent/file.log: no such file"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["parse", "--reference-time", "yesterday", "-"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--reference-time \"yesterday\""));
}

#[test]
fn the_bundled_examples_parse_without_rejects() {
    let out = run(&["parse", repo().join("examples/logs").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(rows(&out).len() >= 20);
}

/// A non-ASCII key in nested JSON once panicked the process and lost the
/// run's buffered rows.
#[test]
fn non_ascii_keys_in_nested_json_parse() {
    let record = r#"{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","userAgent":"x","eventID":"e1","eventType":"AwsApiCall","recipientAccountId":"111122223333","userIdentity":{"type":"Root"},"requestParameters":{"Größe":"10.0.0.1","名前のアカウント":"111122223333","éaccountId":"444455556666"}}"#;
    let input = format!("{record}\n{record}\n");
    let out = run_stdin(&["parse", "--log-type", "AWS.CloudTrail"], input.as_bytes());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got = rows(&out);
    assert_eq!(got.len(), 2);
    let accounts = got[0]["p_any_aws_account_ids"].to_string();
    assert!(accounts.contains("444455556666"), "{accounts}");
    assert!(got[0]["p_any_ip_addresses"]
        .to_string()
        .contains("10.0.0.1"));
}

/// One thread or several: the same rows in the same order, the same row
/// ids, the same rejects (a 3 MB file is cut into several chunks; its
/// custom header must reach every one).
#[test]
fn thread_count_does_not_change_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut input =
        String::from("version account-id interface-id srcaddr dstaddr start end action\n");
    for i in 0..40_000u32 {
        if i % 9_999 == 5 {
            input.push_str("2 123456789010 eni-1 10.0.0.1 10.0.0.2 yesterday 1418530070 ACCEPT\n");
        } else {
            input.push_str(&format!(
                "2 123456789010 eni-{i:08x} 10.0.{}.{} 10.1.0.1 1418530010 1418530070 ACCEPT\n",
                i % 250,
                i % 200
            ));
        }
    }
    let file = write(dir.path(), "flows.log", input.as_bytes());
    let parse = |threads: &str| {
        let rejects = dir.path().join(format!("rejects-{threads}.jsonl"));
        let out = run(&[
            "parse",
            "-q",
            "--threads",
            threads,
            "--rejects",
            rejects.to_str().unwrap(),
            &file,
        ]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        (out.stdout, std::fs::read(rejects).unwrap())
    };
    let (one_rows, one_rejects) = parse("1");
    let (four_rows, four_rejects) = parse("4");
    assert_eq!(text(&one_rows).lines().count(), 40_000 - 4);
    assert!(
        text(&one_rows).contains("eni-00009c3f"),
        "the last line is a row"
    );
    assert_eq!(text(&one_rejects).lines().count(), 4);
    // Everything but the parse time (the wall clock) is the same.
    let without_parse_time = |rows: &[u8]| -> Vec<serde_json::Value> {
        text(rows)
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("p_parse_time");
                v
            })
            .collect()
    };
    assert!(
        without_parse_time(&one_rows) == without_parse_time(&four_rows),
        "rows differ between 1 and 4 threads"
    );
    assert_eq!(text(&one_rejects), text(&four_rejects));
}

/// The benchmark harness end to end on a small corpus: a row per thread
/// count, and the summary line with the scaling the targets speak of.
#[test]
fn bench_prints_rows_and_the_summary_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "bench",
        "--mode",
        "ingest",
        "--log-type",
        "AWS.VPCFlow",
        "--size-mb",
        "1",
        "--runs",
        "1",
        "--threads",
        "1,2",
        "--no-peer",
        "--dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("AWS.VPCFlow "))
        .collect();
    assert_eq!(rows.len(), 2, "{stdout}");
    assert!(
        stdout.contains("  = AWS.VPCFlow: 2 threads / 1 = "),
        "{stdout}"
    );
}
