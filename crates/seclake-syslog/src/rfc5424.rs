//! Syslog.RFC5424: a syslog message in the RFC 5424 format,
//! `<PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]`, any
//! header field `-` (NIL). Structured data becomes a map keyed
//! `SD-ID.param` (`exampleSDID@32473.iut`), so every parameter is a
//! column value a query can name; IP addresses among the values are
//! indicators. A byte-order mark before the message is dropped.

use std::borrow::Cow;

use seclake_core::{
    columns, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature, Timestamp,
    Value,
};

use crate::header::{header_fields, priority, set_priority, token};
use crate::sd;

columns! {
    Priority = "priority", "int", required, [], "The PRI value: facility × 8 + severity.";
    Facility = "facility", "int", required, [], "The facility (0 kernel, 1 user, 3 daemon, 4 auth, 16–23 local0–local7, ...).";
    Severity = "severity", "int", required, [], "The severity, 0 (emergency) to 7 (debug).";
    Version = "version", "int", optional, [], "The syslog protocol version (1).";
    Timestamp = "timestamp", "timestamp", optional, [], "When the message was created, as the sender stamped it (null when NIL).";
    Hostname = "hostname", "string", optional, [Host], "The machine that originally sent the message.";
    AppName = "app_name", "string", optional, [], "The device or application that originated the message.";
    ProcId = "proc_id", "string", optional, [], "The process name or id of the originator.";
    MsgId = "msg_id", "string", optional, [], "The type of message.";
    StructuredData = "structured_data", "map<string,string>", optional, [Ip], "Structured-data parameters keyed SD-ID.name (exampleSDID@32473.iut).";
    Message = "message", "string", optional, [], "The free-form message.";
    SenderIp = seclake_core::parser::SENDER_COLUMN, "string", optional, [Ip], seclake_core::parser::SENDER_DESCRIPTION;
}

pub const DEF: LogTypeDef = LogTypeDef {
    name: "Syslog.RFC5424",
    description: "Syslog messages in the RFC 5424 format (header, structured data, message).",
    reference: "https://www.rfc-editor.org/rfc/rfc5424",
    columns: COLUMNS,
    signature: Signature::Fallback,
    event_time: Some("timestamp"),
    examples: &[
        "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{feff}'su root' failed for lonvick on /dev/pts/8",
        "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
        "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 class=\"high\"]",
    ],
    new_parser: || Box::new(Rfc5424Parser::default()),
    sigma: crate::LINUX_SIGMA,
};

#[derive(Default)]
struct Rfc5424Parser {
    keys: SdKeys,
}

impl RecordParser for Rfc5424Parser {
    fn parse<'a>(
        &mut self,
        line: &'a str,
        ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        let message = parse(line, ctx, row, &mut self.keys)?;
        row.set(C::Message, message);
        Ok(Parsed::Row)
    }
}

/// Parses the header and structured data of an RFC 5424 message into
/// `row`'s header columns; returns the message (null when absent). For the
/// vendor types that use the same format.
pub fn parse<'a>(
    line: &'a str,
    ctx: &ParseContext,
    row: &mut Row<'a>,
    keys: &mut SdKeys,
) -> Result<Value<'a>, ParseError> {
    let Some((pri, rest)) = priority(line) else {
        return Err(ParseError::mismatch("not syslog: no <PRI>"));
    };
    let (version, rest) = token(rest);
    let Some(version) = version
        .parse::<i64>()
        .ok()
        .filter(|v| (1..=99).contains(v) && !version.starts_with('0'))
    else {
        return Err(ParseError::mismatch("not RFC 5424: no version after <PRI>"));
    };
    set_priority(row, pri);
    row.set(C::Version, Value::Int(version));
    let (ts, rest) = token(rest);
    if ts != "-" {
        let t = timestamp(ts, ctx)
            .ok_or_else(|| ParseError::field("timestamp", "not an RFC 3339 timestamp", ts))?;
        row.set(C::Timestamp, t);
    }
    let ([host, app, proc_id, msg_id], rest) = header_fields(rest);
    row.set(C::Hostname, Value::dash_null(host));
    row.set(C::AppName, Value::dash_null(app));
    row.set(C::ProcId, Value::dash_null(proc_id));
    row.set(C::MsgId, Value::dash_null(msg_id));
    if rest.is_empty() {
        return Ok(Value::Null);
    }
    let mut pairs = Vec::with_capacity(keys.last.len());
    let rest = sd::for_each(rest, |id, name, value| {
        if let Some(name) = name {
            pairs.push((keys.key_at(pairs.len(), id, name), value));
        }
    })?;
    if !pairs.is_empty() {
        row.set(C::StructuredData, Value::Map(pairs));
    }
    Ok(message(rest.strip_prefix(' ').unwrap_or(rest)))
}

