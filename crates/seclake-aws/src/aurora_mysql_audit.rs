//! AWS.AuroraMySQLAudit: Aurora MySQL advanced auditing records, one a
//! line: `timestamp,serverhost,username,host,connectionid,queryid,
//! operation,database,object,retcode`. The timestamp is Unix time in
//! microseconds. The object (the query text for QUERY events) is wrapped in
//! single quotes with `\'` and `\\` escapes and may contain commas; the
//! other fields never contain commas, and any of them may be empty (the
//! retcode of TABLE events, the database and object of CONNECT events).
//!
//! Comma-separated lines are common, so the checks that tell this type
//! from others come first and are strict: exactly ten fields, a first
//! field of 15 or 16 digits that is a plausible microsecond epoch, and an
//! upper-case operation name.

use std::borrow::Cow;

use seclake_core::time::parse_i64;
use seclake_core::{
    columns, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature, Timestamp,
    Value,
};

use crate::fields::int;

columns! {
    Timestamp = "timestamp", "timestamp", required, [], "The timestamp for the logged event with microsecond precision (UTC).";
    ServerHost = "serverHost", "string", required, [Host], "The name of the instance that the event is logged for.";
    Username = "username", "string", optional, [Username], "The connected user name of the user.";
    Host = "host", "string", optional, [Host], "The host that the user connected from.";
    ConnectionId = "connectionId", "bigint", required, [], "The connection ID number for the logged operation.";
    QueryId = "queryId", "bigint", required, [], "The query ID number, which can be used for finding the relational table events and related queries. For TABLE events, multiple lines are added.";
    Operation = "operation", "string", required, [], "The recorded action type. Possible values are: CONNECT, QUERY, READ, WRITE, CREATE, ALTER, RENAME, and DROP.";
    Database = "database", "string", optional, [], "The active database, as set by the USE command.";
    Object = "object", "string", optional, [], "For QUERY events, this value indicates the executed query. For TABLE events, it indicates the table name.";
    RetCode = "retCode", "bigint", optional, [], "The return code of the logged operation.";
}

/// 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z in microseconds: the
/// range a first field must fall in to be taken for an audit timestamp.
const MIN_MICROS: i64 = 946_684_800_000_000;
const MAX_MICROS: i64 = 4_102_444_800_000_000;

pub const DEF: LogTypeDef = LogTypeDef {
    name: "AWS.AuroraMySQLAudit",
    description: "Aurora MySQL advanced auditing: connections, queries and table accesses of an Aurora MySQL DB cluster.",
    reference: "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Auditing.html",
    columns: COLUMNS,
    signature: Signature::Any,
    event_time: Some("timestamp"),
    examples: &[
        "1603442208508100,database-1-instance-1,admin,1.34.6.81,50,0,CONNECT,,,0",
        "1603439251354761,database-1-instance-1,admin,1.34.6.81,30,966941,CREATE,world,customers,",
        r"1603440571474649,database-1-instance-1,admin,1.34.6.81,30,973788,QUERY,mysqldemo,'INSERT INTO customers (C_Id, Name, Address, Phone) VALUES (3, \'ethan\', \'abcd street\', \'07-12345678\')',0",
    ],
    new_parser: || Box::new(AuroraAuditParser),
    sigma: seclake_core::SigmaDef::NONE,
};

struct AuroraAuditParser;

impl RecordParser for AuroraAuditParser {
    fn parse<'a>(
        &mut self,
        line: &'a str,
        _ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        // The eight fields before the object never contain commas.
        let mut head = [""; 8];
        let mut rest = line;
        for slot in head.iter_mut() {
            let Some((field, tail)) = rest.split_once(',') else {
                return Err(ParseError::mismatch(
                    "not an Aurora MySQL audit line: fewer than 10 comma-separated fields",
                ));
            };
            *slot = field;
            rest = tail;
        }
        let [ts, server_host, username, host, connection_id, query_id, operation, database] = head;

