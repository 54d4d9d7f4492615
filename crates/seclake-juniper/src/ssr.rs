//! Juniper.SSR: the session events a Session Smart Router exports to a
//! SIEM (SESSION_CREATE, SESSION_CLOSE, SESSION_FAIL, SESSION_BLOCK), in
//! RFC 5424 form (`<134>1 2025-01-10T15:45:12.345Z host SSR 128
//! SESSION_CREATE [ssr@2636.1.0.0 ...]`) or the BSD form the SSR also
//! sends (`<38> Jun 5 12:10:07 host SSR 128 SESSION_BLOCK [ssr@2636.1.0.0
//! ...]`). The `ssr@2636` structured-data element is what makes a message
//! an SSR one. Its parameters become the snake_case columns below (the
//! documentation's own spelling `soure-nat-protocol-id` included); `-`
//! means absent; parameters not listed go into `extra`, so nothing is
//! lost, and a MSGID the documentation does not list is still a row.

use seclake_core::{SigmaDef, SigmaLogSource};
use std::borrow::Cow;

use seclake_core::key_cache::KeyCache;
use seclake_core::time::parse_i64;
use seclake_core::{
    columns, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature, Timestamp,
    Value,
};
use seclake_syslog::header::{bsd_time, header_fields, priority, token};
use seclake_syslog::sd;

columns! {
    SyslogFacility = "syslog_facility", "int", required, [], "The syslog facility from PRI (auth, 4, by default for session events).";
    SyslogSeverity = "syslog_severity", "int", required, [], "The syslog severity from PRI.";
    Timestamp = "timestamp", "timestamp", required, [], "When the event happened (RFC 3339, or a BSD time read with the source's year and zone).";
    Hostname = "hostname", "string", optional, [Host], "The generating node: <node-name>.<router-name>.";
    AppName = "app_name", "string", optional, [], "The application: SSR.";
    ProcId = "proc_id", "string", optional, [], "The process id: 128.";
    MsgId = "msg_id", "string", required, [], "The event: SESSION_CREATE, SESSION_CLOSE, SESSION_FAIL or SESSION_BLOCK.";
    SessionId = "session_id", "string", optional, [], "UUID of the session.";
    SourceAddress = "source_address", "string", optional, [Ip], "Source IP address of the packet that triggered the session creation.";
    SourcePort = "source_port", "int", optional, [], "Source port of the packet that triggered the session creation.";
    DestinationAddress = "destination_address", "string", optional, [Ip], "Destination IP address of the packet that triggered the session creation.";
    DestinationPort = "destination_port", "int", optional, [], "Destination port of the packet that triggered the session creation.";
    ProtocolId = "protocol_id", "int", optional, [], "IANA protocol number of the packet that triggered the session creation.";
    Protocol = "protocol", "string", optional, [], "Name of the protocol.";
    IngressInterface = "ingress_interface", "string", optional, [], "Name of the network interface which received the packet.";
    EgressInterface = "egress_interface", "string", optional, [], "Name of the network interface the session leaves by.";
    Tenant = "tenant", "string", optional, [], "Name of the tenant associated with the session.";
    Service = "service", "string", optional, [], "Name of the service associated with the session.";
    Policy = "policy", "string", optional, [], "Name of the policy associated with the session (for conductor-managed routers, the service name).";
    SessionSource = "session_source", "string", optional, [], "Where the session was received from: local, inter-node, inter-router.";
    Application = "application", "string", optional, [], "Name of the application and domain associated with the session.";
    Category = "category", "string", optional, [], "Name of the category associated with the session.";
    SubCategory = "sub_category", "string", optional, [], "Name of the sub-category associated with the session.";
    NextHopType = "next_hop_type", "string", optional, [], "SESSION_CREATE: the type of egress interface the session was routed to (local, inter-node, inter-router).";
    NextHopInterface = "next_hop_interface", "string", optional, [], "SESSION_CREATE: the egress network interface used for routing the session.";
    SourceNatAddress = "source_nat_address", "string", optional, [Ip], "SESSION_CREATE: the source address after source NAT (or of the waypoint for inter-router sessions).";
    SourceNatPort = "source_nat_port", "int", optional, [], "SESSION_CREATE: the source port after source NAT.";
    SourceNatProtocolId = "source_nat_protocol_id", "int", optional, [], "SESSION_CREATE: the protocol id of the NATed (or SVR) session (sent as soure-nat-protocol-id).";
    SourceNatProtocol = "source_nat_protocol", "string", optional, [], "SESSION_CREATE: name of the NATed session's protocol.";
    PeerName = "peer_name", "string", optional, [], "SESSION_CREATE: the remote peer of an inter-router session.";
    DestinationNatAddress = "destination_nat_address", "string", optional, [Ip], "SESSION_CREATE: the destination address after destination NAT.";
    DestinationNatPort = "destination_nat_port", "int", optional, [], "SESSION_CREATE: the destination port after destination NAT.";
    Dscp = "dscp", "int", optional, [], "SESSION_CREATE: DSCP value of the session's egress flow.";
    TimeToLive = "time_to_live", "int", optional, [], "SESSION_CREATE: seconds the session survives network inactivity.";
    CloseReason = "close_reason", "string", optional, [], "SESSION_CLOSE: why the session was deleted (timeout, tcp-close, ...).";
    Reason = "reason", "string", optional, [], "SESSION_FAIL: why the session failed; SESSION_BLOCK: the vulnerability (IDP) or the blocked resource (antivirus).";
    BlockType = "block_type", "string", optional, [], "SESSION_BLOCK: access-policy-deny, url-filtering, idp or antivirus.";
    Severity = "severity", "int", optional, [], "SESSION_BLOCK: severity of the vulnerability detected (IDP, antivirus).";
    StartTime = "start_time", "timestamp", optional, [], "SESSION_BLOCK: when the blocked sequence started.";
    Count = "count", "bigint", optional, [], "SESSION_BLOCK: packets this block event represents.";
    CveId = "cve_id", "string", optional, [], "SESSION_BLOCK (IDP): CVE reference of the threat.";
    ThreatSeverity = "threat_severity", "string", optional, [], "SESSION_BLOCK (IDP): CRITICAL, HIGH, MEDIUM, LOW, INFO or UNDEFINED.";
    Action = "action", "string", optional, [], "SESSION_BLOCK (IDP): DROP, CLOSE, CLOSE_SERVER or CLOSE_CLIENT.";
    VerdictNumber = "verdict_number", "int", optional, [], "SESSION_BLOCK (antivirus): threat score of the event.";
    Url = "url", "string", optional, [], "SESSION_BLOCK: the URL blocked.";
    Extra = "extra", "map<string,string>", optional, [Ip], "Structured-data parameters not in the columns above, by their name.";
    SenderIp = seclake_core::parser::SENDER_COLUMN, "string", optional, [Ip], seclake_core::parser::SENDER_DESCRIPTION;
}

