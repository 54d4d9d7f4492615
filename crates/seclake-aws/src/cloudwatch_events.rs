//! AWS.CloudWatchEvents: Amazon EventBridge (formerly CloudWatch Events)
//! events, one JSON object per record. Every event has the same envelope
//! (`version`, `id`, `detail-type`, `source`, `account`, `time`, `region`,
//! `resources`, `detail`); what `detail` holds depends on the source, so it
//! is kept as JSON text and scanned for AWS indicators.
//!
//! The envelope members `id`, `detail-type`, `source`, `time` and
//! `version` are what tells an event from other AWS JSON (a CloudTrail
//! record has none of them): without them the record is a mismatch.
//! GuardDuty findings delivered through EventBridge (`detail-type`
//! `GuardDuty Finding`) belong to AWS.GuardDuty and are a mismatch here.

use seclake_core::{SigmaDef, SigmaLogSource};
use std::sync::LazyLock;

use seclake_core::json::JsonRecord;
use seclake_core::{
    columns, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature,
};

use crate::fields::scalar_text;

columns! {
    Id = "id", "string", required, [], "A unique value is generated for every event. This can be helpful in tracing events as they move through rules to targets, and are processed.";
    Account = "account", "string", required, [AwsAccountId], "The 12-digit number identifying an AWS account.";
    Source = "source", "string", required, [], "Identifies the service that sourced the event. All events sourced from within AWS begin with 'aws'. Customer-generated events can have any value here, as long as it doesn't begin with 'aws'. We recommend the use of Java package-name style reverse domain-name strings.";
    Resources = "resources", "[string]", required, [AwsArn], "This JSON array contains ARNs that identify resources that are involved in the event. Inclusion of these ARNs is at the discretion of the service. For example, Amazon EC2 instance state-changes include Amazon EC2 instance ARNs, Auto Scaling events include ARNs for both instances and Auto Scaling groups, but API calls with AWS CloudTrail do not include resource ARNs.";
    Region = "region", "string", required, [], "Identifies the AWS region where the event originated.";
    DetailType = "detail-type", "string", required, [], "Identifies, in combination with the source field, the fields and values that appear in the detail field.";
    Version = "version", "string", required, [], "By default, this is set to 0 (zero) in all events.";
    Time = "time", "timestamp", required, [], "The event timestamp, which can be specified by the service originating the event. If the event spans a time interval, the service might choose to report the start time, so this value can be noticeably before the time the event is actually received.";
    Detail = "detail", "string", required, [AwsJson], "A JSON object, whose content is at the discretion of the service originating the event. The detail content in the example above is very simple, just two fields. AWS API call events have detail objects with around 50 fields nested several levels deep.";
    ReplayName = "replay-name", "string", optional, [], "The name of the EventBridge replay that re-sent this event; present only in replayed events.";
}

pub const DEF: LogTypeDef = LogTypeDef {
    name: "AWS.CloudWatchEvents",
    description: "Amazon EventBridge (CloudWatch Events) events: changes in AWS resources and custom application events.",
    reference: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html",
    columns: COLUMNS,
    signature: Signature::QuotedTokens(MARKERS),
    event_time: Some("time"),
    examples: &[
        r#"{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"111122223333","time":"2017-12-22T18:43:48Z","region":"us-west-1","resources":["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],"detail":{"instance_id":"i-1234567890abcdef0","state":"terminated"},"replay-name":"replay_archive"}"#,
        r#"{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2015-10-08T16:53:06Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule"],"detail":{}}"#,
        r#"{"version":"0","id":"f5f1e65c-dc3a-93ca-6c1e-b1647eac7963","detail-type":"Object Created","source":"aws.s3","account":"123456789012","time":"2023-03-08T17:50:14Z","region":"eu-west-1","resources":["arn:aws:s3:::example-bucket"],"detail":{"version":"0","bucket":{"name":"example-bucket"},"object":{"key":"IMG_m7fzo3.jpg","size":184662,"etag":"4e68adba0abe2dc8653dc3354e14c01d","sequencer":"006408CAD69598B05E"},"request-id":"57H08PA84AB1JZW0","requester":"123456789012","source-ip-address":"34.252.34.74","reason":"PutObject"}}"#,
    ],
    new_parser: || Box::new(CloudWatchEventsParser),
    sigma: SigmaDef::answers(&[SigmaLogSource::service("aws", "eventbridge")]),
};

/// The `detail-type` of GuardDuty findings, which AWS.GuardDuty parses.
pub const GUARDDUTY_DETAIL_TYPE: &str = "GuardDuty Finding";

/// The envelope members that tell an event from other AWS JSON; the
/// other required ones missing make a broken event.
const MARKERS: &[&str] = &["id", "detail-type", "source", "time", "version"];

static JSON: LazyLock<JsonRecord> =
    LazyLock::new(|| JsonRecord::new(COLUMNS, MARKERS).expect("EventBridge columns are valid"));

struct CloudWatchEventsParser;