        let micros = ts
            .bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| parse_i64(ts))
            .flatten()
            .filter(|us| (15..=16).contains(&ts.len()) && (MIN_MICROS..MAX_MICROS).contains(us))
            .ok_or_else(|| ParseError::mismatch("not an Aurora MySQL audit line: the first field is not a microsecond Unix time"))?;
        if operation.is_empty()
            || !operation
                .bytes()
                .all(|c| c.is_ascii_uppercase() || c == b'_')
        {
            return Err(ParseError::mismatch(
                "not an Aurora MySQL audit line: the operation is not an upper-case name",
            ));
        }
        let (object, ret_code) = split_object(rest)?;

        let t = Timestamp::from_micros(micros)
            .ok_or_else(|| ParseError::field("timestamp", "out of range", ts))?;
        row.set(C::Timestamp, t);
        row.event_time = Some(t);
        if server_host.is_empty() {
            return Err(ParseError::field(
                "serverHost",
                "required field is missing",
                server_host,
            ));
        }
        row.set(C::ServerHost, Value::str(server_host));
        row.set(C::Username, opt(username));
        row.set(C::Host, opt(host));
        row.set(
            C::ConnectionId,
            required_int("connectionId", connection_id)?,
        );
        row.set(C::QueryId, required_int("queryId", query_id)?);
        row.set(C::Operation, Value::str(operation));
        row.set(C::Database, opt(database));
        row.set(C::Object, object);
        row.set(C::RetCode, int("retCode", ret_code)?);
        Ok(Parsed::Row)
    }
}

/// Splits `object,retcode`. A quoted object runs to its closing quote
/// (commas inside are part of it); an unquoted one may not contain commas.
fn split_object(s: &str) -> Result<(Value<'_>, &str), ParseError> {
    let b = s.as_bytes();
    if b.first() == Some(&b'\'') {
        let mut i = 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'\'' => break,
                _ => i += 1,
            }
        }
        if i >= b.len() {
            return Err(ParseError::field("object", "unterminated quoted value", s));
        }
        let inner = &s[1..i];
        let tail = &s[i + 1..];
        let Some(ret) = tail.strip_prefix(',') else {
            return Err(ParseError::field(
                "object",
                "expected a comma after the quoted value",
                tail,
            ));
        };
        if ret.contains(',') {
            return Err(ParseError::mismatch(
                "not an Aurora MySQL audit line: more than 10 fields",
            ));
        }
        let value = if inner.is_empty() {
            Value::Null
        } else {
            Value::Str(unescape_sql(inner))
        };
        return Ok((value, ret));
    }
    match s.split_once(',') {
        Some((object, ret)) if !ret.contains(',') => Ok((opt(object), ret)),
        Some(_) => Err(ParseError::mismatch(
            "not an Aurora MySQL audit line: more than 10 fields",
        )),
        None => Err(ParseError::mismatch(
            "not an Aurora MySQL audit line: fewer than 10 comma-separated fields",
        )),
    }
}

/// Undoes the audit log's backslash escapes (`\'`, `\\`, `\n`, `\r`,
/// `\t`); other backslashes are kept as written.
fn unescape_sql(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\'') => out.push('\''),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

fn opt(s: &str) -> Value<'_> {
    if s.is_empty() {
        Value::Null
    } else {
        Value::str(s)
    }
}

