//! Juniper.Firewall: the appliance's iptables log, through the kernel:
//! `May 3 22:10:31 wasp01 kernel: IPTABLES Dropped: IN=eth0 OUT= MAC=...
//! SRC=198.51.100.7 DST=10.1.0.20 LEN=60 ... DF PROTO=TCP SPT=40122
//! DPT=8443 WINDOW=29200 RES=0x00 SYN URGP=0`. The columns keep iptables's
//! upper-case names; flags become `true` when present; keys that are not
//! columns (RES, URGP, ACK, ...) are left out; a UDP line's second `LEN`
//! (the UDP length) does not replace the first (the IP packet length).

use seclake_core::time::parse_i64;
use seclake_core::{
    columns, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature, Value,
};
use seclake_core::{SigmaDef, SigmaLogSource};

use crate::prefix;

columns! {
    Timestamp = "timestamp", "timestamp", required, [], "Log timestamp";
    Hostname = "hostname", "string", required, [Host], "Hostname";
    Event = "event", "string", optional, [], "Event name";
    Dst = "DST", "string", optional, [Ip], "Destination IP address";
    Dpt = "DPT", "int", optional, [], "Destination port";
    Src = "SRC", "string", optional, [Ip], "Source IP address";
    Spt = "SPT", "int", optional, [], "Source port";
    Ttl = "TTL", "bigint", optional, [], "IP TTL in milliseconds";
    Id = "ID", "bigint", optional, [], "Packet id";
    Mac = "MAC", "string", optional, [], "MAC address";
    Len = "LEN", "int", optional, [], "Packet length";
    Tos = "TOS", "string", optional, [], "Packet Type of Service field";
    Prec = "PREC", "string", optional, [], "Packet precedence bits";
    Rst = "RST", "boolean", optional, [], "Packet is RST";
    Syn = "SYN", "boolean", optional, [], "Packet is SYN";
    Df = "DF", "boolean", optional, [], "Packet has do not fragment flag";
    In = "IN", "string", optional, [], "Input interface";
    Out = "OUT", "string", optional, [], "Output interface";
    Proto = "PROTO", "string", optional, [], "Protocol";
    Window = "WINDOW", "int", optional, [], "Transmit window";
    SenderIp = seclake_core::parser::SENDER_COLUMN, "string", optional, [Ip], seclake_core::parser::SENDER_DESCRIPTION;
}

pub const DEF: LogTypeDef = LogTypeDef {
    name: "Juniper.Firewall",
    description: "Juniper WebApp Secure appliance firewall (iptables) log.",
    reference: "https://www.juniper.net/documentation/en_US/webapp5.6/topics/reference/w-a-s-profile-log-format.html",
    columns: COLUMNS,
    signature: Signature::Any,
    event_time: Some("timestamp"),
    examples: &[
        "May 3 22:10:31 wasp01 kernel: IPTABLES Dropped: IN=eth0 OUT= MAC=00:1b:21:aa:bb:cc:00:1c:73:dd:ee:ff:08:00 SRC=198.51.100.7 DST=10.1.0.20 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=4411 DF PROTO=TCP SPT=40122 DPT=8443 WINDOW=29200 RES=0x00 SYN URGP=0",
        "May 3 22:10:32 wasp01 kernel: IPTABLES Dropped: IN=eth0 OUT= MAC=00:1b:21:aa:bb:cc:00:1c:73:dd:ee:ff:08:00 SRC=198.51.100.9 DST=10.1.0.20 LEN=78 TOS=0x00 PREC=0x00 TTL=57 ID=0 PROTO=UDP SPT=5353 DPT=5353 LEN=58",
    ],
    new_parser: || Box::new(FirewallParser),
    sigma: SIGMA,
};

/// Sigma: the type answers `category: firewall` rules, with the
/// taxonomy's field names.
const SIGMA: SigmaDef = SigmaDef {
    logsources: &[
        SigmaLogSource::category("firewall"),
        SigmaLogSource::service("juniper", "firewall"),
    ],
    fields: &[
        ("src_ip", "SRC"),
        ("dst_ip", "DST"),
        ("src_port", "SPT"),
        ("dst_port", "DPT"),
    ],
    json_columns: &[],
    keyword_fields: &["event"],
    dns_names: &[],
};

