//! Edgecast.WAF: the WAF events of Edgecast (Edgio) Real-Time Log
//! Delivery, one row per log entry, in the three formats a profile can
//! deliver (always gzip, which decoding undoes):
//!
//! - JSON: one document, `{"agent_id":..,"seq_num":..,"logs":[{entry},..]}`.
//!   It is one record (the framer keeps a top-level object whole, pretty
//!   printed or not); the parser gives one row per `logs[]` element
//!   ([`Parsed::RowAndMore`]) and copies the top-level fields into every
//!   row, so a document's rows can be checked for sequence gaps.
//! - JSON Array: `[{entry},..]`; the framer hands each element over as a
//!   record.
//! - JSON Lines: one entry a line.
//!
//! JSON Array and JSON Lines entries say nothing of their delivery: their
//! rows take account, profile, day, agent and sequence from the file's
//! name ([`file_name`]), so that their sequence gaps show too.
//!
//! Profiles choose which fields they deliver, so every column is optional.
//! An entry is recognised by `waf_profile_name` (the field that says a WAF
//! profile produced it; other RTLD modules, CDN, rate limiting and bot,
//! share the document layout and many entry fields, and a document of
//! another `service` is not this type). `timestamp` is decimal text,
//! `<seconds>.<fraction>` with up to nine fraction digits: it is read as
//! text, never through a float (see `timestamp_ns`).

use seclake_core::{SigmaDef, SigmaLogSource};
use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use seclake_core::json::record::top_level_member;
use seclake_core::json::syntax::{skip_ws, string_end, value_end};
use seclake_core::json::{unquote, Cursor, JsonRecord};
use seclake_core::parser::has_quoted;
use seclake_core::time::parse_i64;
use seclake_core::{
    columns, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature, Timestamp,
    Value,
};

// The seed's top-level fields (JSON document format only), then its entry
// fields, then the fields Edgio added later, then `timestamp_ns`.
//
// Why `timestamp_ns` is a `bigint`: the lake's timestamps (and
// `p_event_time`, which partitions it) are microseconds, and a timestamp
// type of another precision would have to reach every builder, Parquet
// writer, Delta schema and DDL dialect. Edgecast writes nanoseconds, so
// `timestamp` keeps the event time at microseconds (truncated) and
// `timestamp_ns` keeps the value exactly, as nanoseconds since the epoch:
// one self-contained integer that sorts, compares and converts in every
// engine (e.g. `to_timestamp_nanos(timestamp_ns)`).
columns! {
    AccountNumber = "account_number", "string", optional, [], "The customer's CDN account number (e.g. 0001). A top-level field of the JSON document format, copied into each of its rows, and an entry field too (the entry's value wins); for JSON Array and JSON Lines, from the delivered file's name.";
    AgentId = "agent_id", "string", optional, [], "The ID of the Real-Time Log Delivery agent that generated the log data (from the JSON document, or for JSON Array and JSON Lines from the delivered file's name).";
    Datestamp = "datestamp", "string", optional, [], "The date on which the log data was generated, YYYYMMDD: the UTC day seq_num counts in (from the JSON document, or for JSON Array and JSON Lines from the delivered file's name).";
    ProfileId = "profile_id", "bigint", optional, [], "The system-defined ID of the RTLD profile (from the JSON document, or for JSON Array and JSON Lines from the delivered file's name).";
    SeqNum = "seq_num", "bigint", optional, [], "The order in which the agent generated the log data; it starts at 0 every UTC day for each agent, and a gap means lost data, which seclake gaps lists (from the JSON document, or for JSON Array and JSON Lines from the delivered file's name).";
    Service = "service", "string", optional, [], "Always waf (JSON document format only).";
    ActionType = "action_type", "string", optional, [], "The action the violation triggered: BLOCK_REQUEST, NOP (alert only), REDIRECT_302 or CUSTOM_RESPONSE.";
    ClientCity = "client_city", "string", optional, [], "The city from which the request originated.";
    ClientCountryCode = "client_country_code", "string", optional, [], "The two-character ISO 3166-1 code of the country from which the request originated.";
    ClientCountry = "client_country", "string", optional, [], "The country from which the request originated.";
    ClientIp = "client_ip", "string", optional, [Ip], "The IP address of the client that submitted the request.";
    Host = "host", "string", optional, [Host], "The Host header value of the client's request (e.g. cdn.example.com).";
    Referer = "referer", "string", optional, [], "The Referer header value of the client's request.";
    RuleMessage = "rule_message", "string", optional, [], "The description of the rule the request violated.";
    RuleTags = "rule_tags", "[string]", optional, [], "The tags of the rule the request violated: they tell whether a rule, an access control or a global setting was violated.";
    ServerPort = "server_port", "int", optional, [], "The edge server port to which the client directed the request (80 or 443).";
    SubEventsCount = "sub_events_count", "int", optional, [], "The number of sub events.";
    SubEvents = "sub_events", "[{ \"matched_on\":string, \"matched_value\":string, \"rule_id\":int, \"rule_message\":string, \"total_anomaly_score\":int }]", optional, [], "One sub event per rule violation of the request: the variable where it was found (matched_on) and its value (matched_value), the rule's ID and message, and the anomaly score summed over this and the sub events before it (total_anomaly_score).";
    Timestamp = "timestamp", "timestamp", optional, [], "When an edge server delivered the response (Unix time in seconds with up to nine fraction digits), truncated to microseconds; the exact value is timestamp_ns.";
    Url = "url", "string", optional, [Url], "The URL that was requested.";
    UserAgent = "user_agent", "string", optional, [], "The user agent that submitted the request.";
    Uuid = "uuid", "string", optional, [], "The unique ID of the event (38 decimal digits), as the Get Event Log Entry API takes it.";
    WafInstanceName = "waf_instance_name", "string", optional, [], "The name of the instance that activated the profile containing the violated rule.";
    WafProfileName = "waf_profile_name", "string", optional, [], "The name of the profile that triggered the violation.";
    WafProfileType = "waf_profile_type", "string", optional, [], "Whether the request was screened by the instance's production or audit profile: PRODUCTION or AUDIT.";
    ClientTlsJa3Md5 = "client_tls_ja3_md5", "string", optional, [Md5], "The JA3 fingerprint (an MD5 hash) of the client's TLS Client Hello.";
    RtldProfileName = "rtld_profile_name", "string", optional, [], "The name of the RTLD profile that delivered the log data.";
    TimestampNs = "timestamp_ns", "bigint", optional, [], "timestamp exactly as delivered, in nanoseconds since the Unix epoch; null outside 1677-09-21 to 2262-04-11 (where timestamp still holds the time).";
}

