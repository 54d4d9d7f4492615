//! AWS.GuardDuty: Amazon GuardDuty findings, one JSON object per record.
//! Findings reach a lake in two shapes, and both are accepted: the bare
//! finding (S3 export, `GetFindings`) and the EventBridge event whose
//! `detail-type` is `GuardDuty Finding` and whose `detail` is the finding.
//!
//! A finding is recognised by `id`, `type`, `accountId`, `createdAt` and
//! `updatedAt`; without them the record is a mismatch. `resource` is kept
//! as JSON text (its shape depends on the resource type) and `service`
//! is shaped by its declared members, with the nested `action` and
//! `additionalInfo` objects kept as JSON text. Both are scanned whole for
//! indicators, so the remote IPs, domains, access keys' ARNs and instance
//! ids of any action type land in the `p_any_*` fields.

use seclake_core::{SigmaDef, SigmaLogSource};
use std::sync::LazyLock;

use seclake_core::json::record::top_level_member;
use seclake_core::json::syntax::{skip_ws, value_end};
use seclake_core::json::JsonRecord;
use seclake_core::{
    columns, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature,
};

use crate::cloudwatch_events::GUARDDUTY_DETAIL_TYPE;
use crate::fields::scalar_text;

columns! {
    SchemaVersion = "schemaVersion", "string", required, [], "The schema format version of this record.";
    AccountId = "accountId", "string", required, [AwsAccountId], "The ID of the AWS account in which the activity took place that prompted GuardDuty to generate this finding.";
    Region = "region", "string", required, [], "The AWS region in which the finding was generated.";
    Partition = "partition", "string", optional, [], "The AWS partition in which the finding was generated.";
    Id = "id", "string", required, [], "A unique identifier for the finding.";
    Arn = "arn", "string", required, [AwsArn], "A unique identifier formatted as an ARN for the finding.";
    Type = "type", "string", required, [], "A concise yet readable description of the potential security issue.";
    Resource = "resource", "string", required, [AwsJson], "The AWS resource against which the activity took place that prompted GuardDuty to generate this finding.";
    Severity = "severity", "float", required, [], "The value of the severity can fall anywhere within the 0.1 to 8.9 range.";
    CreatedAt = "createdAt", "timestamp", required, [], "The initial creation time of the finding (UTC).";
    UpdatedAt = "updatedAt", "timestamp", required, [], "The last update time of the finding (UTC).";
    Title = "title", "string", optional, [], "A short description of the finding.";
    Description = "description", "string", optional, [], "A long description of the finding.";
    Service = "service", "{ \"additionalInfo\":string, \"action\":string, \"serviceName\":string, \"detectorId\":string, \"resourceRole\":string, \"eventFirstSeen\":timestamp, \"eventLastSeen\":timestamp, \"archived\":boolean, \"count\":bigint }", optional, [AwsJson], "Additional information about the affected service.";
    Confidence = "confidence", "double", optional, [], "The confidence score GuardDuty gives the finding.";
    AssociatedAttackSequenceArn = "associatedAttackSequenceArn", "string", optional, [AwsArn], "The ARN of the attack sequence finding this finding is part of.";
}

