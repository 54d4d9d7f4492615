//! AWS.VPCDns: Route 53 Resolver query logs, one JSON object per query
//! (JSON lines in S3 and Firehose deliveries, one event per message in
//! CloudWatch Logs). Member names are AWS's own snake_case ones.
//!
//! A record is recognised by `version`, `query_timestamp` and
//! `query_name`; without them it is a mismatch. Answers are kept as
//! nested JSON, and their data feeds the indicator fields by record type:
//! the addresses of A/AAAA answers, the names of CNAME, DNAME, NS and PTR
//! answers and the target of MX and SRV answers.

use seclake_core::{SigmaDef, SigmaLogSource};
use std::borrow::Cow;
use std::sync::LazyLock;

use seclake_core::indicators::Indicators;
use seclake_core::json::record::top_level_member;
use seclake_core::json::{unquote, JsonRecord};
use seclake_core::{
    columns, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature,
};

use crate::fields::{each_element, nested_string};

columns! {
    Version = "version", "string", required, [], "The version number of the query log format. If we add fields to the log or change the format of existing fields, we'll increment this value.";
    AccountId = "account_id", "string", required, [AwsAccountId], "The ID of the AWS account that created the VPC.";
    Region = "region", "string", required, [], "The AWS Region that you created the VPC in.";
    VpcId = "vpc_id", "string", optional, [], "The ID of the VPC that the query originated in.";
    QueryTimestamp = "query_timestamp", "timestamp", required, [], "The date and time that the query was submitted, in ISO 8601 format and Coordinated Universal Time (UTC)";
    QueryName = "query_name", "string", required, [Domain], "The domain name (example.com) or subdomain name (www.example.com) that was specified in the query.";
    QueryType = "query_type", "string", required, [], "Either the DNS record type that was specified in the request, or ANY. For information about the types that Route 53 supports.";
    QueryClass = "query_class", "string", optional, [], "The class of the query.";
    Rcode = "rcode", "string", required, [], "The DNS response code that Resolver returned in response to the DNS query. The response code indicates whether the query was valid or not. The most common response code is NOERROR, meaning that the query was valid. If the response is not valid, Resolver returns a response code that explains why not. For a list of possible response codes, see DNS RCODEs on the IANA website.";
    Answers = "answers", "[{ \"Rdata\":string, \"Type\":string, \"Class\":string }]", optional, [], "Answers to the query";
    SrcAddr = "srcaddr", "string", required, [Ip], "The IP address of the instance that the query originated from.";
    SrcPort = "srcport", "string", optional, [], "The port on the instance that the query originated from.";
    Transport = "transport", "string", optional, [], "The protocol used to submit the DNS query.";
    SrcIds = "srcids", "{ \"instance\":string, \"resolver-endpoint\":string, \"resolver_endpoint\":string, \"resolver_network_interface\":string }", optional, [AwsJson], "The list of IDs of the sources the DNS query originated from or passed through.";
    FirewallRuleGroupId = "firewall_rule_group_id", "string", optional, [], "The ID of the DNS Firewall rule group that matched the domain name in the query; present only when a rule with an alert or block action matched.";
    FirewallRuleAction = "firewall_rule_action", "string", optional, [], "The action of the DNS Firewall rule that matched the domain name in the query (for example ALERT or BLOCK); present only when such a rule matched.";
    FirewallDomainListId = "firewall_domain_list_id", "string", optional, [], "The ID of the DNS Firewall domain list used by the rule that matched the domain name in the query; present only when such a rule matched.";
}

pub const DEF: LogTypeDef = LogTypeDef {
    name: "AWS.VPCDns",
    description: "Route 53 Resolver query logs: the DNS queries made from VPCs, with their answers and DNS Firewall matches.",
    reference: "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-query-logs-format.html",
    columns: COLUMNS,
    signature: Signature::QuotedTokens(MARKERS),
    event_time: Some("query_timestamp"),
    examples: &[
        r#"{"srcaddr":"4.5.64.102","vpc_id":"vpc-7example","answers":[{"Rdata":"203.0.113.9","Type":"PTR","Class":"IN"}],"firewall_rule_group_id":"rslvr-frg-01234567890abcdef","firewall_rule_action":"BLOCK","query_name":"15.3.4.32.in-addr.arpa.","firewall_domain_list_id":"rslvr-fdl-01234567890abcdef","query_class":"IN","srcids":{"instance":"i-0d15cd0d3example"},"rcode":"NOERROR","query_type":"PTR","transport":"UDP","version":"1.100000","account_id":"111122223333","srcport":"56067","query_timestamp":"2021-02-04T17:51:55Z","region":"us-east-1"}"#,
        r#"{"version":"1.100000","account_id":"626345947581","region":"us-east-1","vpc_id":"vpc-01e31a7c","query_timestamp":"2021-12-11T22:46:23Z","query_name":"does-not-exist.abc.com.","query_type":"A","query_class":"IN","rcode":"NXDOMAIN","answers":[],"srcaddr":"172.31.86.159","srcport":"48701","transport":"UDP","srcids":{}}"#,
        r#"{"version":"1.100000","account_id":"123456789012","region":"us-east-1","vpc_id":"vpc-00000000000000000","query_timestamp":"2022-10-13T21:02:36Z","query_name":"ip-127-0-0-62.alert.firewall.canary.","query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"127.0.0.62","Type":"A","Class":"IN"}],"srcaddr":"10.200.21.100","srcport":"15083","transport":"UDP","srcids":{"resolver_endpoint":"rslvr-in-0000000000000000","resolver_network_interface":"rni-0000000000000000"},"firewall_rule_action":"ALERT","firewall_rule_group_id":"rslvr-frg-000000000000000","firewall_domain_list_id":"rslvr-fdl-0000000000000"}"#,
    ],
    new_parser: || Box::new(VpcDnsParser),
    sigma: SIGMA,
};