pub const DEF: LogTypeDef = LogTypeDef {
    name: "Edgecast.WAF",
    description: "Edgecast (Edgio) WAF events from Real-Time Log Delivery: each request the WAF flagged, the rules it violated and the action taken, from JSON documents, JSON arrays or JSON lines.",
    reference: "https://docs.edg.io/guides/logs/rtld/log_fields_rtld_waf",
    columns: COLUMNS,
    signature: Signature::QuotedTokens(MARKERS),
    event_time: Some("timestamp"),
    examples: &[
        r#"{"timestamp":1602200337.177535713,"user_agent":"curl/7.64.1","url":"https://cdn.example.com/","client_ip":"190.220.230.2","referer":"","host":"cdn.example.com","uuid":"38046679731278771327748811544613832704","client_country_code":"US","waf_profile_name":"Site 1","waf_profile_type":"PRODUCTION","waf_instance_name":"Site 1 Instance","sub_events_count":1,"sub_events":[{"total_anomaly_score":0,"matched_on":"REQUEST_METHOD","matched_value":"POST","rule_id":80009,"rule_message":"Method is not allowed by policy"}],"rule_tags":[],"rule_message":"Method is not allowed by policy","action_type":"BLOCK_REQUEST","server_port":443,"client_country":"United States","client_city":"Los Angeles"}"#,
        r#"{"agent_id":"1234500008619D55A","seq_num":0,"service":"waf","account_number":"0001","profile_id":0,"datestamp":"20201008","logs":[{"timestamp":1602200338.598465258,"user_agent":"curl/7.64.1","url":"https://cdn.example.com/","client_ip":"230.180.240.23","referer":"","host":"cdn.example.com","uuid":"38046679731278771327748811544613832998","client_country_code":"US","waf_profile_name":"Site 1","waf_profile_type":"PRODUCTION","waf_instance_name":"Site 1 Instance","sub_events_count":1,"sub_events":[{"total_anomaly_score":0,"matched_on":"REQUEST_METHOD","matched_value":"POST","rule_id":80009,"rule_message":"Method is not allowed by policy"}],"rule_tags":[],"rule_message":"Method is not allowed by policy","action_type":"BLOCK_REQUEST","server_port":443,"client_country":"United States","client_city":"Los Angeles"}]}"#,
        r#"{"timestamp":1718012345.5,"client_ip":"2001:db8::7","host":"shop.example.com:8443","url":"https://shop.example.com:8443/login?next=%2F","uuid":"38046679731278771327748811544613839999","waf_profile_name":"Shop","waf_profile_type":"AUDIT","action_type":"NOP","client_tls_ja3_md5":"E7D705A3286E19EA42F587B344EE6865","rtld_profile_name":"waf-to-s3","sub_events_count":2,"sub_events":[{"total_anomaly_score":5,"matched_on":"ARGS:user","matched_value":"' OR 1=1--","rule_id":942100,"rule_message":"SQL Injection Attack Detected via libinjection"},{"total_anomaly_score":10,"matched_on":"REQUEST_HEADERS:User-Agent","matched_value":"sqlmap/1.7","rule_id":913100,"rule_message":"Found User-Agent associated with security scanner"}],"rule_tags":["OWASP_CRS","attack-sqli"],"rule_message":"Inbound Anomaly Score Exceeded (Total Score: 10)"}"#,
    ],
    new_parser: || Box::new(WafParser::default()),
    sigma: SIGMA,
};