pub const DEF: LogTypeDef = LogTypeDef {
    name: "AWS.GuardDuty",
    description: "Amazon GuardDuty findings: potential threats detected in AWS accounts, as bare findings or as EventBridge events.",
    reference: "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-summary.html",
    columns: COLUMNS,
    signature: Signature::QuotedTokens(MARKERS),
    event_time: Some("updatedAt"),
    examples: &[
        r#"{"schemaVersion":"2.0","accountId":"123456789012","region":"us-east-1","partition":"aws","id":"16afba5c5c43e07c9e3e5e2e544e95df","arn":"arn:aws:guardduty:us-east-1:123456789012:detector/123456789012/finding/16afba5c5c43e07c9e3e5e2e544e95df","type":"Canary:EC2/Stateless.IntegTest","resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-05746eb48123455e0","instanceType":"t2.micro","launchTime":1492735675000,"productCodes":[],"networkInterfaces":[{"ipv6Addresses":[],"privateDnsName":"ip-0-0-0-0.us-east-1.compute.internal","privateIpAddress":"0.0.0.0","privateIpAddresses":[{"privateDnsName":"ip-0-0-0-0.us-east-1.compute.internal","privateIpAddress":"0.0.0.0"}],"subnetId":"subnet-d58b7123","vpcId":"vpc-34865123","securityGroups":[{"groupName":"launch-wizard-1","groupId":"sg-9918a123"}],"publicDnsName":"ec2-11-111-111-1.us-east-1.compute.amazonaws.com","publicIp":"11.111.111.1"}],"tags":[{"key":"Name","value":"ssh-22-open"}],"instanceState":"running","availabilityZone":"us-east-1b","imageId":"ami-4836a123","imageDescription":"Amazon Linux AMI 2017.03.0.20170417 x86_64 HVM GP2"}},"service":{"serviceName":"guardduty","detectorId":"3caf4e0aaa46ce4ccbcef949a8785353","action":{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"connectionDirection":"OUTBOUND","remoteIpDetails":{"ipAddressV4":"0.0.0.0","organization":{"asn":-1,"isp":"GeneratedFindingISP","org":"GeneratedFindingORG"},"country":{"countryName":"United States"},"city":{"cityName":"GeneratedFindingCityName"},"geoLocation":{"lat":0,"lon":0}},"remotePortDetails":{"port":22,"portName":"SSH"},"localPortDetails":{"port":2000,"portName":"Unknown"},"protocol":"TCP","blocked":false}},"resourceRole":"TARGET","additionalInfo":{"unusualProtocol":"UDP","threatListName":"GeneratedFindingCustomerListName","unusual":22},"eventFirstSeen":"2017-10-31T23:16:23Z","eventLastSeen":"2017-10-31T23:16:23Z","archived":false,"count":1},"severity":5,"createdAt":"2017-10-31T23:16:23.824Z","updatedAt":"2017-10-31T23:16:23.824Z","title":"Canary:EC2/Stateless.IntegTest","description":"Canary:EC2/Stateless.IntegTest"}"#,
        r#"{"version":"0","id":"c8c4daa7-a20c-2f03-0070-b7393dd542ad","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"123456789012","time":"2017-10-31T23:16:23Z","region":"us-east-1","resources":[],"detail":{"schemaVersion":"2.0","accountId":"123456789012","region":"us-east-1","partition":"aws","id":"16afba5c5c43e07c9e3e5e2e544e95df","arn":"arn:aws:guardduty:us-east-1:123456789012:detector/123456789012/finding/16afba5c5c43e07c9e3e5e2e544e95df","type":"Canary:EC2/Stateless.IntegTest","resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-05746eb48123455e0","instanceType":"t2.micro"}},"service":{"serviceName":"guardduty","detectorId":"3caf4e0aaa46ce4ccbcef949a8785353","action":{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"connectionDirection":"OUTBOUND","remoteIpDetails":{"ipAddressV4":"0.0.0.0"},"protocol":"TCP","blocked":false}},"resourceRole":"TARGET","additionalInfo":{"unusual":22},"eventFirstSeen":"2017-10-31T23:16:23Z","eventLastSeen":"2017-10-31T23:16:23Z","archived":false,"count":1},"severity":5,"createdAt":"2017-10-31T23:16:23.824Z","updatedAt":"2017-10-31T23:16:23.824Z","title":"Canary:EC2/Stateless.IntegTest","description":"Canary:EC2/Stateless.IntegTest"}}"#,
    ],
    new_parser: || Box::new(GuardDutyParser),
    sigma: SigmaDef::answers(&[SigmaLogSource::service("aws", "guardduty")]),
};

/// Tokens every finding shows, for classification.
const MARKERS: &[&str] = &["accountId", "type", "createdAt", "updatedAt"];

/// The members without which a record is not a finding.
static JSON: LazyLock<JsonRecord> = LazyLock::new(|| {
    JsonRecord::new(
        COLUMNS,
        &["id", "type", "accountId", "createdAt", "updatedAt"],
    )
    .expect("GuardDuty columns are valid")
});

struct GuardDutyParser;

impl RecordParser for GuardDutyParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        _ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        let Some(detail_type) = top_level_member(record, "detail-type") else {
            decode(record, row)?;
            return Ok(Parsed::Row);
        };
        if scalar_text(detail_type) != GUARDDUTY_DETAIL_TYPE {
            return Err(ParseError::mismatch(
                "an EventBridge event that is not a GuardDuty finding",
            ));
        }
        let b = record.as_bytes();
        let end = value_end(b, 0)
            .map_err(|e| ParseError::invalid("invalid JSON").with_detail(e.to_string()))?;
        if skip_ws(b, end) != b.len() {
            return Err(ParseError::invalid("invalid JSON").with_detail("text after the event"));
        }
        let finding = match top_level_member(record, "detail") {
            None | Some("null") => {
                return Err(ParseError::invalid(
                    "GuardDuty Finding event without a detail",
                ))
            }
            Some(finding) => finding,
        };
        // The event says it carries a finding, so anything else is broken.
        decode(finding, row).map_err(|e| {
            if e.is_mismatch() {
                ParseError::invalid("GuardDuty Finding event: bad detail")
                    .with_detail(e.to_string())
            } else {
                e
            }
        })?;
        Ok(Parsed::Row)
    }
}

