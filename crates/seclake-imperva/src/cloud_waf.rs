//! Imperva.CloudWAF: the access and security events of Imperva's Cloud
//! WAF (Incapsula), in CEF, LEEF or W3C, one table whatever the format:
//! one column per field of the seed's table ([`crate::fields`]), named
//! after its description. Events come bare (forwarded by syslog, or a
//! body already unwrapped) or from a log file, whose header the file
//! decoder ([`crate::file`]) hands over as the stream's first line; its
//! account, configuration and format are columns of every row, and so
//! are the id and sequence of the file's name ([`crate::file_name`]),
//! read from the input's name.
//!
//! Values not of their column's type stay, as sent, in `extensions`, with
//! the attributes the table does not list; the labels of the table's own
//! `csN` fields (`cs9Label=Rule name`) are not repeated in every row.

use seclake_core::{SigmaDef, SigmaLogSource};
use std::borrow::Cow;

use seclake_cef::attributes::number_repeats;
use seclake_cef::syntax::{cef, leef, pairs, prefix};
use seclake_core::key_cache::KeyCache;
use seclake_core::time::parse_i64;
use seclake_core::{
    columns, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature, Timestamp,
    Value,
};

use crate::fields::{self, Format};
use crate::{file, file_name, w3c};

columns! {
    SyslogTimestamp = "syslog_timestamp", "timestamp", optional, [], "The time of the syslog header the event was forwarded with, if any.";
    SyslogHostname = "syslog_hostname", "string", optional, [Host], "The host of the syslog header the event was forwarded with, if any.";
    EventName = "event_name", "string", optional, [], "CEF name / LEEF event id: Normal for access events, the attack (SQL Injection, Illegal Resource Access, ...) for security events.";
    Id = "id", "string", optional, [], "The unique identification (fileId, cs-sessionid).";
    ClientIp = "client_ip", "string", optional, [Ip], "The client IP that made the request.";
    UserAgent = "user_agent", "string", optional, [], "The UserAgent header value.";
    RequestStartTime = "request_start_time", "timestamp", optional, [], "The time in which this visit started, in UTC (sent in epoch milliseconds).";
    ResponseEndTime = "response_end_time", "timestamp", optional, [], "The end time of the response to the request, in UTC (sent in epoch milliseconds).";
    RequestHeaders = "request_headers", "string", optional, [], "Request headers in JSON format, as sent (a JSON array of name-value objects).";
    ResponseHeaders = "response_headers", "string", optional, [], "Response headers in JSON format, as sent.";
    Url = "url", "string", optional, [], "The URL of the request (host and path, no scheme).";
    RefId = "ref_id", "string", optional, [], "Ref ID.";
    CountryCode = "country_code", "string", optional, [], "The country code of the site visitor.";
    City = "city", "string", optional, [], "The city code of the site visitor.";
    Protocol = "protocol", "string", optional, [], "The request protocol.";
    RequestId = "request_id", "string", optional, [TraceId], "A unique identifier of the request, to correlate with the Imperva Cloud Security Console.";
    Referrer = "referrer", "string", optional, [Url], "The URL of the previous page that the client visited.";
    Method = "method", "string", optional, [], "The request method.";
    HttpStatusCode = "http_status_code", "int", optional, [], "The HTTP response code returned to the client.";
    XForwardedFor = "x_forwarded_for", "string", optional, [], "The X-Forwarded-For request header (every address in it is an indicator).";
    ContentLength = "content_length", "bigint", optional, [], "The content length.";
    AccountId = "account_id", "bigint", optional, [], "The numeric identifier of the account of the site owner.";
    AccountName = "account_name", "string", optional, [], "The account name of the site owner.";
    SiteId = "site_id", "bigint", optional, [], "The numeric identifier of the site.";
    SiteName = "site_name", "string", optional, [Host], "The name of the site.";
    RequestResult = "request_result", "string", optional, [], "How Imperva processed the request: REQ_PASSED, REQ_CACHED_X, REQ_BAD_X, REQ_CHALLENGED_X, REQ_BLOCKED_X.";
    SourcePort = "source_port", "int", optional, [], "The client port used to communicate the request.";
    ProtocolVersion = "protocol_version", "string", optional, [], "The TLS version and encryption algorithms used in the request.";
    PopName = "pop_name", "string", optional, [], "The Imperva PoP that handled the request.";
    PostBody = "post_body", "string", optional, [], "The post body data of the request.";
    ServerIp = "server_ip", "string", optional, [Ip], "The IP address of the server.";
    ServerPort = "server_port", "int", optional, [], "The port of the server.";
    QueryString = "query_string", "string", optional, [], "The query string of the request.";
    CaptchaSupport = "captcha_support", "string", optional, [], "Whether or not the client application supports Captcha.";
    JsSupport = "js_support", "string", optional, [], "Whether or not the client application supports JavaScript.";
    CookiesSupport = "cookies_support", "string", optional, [], "Whether or not the client application supports cookies.";
    VisitorId = "visitor_id", "string", optional, [], "The ID of the visitor.";
    Debug = "debug", "string", optional, [], "For internal use.";
    ClientApp = "client_app", "string", optional, [], "The client application software.";
    Latitude = "latitude", "double", optional, [], "The latitude of the event.";
    Longitude = "longitude", "double", optional, [], "The longitude of the event.";
    RuleName = "rule_name", "string", optional, [], "The threat rule name that this request triggered (SQL Injection, Blocked IP (ACL), ...).";
    AttackId = "attack_id", "string", optional, [], "Imperva attack id (comma-separated when several).";
    AttackType = "attack_type", "string", optional, [], "The type of attack (comma-separated when several).";
    BrowserType = "browser_type", "string", optional, [], "The browser type.";
    AttackSeverity = "attack_severity", "int", optional, [], "The rule type triggered (CEF header severity, W3C cs-severity): ACL -1, SQL Injection 0, Cross Site Scripting 1, ... Bad Bot 14.";
    AdditionalRuleInfo = "additional_rule_info", "string", optional, [], "Additional information on the violation that triggered the rule, in JSON format, as sent.";
    DeliveryRuleDetails = "delivery_rule_details", "string", optional, [], "JSON describing all delivery actions applied to the request, as sent.";
    Extensions = "extensions", "map<string,string>", optional, [Ip], "Attributes not in the table above (caIP, siteTag, ...) and values not of their column's type, by their key as sent.";
    FileAccountId = "file_account_id", "bigint", optional, [], "The log file header's accountId.";
    FileConfigId = "file_config_id", "bigint", optional, [], "The log file header's configId.";
    FileFormat = "file_format", "string", optional, [], "The log file header's format: CEF, LEEF or W3C.";
    LogFileId = "log_file_id", "string", optional, [], "The id in the name of the log file the event came in (1234 of 1234_5678.log, Imperva's API ID); null when the input is not so named.";
    LogFileSequence = "log_file_sequence", "bigint", optional, [], "The sequence number in the log file's name (5678 of 1234_5678.log): it starts at 1 and grows by one per file of an id, so a missing number is a lost file (seclake gaps lists them).";
    SenderIp = seclake_core::parser::SENDER_COLUMN, "string", optional, [Ip], seclake_core::parser::SENDER_DESCRIPTION;
}