pub const DEF: LogTypeDef = LogTypeDef {
    name: "Juniper.SSR",
    description: "Juniper Session Smart Router session events exported to a SIEM over syslog (create, close, fail, block).",
    reference: "https://www.juniper.net/documentation/us/en/software/session-smart-router/docs/sec-config-seim-syslog/",
    columns: COLUMNS,
    signature: Signature::Any,
    event_time: Some("timestamp"),
    examples: &[
        "<134>1 2025-01-10T15:45:12.345Z mynode.myrouter SSR 1234 SESSION_CREATE [ssr@2636.1.0.0 session-id=\"abcdabcd-ffff-ffff-ffff-ffffffffffff\" source-address=\"1.1.1.1\" source-port=\"1234\" destination-address=\"2.2.2.2\" destination-port=\"5678\" protocol-id=\"6\" protocol=\"tcp\" ingress-interface=\"lan-intf\" tenant=\"corp-lan\" service=\"web\" policy=\"-\" session-source=\"PUBLIC\" application=\"Facebook\" category=\"SocialMedia\" sub-category=\"SocialWeb-Facebook\" next-hop-type=\"PUBLIC\" next-hop-interface=\"wan-intf\" source-nat-address=\"20.20.20.20\" source-nat-port=\"10000\" soure-nat-protocol-id=\"6\" source-nat-protocol=\"tcp\" peer-name=\"-\" destination-nat-address=\"100.100.100.100\" destination-nat-port=\"20000\" dscp=\"-\" time-to-live=\"60\"]",
        "<38> Jun 5 12:10:07 node0.Spoke1 SSR 128 SESSION_BLOCK [ssr@2636.1.0.0 source-address=\"172.16.3.9\" destination-address=\"10.73.3.11\" count=\"0\" action=\"CLOSE\" session-source=\"-\" reason=\"HTTP:UNIX-FILE:ETC-PASSWD\" session-id=\"1db28fc8-65c5-430f-8345-f035a5add46a\" source-port=\"58872\" destination-port=\"80\" ingress-interface=\"ge-0/0/0.0\" tenant=\"spoke1-to-traffic-gen\" policy=\"localbreakout\" category=\"-\" protocol=\"TCP\" application=\"HTTP\" severity=\"6\" start-time=\"1749125403\" threat-severity=\"MEDIUM\" egress-interface=\"ge-0/0/1.0\" protocol-id=\"6\" sub-category=\"-\" service=\"localbreakout\" block-type=\"idp\" cve-id=\"N/A\"]",
        "<38> Jun 5 11:59:35 node0.Spoke1 SSR 128 SESSION_BLOCK [ssr@2636.1.0.0 start-time=\"-\" verdict-number=\"0\" session-id=\"a2f55654-b513-4c1a-b1ab-3ea76a771364\" service=\"localbreakout\" policy=\"localbreakout\" application=\"-\" count=\"0\" url=\"-\" session-source=\"-\" source-address=\"172.16.3.9\" tenant=\"spoke1-to-traffic-gen\" block-type=\"antivirus\" protocol-id=\"-\" category=\"-\" reason=\"secure.eicar.org/eicar.com.txt:80\" destination-port=\"80\" protocol=\"http\" ingress-interface=\"-\" sub-category=\"-\" source-port=\"58868\" destination-address=\"10.73.3.11\" severity=\"4\"]",
    ],
    new_parser: || Box::<SsrParser>::default(),
    sigma: SIGMA,
};