/// Sigma: the type answers `category: dns` rules (Sigma's DNS taxonomy
/// names the query `query`); query names are logged with their trailing
/// dot, which rules do not write.
const SIGMA: SigmaDef = SigmaDef {
    logsources: &[
        SigmaLogSource::category("dns"),
        SigmaLogSource::service("aws", "route53"),
    ],
    fields: &[
        ("query", "query_name"),
        ("QueryName", "query_name"),
        ("record_type", "query_type"),
        ("QueryType", "query_type"),
        ("response_code", "rcode"),
        ("src_ip", "srcaddr"),
        ("src_port", "srcport"),
    ],
    json_columns: &[],
    keyword_fields: &["query_name"],
    dns_names: &["query_name"],
};

/// Each answer's data feeds the indicators by its record type.
fn answers<'a>(raw: &'a str, ind: &mut Indicators<'a>) -> Result<(), ParseError> {
    each_element(raw, |answer| {
        let bad = || {
            ParseError::invalid("field answers: not a list of answers")
                .with_detail(answer.chars().take(80).collect::<String>())
        };
        if !answer.starts_with('{') {
            return Err(bad());
        }
        let string = |name| match top_level_member(answer, name) {
            None | Some("null") => Ok(None),
            Some(v) if v.starts_with('"') => Ok(Some(unquote(v))),
            Some(_) => Err(bad()),
        };
        if let (Some(data), Some(ty)) = (string("Rdata")?, string("Type")?) {
            answer_indicators(ind, &ty, data);
        }
        Ok(())
    })
}

fn answer_indicators<'a>(ind: &mut Indicators<'a>, ty: &str, data: Cow<'a, str>) {
    match ty {
        "A" | "AAAA" => ind.ip(data),
        "CNAME" | "DNAME" | "NS" | "PTR" => ind.host(data),
        // `preference exchange` and `priority weight port target`.
        "MX" | "SRV" => {
            let target = match data {
                Cow::Borrowed(b) => Cow::Borrowed(b.rsplit(' ').next().unwrap_or(b)),
                Cow::Owned(o) => Cow::Owned(o.rsplit(' ').next().unwrap_or(&o).to_string()),
            };
            ind.domain(target);
        }
        _ => {}
    }
}

/// Tokens every query log shows, for classification.
const MARKERS: &[&str] = &["query_timestamp", "query_name"];

/// The members without which a record is not a query log.
static JSON: LazyLock<JsonRecord> = LazyLock::new(|| {
    JsonRecord::new(COLUMNS, &["version", "query_timestamp", "query_name"])
        .expect("Resolver query log columns are valid")
});

struct VpcDnsParser;