pub const DEF: LogTypeDef = LogTypeDef {
    name: "Imperva.CloudWAF",
    description: "Imperva Cloud WAF (Incapsula) access and security events, from its SIEM log files (plain, compressed or encrypted) or forwarded by syslog, in CEF, LEEF or W3C.",
    reference: "https://docs.imperva.com/bundle/cloud-application-security/page/more/log-file-structure.htm",
    columns: COLUMNS,
    signature: Signature::Any,
    event_time: Some("request_start_time"),
    examples: &[
        "CEF:0|Incapsula|SIEMintegration|1|1|Illegal Resource Access|3| fileid=3412341160002518171 sourceServiceName=site123.abcd.info sip=10.1.0.1 spt=80 siteid=1509732 suid=50005477 requestClientApplication=Mozilla/5.0 (Windows NT 6.1; WOW64; rv:40.0) Gecko/20100101 Firefox/40.0 deviceFacility=mia cs2=true cs2Label=Javascript Support ccode=IL tag=www.elvis.com cn1=200 in=54 xff=1.128.0.0, 81.2.69.144 cs7=31.8969 cs7Label=latitude Customer=CEFcustomer123 start=1453290121336 request=site123.abcd.info/ requestmethod=GET qstr=p\\=%2fetc%2fpasswd app=HTTP act=REQ_CHALLENGE_CAPTCHA deviceExternalID=33411452762204224 cpt=443 src=1.128.0.1 end=1566300670892 additionalReqHeaders=[{\"Accept\":\"*/*\"}] filetype=30037,1001, filepermission=2,1, cs9=Block Malicious User,High Risk Resources, cs9Label=Rule name cs11=[{\"api_specification_violation_type\":\"INVALID_PARAM_NAME\",\"parameter_name\":\"somename\"}]",
        "LEEF:0|Incapsula|SIEMintegration|0|SQL Injection| fileId=3412364560000000008 sourceServiceName=test56111115.incaptest.co siteid=1333546 suid=300656 popName=mia calCountryOrRegion=IL start=1460303291788 url=test56111115.incaptest.co/ requestMethod=GET cn1=200 proto=HTTP cat=REQ_PASSED dst=54.195.35.43 dstPort=80 srcPort=443 src=127.0.0.1 protoVer=TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256",
        "Jan 15 10:30:00 sc4s-host-01 CEF:0|Incapsula|SIEMintegration|1|1|Normal|0| fileid=3412341160002518171 sourceServiceName=site123.abcd.info siteid=1509732 src=12.12.12.12 start=1453290121336 request=site123.abcd.info/ act=REQ_PASSED",
    ],
    new_parser: || Box::<CloudWafParser>::default(),
    sigma: SIGMA,
};