/// The map keys `SD-ID.param` of a stream. A sender uses the same few
/// keys over and over, so each is built once and shared (interned for the
/// life of the process) instead of allocated per parameter per message
/// (measured: Junos session records parse about 5% faster). At most
/// [`MAX_INTERNED`] keys are kept in all; past that (hostile or very
/// varied input) keys are built per use again, so memory stays bounded.
///
/// Before any hashing, the key at the same position in the previous
/// message is compared: a sender repeats its parameters in one order, so
/// most lookups are two short comparisons (measured: hashing every
/// `SD-ID.param` was a sixth of RFC 5424 parsing).
#[derive(Default)]
pub struct SdKeys {
    seen: seclake_core::fnv::FnvHashMap<Box<str>, &'static str>,
    /// The interned keys of the previous message, by position.
    last: Vec<&'static str>,
    buf: String,
}

/// Distinct keys interned, at most.
const MAX_INTERNED: usize = 4096;

type Interned = seclake_core::fnv::FnvHashMap<Box<str>, &'static str>;

/// The keys interned by every stream so far.
static INTERNED: std::sync::LazyLock<std::sync::Mutex<Interned>> =
    std::sync::LazyLock::new(Default::default);

impl SdKeys {
    /// The key of the `position`th parameter of a message.
    fn key_at<'a>(&mut self, position: usize, id: &str, name: &str) -> Cow<'a, str> {
        if let Some(k) = self.last.get(position) {
            if is_key(k, id, name) {
                return Cow::Borrowed(k);
            }
        }
        let key = self.key(id, name);
        if let Cow::Borrowed(k) = key {
            self.last.truncate(position);
            if self.last.len() == position {
                self.last.push(k);
            }
        }
        key
    }

    fn key<'a>(&mut self, id: &str, name: &str) -> Cow<'a, str> {
        self.buf.clear();
        self.buf.push_str(id);
        self.buf.push('.');
        self.buf.push_str(name);
        if let Some(k) = self.seen.get(self.buf.as_str()) {
            return Cow::Borrowed(k);
        }
        let mut all = INTERNED.lock().unwrap_or_else(|e| e.into_inner());
        let key = match all.get(self.buf.as_str()) {
            Some(k) => *k,
            None if all.len() < MAX_INTERNED => {
                let k: &'static str = Box::leak(self.buf.clone().into_boxed_str());
                all.insert(k.into(), k);
                k
            }
            None => return Cow::Owned(self.buf.clone()),
        };
        self.seen.insert(key.into(), key);
        Cow::Borrowed(key)
    }
}

/// Whether `key` is `id.name`.
fn is_key(key: &str, id: &str, name: &str) -> bool {
    key.len() == id.len() + 1 + name.len()
        && key.as_bytes()[id.len()] == b'.'
        && key.ends_with(name)
        && key.starts_with(id)
}

/// An RFC 3339 time; one without its offset (some senders drop it) is
/// taken in the source's time zone.
fn timestamp(ts: &str, ctx: &ParseContext) -> Option<Timestamp> {
    if let Some(t) = Timestamp::parse_rfc3339(ts) {
        return Some(t);
    }
    let local = Timestamp::parse_rfc3339(&format!("{ts}Z"))?;
    ctx.time_zone.to_utc(local.to_civil())
}