/// Sigma: the type answers `category: webserver` rules, whose fields are
/// named by Sigma's web server taxonomy (W3C extended log fields), and
/// `category: proxy` rules (the client's requests as a reverse proxy sees
/// them), with the proxy taxonomy's names.
/// The URL is logged with its query, so the URI fields all read it.
const SIGMA: SigmaDef = SigmaDef {
    logsources: &[
        SigmaLogSource::category("webserver"),
        SigmaLogSource::category("proxy"),
        SigmaLogSource::product("edgecast"),
    ],
    fields: &[
        ("c-ip", "client_ip"),
        ("cs-uri", "url"),
        ("cs-uri-stem", "url"),
        ("cs-uri-query", "url"),
        ("cs-user-agent", "user_agent"),
        ("c-useragent", "user_agent"),
        ("cs-referer", "referer"),
        ("cs-host", "host"),
        ("s-port", "server_port"),
        // Sigma's proxy taxonomy.
        ("c-uri", "url"),
        ("c-uri-stem", "url"),
        ("c-uri-query", "url"),
        ("cs-referrer", "referer"),
        ("src_ip", "client_ip"),
    ],
    json_columns: &[],
    keyword_fields: &["url", "user_agent", "rule_message"],
    dns_names: &[],
};

/// What every WAF entry shows, for classification (see the module doc).
const MARKERS: &[&str] = &["waf_profile_name"];

static ENTRY: LazyLock<JsonRecord> =
    LazyLock::new(|| JsonRecord::new(COLUMNS, MARKERS).expect("Edgecast.WAF columns are valid"));

/// The top-level fields of a JSON document, copied into each of its rows.
const HEADER: [(C, &str); 6] = [
    (C::AccountNumber, "account_number"),
    (C::AgentId, "agent_id"),
    (C::Datestamp, "datestamp"),
    (C::ProfileId, "profile_id"),
    (C::SeqNum, "seq_num"),
    (C::Service, "service"),
];

#[derive(Default)]
struct WafParser {
    /// The JSON document whose rows are being given, between
    /// [`RecordParser::parse`] and the last [`RecordParser::next_row`].
    doc: Option<Document>,
}

/// Where each [`HEADER`] field's value is in the record, if present.
type HeaderSpans = [Option<Range<usize>>; 6];

/// Where a document's parts are, as byte ranges of the record (the record
/// comes back with every `next_row`; rows borrow from it).
struct Document {
    header: HeaderSpans,
    /// Where to look for the next `logs[]` element.
    next: usize,
    /// Index of the next element, for messages.
    index: usize,
}

impl RecordParser for WafParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        self.doc = None;
        // Entries do not have `logs`; a cheap test keeps them to one pass.
        if has_quoted(record, "logs") {
            if let Some((header, logs)) = document_members(record) {
                self.doc = Some(open_document(record, header, logs)?);
                return self.next_entry(record, ctx, row);
            }
        }
        decode_entry(record, row)?;
        file_name::fill(row, ctx);
        Ok(Parsed::Row)
    }

    fn next_row<'a>(
        &mut self,
        record: &'a str,
        ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        self.next_entry(record, ctx, row)
    }
}