/// Sigma: the type answers `category: webserver` rules, whose fields are
/// named by Sigma's web server taxonomy (W3C extended log fields), and
/// `category: proxy` rules (the client's requests as a reverse proxy sees
/// them), with the proxy taxonomy's names.
const SIGMA: SigmaDef = SigmaDef {
    logsources: &[
        SigmaLogSource::category("webserver"),
        SigmaLogSource::category("proxy"),
        SigmaLogSource::product("imperva"),
    ],
    fields: &[
        ("c-ip", "client_ip"),
        ("cs-method", "method"),
        ("cs-uri", "url"),
        ("cs-uri-stem", "url"),
        ("cs-uri-query", "query_string"),
        ("cs-version", "protocol_version"),
        ("cs-user-agent", "user_agent"),
        ("c-useragent", "user_agent"),
        ("cs-referer", "referrer"),
        ("cs-host", "site_name"),
        ("sc-status", "http_status_code"),
        ("s-ip", "server_ip"),
        ("s-port", "server_port"),
        // Sigma's proxy taxonomy.
        ("c-uri", "url"),
        ("c-uri-stem", "url"),
        ("c-uri-query", "query_string"),
        ("cs-referrer", "referrer"),
        ("src_ip", "client_ip"),
        ("dst_ip", "server_ip"),
    ],
    json_columns: &[],
    keyword_fields: &["url", "query_string", "user_agent"],
    dns_names: &[],
};

/// Per-stream state: the log file's header, and the W3C field order.
#[derive(Default)]
struct CloudWafParser {
    file: Option<file::Header>,
    w3c: Option<Vec<W3cField>>,
    /// The keys of the last CEF and LEEF events.
    cef_keys: KeyCache<Option<C>>,
    leef_keys: KeyCache<Option<C>>,
}

