//! AWS.WAFWebACL: AWS WAF web ACL traffic logs, one JSON object per web
//! request (JSON lines from Firehose, S3 and CloudWatch Logs; Firehose may
//! also concatenate objects on one line, which the JSON framing splits).
//! WAF Classic and WAFv2 records share the layout; WAFv2 adds members over
//! time (labels, CAPTCHA and challenge responses, JA3/JA4 fingerprints),
//! which are columns here, and unknown members are ignored.
//!
//! A record is recognised by `timestamp`, `webaclId`, `action` and
//! `httpRequest`; without them it is a mismatch. `timestamp` is in
//! milliseconds since the epoch. The rule lists and the request keep their
//! nested JSON and are shaped by their column types.

use seclake_core::{SigmaDef, SigmaLogSource};
use std::sync::LazyLock;

use seclake_core::json::JsonRecord;
use seclake_core::time::parse_i64;
use seclake_core::{
    columns, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature, Timestamp,
    Value,
};

use crate::fields::{nested_string, scalar_text};

columns! {
    Action = "action", "string", required, [], "The action applied by WAF. Possible values for a terminating rule: ALLOW and BLOCK. COUNT is not a valid value for a terminating rule.";
    FormatVersion = "formatVersion", "smallint", required, [], "The format version for the log.";
    HttpRequest = "httpRequest", "{ \"args\":string, \"clientIp\":string, \"country\":string, \"headers\":[{ \"name\":string, \"value\":string }], \"httpMethod\":string, \"httpVersion\":string, \"requestId\":string, \"uri\":string, \"scheme\":string, \"host\":string, \"fragment\":string }", required, [AwsJson], "The metadata about the request.";
    HttpSourceId = "httpSourceId", "string", required, [], "The source ID. This field shows the ID of the associated resource.";
    HttpSourceName = "httpSourceName", "string", required, [], "The source of the request. Possible values: CF for Amazon CloudFront, APIGW for Amazon API Gateway, ALB for Application Load Balancer, and APPSYNC for AWS AppSync.";
    NonTerminatingMatchingRules = "nonTerminatingMatchingRules", "[{ \"ruleId\":string, \"action\":string, \"ruleMatchDetails\":[{ \"conditionType\":string, \"location\":string, \"matchedData\":[string] }] }]", optional, [], "The list of non-terminating rules in the rule group that match the request. These are always COUNT rules (non-terminating rules that match).";
    RateBasedRuleList = "rateBasedRuleList", "[{ \"limitKey\":string, \"limitValue\":string, \"maxRateAllowed\":bigint, \"rateBasedRuleId\":string, \"rateBasedRuleName\":string }]", optional, [], "The list of rate-based rules that acted on the request.";
    RuleGroupList = "ruleGroupList", "[{ \"excludedRules\":[{ \"exclusionType\":string, \"ruleId\":string }], \"nonTerminatingMatchingRules\":[{ \"ruleId\":string, \"action\":string, \"ruleMatchDetails\":[{ \"conditionType\":string, \"location\":string, \"matchedData\":[string] }] }], \"ruleGroupId\":string, \"terminatingRule\":{ \"ruleId\":string, \"action\":string, \"ruleMatchDetails\":[{ \"conditionType\":string, \"location\":string, \"matchedData\":[string] }] } }]", optional, [], "The list of rule groups that acted on this request. In the preceding code example, there is only one.";
    TerminatingRuleId = "terminatingRuleId", "string", required, [], "The ID of the rule that terminated the request. If nothing terminates the request, the value is Default_Action.";
    TerminatingRuleMatchDetails = "terminatingRuleMatchDetails", "[{ \"conditionType\":string, \"location\":string, \"matchedData\":[string] }]", optional, [], "Detailed information about the terminating rule that matched the request. A terminating rule has an action that ends the inspection process against a web request. Possible actions for a terminating rule are ALLOW and BLOCK. This is only populated for SQL injection and cross-site scripting (XSS) match rule statements. As with all rule statements that inspect for more than one thing, AWS WAF applies the action on the first match and stops inspecting the web request. A web request with a terminating action could contain other threats, in addition to the one reported in the log.";
    TerminatingRuleType = "terminatingRuleType", "string", required, [], "The type of rule that terminated the request. Possible values: RATE_BASED, REGULAR, GROUP, and MANAGED_RULE_GROUP.";
    Timestamp = "timestamp", "timestamp", required, [], "The timestamp in milliseconds.";
    WebaclId = "webaclId", "string", required, [AwsArn], "The GUID of the web ACL.";
    RequestHeadersInserted = "requestHeadersInserted", "[{ \"name\":string, \"value\":string }]", optional, [], "The headers inserted into the request by custom request handling.";
    ResponseCodeSent = "responseCodeSent", "bigint", optional, [], "The HTTP status code sent with a custom response.";
    Labels = "labels", "[{ \"name\":string }]", optional, [], "The labels that the rules evaluating the request added to it (at most the first 100).";
    CaptchaResponse = "captchaResponse", "{ \"responseCode\":bigint, \"solveTimestamp\":bigint, \"failureReason\":string }", optional, [], "The state of the CAPTCHA action applied to the request: a response code and failure reason when it terminated the inspection, a solve time when it did not.";
    ChallengeResponse = "challengeResponse", "{ \"responseCode\":bigint, \"solveTimestamp\":bigint, \"failureReason\":string }", optional, [], "The state of the Challenge action applied to the request: a response code and failure reason when it terminated the inspection, a solve time when it did not.";
    OversizeFields = "oversizeFields", "[string]", optional, [], "The request components inspected by the web ACL that were over the AWS WAF inspection size limit (REQUEST_BODY, REQUEST_JSON_BODY, REQUEST_HEADERS, REQUEST_COOKIES).";
    Ja3Fingerprint = "ja3Fingerprint", "string", optional, [], "The JA3 fingerprint of the client's TLS Client Hello.";
    Ja4Fingerprint = "ja4Fingerprint", "string", optional, [], "The JA4 fingerprint of the client's TLS Client Hello.";
    RequestBodySize = "requestBodySize", "bigint", optional, [], "The size of the request body, in bytes.";
    RequestBodySizeInspectedByWaf = "requestBodySizeInspectedByWAF", "bigint", optional, [], "The number of bytes of the request body that AWS WAF inspected.";
    CfDistributionTenantId = "cfDistributionTenantId", "string", optional, [], "The ID of the CloudFront distribution tenant the request was for, for web ACLs associated with distribution tenants.";
}