impl WafParser {
    /// The row of the document's next `logs[]` element.
    fn next_entry<'a>(
        &mut self,
        record: &'a str,
        ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        let Some(doc) = self.doc.as_mut() else {
            return Ok(Parsed::Skip);
        };
        let b = record.as_bytes();
        let start = skip_ws(b, doc.next);
        if b.get(start) == Some(&b']') {
            // Only met for an empty `logs`: a document without entries.
            self.doc = None;
            return Ok(Parsed::Skip);
        }
        let index = doc.index;
        // The document was checked whole; these cannot fail on it.
        let entry = value_end(b, start)
            .ok()
            .and_then(|end| record.get(start..end));
        let Some(entry) = entry else {
            self.doc = None;
            return Err(ParseError::invalid("invalid JSON").with_detail(format!("logs[{index}]")));
        };
        let after = skip_ws(b, start + entry.len());
        let more = b.get(after) == Some(&b',');
        doc.next = after + 1;
        doc.index += 1;
        let header = doc.header.clone();
        if !more {
            self.doc = None;
        }
        let filled = decode_entry(entry, row).and_then(|()| {
            // The entry's own value wins (`account_number` is both).
            for ((column, name), span) in HEADER.iter().zip(&header) {
                let raw = span.clone().and_then(|s| record.get(s));
                if let (Some(raw), true) = (raw, row.get(*column).is_null()) {
                    row.set(*column, header_value(*column, name, raw)?);
                }
            }
            Ok(())
        });
        if let Err(e) = filled {
            // This entry alone is the reject; the engine asks for the next.
            return Err(in_logs(e, index).in_entry(start..start + entry.len(), more));
        }
        // Only what the document left out (it says its own delivery).
        file_name::fill(row, ctx);
        Ok(if more {
            Parsed::RowAndMore
        } else {
            Parsed::Row
        })
    }
}

/// Decodes one log entry into `row`.
fn decode_entry<'a>(entry: &'a str, row: &mut Row<'a>) -> Result<(), ParseError> {
    let mut nanos = None;
    ENTRY.decode(entry, row, |m, row| {
        let text = scalar_text(m.raw);
        let field = |reason: &str| ParseError::field(m.key, reason, &text);
        let null = m.raw == "null" || m.raw == "\"\"";
        match m.key {
            "timestamp" => {
                nanos = None;
                if null {
                    return Ok(None);
                }
                let (time, ns) =
                    epoch_nanos(&text).ok_or_else(|| field("not <seconds>.<fraction>"))?;
                nanos = ns;
                return Ok(Some(Value::Time(time)));
            }
            // Derived from `timestamp`, never taken from the record.
            "timestamp_ns" => return Ok(Some(Value::Null)),
            // The declaration checks integers, not their width.
            "server_port" | "sub_events_count"
                if parse_i64(&text).is_some_and(|v| i32::try_from(v).is_err()) =>
            {
                return Err(field("out of range"));
            }
            "sub_events" if m.raw.starts_with('[') => check_sub_events(m.raw)?,
            // `host:port` is no domain to the column's mark; its host is.
            "host" => {
                if let Some(host) = m.string().and_then(strip_port) {
                    row.indicators.host(host);
                }
            }
            _ => {}
        }
        Ok(None)
    })?;
    row.set(C::TimestampNs, nanos);
    Ok(())
}

/// The top-level members of a JSON object: the spans of the [`HEADER`]
/// fields and of `logs`. `None` unless the record is a well-formed object
/// whose `logs` is an array (otherwise it is an entry, or malformed, or
/// another type's: the entry decoder says which, and why).
fn document_members(record: &str) -> Option<(HeaderSpans, Range<usize>)> {
    let b = record.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    let mut header = HeaderSpans::default();
    let mut logs = None;
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return None;
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let (key_end, _) = string_end(b, i).ok()?;
        let key = record.get(i + 1..key_end - 1)?;
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_ws(b, i + 1);
        let end = value_end(b, start).ok()?;
        if key == "logs" {
            logs = Some(start..end);
        } else if let Some(k) = HEADER.iter().position(|(_, name)| *name == key) {
            header[k] = Some(start..end);
        }
        i = skip_ws(b, end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => break,
            _ => return None,
        }
    }
    let logs = logs.filter(|l| b.get(l.start) == Some(&b'['))?;
    (skip_ws(b, i + 1) == b.len()).then_some((header, logs))
}

/// Checks a document's top-level fields once, before its first row.
fn open_document(
    record: &str,
    header: HeaderSpans,
    logs: Range<usize>,
) -> Result<Document, ParseError> {
    let raw = |s: &Option<Range<usize>>| s.clone().and_then(|s| record.get(s));
    let service = HEADER
        .iter()
        .zip(&header)
        .find(|((c, _), _)| *c == C::Service);
    if let Some(service) = service.and_then(|(_, span)| raw(span)).map(scalar_text) {
        if !service.is_empty() && service != "null" && service != "waf" {
            return Err(
                ParseError::mismatch("an RTLD document of a service other than waf")
                    .with_detail(format!("{service:?}")),
            );
        }
    }
    for ((column, name), span) in HEADER.iter().zip(&header) {
        if let Some(raw) = raw(span) {
            header_value(*column, name, raw)?;
        }
    }
    Ok(Document {
        header,
        next: logs.start + 1,
        index: 0,
    })
}

