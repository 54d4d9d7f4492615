//! Every value modifier, run over the CloudTrail rows.

use seclake_detect::matcher::{Matcher, Scalar};
use seclake_detect::modifiers::field_test;
use seclake_detect::pattern::Pattern;

use crate::support::hits;

#[tokio::test]
async fn contains_startswith_endswith() {
    assert_eq!(
        hits("s:\n  userAgent|contains: PYTHON\ncondition: s").await,
        ["e03", "e04"]
    );
    assert_eq!(
        hits("s:\n  userAgent|startswith: AWS-CLI/2\ncondition: s").await,
        ["e03", "e08", "e09", "e10", "e11", "e13"]
    );
    assert_eq!(
        hits("s:\n  userIdentity.arn|endswith: /MALLORY\ncondition: s").await,
        ["e05", "e06"]
    );
    // Wildcards inside the value still work.
    assert_eq!(
        hits("s:\n  userAgent|contains: 'cli/?.13'\ncondition: s").await,
        ["e03"]
    );
}

#[tokio::test]
async fn all_joins_values_with_and() {
    let any = "s:\n  userAgent|contains: [aws-cli, python]\ncondition: s";
    assert_eq!(
        hits(any).await,
        ["e03", "e04", "e05", "e08", "e09", "e10", "e11", "e13"]
    );
    let all = "s:\n  userAgent|contains|all: [aws-cli, python]\ncondition: s";
    assert_eq!(hits(all).await, ["e03"]);
}

#[tokio::test]
async fn re_is_case_sensitive_unless_i_and_takes_m_and_s() {
    let d = "s:\n  userAgent|re: '^aws-cli/2\\.1[35]'\ncondition: s";
    assert_eq!(hits(d).await, ["e03", "e08", "e09", "e10", "e11", "e13"]);
    assert!(hits("s:\n  userAgent|re: '^AWS-CLI'\ncondition: s")
        .await
        .is_empty());
    assert_eq!(
        hits("s:\n  userAgent|re|i: '^AWS-CLI/1'\ncondition: s").await,
        ["e05"]
    );
    // e04's errorMessage has two lines.
    assert!(
        hits("s:\n  errorMessage|re: 'Denied.Request'\ncondition: s")
            .await
            .is_empty()
    );
    assert_eq!(
        hits("s:\n  errorMessage|re|s: 'Denied.Request'\ncondition: s").await,
        ["e04"]
    );
    assert!(
        hits("s:\n  errorMessage|re: '^Request blocked'\ncondition: s")
            .await
            .is_empty()
    );
    assert_eq!(
        hits("s:\n  errorMessage|re|m: '^Request blocked'\ncondition: s").await,
        ["e04"]
    );
}

#[tokio::test]
async fn cidr_matches_addresses_and_skips_other_text() {
    assert_eq!(
        hits("s:\n  sourceIPAddress|cidr: 10.0.0.0/8\ncondition: s").await,
        ["e03", "e07"]
    );
    let d = "s:\n  sourceIPAddress|cidr: ['2001:db8::/32', 192.0.2.0/24]\ncondition: s";
    assert_eq!(hits(d).await, ["e04", "e05", "e06"]);
    // "AWS Internal" and "config.amazonaws.com" are in no network.
    let d = "s:\n  sourceIPAddress|cidr: [0.0.0.0/0, '::/0']\ncondition: s";
    assert_eq!(hits(d).await.len(), 11);
}

#[tokio::test]
async fn exists_tests_presence() {
    assert_eq!(
        hits("s:\n  errorCode|exists: true\ncondition: s").await,
        ["e04"]
    );
    assert_eq!(
        hits("s:\n  errorCode|exists: false\ncondition: s")
            .await
            .len(),
        12
    );
    assert_eq!(
        hits("s:\n  requestParameters.userData|exists: true\ncondition: s").await,
        ["e08", "e09"]
    );
    assert_eq!(
        hits("s:\n  userIdentity.sessionContext|exists: true\ncondition: s").await,
        ["e03"]
    );
}

#[tokio::test]
async fn windash_accepts_every_dash_and_slash() {
    let field = "requestParameters.parameters.commands.0";
    let d = format!("s:\n  {field}|windash|contains: ' -encodedcommand '\ncondition: s");
    assert_eq!(hits(&d).await, ["e10", "e11"]);
    let d = format!("s:\n  {field}|contains: ' -encodedcommand '\ncondition: s");
    assert!(hits(&d).await.is_empty());
    // Case-sensitive with `cased`: only e10 writes it in camel case.
    let d = format!("s:\n  {field}|windash|contains|cased: ' -EncodedCommand '\ncondition: s");
    assert_eq!(hits(&d).await, ["e10"]);
}

