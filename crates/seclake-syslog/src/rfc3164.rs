//! Syslog.RFC3164: a BSD syslog message, `<PRI>Mmm dd hh:mm:ss HOST
//! TAG[PID]: MSG`, read as leniently as real senders need: no space or a
//! space after PRI, the day padded with a space or a zero, no hostname
//! (the token after the time is then the tag), no tag, or an RFC 3339
//! timestamp in place of the BSD one. The BSD time has no year and no
//! zone: the year comes from the reference clock and the zone from the
//! source (see [`crate::header::bsd_time`]).

use seclake_core::{
    columns, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature, Timestamp,
    Value,
};

use crate::header::{bsd_time, priority, set_priority, token};
use crate::rfc5424::message;

columns! {
    Priority = "priority", "int", required, [], "The PRI value: facility × 8 + severity.";
    Facility = "facility", "int", required, [], "The facility (0 kernel, 1 user, 3 daemon, 4 auth, 16–23 local0–local7, ...).";
    Severity = "severity", "int", required, [], "The severity, 0 (emergency) to 7 (debug).";
    Timestamp = "timestamp", "timestamp", optional, [], "When the message was created: the sender's local time, with the year of the reference clock and the source's time zone.";
    Hostname = "hostname", "string", optional, [Host], "The machine that sent the message, when the header names one.";
    AppName = "app_name", "string", optional, [], "The program that sent the message (the TAG before [PID] and the colon).";
    ProcId = "proc_id", "string", optional, [], "The process id in the tag's brackets.";
    Message = "message", "string", optional, [], "The free-form message.";
    SenderIp = seclake_core::parser::SENDER_COLUMN, "string", optional, [Ip], seclake_core::parser::SENDER_DESCRIPTION;
}

pub const DEF: LogTypeDef = LogTypeDef {
    name: "Syslog.RFC3164",
    description: "BSD syslog messages (RFC 3164): priority, a timestamp without year or zone, host, tag and message.",
    reference: "https://www.rfc-editor.org/rfc/rfc3164",
    columns: COLUMNS,
    signature: Signature::Fallback,
    event_time: Some("timestamp"),
    examples: &[
        "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
        "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
        "<38>Jun  5 12:10:07 fw01 sshd[4242]: Accepted publickey for admin from 192.0.2.10 port 50514 ssh2",
    ],
    new_parser: || Box::new(Rfc3164Parser),
    sigma: crate::LINUX_SIGMA,
};

struct Rfc3164Parser;

impl RecordParser for Rfc3164Parser {
    fn parse<'a>(
        &mut self,
        line: &'a str,
        ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        let Some((pri, rest)) = priority(line) else {
            return Err(ParseError::mismatch("not syslog: no <PRI>"));
        };
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        let (time, rest) = match bsd_time(rest, ctx) {
            Some(t) => t?,
            None => {
                let (ts, after) = token(rest);
                match Timestamp::parse_rfc3339(ts) {
                    // RFC 5424 has a version between PRI and the time.
                    Some(t) => (t, after),
                    None => {
                        return Err(ParseError::mismatch(
                            "not BSD syslog: no Mmm dd hh:mm:ss after <PRI>",
                        ))
                    }
                }
            }
        };
        set_priority(row, pri);
        row.set(C::Timestamp, time);
        let rest = rest.trim_start_matches(' ');
        let (first, after_first) = token(rest);
        let rest = if tag(first).is_some() {
            rest
        } else {
            row.set(C::Hostname, Value::dash_null(first));
            after_first
        };
        let (next, after_next) = token(rest);
        let msg = match tag(next) {
            Some((app, pid)) => {
                row.set(C::AppName, Value::str(app));
                row.set(C::ProcId, pid.map_or(Value::Null, Value::str));
                after_next
            }
            None => rest,
        };
        row.set(C::Message, message(msg));
        Ok(Parsed::Row)
    }
}

/// `app:` or `app[pid]:`: the program and its process id.
fn tag(t: &str) -> Option<(&str, Option<&str>)> {
    let t = t.strip_suffix(':')?;
    match t.split_once('[') {
        Some((app, pid)) => {
            let pid = pid.strip_suffix(']')?;
            (!app.is_empty()).then_some((app, Some(pid)))
        }
        None => (!t.is_empty() && !t.contains(']')).then_some((t, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seclake_core::testing::{indicators, parse};
    use seclake_core::Indicator;

    #[test]
    fn host_tag_and_message() {
        let row = parse(&DEF, DEF.examples[2]).unwrap();
        assert_eq!(row.get(C::Hostname), &Value::str("fw01"));
        assert_eq!(row.get(C::AppName), &Value::str("sshd"));
        assert_eq!(row.get(C::ProcId), &Value::str("4242"));
        assert_eq!(
            row.get(C::Message),
            &Value::str("Accepted publickey for admin from 192.0.2.10 port 50514 ssh2")
        );
        // The test helper's reference clock is 1970-01-01: June is months
        // ahead of it, so the year before.
        assert_eq!(
            row.event_time,
            Timestamp::parse_rfc3339("1969-06-05T12:10:07Z")
        );
        assert_eq!(indicators(&row, Indicator::DomainName), vec!["fw01"]);
    }

    #[test]
    fn without_hostname_or_tag() {
        let row = parse(&DEF, DEF.examples[1]).unwrap();
        assert_eq!(row.get(C::Hostname), &Value::str("10.0.0.99"));
        assert_eq!(row.get(C::AppName), &Value::Null);
        assert_eq!(row.get(C::Message), &Value::str("Use the BFG!"));
        assert_eq!(indicators(&row, Indicator::IpAddress), vec!["10.0.0.99"]);
        let row = parse(&DEF, "<13>Mar  4 01:02:03 cron[77]: job done").unwrap();
        assert_eq!(row.get(C::Hostname), &Value::Null);
        assert_eq!(row.get(C::AppName), &Value::str("cron"));
        assert_eq!(row.get(C::Message), &Value::str("job done"));
        let row = parse(&DEF, "<13> 2024-03-04T01:02:03Z host app: iso time").unwrap();
        assert_eq!(
            row.event_time,
            Timestamp::parse_rfc3339("2024-03-04T01:02:03Z")
        );
        assert_eq!(row.get(C::AppName), &Value::str("app"));
    }

    #[test]
    fn other_lines_are_mismatches() {
        for other in [
            "<34>1 2003-10-11T22:14:15.003Z host su - ID47 - msg",
            "Oct 11 22:14:15 no priority",
            "{\"a\":1}",
        ] {
            assert!(parse(&DEF, other).unwrap_err().is_mismatch(), "{other}");
        }
        assert!(!parse(&DEF, "<34>Feb 30 22:14:15 host x: y")
            .unwrap_err()
            .is_mismatch());
    }
}