fn required_int<'a>(name: &str, s: &str) -> Result<Value<'a>, ParseError> {
    match int(name, s)? {
        Value::Null => Err(ParseError::field(name, "required field is missing", s)),
        v => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seclake_core::testing::parse;
    use seclake_core::Indicator;

    #[test]
    fn connect_event_has_empty_fields() {
        let row = parse(&DEF, DEF.examples[0]).unwrap();
        assert_eq!(
            row.event_time.unwrap().to_rfc3339(),
            "2020-10-23T08:36:48.508100Z"
        );
        assert_eq!(row.get(C::Operation), &Value::str("CONNECT"));
        assert_eq!(row.get(C::Database), &Value::Null);
        assert_eq!(row.get(C::Object), &Value::Null);
        assert_eq!(row.get(C::RetCode), &Value::Int(0));
        assert_eq!(row.get(C::QueryId), &Value::Int(0));
        assert_eq!(
            row.indicator_values(Indicator::IpAddress)
                .collect::<Vec<_>>(),
            vec!["1.34.6.81"]
        );
    }

    #[test]
    fn table_event_with_empty_retcode() {
        let row = parse(&DEF, DEF.examples[1]).unwrap();
        assert_eq!(row.get(C::Object), &Value::str("customers"));
        assert_eq!(row.get(C::RetCode), &Value::Null);
    }

    #[test]
    fn quoted_objects_keep_commas_and_undo_escapes() {
        let row = parse(&DEF, DEF.examples[2]).unwrap();
        assert_eq!(
            row.get(C::Object),
            &Value::str("INSERT INTO customers (C_Id, Name, Address, Phone) VALUES (3, 'ethan', 'abcd street', '07-12345678')")
        );
        let line = r"1603441586611643,database-1-instance-1,admin,client.example.com,45,979048,QUERY,mysql,'SELECT \'a,b\\\' FROM t\nWHERE x=\'\'',1045";
        let row = parse(&DEF, line).unwrap();
        assert_eq!(
            row.get(C::Object),
            &Value::str("SELECT 'a,b\\' FROM t\nWHERE x=''")
        );
        assert_eq!(row.get(C::RetCode), &Value::Int(1045));
        // The client host and the instance (serverHost) both name hosts.
        assert_eq!(
            row.indicator_values(Indicator::DomainName)
                .collect::<Vec<_>>(),
            vec!["client.example.com", "database-1-instance-1"]
        );
        let plain = "1603438736650167,database-1-instance-1,admin,1.34.6.81,30,964317,QUERY,world,'create database mysqldemo',0";
        assert!(matches!(
            parse(&DEF, plain).unwrap().get(C::Object),
            Value::Str(Cow::Borrowed(_))
        ));
    }

    #[test]
    fn broken_audit_lines_are_invalid() {
        for line in [
            "1603442208508100,database-1-instance-1,admin,1.34.6.81,x,0,CONNECT,,,0",
            "1603442208508100,database-1-instance-1,admin,1.34.6.81,50,0,QUERY,db,'unterminated,0",
            "1603442208508100,database-1-instance-1,admin,1.34.6.81,50,0,QUERY,db,'quoted'junk,0",
            "1603442208508100,database-1-instance-1,admin,1.34.6.81,50,0,QUERY,db,'q',zero",
            "1603442208508100,,admin,1.34.6.81,50,0,CONNECT,,,0",
        ] {
            let err = parse(&DEF, line).unwrap_err();
            assert!(!err.is_mismatch(), "{line}: {err}");
        }
    }

    #[test]
    fn other_types_and_garbage_are_mismatches() {
        for line in [
            // RDS MySQL audit plugin layout
            "20200720 16:37:59,ip-172-31-1-1,rdsadmin,localhost,26,0,CONNECT,,,0",
            // seconds, not microseconds
            "1603442208,database-1-instance-1,admin,1.34.6.81,50,0,CONNECT,,,0",
            // eleven fields
            "1603442208508100,database-1-instance-1,admin,1.34.6.81,50,0,CONNECT,,,0,extra",
            "1603442208508100,database-1-instance-1,admin,1.34.6.81,50,0,QUERY,db,'q',0,extra",
            // nine fields
            "1603442208508100,database-1-instance-1,admin,1.34.6.81,50,0,CONNECT,,0",
            // lower-case operation
            "1603442208508100,database-1-instance-1,admin,1.34.6.81,50,0,connect,,,0",
            "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
            "a,b,c,d,e,f,g,h,i,j",
            "{\"a\":1}",
            "",
        ] {
            let err = parse(&DEF, line).unwrap_err();
            assert!(err.is_mismatch(), "{line}: {err}");
        }
    }
}