/// The message, without a leading byte-order mark; null when empty.
pub fn message(s: &str) -> Value<'_> {
    let s = s.strip_prefix('\u{feff}').unwrap_or(s);
    if s.is_empty() {
        Value::Null
    } else {
        Value::str(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seclake_core::testing::{indicators, parse as parse_with};
    use seclake_core::Indicator;

    #[test]
    fn header_fields_and_message() {
        let row = parse_with(&DEF, DEF.examples[0]).unwrap();
        assert_eq!(row.get(C::Priority), &Value::Int(34));
        assert_eq!(row.get(C::Facility), &Value::Int(4));
        assert_eq!(row.get(C::Severity), &Value::Int(2));
        assert_eq!(row.get(C::AppName), &Value::str("su"));
        assert_eq!(row.get(C::ProcId), &Value::Null);
        assert_eq!(row.get(C::MsgId), &Value::str("ID47"));
        assert_eq!(
            row.get(C::Message),
            &Value::str("'su root' failed for lonvick on /dev/pts/8")
        );
        assert_eq!(
            row.event_time,
            Timestamp::parse_rfc3339("2003-10-11T22:14:15.003Z")
        );
        assert_eq!(
            indicators(&row, Indicator::DomainName),
            vec!["mymachine.example.com"]
        );
    }

    #[test]
    fn structured_data_is_a_map_and_its_addresses_are_indicators() {
        let row = parse_with(&DEF, DEF.examples[2]).unwrap();
        let Value::Map(pairs) = row.get(C::StructuredData) else {
            panic!("no map")
        };
        assert_eq!(pairs[0].0, "exampleSDID@32473.iut");
        assert_eq!(
            pairs[3],
            (
                Cow::Borrowed("examplePriority@32473.class"),
                Cow::Borrowed("high")
            )
        );
        assert_eq!(row.get(C::Message), &Value::Null);
        let row = parse_with(&DEF, "<14>1 - - - - - [origin ip=\"192.0.2.7\"] hi").unwrap();
        // A time without its offset: the source's zone (UTC here).
        let t = parse_with(&DEF, "<14>1 2013-01-19T15:18:18.040 h a - - - m").unwrap();
        assert_eq!(
            t.event_time,
            Timestamp::parse_rfc3339("2013-01-19T15:18:18.040Z")
        );
        assert_eq!(indicators(&row, Indicator::IpAddress), vec!["192.0.2.7"]);
        assert_eq!(
            row.event_time, None,
            "NIL timestamp: the parse time stands in"
        );
    }

    #[test]
    fn keys_are_shared_and_bounded() {
        let mut a = SdKeys::default();
        let mut b = SdKeys::default();
        let (ka, kb) = (a.key("x@1", "k"), b.key("x@1", "k"));
        assert_eq!(ka, "x@1.k");
        let (Cow::Borrowed(pa), Cow::Borrowed(pb)) = (ka, kb) else {
            panic!("interned keys are borrowed")
        };
        assert!(std::ptr::eq(pa, pb), "one copy for every stream");
        // Past the cap, keys are built per use: still right, never leaked.
        for i in 0..MAX_INTERNED + 10 {
            let k = a.key("many@1", &i.to_string());
            assert_eq!(k, format!("many@1.{i}"));
        }
        assert!(INTERNED.lock().unwrap().len() <= MAX_INTERNED);
    }

    #[test]
    fn keys_by_position_follow_each_message() {
        let mut k = SdKeys::default();
        let seq = |k: &mut SdKeys, keys: &[(&str, &str)]| -> Vec<String> {
            keys.iter()
                .enumerate()
                .map(|(i, (id, name))| k.key_at(i, id, name).into_owned())
                .collect()
        };
        let first = [("a@1", "x"), ("a@1", "y"), ("b@1", "x")];
        assert_eq!(seq(&mut k, &first), ["a@1.x", "a@1.y", "b@1.x"]);
        assert_eq!(seq(&mut k, &first), ["a@1.x", "a@1.y", "b@1.x"]);
        // Reordered, shorter, a prefix of another key, a dotted id.
        let other = [("b@1", "x"), ("a@1", "xy"), ("a", "1.x")];
        assert_eq!(seq(&mut k, &other), ["b@1.x", "a@1.xy", "a.1.x"]);
        assert_eq!(seq(&mut k, &first[..1]), ["a@1.x"]);
        assert_eq!(seq(&mut k, &first), ["a@1.x", "a@1.y", "b@1.x"]);
    }

    #[test]
    fn other_lines_are_mismatches_and_broken_ones_invalid() {
        for other in [
            "<34>Oct 11 22:14:15 mymachine su: 'su root' failed",
            "2 123456789010 eni-1 - - - - - - - 1 2 - NODATA",
            "{}",
        ] {
            assert!(
                parse_with(&DEF, other).unwrap_err().is_mismatch(),
                "{other}"
            );
        }
        for broken in [
            "<34>1 yesterday host app - - - msg",
            "<34>1 2003-10-11T22:14:15Z host app - - [x a=1] msg",
        ] {
            assert!(
                !parse_with(&DEF, broken).unwrap_err().is_mismatch(),
                "{broken}"
            );
        }
    }
}