pub const DEF: LogTypeDef = LogTypeDef {
    name: "AWS.WAFWebACL",
    description: "AWS WAF web ACL traffic logs: each web request AWS WAF inspected, the rules it matched and the action taken.",
    reference: "https://docs.aws.amazon.com/waf/latest/developerguide/logging-fields.html",
    columns: COLUMNS,
    signature: Signature::QuotedTokens(MARKERS),
    event_time: Some("timestamp"),
    examples: &[
        r#"{"timestamp":1576280412771,"formatVersion":1,"webaclId":"arn:aws:wafv2:ap-southeast-2:111122223333:regional/webacl/STMTest/1EXAMPLE-2ARN-3ARN-4ARN-123456EXAMPLE","terminatingRuleId":"STMTest_SQLi_XSS","terminatingRuleType":"REGULAR","action":"BLOCK","terminatingRuleMatchDetails":[{"conditionType":"SQL_INJECTION","sensitivityLevel":"HIGH","location":"HEADER","matchedData":["10","AND","1"]}],"httpSourceName":"-","httpSourceId":"-","ruleGroupList":[],"rateBasedRuleList":[],"nonTerminatingMatchingRules":[],"httpRequest":{"clientIp":"1.1.1.1","country":"AU","headers":[{"name":"Host","value":"localhost:1989"},{"name":"User-Agent","value":"curl/7.61.1"},{"name":"Accept","value":"*/*"},{"name":"x-stm-test","value":"10 AND 1=1"}],"uri":"/myUri","args":"","httpVersion":"HTTP/1.1","httpMethod":"GET","requestId":"rid"},"labels":[{"name":"value"}]}"#,
        r#"{"timestamp":1533689070589,"formatVersion":1,"webaclId":"385cb038-3a6f-4f2f-ac64-09ab912af590","terminatingRuleId":"Default_Action","terminatingRuleType":"REGULAR","action":"ALLOW","httpSourceName":"CF","httpSourceId":"i-123","ruleGroupList":[{"ruleGroupId":"41f4eb08-4e1b-2985-92b5-e8abf434fad3","terminatingRule":null,"nonTerminatingMatchingRules":[{"action":"COUNT","ruleId":"4659b169-2083-4a91-bbd4-08851a9aaf74"}],"excludedRules":[{"exclusionType":"EXCLUDED_AS_COUNT","ruleId":"5432a230-0113-5b83-bbb2-89375c5bfa98"}]}],"rateBasedRuleList":[{"rateBasedRuleId":"7c968ef6-32ec-4fee-96cc-51198e412e7f","limitKey":"IP","maxRateAllowed":100},{"rateBasedRuleId":"462b169-2083-4a93-bbd4-08851a9aaf30","limitKey":"IP","maxRateAllowed":100}],"nonTerminatingMatchingRules":[{"action":"COUNT","ruleId":"4659b181-2011-4a91-bbd4-08851a9aaf52"}],"httpRequest":{"clientIp":"192.10.23.23","country":"US","headers":[{"name":"Host","value":"127.0.0.1:1989"},{"name":"User-Agent","value":"curl/7.51.2"},{"name":"Accept","value":"*/*"}],"uri":"REDACTED","args":"usernam=abc","httpVersion":"HTTP/1.1","httpMethod":"GET","requestId":"cloud front Request id"}}"#,
        r#"{"timestamp":1752678174452,"formatVersion":1,"webaclId":"arn:aws:wafv2:us-east-2:123456789012:regional/webacl/general/fde13fa7-985f-4748-a25e-a2f878a6fa4f","terminatingRuleId":"Default_Action","terminatingRuleType":"REGULAR","action":"ALLOW","httpSourceName":"ALB","httpSourceId":"123456789012-app/Farga-1QNOPZIZ7Q77S/aa203f745ebef845","ruleGroupList":[],"rateBasedRuleList":[],"nonTerminatingMatchingRules":[],"requestHeadersInserted":null,"responseCodeSent":null,"httpRequest":{"clientIp":"1.2.3.4","country":"US","headers":[{"name":"Host","value":"example.com"}],"uri":"/pen-test/pets","args":"","httpVersion":"HTTP/1.1","httpMethod":"GET","requestId":"1-6877bf1e-1bdf277e1ec7627716dfa10a","fragment":"","scheme":"https","host":"somewhere.someone.dev"},"captchaResponse":{"responseCode":405,"solveTimestamp":0,"failureReason":"TOKEN_MISSING"},"ja3Fingerprint":"71912442e2cef8ae6f8ea3aba3fc0da9","ja4Fingerprint":"t13d1812h1_91b4e2f43a96_a791466c72b5"}"#,
    ],
    new_parser: || Box::new(WafParser),
    sigma: SIGMA,
};