enum W3cField {
    /// A column of the table, and the field's name for `extensions`
    /// should a value not be of the column's type.
    Column(C, &'static str),
    Other(String),
}

impl RecordParser for CloudWafParser {
    fn parse<'a>(
        &mut self,
        line: &'a str,
        ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        if let Some(h) = file::Header::from_line(line) {
            if let Some(names) = &h.fields {
                self.w3c = Some(w3c_fields(names));
            }
            self.file = Some(h);
            return Ok(Parsed::Skip);
        }
        if let Some(names) = line.strip_prefix("#Fields:") {
            // Other W3C logs (IIS) share many field names; Imperva's
            // directive names at least one field only Imperva sends.
            if self.file.is_none() && !w3c::field_names(names).any(|n| IMPERVA_ONLY.contains(&n)) {
                return Err(ParseError::mismatch(
                    "a W3C #Fields directive without Imperva's fields",
                ));
            }
            self.w3c = Some(w3c_fields(names));
            return Ok(Parsed::Skip);
        }
        let incapsula = memchr::memmem::find(line.as_bytes(), b"|Incapsula|").is_some();
        if incapsula {
            if let Some((before, after)) = prefix::split(line, "CEF:") {
                let h = cef::header(after)?;
                if is_cloud_waf(&h.fields[0], &h.fields[1]) {
                    set_prefix(row, before, ctx)?;
                    let [_, _, _, _, name, severity] = h.fields;
                    set_str(row, C::EventName, name);
                    let mut bad = Vec::new();
                    set_typed(row, C::AttackSeverity, "severity", severity, &mut bad);
                    if !bad.is_empty() {
                        return Err(ParseError::field("severity", "not a number", &bad[0].1));
                    }
                    self.attributes(row, Format::Cef, h.extension, b' ');
                    return self.finish(row, ctx);
                }
            }
            if let Some((before, after)) = prefix::split(line, "LEEF:") {
                let h = leef::header(after)?;
                if is_cloud_waf(&h.fields[0], &h.fields[1]) {
                    set_prefix(row, before, ctx)?;
                    let [_, _, _, event] = h.fields;
                    set_str(row, C::EventName, event);
                    self.attributes(row, Format::Leef, h.attributes, h.delimiter);
                    return self.finish(row, ctx);
                }
            }
        }
        match &self.w3c {
            Some(fields) if !line.starts_with('#') => {
                let mut extra = Vec::new();
                let mut values = fields.iter();
                let mut surplus = 0;
                let closed = w3c::for_each_value(line, |v| match values.next() {
                    Some(W3cField::Column(c, name)) => {
                        if v != "-" {
                            set_typed(row, *c, name, v, &mut extra);
                        }
                    }
                    Some(W3cField::Other(name)) => {
                        if v != "-" {
                            extra.push((Cow::Owned(name.clone()), v));
                        }
                    }
                    None => surplus += 1,
                });
                if !closed {
                    return Err(ParseError::invalid("W3C line with an unclosed quote"));
                }
                if surplus > 0 {
                    return Err(ParseError::invalid("W3C line with more values than #Fields names")
                        .with_detail(format!("{surplus} more")));
                }
                set_extensions(row, extra);
                self.finish(row, ctx)
            }
            // Other W3C directives (#Version, #Date, #Software).
            Some(_) => Ok(Parsed::Skip),
            None => Err(ParseError::mismatch(
                "not an Imperva Cloud WAF event: no Incapsula CEF/LEEF header, and no W3C #Fields before",
            )),
        }
    }
}

impl CloudWafParser {
    fn attributes<'a>(&mut self, row: &mut Row<'a>, format: Format, text: &'a str, delim: u8) {
        let mut extra = Vec::new();
        let keys = match format {
            Format::Leef => &mut self.leef_keys,
            _ => &mut self.cef_keys,
        };
        let mut position = 0;
        pairs::for_each(text, delim, |key, raw| {
            let value = pairs::unescape(raw);
            let column = keys.get(position, key, |k| fields::column(format, k));
            position += 1;
            match column {
                Some(c) if row.get(c).is_null() => set_typed(row, c, key, value, &mut extra),
                _ if fields::is_known_label(key) => {}
                _ => extra.push((Cow::Borrowed(key), value)),
            }
        });
        set_extensions(row, extra);
    }

    /// The file header's columns, the file name's, and the indicators
    /// code finds.
    fn finish(&self, row: &mut Row<'_>, ctx: &ParseContext) -> Result<Parsed, ParseError> {
        if let Some((id, sequence)) = file_name::parse(ctx.input_file_name()) {
            row.set(C::LogFileId, Value::Str(Cow::Owned(id.to_string())));
            row.set(C::LogFileSequence, Value::Int(sequence));
        }
        if let Some(h) = &self.file {
            if let Some(a) = h.account_id {
                row.set(C::FileAccountId, Value::Int(a));
            }
            if let Some(c) = h.config_id {
                row.set(C::FileConfigId, Value::Int(c));
            }
            if let Some(f) = h.format {
                row.set(C::FileFormat, f);
            }
        }
        if let Value::Str(xff) = row.get(C::XForwardedFor) {
            let addrs: Vec<String> = xff
                .split(',')
                .map(str::trim)
                .filter(|a| seclake_core::indicators::is_ip(a))
                .map(String::from)
                .collect();
            for a in addrs {
                row.indicators.ip(Cow::Owned(a));
            }
        }
        if let Value::Str(url) = row.get(C::Url) {
            if let Some(host) = url_host(url) {
                let host = host.to_string();
                row.indicators.host(Cow::Owned(host));
            }
        }
        Ok(Parsed::Row)
    }
}