#[tokio::test]
async fn base64_and_base64offset_find_encoded_text() {
    let d = "s:\n  requestParameters.userData|base64: whoami\ncondition: s";
    assert_eq!(hits(d).await, ["e09"]);
    // The whole value: e08's script is more than `#!/bin/bash`.
    assert!(
        hits("s:\n  requestParameters.userData|base64: '#!/bin/bash'\ncondition: s")
            .await
            .is_empty()
    );
    let d = "s:\n  requestParameters.userData|base64offset|contains: 'curl http://'\ncondition: s";
    assert_eq!(hits(d).await, ["e08"]);
    let d = "s:\n  requestParameters.userData|base64offset|contains: 'wget http://'\ncondition: s";
    assert!(hits(d).await.is_empty());
    // PowerShell's -EncodedCommand is base64 of UTF-16LE.
    let d = "s:\n  requestParameters.parameters.commands.0|wide|base64offset|contains: New-Object\ncondition: s";
    assert_eq!(hits(d).await, ["e10"]);
    let d = "s:\n  requestParameters.parameters.commands.0|base64offset|contains: New-Object\ncondition: s";
    assert!(hits(d).await.is_empty());
}

#[tokio::test]
async fn numeric_comparisons() {
    let f = "requestParameters.maxResults";
    assert_eq!(
        hits(&format!("s:\n  {f}|gt: 100\ncondition: s")).await,
        ["e07"]
    );
    assert_eq!(
        hits(&format!("s:\n  {f}|gte: 5\ncondition: s")).await,
        ["e07", "e08", "e12"]
    );
    assert_eq!(
        hits(&format!("s:\n  {f}|lt: 50\ncondition: s")).await,
        ["e08"]
    );
    assert_eq!(
        hits(&format!("s:\n  {f}|lte: 50.0\ncondition: s")).await,
        ["e08", "e12"]
    );
    // Two bounds: both must hold, as two entries of a map.
    let d = format!("s:\n  {f}|gt: 1\n  {f}|lt: '100'\ncondition: s");
    assert_eq!(hits(&d).await, ["e08", "e12"]);
}

#[tokio::test]
async fn cased_compares_exactly() {
    assert!(hits("s:\n  eventName|cased: consolelogin\ncondition: s")
        .await
        .is_empty());
    assert_eq!(
        hits("s:\n  eventName|cased: ConsoleLogin\ncondition: s").await,
        ["e01", "e02"]
    );
    assert!(hits("s:\n  userAgent|contains|cased: python\ncondition: s")
        .await
        .is_empty());
    assert_eq!(
        hits("s:\n  userAgent|contains|cased: Python\ncondition: s").await,
        ["e03", "e04"]
    );
}

#[tokio::test]
async fn neq_excludes_every_value_and_needs_the_field() {
    let d = "s:\n  eventSource|neq: S3.amazonaws.com\ncondition: s";
    assert_eq!(hits(d).await.len(), 11);
    let d = "s:\n  eventSource|neq: [s3.amazonaws.com, ec2.amazonaws.com, iam.amazonaws.com, ssm.amazonaws.com]\ncondition: s";
    assert_eq!(hits(d).await, ["e01", "e02", "e06"]);
    // A missing field is not different from a value: e12 has no userAgent.
    let d = "s:\n  userAgent|neq: aws-cli/2.15.0\ncondition: s";
    assert_eq!(
        hits(d).await,
        ["e01", "e02", "e03", "e04", "e05", "e06", "e07"]
    );
}

#[tokio::test]
async fn fieldref_compares_two_fields_of_the_row() {
    let d = "s:\n  requestParameters.userName|fieldref: userIdentity.userName\ncondition: s";
    assert_eq!(hits(d).await, ["e05"]);
    let d = "s:\n  requestParameters.userName|fieldref|cased: userIdentity.userName\ncondition: s";
    assert!(hits(d).await.is_empty());
    let d = "s:\n  eventName: CreateAccessKey\n  requestParameters.userName|fieldref|neq: userIdentity.userName\ncondition: s";
    assert_eq!(hits(d).await, ["e13"]);
}

#[tokio::test]
async fn time_parts_of_timestamps() {
    assert_eq!(hits("s:\n  eventTime|hour: 3\ncondition: s").await, ["e01"]);
    assert_eq!(
        hits("s:\n  eventTime|minute: [45, 15]\ncondition: s").await,
        ["e01", "e06"]
    );
    for part in ["day: 1", "month: 3", "year: 2024", "week: 9"] {
        assert_eq!(
            hits(&format!("s:\n  eventTime|{part}\ncondition: s"))
                .await
                .len(),
            13,
            "{part}"
        );
    }
}

fn alternatives(key: &str, value: &str) -> Vec<Matcher> {
    field_test("at", key, vec![Scalar::Str(value.to_string())])
        .unwrap()
        .values
        .remove(0)
}

fn text(value: &str) -> Matcher {
    Matcher::Text {
        pattern: Pattern::literal(value),
        cased: false,
    }
}

#[test]
fn encodings_before_base64() {
    assert_eq!(alternatives("f|base64", "cmd"), [text("Y21k")]);
    assert_eq!(alternatives("f|utf16le|base64", "cmd"), [text("YwBtAGQA")]);
    assert_eq!(alternatives("f|wide|base64", "cmd"), [text("YwBtAGQA")]);
    assert_eq!(alternatives("f|utf16be|base64", "cmd"), [text("AGMAbQBk")]);
    assert_eq!(
        alternatives("f|utf16|base64", "cmd"),
        [text("//5jAG0AZAA=")]
    );
    // Each offset drops what its neighbours would change.
    assert_eq!(
        alternatives("f|base64offset", "ping"),
        [text("cGluZ"), text("Bpbm"), text("waW5n")]
    );
}