/// Sigma: session records answer `category: firewall` rules, with the
/// taxonomy's field names.
const SIGMA: SigmaDef = SigmaDef {
    logsources: &[
        SigmaLogSource::category("firewall"),
        SigmaLogSource::service("juniper", "ssr"),
    ],
    fields: &[
        ("src_ip", "source_address"),
        ("dst_ip", "destination_address"),
        ("src_port", "source_port"),
        ("dst_port", "destination_port"),
    ],
    json_columns: &[],
    keyword_fields: &[],
    dns_names: &[],
};

/// The SD-ID prefix of the SSR's element (Juniper's enterprise number).
const SSR_SD_ID: &str = "ssr@2636";

/// The parser keeps the columns the previous event's parameters resolved
/// to, by position: an SSR writes them in one order.
#[derive(Default)]
struct SsrParser {
    keys: KeyCache<Option<(C, Kind)>>,
}

impl RecordParser for SsrParser {
    fn parse<'a>(
        &mut self,
        line: &'a str,
        ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        // Cheap refusal of everything else before any parsing.
        if !line.starts_with('<') || !line.contains(SSR_SD_ID) {
            return Err(ParseError::mismatch(
                "not an SSR event: no [ssr@2636 element",
            ));
        }
        let Some((pri, rest)) = priority(line) else {
            return Err(ParseError::mismatch("not syslog: no <PRI>"));
        };
        row.set(C::SyslogFacility, Value::Int(i64::from(pri / 8)));
        row.set(C::SyslogSeverity, Value::Int(i64::from(pri % 8)));
        let rest = header_time(rest, ctx, row)?;
        let ([host, app, proc_id, msg_id], rest) = header_fields(rest);
        row.set(C::Hostname, Value::dash_null(host));
        row.set(C::AppName, Value::dash_null(app));
        row.set(C::ProcId, Value::dash_null(proc_id));
        row.set(C::MsgId, Value::dash_null(msg_id));
        // Parameters straight from the structured data, no element list:
        // the first SSR element's go to columns, the rest to `extra`.
        let mut extra = Vec::new();
        let (mut ssr, mut position, mut failed) = (None::<&str>, 0, None);
        sd::for_each(rest, |id, name, value| {
            let Some(name) = name else { return };
            if ssr.is_none() && id.starts_with(SSR_SD_ID) {
                ssr = Some(id);
            }
            if ssr.is_some_and(|s| std::ptr::eq(s, id)) {
                position += 1;
                match self.keys.get(position - 1, name, resolve) {
                    Some(c) => {
                        if let Err(e) = set(row, c, name, value) {
                            failed.get_or_insert(e);
                        }
                    }
                    None => extra.push((Cow::Borrowed(name), value)),
                }
            } else {
                extra.push((Cow::Owned(format!("{id}.{name}")), value));
            }
        })?;
        if ssr.is_none() {
            return Err(ParseError::mismatch(
                "not an SSR event: no [ssr@2636 element",
            ));
        }
        if msg_id.is_empty() || msg_id == "-" {
            return Err(ParseError::invalid("SSR event without its MSGID"));
        }
        if let Some(e) = failed {
            return Err(e);
        }
        if !extra.is_empty() {
            row.set(C::Extra, Value::Map(extra));
        }
        // Hosts in the blocked URL and the reason, and an application
        // named by its domain, are domains.
        for c in [C::Url, C::Reason, C::Application] {
            if let Value::Str(v) = row.get(c) {
                if let Some(host) = host_of(v) {
                    let host = host.to_string();
                    row.indicators.domain(Cow::Owned(host));
                }
            }
        }
        Ok(Parsed::Row)
    }
}