/// W3C field names that only Imperva's logs have.
const IMPERVA_ONLY: &[&str] = &[
    "cs-sessionid",
    "cs-start",
    "s-computername",
    "sc-action",
    "s-suid",
    "s-siteid",
    "sr-pop",
];

/// The vendor and product of the Cloud WAF's SIEM integration (other
/// Imperva products' CEF is generic CEF).
fn is_cloud_waf(vendor: &str, product: &str) -> bool {
    vendor == "Incapsula" && product == "SIEMintegration"
}

fn w3c_fields(names: &str) -> Vec<W3cField> {
    w3c::field_names(names)
        .map(|n| match fields::column(Format::W3c, n) {
            Some(c) => W3cField::Column(c, fields::name(Format::W3c, c)),
            None => W3cField::Other(n.to_string()),
        })
        .collect()
}

fn set_prefix<'a>(
    row: &mut Row<'a>,
    before: &'a str,
    ctx: &ParseContext,
) -> Result<(), ParseError> {
    let p = prefix::parse(before, ctx)?;
    if let Some(t) = p.time {
        row.set(C::SyslogTimestamp, t);
    }
    if let Some(h) = p.host {
        row.set(C::SyslogHostname, h);
    }
    Ok(())
}

fn set_str<'a>(row: &mut Row<'a>, c: C, v: Cow<'a, str>) {
    if !v.is_empty() {
        row.set(c, Value::Str(v));
    }
}

/// Sets a column by its type; a value not of the type goes to `extra`
/// under `key`.
fn set_typed<'a>(
    row: &mut Row<'a>,
    c: C,
    key: &'a str,
    v: Cow<'a, str>,
    extra: &mut Vec<(Cow<'a, str>, Cow<'a, str>)>,
) {
    if v.is_empty() {
        return;
    }
    let value = match COLUMNS[c as usize].ty {
        "int" | "bigint" => parse_i64(v.trim()).map(Value::Int),
        "double" => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Value::Float),
        "timestamp" => parse_i64(v.trim())
            .and_then(Timestamp::from_millis)
            .map(Value::Time),
        _ => Some(Value::Str(v.clone())),
    };
    match value {
        Some(value) => row.set(c, value),
        None => extra.push((Cow::Borrowed(key), v)),
    }
}

fn set_extensions<'a>(row: &mut Row<'a>, mut extra: Vec<(Cow<'a, str>, Cow<'a, str>)>) {
    if !extra.is_empty() {
        number_repeats(&mut extra);
        row.set(C::Extensions, Value::Map(extra));
    }
}