struct FirewallParser;

impl RecordParser for FirewallParser {
    fn parse<'a>(
        &mut self,
        line: &'a str,
        ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        let Some(at) = line.find(" kernel: IPTABLES ") else {
            return Err(ParseError::mismatch(
                "not a firewall line: no kernel: IPTABLES",
            ));
        };
        let Some(prefix) = prefix::parse(line, ctx) else {
            return Err(ParseError::mismatch("no Mmm d hh:mm:ss time at the start"));
        };
        let (t, host, _) = prefix?;
        prefix::set(row, t, host);
        let rest = &line[at + " kernel: IPTABLES ".len()..];
        let (event, fields) = rest.split_once(": ").unwrap_or((rest, ""));
        row.set(C::Event, Value::dash_null(event.trim()));
        for token in fields.split(' ').filter(|t| !t.is_empty()) {
            let (key, value) = token.split_once('=').unwrap_or((token, ""));
            let flag = !token.contains('=');
            let Some(c) = column(key) else { continue };
            // The first LEN is the IP packet's; a UDP line's second is the
            // datagram's.
            if c == C::Len && !row.get(C::Len).is_null() {
                continue;
            }
            let v = match (COLUMNS[c as usize].ty, flag) {
                ("boolean", true) => Value::Bool(true),
                ("boolean", false) | (_, true) => continue,
                ("int" | "bigint", false) if value.is_empty() => continue,
                ("int" | "bigint", false) => parse_i64(value)
                    .map(Value::Int)
                    .ok_or_else(|| ParseError::field(key, "not an integer", value))?,
                _ => Value::dash_null(value),
            };
            row.set(c, v);
        }
        Ok(Parsed::Row)
    }
}

fn column(key: &str) -> Option<C> {
    Some(match key {
        "DST" => C::Dst,
        "DPT" => C::Dpt,
        "SRC" => C::Src,
        "SPT" => C::Spt,
        "TTL" => C::Ttl,
        "ID" => C::Id,
        "MAC" => C::Mac,
        "LEN" => C::Len,
        "TOS" => C::Tos,
        "PREC" => C::Prec,
        "RST" => C::Rst,
        "SYN" => C::Syn,
        "DF" => C::Df,
        "IN" => C::In,
        "OUT" => C::Out,
        "PROTO" => C::Proto,
        "WINDOW" => C::Window,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use seclake_core::testing::{indicators, parse};
    use seclake_core::Indicator;

    #[test]
    fn keys_flags_and_the_first_len() {
        let row = parse(&DEF, DEF.examples[0]).unwrap();
        assert_eq!(row.get(C::Event), &Value::str("Dropped"));
        assert_eq!(row.get(C::In), &Value::str("eth0"));
        assert_eq!(row.get(C::Out), &Value::Null);
        assert_eq!(row.get(C::Dpt), &Value::Int(8443));
        assert_eq!(row.get(C::Syn), &Value::Bool(true));
        assert_eq!(row.get(C::Df), &Value::Bool(true));
        assert_eq!(row.get(C::Rst), &Value::Null);
        assert_eq!(
            indicators(&row, Indicator::IpAddress),
            vec!["10.1.0.20", "198.51.100.7"]
        );
        let udp = parse(&DEF, DEF.examples[1]).unwrap();
        assert_eq!(udp.get(C::Len), &Value::Int(78));
        assert_eq!(udp.get(C::Proto), &Value::str("UDP"));
    }

    #[test]
    fn other_and_broken_lines() {
        assert!(parse(&DEF, "Jun 11 08:02:44 wasp01 [mws-audit][INFO] x")
            .unwrap_err()
            .is_mismatch());
        let e = parse(
            &DEF,
            "May 3 22:10:31 wasp01 kernel: IPTABLES Dropped: DPT=https",
        )
        .unwrap_err();
        assert!(!e.is_mismatch() && e.reason().contains("DPT"), "{e}");
    }
}
