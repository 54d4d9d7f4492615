//! Juniper.Audit: WebApp Secure's audit log (`mws-audit`), the state
//! changing actions performed on the appliance:
//! `Jun 11 08:02:44 wasp01 [mws-audit][INFO] [alice] [192.0.2.15] Logged in`.
//! Up to two bracketed groups follow the level: with two, the user and the
//! IP address they logged in from; with one, a 32-hex-digit value is the
//! API key used, anything else the user.

use seclake_core::{
    columns, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature, Value,
};

use crate::prefix::{self, bracketed};

columns! {
    Timestamp = "timestamp", "timestamp", required, [], "Log entry timestamp";
    Hostname = "hostname", "string", required, [Host], "The hostname of the appliance";
    LogLevel = "log_level", "string", optional, [], "The importance level of a log entry. Can be TRACE, DEBUG, INFO, WARN, or ERROR.";
    Message = "message", "string", optional, [], "The message. Can indicate any of the previously mentioned actions.";
    ApiKey = "api_key", "string", optional, [], "The key used to perform the action described in the message.";
    LoginIp = "login_ip", "string", optional, [Ip], "The IP address the user performed logged in from";
    Username = "username", "string", optional, [Username], "The user that performed the login";
    SenderIp = seclake_core::parser::SENDER_COLUMN, "string", optional, [Ip], seclake_core::parser::SENDER_DESCRIPTION;
}

pub const DEF: LogTypeDef = LogTypeDef {
    name: "Juniper.Audit",
    description: "Juniper WebApp Secure audit log: non-idempotent (state changing) actions performed on the appliance.",
    reference: "https://www.juniper.net/documentation/en_US/webapp5.6/topics/reference/w-a-s-incident-log-format.html",
    columns: COLUMNS,
    signature: Signature::Any,
    event_time: Some("timestamp"),
    examples: &[
        "Jun 11 08:02:44 wasp01 [mws-audit][INFO] [alice] [192.0.2.15] Logged in successfully",
        "Jun 11 08:05:10 wasp01 [mws-audit][INFO] [3f2a9c0d4b1e8f7a6c5d4e3f2a1b0c9d] Deactivate response 77120",
        "Jun 12 17:40:01 wasp01 [mws-audit][INFO][alice] Changed configuration parameters: services.x.enabled",
    ],
    new_parser: || Box::new(AuditParser),
    sigma: seclake_core::SigmaDef::NONE,
};

struct AuditParser;

impl RecordParser for AuditParser {
    fn parse<'a>(
        &mut self,
        line: &'a str,
        ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        if !line.contains("[mws-audit]") {
            return Err(ParseError::mismatch("not an audit line: no [mws-audit]"));
        }
        let Some(prefix) = prefix::parse(line, ctx) else {
            return Err(ParseError::mismatch("no Mmm d hh:mm:ss time at the start"));
        };
        let (t, host, rest) = prefix?;
        let Some(rest) = rest.trim_start().strip_prefix("[mws-audit]") else {
            return Err(ParseError::mismatch(
                "not an audit line: [mws-audit] is not the service",
            ));
        };
        prefix::set(row, t, host);
        let (level, mut rest) = bracketed(rest).unwrap_or(("", rest));
        row.set(C::LogLevel, Value::dash_null(level));
        let mut groups = Vec::with_capacity(2);
        while groups.len() < 2 {
            match bracketed(rest.trim_start()) {
                Some((g, after)) => {
                    groups.push(g);
                    rest = after;
                }
                None => break,
            }
        }
        match groups.as_slice() {
            [user, ip] => {
                row.set(C::Username, Value::dash_null(user));
                row.set(C::LoginIp, Value::dash_null(ip));
            }
            [one] if one.len() == 32 && one.bytes().all(|c| c.is_ascii_hexdigit()) => {
                row.set(C::ApiKey, Value::str(one));
            }
            [user] => row.set(C::Username, Value::dash_null(user)),
            _ => {}
        }
        row.set(C::Message, Value::dash_null(rest.trim()));
        Ok(Parsed::Row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seclake_core::testing::{indicators, parse};
    use seclake_core::{Indicator, Timestamp};

    #[test]
    fn user_and_login_address() {
        let row = parse(&DEF, DEF.examples[0]).unwrap();
        assert_eq!(row.get(C::Hostname), &Value::str("wasp01"));
        assert_eq!(row.get(C::LogLevel), &Value::str("INFO"));
        assert_eq!(row.get(C::Username), &Value::str("alice"));
        assert_eq!(row.get(C::LoginIp), &Value::str("192.0.2.15"));
        assert_eq!(row.get(C::Message), &Value::str("Logged in successfully"));
        assert_eq!(indicators(&row, Indicator::IpAddress), vec!["192.0.2.15"]);
        // The helper's clock is 1970-01-01: June is ahead, so 1969.
        assert_eq!(
            row.event_time,
            Timestamp::parse_rfc3339("1969-06-11T08:02:44Z")
        );
    }

    #[test]
    fn one_group_is_an_api_key_or_a_user() {
        let row = parse(&DEF, DEF.examples[1]).unwrap();
        assert_eq!(
            row.get(C::ApiKey),
            &Value::str("3f2a9c0d4b1e8f7a6c5d4e3f2a1b0c9d")
        );
        assert_eq!(row.get(C::Username), &Value::Null);
        let row = parse(&DEF, DEF.examples[2]).unwrap();
        assert_eq!(row.get(C::Username), &Value::str("alice"));
        assert_eq!(
            row.get(C::Message),
            &Value::str("Changed configuration parameters: services.x.enabled")
        );
    }

    #[test]
    fn other_lines_are_mismatches() {
        for other in [
            "Jul 9 03:00:00 wasp01 [INFO][mws-cluster-services][db-cleanup] done",
            "Aug 14 11:22:33 wasp01 postgres[4242]: [17-1] 42P01 5f1e2d3c.1092 ERROR: x",
            "<34>Oct 11 22:14:15 host su: [mws-audit] quoted",
        ] {
            assert!(parse(&DEF, other).unwrap_err().is_mismatch(), "{other}");
        }
    }
}