/// The host of Imperva's scheme-less URL (`site.example/path`).
fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#', ':']).next()?;
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use seclake_core::testing::{indicators, parse, parse_all, parse_input};
    use seclake_core::Indicator;

    #[test]
    fn cef_event_with_every_quirk() {
        let row = parse(&DEF, DEF.examples[0]).unwrap();
        assert_eq!(
            row.get(C::EventName),
            &Value::str("Illegal Resource Access")
        );
        assert_eq!(row.get(C::AttackSeverity), &Value::Int(3));
        // Case-varying keys, `\=`, trailing commas, JSON values as sent.
        assert_eq!(row.get(C::Id), &Value::str("3412341160002518171"));
        assert_eq!(row.get(C::Method), &Value::str("GET"));
        assert_eq!(row.get(C::RequestId), &Value::str("33411452762204224"));
        assert_eq!(
            row.get(C::QueryString),
            &Value::Str(Cow::Owned("p=%2fetc%2fpasswd".into()))
        );
        assert_eq!(row.get(C::AttackType), &Value::str("30037,1001,"));
        assert_eq!(
            row.get(C::RequestHeaders),
            &Value::str("[{\"Accept\":\"*/*\"}]")
        );
        assert_eq!(row.get(C::Latitude), &Value::Float(31.8969));
        assert_eq!(row.get(C::SiteId), &Value::Int(1509732));
        assert_eq!(
            row.event_time,
            Timestamp::parse_rfc3339("2016-01-20T11:42:01.336Z")
        );
        // The labels of the table's own fields are not repeated.
        assert_eq!(row.get(C::Extensions), &Value::Null);
        assert_eq!(
            indicators(&row, Indicator::IpAddress),
            ["1.128.0.0", "1.128.0.1", "10.1.0.1", "81.2.69.144"]
        );
        assert_eq!(
            indicators(&row, Indicator::DomainName),
            ["site123.abcd.info"]
        );
    }

    #[test]
    fn leef_event_and_syslog_forwarded_cef() {
        let row = parse(&DEF, DEF.examples[1]).unwrap();
        assert_eq!(row.get(C::EventName), &Value::str("SQL Injection"));
        assert_eq!(row.get(C::ServerIp), &Value::str("54.195.35.43"));
        assert_eq!(row.get(C::ServerPort), &Value::Int(80));
        assert_eq!(row.get(C::SourcePort), &Value::Int(443));
        assert_eq!(row.get(C::RequestResult), &Value::str("REQ_PASSED"));
        assert_eq!(row.get(C::CountryCode), &Value::str("IL"));
        let row = parse(&DEF, DEF.examples[2]).unwrap();
        assert_eq!(row.get(C::SyslogHostname), &Value::str("sc4s-host-01"));
        assert_eq!(row.get(C::EventName), &Value::str("Normal"));
    }

    #[test]
    fn rows_carry_the_id_and_sequence_of_the_log_file_name() {
        let event = DEF.examples[2];
        for (input, want) in [
            ("/var/imperva/1234_5678.log", Some(("1234", 5678))),
            ("s3://bucket/waf/0042_1.log", Some(("0042", 1))),
            (
                "https://logs1.incapsula.com/1234_5678/1234_17.log",
                Some(("1234", 17)),
            ),
            ("forwarded-by-syslog", None),
            ("1234_5678.log.bak", None),
        ] {
            let out = parse_input(&DEF, input, &[event]);
            let (_, row) = out[0].as_ref().unwrap();
            let got = match (row.get(C::LogFileId), row.get(C::LogFileSequence)) {
                (Value::Str(id), Value::Int(seq)) => Some((id.as_ref(), *seq)),
                (Value::Null, Value::Null) => None,
                other => panic!("{input}: {other:?}"),
            };
            assert_eq!(got, want, "{input}");
        }
    }

    #[test]
    fn w3c_lines_need_their_fields_and_other_cef_is_not_this_type() {
        let out = parse_all(
            &DEF,
            &[
                "#Fields: c-ip cs-start sc-status",
                "198.51.100.1 1705705619206 200 surplus",
                "198.51.100.1 1705705619206 \"unclosed",
            ],
        );
        assert_eq!(out[0].as_ref().unwrap().0, Parsed::Skip);
        assert!(out[1]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("more values"));
        assert!(out[2]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("unclosed"));
        let iis = parse_all(
            &DEF,
            &[
                "#Fields: date time s-ip cs-method cs-uri-stem c-ip sc-status",
                "2024-01-01 00:00:00 10.0.0.1 GET / 1.2.3.4 200",
            ],
        );
        assert!(iis
            .iter()
            .all(|r| r.as_ref().is_err_and(|e| e.is_mismatch())));
        for other in [
            "198.51.100.1 1705705619206 200",
            "CEF:0|Imperva Inc|Attack Analytics|0|1|n|5|src=1.2.3.4",
            "CEF:0|Incapsula|Other|1|1|n|5|",
        ] {
            assert!(parse(&DEF, other).unwrap_err().is_mismatch(), "{other}");
        }
    }
}