/// A top-level field's value by its column's type, as the entry decoder
/// would convert it.
fn header_value<'a>(column: C, name: &str, raw: &'a str) -> Result<Value<'a>, ParseError> {
    if raw == "null" || raw == "\"\"" {
        return Ok(Value::Null);
    }
    match column {
        C::ProfileId | C::SeqNum => parse_i64(&scalar_text(raw))
            .map(Value::Int)
            .ok_or_else(|| ParseError::field(name, "not an integer", &scalar_text(raw))),
        _ if raw.starts_with(['{', '[']) => Ok(Value::Json(Cow::Borrowed(raw))),
        _ => Ok(Value::Str(scalar_text(raw))),
    }
}

/// An entry's error, told as the document's: the entry's index goes in the
/// detail, so the reason stays the same whatever entry is broken.
fn in_logs(e: ParseError, index: usize) -> ParseError {
    let reason = if e.is_mismatch() {
        format!("logs entry: {}", e.reason())
    } else {
        e.reason().to_string()
    };
    let detail = match e.detail() {
        Some(d) => format!("logs[{index}]: {d}"),
        None => format!("logs[{index}]"),
    };
    ParseError::invalid(reason).with_detail(detail)
}

/// `<seconds>[.<fraction>]` (an optional `-`), read as decimal text: the
/// time truncated to microseconds and, when it fits an `i64`, the exact
/// nanoseconds. Fraction digits past the ninth are dropped.
fn epoch_nanos(text: &str) -> Option<(Timestamp, Option<i64>)> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if (text.contains('.') && frac.is_empty()) || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let secs = parse_i64(int)?;
    let mut sub: i128 = 0;
    for k in 0..9 {
        let digit = frac.as_bytes().get(k).map_or(0, |c| c - b'0');
        sub = sub * 10 + i128::from(digit);
    }
    let whole = i128::from(secs) * 1_000_000_000;
    let total = if int.starts_with('-') {
        whole - sub
    } else {
        whole + sub
    };
    let micros = i64::try_from(total.div_euclid(1000)).ok()?;
    Some((Timestamp::checked(micros)?, i64::try_from(total).ok()))
}

/// Every sub event is an object whose `rule_id` and `total_anomaly_score`
/// are integers of the declared width (the batch builder would make any
/// other value a silent null).
fn check_sub_events(raw: &str) -> Result<(), ParseError> {
    let mut c = Cursor::new(raw);
    if !c.eat(b'[') || c.eat(b']') {
        return Ok(());
    }
    while let Some(event) = c.skip_value() {
        if event != "null" && !event.starts_with('{') {
            return Err(ParseError::field(
                "sub_events",
                "expected JSON objects",
                event,
            ));
        }
        for name in ["rule_id", "total_anomaly_score"] {
            let Some(v) = top_level_member(event, name) else {
                continue;
            };
            let text = scalar_text(v);
            let fits = parse_i64(&text).is_some_and(|v| i32::try_from(v).is_ok());
            if !fits && v != "null" && v != "\"\"" {
                return Err(ParseError::field(
                    &format!("sub_events.{name}"),
                    "not an integer",
                    &text,
                ));
            }
        }
        if !c.eat(b',') {
            break;
        }
    }
    Ok(())
}

/// The host of a Host header that names a port (`example.com:8443`) or
/// brackets an IPv6 address (`[2001:db8::1]:443`); `None` otherwise.
fn strip_port(host: Cow<'_, str>) -> Option<Cow<'_, str>> {
    let cut = |h: &str| -> Option<Range<usize>> {
        if let Some(rest) = h.strip_prefix('[') {
            let close = rest.find(']')?;
            return Some(1..close + 1);
        }
        let (name, port) = h.split_once(':')?;
        (!port.is_empty() && port.bytes().all(|c| c.is_ascii_digit())).then_some(0..name.len())
    };
    let range = cut(&host)?;
    Some(match host {
        Cow::Borrowed(h) => Cow::Borrowed(&h[range]),
        Cow::Owned(h) => Cow::Owned(h[range].to_string()),
    })
}

/// A JSON scalar's text: a string's contents, anything else as written.
fn scalar_text(raw: &str) -> Cow<'_, str> {
    if raw.starts_with('"') {
        unquote(raw)
    } else {
        Cow::Borrowed(raw)
    }
}

mod file_name;

#[cfg(test)]
mod tests;