/// The header's time: RFC 5424 (`1 TIMESTAMP`) or BSD (`Mmm d hh:mm:ss`).
fn header_time<'a>(
    rest: &'a str,
    ctx: &ParseContext,
    row: &mut Row<'a>,
) -> Result<&'a str, ParseError> {
    let trimmed = rest.strip_prefix(' ').unwrap_or(rest);
    if let Some(t) = bsd_time(trimmed, ctx) {
        let (t, after) = t?;
        row.set(C::Timestamp, t);
        return Ok(after.strip_prefix(' ').unwrap_or(after));
    }
    let (version, after) = token(rest);
    if version != "1" {
        return Err(ParseError::invalid(
            "SSR event: neither an RFC 5424 nor a BSD header",
        ));
    }
    let (ts, after) = token(after);
    let t = Timestamp::parse_rfc3339(ts)
        .ok_or_else(|| ParseError::field("timestamp", "not an RFC 3339 timestamp", ts))?;
    row.set(C::Timestamp, t);
    Ok(after)
}

/// The column of a structured-data parameter.
fn column(name: &str) -> Option<C> {
    Some(match name {
        "session-id" => C::SessionId,
        "source-address" => C::SourceAddress,
        "source-port" => C::SourcePort,
        "destination-address" => C::DestinationAddress,
        "destination-port" => C::DestinationPort,
        "protocol-id" => C::ProtocolId,
        "protocol" => C::Protocol,
        "ingress-interface" => C::IngressInterface,
        "egress-interface" => C::EgressInterface,
        "tenant" => C::Tenant,
        "service" => C::Service,
        "policy" => C::Policy,
        "session-source" => C::SessionSource,
        "application" => C::Application,
        "category" => C::Category,
        "sub-category" => C::SubCategory,
        "next-hop-type" => C::NextHopType,
        "next-hop-interface" => C::NextHopInterface,
        "source-nat-address" => C::SourceNatAddress,
        "source-nat-port" => C::SourceNatPort,
        // The documentation's example spells it this way.
        "source-nat-protocol-id" | "soure-nat-protocol-id" => C::SourceNatProtocolId,
        "source-nat-protocol" => C::SourceNatProtocol,
        "peer-name" => C::PeerName,
        "destination-nat-address" => C::DestinationNatAddress,
        "destination-nat-port" => C::DestinationNatPort,
        "dscp" => C::Dscp,
        "time-to-live" => C::TimeToLive,
        "close-reason" => C::CloseReason,
        "reason" => C::Reason,
        "block-type" => C::BlockType,
        "severity" => C::Severity,
        "start-time" => C::StartTime,
        "count" => C::Count,
        "cve-id" => C::CveId,
        "threat-severity" => C::ThreatSeverity,
        "action" => C::Action,
        "verdict-number" => C::VerdictNumber,
        "url" => C::Url,
        _ => return None,
    })
}

/// Sets a parameter's column by the column's type; `-` is absent.
/// How a column's text is read.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    UnixTime,
    Text,
}

/// A parameter's column and how it is read (looked up once per position,
/// see [`SsrParser`]).
fn resolve(name: &str) -> Option<(C, Kind)> {
    let c = column(name)?;
    let kind = match COLUMNS[c as usize].ty {
        "int" | "bigint" => Kind::Int,
        "timestamp" => Kind::UnixTime,
        _ => Kind::Text,
    };
    Some((c, kind))
}

fn set<'a>(
    row: &mut Row<'a>,
    (c, kind): (C, Kind),
    name: &str,
    v: Cow<'a, str>,
) -> Result<(), ParseError> {
    if matches!(v.as_bytes(), b"-" | b"") {
        return Ok(());
    }
    let value = match kind {
        Kind::Int => match parse_i64(&v) {
            Some(n) => Value::Int(n),
            None => return Err(ParseError::field(name, "not an integer", &v)),
        },
        Kind::UnixTime => match Timestamp::parse_unix_seconds(&v) {
            Some(t) => Value::Time(t),
            None => return Err(ParseError::field(name, "not a Unix time", &v)),
        },
        Kind::Text => Value::Str(v),
    };
    row.set(c, value);
    Ok(())
}