impl RecordParser for VpcDnsParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        _ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        JSON.decode(record, row, |m, row| {
            match m.key {
                // A string in AWS's logs; a number is accepted too.
                "srcport"
                    if !(m.raw == "null"
                        || m.raw.starts_with('"')
                        || m.raw.bytes().all(|c| c.is_ascii_digit())) =>
                {
                    return Err(ParseError::field("srcport", "not a port", m.raw));
                }
                "answers" => answers(m.raw, &mut row.indicators)?,
                "srcids" => {
                    if let Some(id) = nested_string(m.raw, "instance", "srcids.instance")? {
                        row.indicators.instance_id(id);
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
    use seclake_core::{Indicator, Value};

    #[test]
    fn doc_example_with_firewall_fields() {
        let row = parse(&DEF, DEF.examples[0]).unwrap();
        assert_eq!(row.get(C::FirewallRuleAction), &Value::str("BLOCK"));
        assert_eq!(row.get(C::SrcPort), &Value::str("56067"));
        assert_eq!(row.event_time.unwrap().to_rfc3339(), "2021-02-04T17:51:55Z");
        assert_eq!(
            indicators(&row, Indicator::DomainName),
            ["15.3.4.32.in-addr.arpa"]
        );
        // srcaddr, and the PTR answer's data (an address in AWS's example).
        assert_eq!(
            indicators(&row, Indicator::IpAddress),
            ["203.0.113.9", "4.5.64.102"]
        );
        assert_eq!(indicators(&row, Indicator::AwsAccountId), ["111122223333"]);
    }

    #[test]
    fn answers_feed_indicators_by_type() {
        let row = parse(&DEF, r#"{"version":"1.100000","account_id":"123456789012","region":"us-east-1","vpc_id":"vpc-1","query_timestamp":"2021-12-11T22:46:23.5Z","query_name":"www.example.com.","query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"web.example.net.","Type":"CNAME","Class":"IN"},{"Rdata":"192.0.2.10","Type":"A","Class":"IN"},{"Rdata":"2001:db8::10","Type":"AAAA","Class":"IN"},{"Rdata":"10 mail.example.org.","Type":"MX","Class":"IN"},{"Rdata":"v=spf1 -all","Type":"TXT","Class":"IN"}],"srcaddr":"10.0.0.5","srcport":53,"transport":"UDP","srcids":{"instance":"i-079c44232510ca8ff"}}"#).unwrap();
        assert_eq!(
            indicators(&row, Indicator::IpAddress),
            ["10.0.0.5", "192.0.2.10", "2001:db8::10"]
        );
        assert_eq!(
            indicators(&row, Indicator::DomainName),
            ["mail.example.org", "web.example.net", "www.example.com"]
        );
        assert_eq!(
            indicators(&row, Indicator::AwsInstanceId),
            ["i-079c44232510ca8ff"]
        );
        assert_eq!(row.get(C::SrcPort), &Value::str("53"));
        assert_eq!(
            row.event_time.unwrap().to_rfc3339(),
            "2021-12-11T22:46:23.500Z"
        );
    }

    #[test]
    fn resolver_endpoint_sources_and_empty_answers() {
        for ex in DEF.examples {
            parse(&DEF, ex).unwrap();
        }
        let row = parse(&DEF, DEF.examples[2]).unwrap();
        assert!(matches!(row.get(C::SrcIds), Value::Json(j) if j.contains("rslvr-in-")));
        assert!(indicators(&row, Indicator::AwsInstanceId).is_empty());
        let row = parse(&DEF, DEF.examples[1]).unwrap();
        assert_eq!(row.get(C::Answers), &Value::Json(Cow::Borrowed("[]")));
    }

    #[test]
    fn other_types_are_mismatches() {
        for rec in [
            r#"{"version":"0","id":"x","detail-type":"T","source":"s","account":"123456789012","time":"2020-01-01T00:00:00Z","region":"r","resources":[],"detail":{}}"#,
            r#"{"timestamp":1592357192516,"formatVersion":1,"webaclId":"x","action":"ALLOW","httpRequest":{}}"#,
            r#"{"version":2,"query":"x"}"#,
            "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
        ] {
            let err = parse(&DEF, rec).err().unwrap();
            assert!(err.is_mismatch(), "{rec}: {err}");
        }
    }

    #[test]
    fn broken_queries_are_invalid() {
        let base = r#"{"version":"1.100000","account_id":"123456789012","region":"us-east-1","query_timestamp":"2021-12-11T22:46:23Z","query_name":"a.example.","query_type":"A","rcode":"NOERROR","answers":[],"srcaddr":"10.0.0.1","srcport":"1","srcids":{}}"#;
        parse(&DEF, base).unwrap();
        for rec in [
            base.replace("2021-12-11T22:46:23Z", "11/Dec/2021"),
            base.replace(r#""answers":[]"#, r#""answers":{}"#),
            base.replace(r#""answers":[]"#, r#""answers":[{"Rdata":1,"Type":"A"}]"#),
            base.replace(r#""srcids":{}"#, r#""srcids":"i-1""#),
            base.replace(r#""srcport":"1""#, r#""srcport":true"#),
            base.replace(r#""rcode":"NOERROR","#, ""),
        ] {
            let err = parse(&DEF, &rec).err().unwrap();
            assert!(!err.is_mismatch(), "{rec}: {err}");
        }
    }

    #[test]
    fn a_numeric_version_is_kept_as_text() {
        let row = parse(&DEF, r#"{"version":1.1,"account_id":"123456789012","region":"us-east-1","query_timestamp":"2021-12-11T22:46:23Z","query_name":"a.example.","query_type":"A","rcode":"NOERROR","srcaddr":"10.0.0.1"}"#).unwrap();
        assert_eq!(row.get(C::Version), &Value::str("1.1"));
    }
}