impl RecordParser for CloudWatchEventsParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        _ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        let mut guardduty = false;
        let decoded = JSON.decode(record, row, |m, _| match m.key {
            "detail-type" => {
                guardduty = m.string().as_deref() == Some(GUARDDUTY_DETAIL_TYPE);
                Ok(None)
            }
            // A string column, so that any event's detail is kept as text,
            // but the envelope says it is an object.
            "detail" if m.raw != "null" && !m.raw.starts_with('{') => Err(ParseError::field(
                "detail",
                "expected a JSON object",
                &scalar_text(m.raw),
            )),
            _ => Ok(None),
        });
        if guardduty {
            return Err(ParseError::mismatch(
                "a GuardDuty finding event: parsed as AWS.GuardDuty",
            ));
        }
        decoded.map(|()| Parsed::Row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seclake_core::testing::parse;
    use seclake_core::{Indicator, Value};

    #[test]
    fn examples_parse_with_indicators() {
        for ex in DEF.examples {
            parse(&DEF, ex).unwrap();
        }
        let row = parse(&DEF, DEF.examples[2]).unwrap();
        assert_eq!(row.get(C::DetailType), &Value::str("Object Created"));
        assert_eq!(row.event_time.unwrap().to_rfc3339(), "2023-03-08T17:50:14Z");
        let arns: Vec<_> = row.indicator_values(Indicator::AwsArn).collect();
        assert_eq!(arns, ["arn:aws:s3:::example-bucket"]);
        let ips: Vec<_> = row.indicator_values(Indicator::IpAddress).collect();
        assert_eq!(ips, ["34.252.34.74"]);
        let accounts: Vec<_> = row.indicator_values(Indicator::AwsAccountId).collect();
        assert_eq!(accounts, ["123456789012"]);
    }

    #[test]
    fn pretty_printed_events_and_replay_name() {
        let row = parse(
            &DEF,
            "{\n  \"version\": \"0\",\n  \"id\": \"x\",\n  \"detail-type\": \"Test\",\n  \"source\": \"my.app\",\n  \"account\": \"123456789012\",\n  \"time\": \"2019-01-01T00:00:00+01:00\",\n  \"region\": \"eu-west-1\",\n  \"resources\": [],\n  \"detail\": { \"k\": [1, 2] },\n  \"replay-name\": \"r1\",\n  \"unknown\": 1\n}",
        )
        .unwrap();
        assert_eq!(row.event_time.unwrap().to_rfc3339(), "2018-12-31T23:00:00Z");
        assert_eq!(row.get(C::ReplayName), &Value::str("r1"));
        assert!(matches!(row.get(C::Detail), Value::Json(j) if j.starts_with('{')));
    }

    #[test]
    fn guardduty_findings_are_left_to_guardduty() {
        let err = parse(&DEF, r#"{"version":"0","id":"c8c4daa7","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"123456789012","time":"2018-08-23T21:14:38Z","region":"us-east-1","resources":[],"detail":{"id":"x"}}"#)
            .err()
            .unwrap();
        assert!(err.is_mismatch(), "{err}");
    }

    #[test]
    fn other_types_are_mismatches() {
        for rec in [
            // CloudTrail record.
            r#"{"eventVersion":"1.08","eventTime":"2021-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","eventID":"x","version":7}"#,
            // WAF record.
            r#"{"timestamp":1592357192516,"formatVersion":1,"webaclId":"x","action":"ALLOW","httpRequest":{}}"#,
            // A GuardDuty finding.
            r#"{"schemaVersion":"2.0","accountId":"123456789012","id":"x","type":"Recon:EC2/PortProbeUnprotectedPort","createdAt":"2020-01-01T00:00:00Z","updatedAt":"2020-01-01T00:00:00Z"}"#,
            "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
            "[1,2]",
        ] {
            let err = parse(&DEF, rec).err().unwrap();
            assert!(err.is_mismatch(), "{rec}: {err}");
        }
    }

    #[test]
    fn broken_events_are_invalid() {
        for rec in [
            r#"{"version":"0","id":"x","detail-type":"T","source":"s","account":"123456789012","time":"yesterday","region":"r","resources":[],"detail":{}}"#,
            r#"{"version":"0","id":"x","detail-type":"T","source":"s","account":"123456789012","time":"2020-01-01T00:00:00Z","region":"r","resources":"arn:aws:s3:::b","detail":{}}"#,
            r#"{"version":"0","id":"x","detail-type":"T","source":"s","account":"123456789012","time":"2020-01-01T00:00:00Z","region":"r","resources":[],"detail":"{}"}"#,
            r#"{"version":"0","id":"x","detail-type":"T","source":"s","time":"2020-01-01T00:00:00Z","region":"r","resources":[],"detail":{}}"#,
            r#"{"version":"0","id":"x","detail-type":"T","source":"s","time":"2020-01-01T00:00:00Z""#,
        ] {
            let err = parse(&DEF, rec).err().unwrap();
            assert!(!err.is_mismatch(), "{rec}: {err}");
        }
    }

    #[test]
    fn a_number_in_a_string_member_is_kept_as_text() {
        let row = parse(&DEF, r#"{"version":0,"id":"x","detail-type":"T","source":"s","account":"1","time":"2020-01-01T00:00:00Z","region":"r","resources":[],"detail":{}}"#)
            .unwrap();
        assert_eq!(row.get(C::Version), &Value::str("0"));
    }
}