/// The host name at the start of a URL-like value (`secure.eicar.org/x:80`,
/// `https://a.example/p`), when it has a dot (application names such as
/// `Facebook` are not domains).
fn host_of(v: &str) -> Option<&str> {
    let v = v.split_once("://").map_or(v, |(_, rest)| rest);
    let host = v.split(['/', ':', '?', ' ']).next()?;
    (host.contains('.') && host.bytes().any(|c| c.is_ascii_alphabetic())).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use seclake_core::testing::{indicators, parse};
    use seclake_core::Indicator;

    #[test]
    fn session_create_over_rfc_5424() {
        let row = parse(&DEF, DEF.examples[0]).unwrap();
        assert_eq!(row.get(C::MsgId), &Value::str("SESSION_CREATE"));
        assert_eq!(row.get(C::SyslogFacility), &Value::Int(16));
        assert_eq!(row.get(C::SyslogSeverity), &Value::Int(6));
        assert_eq!(row.get(C::SourcePort), &Value::Int(1234));
        assert_eq!(row.get(C::SourceNatProtocolId), &Value::Int(6));
        assert_eq!(row.get(C::Policy), &Value::Null, "- is absent");
        assert_eq!(row.get(C::Dscp), &Value::Null);
        assert_eq!(row.get(C::TimeToLive), &Value::Int(60));
        assert_eq!(
            indicators(&row, Indicator::IpAddress),
            vec!["1.1.1.1", "100.100.100.100", "2.2.2.2", "20.20.20.20"]
        );
        assert_eq!(row.get(C::Extra), &Value::Null);
    }

    #[test]
    fn session_block_over_the_bsd_header() {
        let row = parse(&DEF, DEF.examples[1]).unwrap();
        assert_eq!(row.get(C::BlockType), &Value::str("idp"));
        assert_eq!(row.get(C::ThreatSeverity), &Value::str("MEDIUM"));
        assert_eq!(
            row.get(C::StartTime),
            &Value::Time(Timestamp::parse_unix_seconds("1749125403").unwrap())
        );
        assert_eq!(row.get(C::Hostname), &Value::str("node0.Spoke1"));
        let av = parse(&DEF, DEF.examples[2]).unwrap();
        assert_eq!(av.get(C::VerdictNumber), &Value::Int(0));
        assert_eq!(av.get(C::StartTime), &Value::Null);
        assert!(indicators(&av, Indicator::DomainName).contains(&"secure.eicar.org"));
    }

    #[test]
    fn unknown_parameters_and_events_are_kept() {
        let row = parse(
            &DEF,
            "<134>1 2025-01-10T15:45:12Z n.r SSR 128 SESSION_MODIFY [ssr@2636.1.0.0 session-id=\"x\" bytes-from-client=\"10\"][origin ip=\"192.0.2.1\"]",
        )
        .unwrap();
        assert_eq!(row.get(C::MsgId), &Value::str("SESSION_MODIFY"));
        let Value::Map(extra) = row.get(C::Extra) else {
            panic!("no extra")
        };
        assert_eq!(
            extra[0],
            (Cow::Borrowed("bytes-from-client"), Cow::Borrowed("10"))
        );
        assert_eq!(extra[1].0, "origin.ip");
        assert_eq!(indicators(&row, Indicator::IpAddress), vec!["192.0.2.1"]);
    }

    #[test]
    fn other_messages_are_mismatches_and_broken_ones_invalid() {
        for other in [
            "<165>1 2003-10-11T22:14:15.003Z host evntslog - ID47 [exampleSDID@32473 iut=\"3\"]",
            "<34>Oct 11 22:14:15 mymachine su: 'su root' failed",
            "{\"ssr@2636\":1}",
        ] {
            assert!(parse(&DEF, other).unwrap_err().is_mismatch(), "{other}");
        }
        for broken in [
            "<134>1 2025-01-10T15:45:12Z n.r SSR 128 SESSION_CREATE [ssr@2636.1.0.0 source-port=\"http\"]",
            "<134>1 2025-01-10T15:45:12Z n.r SSR 128 SESSION_CREATE [ssr@2636.1.0.0 source-port=\"1]",
        ] {
            assert!(!parse(&DEF, broken).unwrap_err().is_mismatch(), "{broken}");
        }
    }
}
