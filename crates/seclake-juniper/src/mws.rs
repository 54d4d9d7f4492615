//! Juniper.MWS: WebApp Secure's `mws.log`, every service's messages but
//! those the other types own (mws-access, mws-audit, mws-security-alert):
//! `Jul 9 03:00:00 wasp01 [INFO][mws-cluster-services][db-cleanup] Database
//! cleanup completed.` An optional `[LEVEL]`, then `[SERVICE]`, an
//! optional `[COMPONENT]`, an optional `:`, then the message.

use seclake_core::{
    columns, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature, Value,
};

use crate::prefix::{self, bracketed};

columns! {
    Timestamp = "timestamp", "timestamp", required, [], "The date of the log entry, in UTC.";
    Hostname = "hostname", "string", required, [Host], "The appliance hostname.";
    LogLevel = "log_level", "string", optional, [], "The importance level of a log entry. Can be TRACE, DEBUG, INFO, WARN, or ERROR.";
    ServiceName = "service_name", "string", required, [], "The WebApp Secure service that generated the log entry.";
    ServiceComponent = "service_component", "string", optional, [], "The specific component that is issuing the log message.";
    LogMessage = "log_message", "string", optional, [], "The message. This can be anything, but usually contains information to help you narrow down problems or confirm that things are working.";
    SenderIp = seclake_core::parser::SENDER_COLUMN, "string", optional, [Ip], seclake_core::parser::SENDER_DESCRIPTION;
}

pub const DEF: LogTypeDef = LogTypeDef {
    name: "Juniper.MWS",
    description: "Juniper WebApp Secure service log (mws.log): messages of every service but access, audit and security alerts.",
    reference: "https://www.juniper.net/documentation/en_US/webapp5.6/topics/reference/w-a-s-mws-log.html",
    columns: COLUMNS,
    signature: Signature::Any,
    event_time: Some("timestamp"),
    examples: &[
        "Jul 9 03:00:00 wasp01 [INFO][mws-cluster-services][db-cleanup] Database cleanup completed. Removed record count: 12",
        "Jul 9 03:00:02 wasp01 [mws-ui]: spawned uWSGI worker 3 (pid: 2210, cores: 1)",
    ],
    new_parser: || Box::new(MwsParser),
    sigma: seclake_core::SigmaDef::NONE,
};

/// Services whose lines are other log types.
const OTHER_TYPES: &[&str] = &["mws-access", "mws-audit", "mws-security-alert"];

const LEVELS: &[&str] = &[
    "TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL",
];

struct MwsParser;

impl RecordParser for MwsParser {
    fn parse<'a>(
        &mut self,
        line: &'a str,
        ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        let Some(prefix) = prefix::parse(line, ctx) else {
            return Err(ParseError::mismatch("no Mmm d hh:mm:ss time at the start"));
        };
        let Ok((t, host, rest)) = prefix else {
            return Err(ParseError::mismatch("not an MWS line"));
        };
        let Some((first, mut rest)) = bracketed(rest.trim_start()) else {
            return Err(ParseError::mismatch(
                "not an MWS line: no [SERVICE] after the host",
            ));
        };
        let (level, service) = if LEVELS.contains(&first) {
            let Some((service, after)) = bracketed(rest) else {
                return Err(ParseError::mismatch(
                    "not an MWS line: no [SERVICE] after the level",
                ));
            };
            rest = after;
            (Some(first), service)
        } else {
            (None, first)
        };
        if OTHER_TYPES.contains(&service) {
            return Err(ParseError::mismatch(
                "a line of another WebApp Secure log type",
            ));
        }
        if service.is_empty() {
            return Err(ParseError::mismatch("not an MWS line: empty service"));
        }
        prefix::set(row, t, host);
        row.set(C::LogLevel, level.map_or(Value::Null, Value::str));
        row.set(C::ServiceName, Value::str(service));
        if let Some((component, after)) = bracketed(rest) {
            row.set(C::ServiceComponent, Value::dash_null(component));
            rest = after;
        }
        let rest = rest.strip_prefix(':').unwrap_or(rest);
        row.set(C::LogMessage, Value::dash_null(rest.trim()));
        Ok(Parsed::Row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seclake_core::testing::parse;

    #[test]
    fn level_service_component_and_message() {
        let row = parse(&DEF, DEF.examples[0]).unwrap();
        assert_eq!(row.get(C::LogLevel), &Value::str("INFO"));
        assert_eq!(row.get(C::ServiceName), &Value::str("mws-cluster-services"));
        assert_eq!(row.get(C::ServiceComponent), &Value::str("db-cleanup"));
        let row = parse(&DEF, DEF.examples[1]).unwrap();
        assert_eq!(row.get(C::LogLevel), &Value::Null);
        assert_eq!(row.get(C::ServiceName), &Value::str("mws-ui"));
        assert_eq!(
            row.get(C::LogMessage),
            &Value::str("spawned uWSGI worker 3 (pid: 2210, cores: 1)")
        );
    }

    #[test]
    fn other_types_lines_are_not_mws() {
        for other in [
            "Apr 2 09:15:07 wasp01 [INFO][mws-access][se-request-41] key:0f4c,PHASE_REQUEST_PRE_PROCESS,127.0.0.1,http://a/",
            "Jun 11 08:02:44 wasp01 [mws-audit][INFO] [alice] Logged in",
            "Sep 30 14:01:12 wasp01 [INFO][mws-security-alert][traffic-info] MKS_Category=\"New Profile\"",
            "Aug 14 11:22:33 wasp01 postgres[4242]: [17-1] 42P01 s ERROR: x",
            "May 3 22:10:31 wasp01 kernel: IPTABLES Dropped: SRC=1.2.3.4",
        ] {
            assert!(parse(&DEF, other).unwrap_err().is_mismatch(), "{other}");
        }
    }
}
