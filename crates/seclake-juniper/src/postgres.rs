//! Juniper.Postgres: the log of the database WebApp Secure uses:
//! `Aug 14 11:22:33 wasp01 postgres[4242]: [17-1] 42P01 5f1e2d3c.1092
//! ERROR: relation "profiles_old" does not exist`. The bracketed pair is
//! the message group (a statement's lines share the major number).

use seclake_core::time::parse_i64;
use seclake_core::{
    columns, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature, Value,
};
use seclake_syslog::header::token;

use crate::prefix;

columns! {
    Timestamp = "timestamp", "timestamp", required, [], "Log entry timestamp";
    Hostname = "hostname", "string", required, [Host], "The hostname of the appliance";
    Pid = "pid", "int", optional, [], "The process ID of the Postgres instance.";
    GroupIdMajor = "group_id_major", "int", optional, [], "Group id major number";
    GroupIdMinor = "group_id_minor", "int", optional, [], "Group id minor number";
    SqlErrorCode = "sql_error_code", "string", optional, [], "The SQL error code.";
    SessionId = "session_id", "string", optional, [], "A somewhat unique session identifier that can be used to search for specific lines in the log.";
    MessageType = "message_type", "string", optional, [], "The type of the message. Can be LOG, WARNING, ERROR, or STATEMENT.";
    Message = "message", "string", optional, [], "The message.";
    SenderIp = seclake_core::parser::SENDER_COLUMN, "string", optional, [Ip], seclake_core::parser::SENDER_DESCRIPTION;
}

pub const DEF: LogTypeDef = LogTypeDef {
    name: "Juniper.Postgres",
    description: "Juniper WebApp Secure's Postgres log: schema changes and database errors.",
    reference: "https://www.juniper.net/documentation/en_US/webapp5.6/topics/reference/w-a-s-postgres-log.html",
    columns: COLUMNS,
    signature: Signature::Any,
    event_time: Some("timestamp"),
    examples: &[
        "Aug 14 11:22:33 wasp01 postgres[4242]: [17-1] 42P01 5f1e2d3c.1092 ERROR: relation \"profiles_old\" does not exist",
        "Aug 14 11:22:33 wasp01 postgres[4242]: [17-2] 42P01 5f1e2d3c.1092 STATEMENT: SELECT * FROM profiles_old",
    ],
    new_parser: || Box::new(PostgresParser),
    sigma: seclake_core::SigmaDef::NONE,
};

struct PostgresParser;

impl RecordParser for PostgresParser {
    fn parse<'a>(
        &mut self,
        line: &'a str,
        ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        if !line.contains(" postgres[") {
            return Err(ParseError::mismatch(
                "not a Postgres line: no postgres[PID]",
            ));
        }
        let Some(prefix) = prefix::parse(line, ctx) else {
            return Err(ParseError::mismatch("no Mmm d hh:mm:ss time at the start"));
        };
        let (t, host, rest) = prefix?;
        let (tag, rest) = token(rest);
        let Some(pid) = tag
            .strip_prefix("postgres[")
            .and_then(|p| p.strip_suffix("]:"))
        else {
            return Err(ParseError::mismatch(
                "not a Postgres line: no postgres[PID]: tag",
            ));
        };
        prefix::set(row, t, host);
        row.set(C::Pid, int("pid", pid)?);
        let (group, rest) = token(rest);
        let Some((major, minor)) = group
            .strip_prefix('[')
            .and_then(|g| g.strip_suffix(']'))
            .and_then(|g| g.split_once('-'))
        else {
            return Err(ParseError::field("group", "expected [major-minor]", group));
        };
        row.set(C::GroupIdMajor, int("group_id_major", major)?);
        row.set(C::GroupIdMinor, int("group_id_minor", minor)?);
        let (code, rest) = token(rest);
        let (session, rest) = token(rest);
        row.set(C::SqlErrorCode, Value::dash_null(code));
        row.set(C::SessionId, Value::dash_null(session));
        match rest.split_once(": ") {
            Some((kind, message))
                if !kind.is_empty() && kind.bytes().all(|c| c.is_ascii_uppercase()) =>
            {
                row.set(C::MessageType, Value::str(kind));
                row.set(C::Message, Value::dash_null(message));
            }
            _ => row.set(C::Message, Value::dash_null(rest)),
        }
        Ok(Parsed::Row)
    }
}

fn int<'a>(field: &str, s: &str) -> Result<Value<'a>, ParseError> {
    parse_i64(s)
        .map(Value::Int)
        .ok_or_else(|| ParseError::field(field, "not an integer", s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use seclake_core::testing::parse;

    #[test]
    fn every_field() {
        let row = parse(&DEF, DEF.examples[0]).unwrap();
        assert_eq!(row.get(C::Pid), &Value::Int(4242));
        assert_eq!(row.get(C::GroupIdMajor), &Value::Int(17));
        assert_eq!(row.get(C::GroupIdMinor), &Value::Int(1));
        assert_eq!(row.get(C::SqlErrorCode), &Value::str("42P01"));
        assert_eq!(row.get(C::SessionId), &Value::str("5f1e2d3c.1092"));
        assert_eq!(row.get(C::MessageType), &Value::str("ERROR"));
        assert_eq!(
            row.get(C::Message),
            &Value::str("relation \"profiles_old\" does not exist")
        );
        let row = parse(&DEF, DEF.examples[1]).unwrap();
        assert_eq!(row.get(C::MessageType), &Value::str("STATEMENT"));
    }

    #[test]
    fn other_and_broken_lines() {
        for other in [
            "Jun 11 08:02:44 wasp01 [mws-audit][INFO] [alice] Logged in",
            "<14>Aug 14 11:22:33 h app: postgres[1] no",
        ] {
            assert!(parse(&DEF, other).unwrap_err().is_mismatch(), "{other}");
        }
        let e = parse(
            &DEF,
            "Aug 14 11:22:33 wasp01 postgres[x]: [17-1] a b LOG: m",
        )
        .unwrap_err();
        assert!(!e.is_mismatch() && e.reason().contains("pid"), "{e}");
        let e = parse(&DEF, "Aug 14 11:22:33 wasp01 postgres[1]: 17-1 a b LOG: m").unwrap_err();
        assert!(!e.is_mismatch(), "{e}");
    }
}