fn decode<'a>(finding: &'a str, row: &mut Row<'a>) -> Result<(), ParseError> {
    JSON.decode(finding, row, |m, _| match m.key {
        // A string column (its shape depends on the resource type), but
        // always an object.
        "resource" if m.raw != "null" && !m.raw.starts_with('{') => Err(ParseError::field(
            "resource",
            "expected a JSON object",
            &scalar_text(m.raw),
        )),
        _ => Ok(None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use seclake_core::testing::{indicators, parse};
    use seclake_core::{Indicator, Value};

    #[test]
    fn bare_finding_and_eventbridge_envelope_give_the_same_finding() {
        let bare = parse(&DEF, DEF.examples[0]).unwrap();
        let wrapped = parse(&DEF, DEF.examples[1]).unwrap();
        for c in [
            C::Id,
            C::AccountId,
            C::Type,
            C::Arn,
            C::UpdatedAt,
            C::Severity,
            C::Region,
        ] {
            assert_eq!(bare.get(c), wrapped.get(c), "{c:?}");
        }
        assert_eq!(bare.get(C::Severity), &Value::Float(5.0));
        assert_eq!(
            wrapped.event_time.unwrap().to_rfc3339(),
            "2017-10-31T23:16:23.824Z"
        );
    }

    #[test]
    fn indicators_come_from_resource_and_service() {
        let row = parse(&DEF, DEF.examples[0]).unwrap();
        let ips = indicators(&row, Indicator::IpAddress);
        assert!(
            ips.contains(&"11.111.111.1") && ips.contains(&"0.0.0.0"),
            "{ips:?}"
        );
        assert_eq!(
            row.indicator_values(Indicator::AwsInstanceId)
                .collect::<Vec<_>>(),
            ["i-05746eb48123455e0"]
        );
        assert_eq!(
            row.indicator_values(Indicator::AwsAccountId)
                .collect::<Vec<_>>(),
            ["123456789012"]
        );
        assert!(row
            .indicator_values(Indicator::AwsTag)
            .any(|t| t == "Name:ssh-22-open"));
        assert!(row
            .indicator_values(Indicator::AwsArn)
            .any(|a| a.starts_with("arn:aws:guardduty:")));
    }

    #[test]
    fn dns_and_api_call_actions_yield_domains_and_ips() {
        let row = parse(&DEF, r#"{"schemaVersion":"2.0","accountId":"123456789012","region":"us-east-1","partition":"aws","id":"a","arn":"arn:aws:guardduty:us-east-1:123456789012:detector/d/finding/a","type":"Trojan:EC2/BlackholeTraffic!DNS","resource":{"resourceType":"AccessKey","accessKeyDetails":{"userName":"bob"}},"service":{"serviceName":"guardduty","action":{"actionType":"DNS_REQUEST","dnsRequestAction":{"domain":"evil.example.com","protocol":"UDP","blocked":true},"awsApiCallAction":{"api":"ListBuckets","remoteIpDetails":{"ipAddressV4":"198.51.100.7"}}},"additionalInfo":{"value":"{\"k\":1}","type":"default"},"archived":false,"count":3,"eventFirstSeen":"2020-01-01T00:00:00Z","eventLastSeen":"2020-01-02T00:00:00Z"},"severity":8,"createdAt":"2020-01-01T00:00:00Z","updatedAt":"2020-01-03T00:00:00Z"}"#).unwrap();
        assert_eq!(indicators(&row, Indicator::IpAddress), ["198.51.100.7"]);
        assert_eq!(
            row.indicator_values(Indicator::DomainName)
                .collect::<Vec<_>>(),
            ["evil.example.com"]
        );
        assert_eq!(row.event_time.unwrap().to_rfc3339(), "2020-01-03T00:00:00Z");
    }

    #[test]
    fn other_records_are_mismatches() {
        for rec in [
            r#"{"findings":[]}"#,
            // An EventBridge event of another kind.
            r#"{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2015-10-08T16:53:06Z","region":"us-east-1","resources":[],"detail":{}}"#,
            // A partial envelope (no detail-type) around a finding without accountId.
            r#"{"region":"us-east-1","detail":{"id":"x","type":"UnauthorizedAccess:EC2/SSHBruteForce","createdAt":"2020-01-01T00:00:00Z","updatedAt":"2020-01-01T00:00:00Z"}}"#,
            // A CloudTrail record.
            r#"{"eventVersion":"1.08","userIdentity":{"type":"Root","accountId":"123456789012"},"eventTime":"2021-01-01T00:00:00Z","eventID":"x","type":1}"#,
            "not json",
        ] {
            let err = parse(&DEF, rec).err().unwrap();
            assert!(err.is_mismatch(), "{rec}: {err}");
        }
    }

    #[test]
    fn broken_findings_are_invalid() {
        let base = r#"{"schemaVersion":"2.0","accountId":"123456789012","region":"us-east-1","id":"a","arn":"arn:aws:guardduty:us-east-1:123456789012:detector/d/finding/a","type":"T","resource":{},"severity":2,"createdAt":"2020-01-01T00:00:00Z","updatedAt":"2020-01-01T00:00:00Z"}"#;
        parse(&DEF, base).unwrap();
        for rec in [
            base.replace(
                r#""updatedAt":"2020-01-01T00:00:00Z""#,
                r#""updatedAt":"soon""#,
            ),
            base.replace(r#""severity":2"#, r#""severity":"high""#),
            base.replace(r#""resource":{}"#, r#""resource":"i-1""#),
            base.replace(r#""arn":"#, r#""notarn":"#),
            format!(
                r#"{{"version":"0","id":"x","detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{}}}"#,
                &base[..base.len() - 2]
            ),
        ] {
            let err = parse(&DEF, &rec).err().unwrap();
            assert!(!err.is_mismatch(), "{rec}: {err}");
        }
    }
}