/// Sigma: the type answers `category: webserver` rules, whose fields are
/// named by Sigma's web server taxonomy (W3C extended log fields), and
/// `category: proxy` rules (the client's requests as a reverse proxy sees
/// them), with the proxy taxonomy's names.
/// The request's headers are a list of name/value pairs, which rules
/// cannot address, so `cs-user-agent` is not declared.
const SIGMA: SigmaDef = SigmaDef {
    logsources: &[
        SigmaLogSource::category("webserver"),
        SigmaLogSource::category("proxy"),
        SigmaLogSource::service("aws", "waf"),
    ],
    fields: &[
        ("c-ip", "httpRequest.clientIp"),
        ("cs-method", "httpRequest.httpMethod"),
        ("cs-uri", "httpRequest.uri"),
        ("cs-uri-stem", "httpRequest.uri"),
        ("cs-uri-query", "httpRequest.args"),
        ("cs-version", "httpRequest.httpVersion"),
        ("cs-host", "httpRequest.host"),
        ("sc-status", "responseCodeSent"),
        // Sigma's proxy taxonomy.
        ("c-uri", "httpRequest.uri"),
        ("c-uri-stem", "httpRequest.uri"),
        ("c-uri-query", "httpRequest.args"),
        ("src_ip", "httpRequest.clientIp"),
    ],
    json_columns: &[],
    keyword_fields: &["httpRequest.uri", "httpRequest.args"],
    dns_names: &[],
};

