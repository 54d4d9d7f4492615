//! How Sigma field names and plain values meet CloudTrail's columns:
//! case-insensitive equality, wildcards and their escapes, struct members,
//! members of JSON text columns, booleans, and null.

use crate::support::hits;

const ALL: [&str; 13] = [
    "e01", "e02", "e03", "e04", "e05", "e06", "e07", "e08", "e09", "e10", "e11", "e12", "e13",
];

fn all_but(skip: &[&str]) -> Vec<String> {
    ALL.iter()
        .filter(|e| !skip.contains(e))
        .map(|e| e.to_string())
        .collect()
}

#[tokio::test]
async fn equality_ignores_case() {
    let d = "selection:\n  eventName: consolelogin\ncondition: selection";
    assert_eq!(hits(d).await, ["e01", "e02"]);
    let d = "selection:\n  eventName: CONSOLELOGIN\n  eventSource: Signin.AmazonAWS.com\ncondition: selection";
    assert_eq!(hits(d).await, ["e01", "e02"]);
    // Equality is of the whole value.
    assert!(
        hits("selection:\n  eventName: Console\ncondition: selection")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn wildcards_match_runs_and_single_characters() {
    assert_eq!(
        hits("s:\n  eventName: 'describe*'\ncondition: s").await,
        ["e07", "e12"]
    );
    assert_eq!(
        hits("s:\n  eventName: 'Run?nstances'\ncondition: s").await,
        ["e08", "e09"]
    );
    assert!(hits("s:\n  eventName: 'Run?Instances'\ncondition: s")
        .await
        .is_empty());
    assert_eq!(
        hits("s:\n  eventName: '*'\ncondition: s").await,
        all_but(&[])
    );
    assert_eq!(
        hits("s:\n  userIdentity.arn: '*:user/?ob'\ncondition: s").await,
        ["e04", "e08", "e09"]
    );
}

#[tokio::test]
async fn escaped_wildcards_and_sql_wildcards_are_plain_characters() {
    let principal = "requestParameters.policy.Statement.0.Principal";
    assert_eq!(
        hits(&format!("s:\n  {principal}: '\\*'\ncondition: s")).await,
        ["e03"]
    );
    assert!(
        hits("s:\n  requestParameters.bucketName: '\\*'\ncondition: s")
            .await
            .is_empty()
    );
    assert_eq!(
        hits("s:\n  requestParameters.bucketName: '*'\ncondition: s").await,
        ["e03", "e04"]
    );
    assert!(
        hits("s:\n  requestParameters.bucketName: 'tmp\\?bucket'\ncondition: s")
            .await
            .is_empty()
    );
    // `_` and `%` mean nothing special to Sigma.
    assert!(hits("s:\n  userAgent: 'aws_sdk_go*'\ncondition: s")
        .await
        .is_empty());
    assert!(hits("s:\n  userAgent: 'aws%'\ncondition: s")
        .await
        .is_empty());
    assert_eq!(
        hits("s:\n  userAgent: 'aws-sdk-go*'\ncondition: s").await,
        ["e07"]
    );
}

#[tokio::test]
async fn struct_members_are_reached_by_dotted_names() {
    let d = "s:\n  userIdentity.sessionContext.sessionIssuer.userName: adminrole\ncondition: s";
    assert_eq!(hits(d).await, ["e03"]);
    assert_eq!(
        hits("s:\n  userIdentity.type: root\ncondition: s").await,
        ["e01"]
    );
    assert_eq!(
        hits("s:\n  userIdentity.userName: [Mallory, BOB]\ncondition: s").await,
        ["e04", "e05", "e06", "e08", "e09"]
    );
}

#[tokio::test]
async fn json_text_columns_have_members() {
    assert_eq!(
        hits("s:\n  responseElements.ConsoleLogin: failure\ncondition: s").await,
        ["e02"]
    );
    assert_eq!(
        hits("s:\n  additionalEventData.MFAUsed: 'no'\ncondition: s").await,
        ["e01"]
    );
    assert_eq!(
        hits("s:\n  requestParameters.bucketName: SECRET-LOGS\ncondition: s").await,
        ["e03"]
    );
    // Nested objects and array elements.
    let d = "s:\n  requestParameters.parameters.commands.0|contains: EncodedCommand\ncondition: s";
    assert_eq!(hits(d).await, ["e10", "e11"]);
    let d = "s:\n  responseElements.accessKey.userName: backdoor\ncondition: s";
    assert_eq!(hits(d).await, ["e13"]);
    // A JSON number is matched as its text, like a JSON string holding it.
    assert_eq!(
        hits("s:\n  requestParameters.maxResults: 1000\ncondition: s").await,
        ["e07"]
    );
    assert_eq!(
        hits("s:\n  requestParameters.maxResults: 50\ncondition: s").await,
        ["e12"]
    );
    // The whole column is text too.
    let d = "s:\n  requestParameters|contains: '\"bucketName\"'\ncondition: s";
    assert_eq!(hits(d).await, ["e03", "e04"]);
}

#[tokio::test]
async fn booleans_compare_as_booleans() {
    assert_eq!(
        hits("s:\n  readOnly: true\ncondition: s").await,
        ["e07", "e12"]
    );
    assert_eq!(
        hits("s:\n  readOnly: 'TRUE'\ncondition: s").await,
        ["e07", "e12"]
    );
    assert_eq!(
        hits("s:\n  readOnly: false\ncondition: s").await,
        ["e03", "e04", "e05", "e06", "e08", "e09", "e13"]
    );
    assert_eq!(
        hits("s:\n  managementEvent: true\ncondition: s").await,
        ["e01", "e02"]
    );
}

#[tokio::test]
async fn null_and_empty_mean_a_missing_or_empty_field() {
    // e12's errorCode is "" in the record: empty is stored as null.
    assert_eq!(
        hits("s:\n  errorCode: null\ncondition: s").await,
        all_but(&["e04"])
    );
    assert_eq!(
        hits("s:\n  errorCode: ''\ncondition: s").await,
        all_but(&["e04"])
    );
    assert_eq!(hits("s:\n  userAgent: null\ncondition: s").await, ["e12"]);
    assert_eq!(
        hits("s:\n  responseElements.ConsoleLogin: null\ncondition: s").await,
        all_but(&["e01", "e02"])
    );
    assert_eq!(
        hits("s:\n  userIdentity.sessionContext: null\ncondition: s").await,
        all_but(&["e03"])
    );
    // A value or null.
    assert_eq!(
        hits("s:\n  userIdentity.userName: [null, alice]\ncondition: s").await,
        ["e01", "e02", "e03", "e07", "e12", "e13"]
    );
}

#[tokio::test]
async fn standard_fields_are_columns_too() {
    assert_eq!(
        hits("s:\n  p_log_type: aws.cloudtrail\ncondition: s").await,
        all_but(&[])
    );
}

#[tokio::test]
async fn timestamps_match_as_rfc3339_text() {
    assert_eq!(
        hits("s:\n  eventTime|startswith: '2024-03-01T03:'\ncondition: s").await,
        ["e01"]
    );
    assert_eq!(
        hits("s:\n  eventTime: '2024-03-01T07:45:00Z'\ncondition: s").await,
        ["e06"]
    );
}