/// The actions AWS WAF applies to a request.
const ACTIONS: &[&str] = &["ALLOW", "BLOCK", "COUNT", "CAPTCHA", "CHALLENGE"];

/// Tokens every WAF log shows, for classification.
const MARKERS: &[&str] = &["webaclId", "httpRequest"];

/// The members without which a record is not a WAF log.
static JSON: LazyLock<JsonRecord> = LazyLock::new(|| {
    JsonRecord::new(COLUMNS, &["timestamp", "webaclId", "action", "httpRequest"])
        .expect("WAF columns are valid")
});

struct WafParser;

impl RecordParser for WafParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        _ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        JSON.decode(record, row, |m, row| {
            let field = |reason| ParseError::field(m.key, reason, &scalar_text(m.raw));
            match m.key {
                // Milliseconds since the epoch, always a JSON number.
                "timestamp" if m.raw != "null" => {
                    return parse_i64(m.raw)
                        .and_then(Timestamp::from_millis)
                        .map(|t| Some(Value::Time(t)))
                        .ok_or_else(|| field("not epoch milliseconds"));
                }
                "action"
                    if m.raw != "null" && !m.string().is_some_and(|a| ACTIONS.contains(&&*a)) =>
                {
                    return Err(field("not a WAF action"));
                }
                // The declaration checks it is an integer, not its width.
                "formatVersion"
                    if parse_i64(&scalar_text(m.raw))
                        .is_some_and(|v| i16::try_from(v).is_err()) =>
                {
                    return Err(field("out of range"));
                }
                "httpRequest" => {
                    if let Some(ip) = nested_string(m.raw, "clientIp", "httpRequest.clientIp")? {
                        row.indicators.ip(ip);
                    }
                    if let Some(host) = nested_string(m.raw, "host", "httpRequest.host")? {
                        row.indicators.host(host);
                    }
                }
                _ => {}
            }
            Ok(None)
        })?;
        Ok(Parsed::Row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seclake_core::testing::{indicators, parse};
    use seclake_core::Indicator;

    #[test]
    fn wafv2_record_with_millisecond_time_and_indicators() {
        let row = parse(&DEF, DEF.examples[0]).unwrap();
        assert_eq!(
            row.event_time.unwrap().to_rfc3339(),
            "2019-12-13T23:40:12.771Z"
        );
        assert_eq!(row.get(C::FormatVersion), &Value::Int(1));
        assert_eq!(indicators(&row, Indicator::IpAddress), ["1.1.1.1"]);
        assert_eq!(
            indicators(&row, Indicator::AwsArn),
            ["arn:aws:wafv2:ap-southeast-2:111122223333:regional/webacl/STMTest/1EXAMPLE-2ARN-3ARN-4ARN-123456EXAMPLE"]
        );
        assert_eq!(indicators(&row, Indicator::AwsAccountId), ["111122223333"]);
    }

    #[test]
    fn classic_record_and_newer_members() {
        let row = parse(&DEF, DEF.examples[1]).unwrap();
        assert_eq!(
            row.get(C::WebaclId),
            &Value::str("385cb038-3a6f-4f2f-ac64-09ab912af590")
        );
        assert!(row.get(C::TerminatingRuleMatchDetails).is_null());
        assert!(indicators(&row, Indicator::AwsArn).is_empty());
        let row = parse(&DEF, DEF.examples[2]).unwrap();
        assert_eq!(
            row.get(C::Ja4Fingerprint),
            &Value::str("t13d1812h1_91b4e2f43a96_a791466c72b5")
        );
        assert!(
            row.get(C::ResponseCodeSent).is_null() && row.get(C::RequestHeadersInserted).is_null()
        );
        assert!(
            matches!(row.get(C::CaptchaResponse), Value::Json(j) if j.contains("TOKEN_MISSING"))
        );
        assert_eq!(
            indicators(&row, Indicator::DomainName),
            ["somewhere.someone.dev"]
        );
    }

    #[test]
    fn escaped_slashes_are_unescaped() {
        let row = parse(&DEF, r#"{"timestamp":1592357192516,"formatVersion":1,"webaclId":"arn:aws:wafv2:us-east-1:123456789012:global\/webacl\/hello-world\/5933d6d9","terminatingRuleId":"Default_Action","terminatingRuleType":"REGULAR","action":"ALLOW","httpSourceName":"-","httpSourceId":"-","httpRequest":{"clientIp":"3.3.3.3","uri":"\/foo"}}"#).unwrap();
        assert_eq!(
            row.get(C::WebaclId),
            &Value::str("arn:aws:wafv2:us-east-1:123456789012:global/webacl/hello-world/5933d6d9")
        );
        assert_eq!(indicators(&row, Indicator::IpAddress), ["3.3.3.3"]);
    }

    #[test]
    fn other_types_and_partial_records_are_mismatches() {
        for rec in [
            // wazuh's wrong-structure sample.
            r#"{"timestamp":1592357192516}"#,
            r#"{"version":"0","id":"x","detail-type":"T","source":"s","account":"123456789012","time":"2020-01-01T00:00:00Z","region":"r","resources":[],"detail":{}}"#,
            r#"{"timestamp":"2020-01-01T00:00:00Z","action":"login","user":"bob"}"#,
            r#"{"version":"1.100000","account_id":"123456789012","query_timestamp":"2021-12-11T22:46:23Z","query_name":"a."}"#,
        ] {
            let err = parse(&DEF, rec).err().unwrap();
            assert!(err.is_mismatch(), "{rec}: {err}");
        }
    }

    #[test]
    fn malformed_json_is_rejected() {
        // wazuh's invalid-JSON sample: nothing marks it as WAF, but it
        // never parses.
        assert!(parse(&DEF, r#"{"invalid json",{"timestamp":1592357192516}"#).is_err());
    }

    #[test]
    fn broken_records_are_invalid() {
        let base = r#"{"timestamp":1592357192516,"formatVersion":1,"webaclId":"w","terminatingRuleId":"Default_Action","terminatingRuleType":"REGULAR","action":"ALLOW","httpSourceName":"-","httpSourceId":"-","httpRequest":{"clientIp":"3.3.3.3"},"labels":[]}"#;
        parse(&DEF, base).unwrap();
        for rec in [
            base.replace(r#""action":"ALLOW""#, r#""action":"MAYBE""#),
            base.replace("1592357192516", r#""1592357192516""#),
            base.replace(r#""formatVersion":1"#, r#""formatVersion":70000"#),
            base.replace(
                r#""httpRequest":{"clientIp":"3.3.3.3"}"#,
                r#""httpRequest":"3.3.3.3""#,
            ),
            base.replace(r#""labels":[]"#, r#""labels":"x""#),
            base.replace(r#""terminatingRuleId":"Default_Action","#, ""),
        ] {
            let err = parse(&DEF, &rec).err().unwrap();
            assert!(!err.is_mismatch(), "{rec}: {err}");
        }
    }
}
