//! Putting attributes in a row: the promoted keys (matched without regard
//! to case, as vendors vary it: `requestmethod`, `deviceExternalID`) go to
//! their typed columns, everything else to the `extensions` map. A value
//! that is not of its column's type (a port `abc`, an unreadable time)
//! stays in the map under its key: a real vendor line is never a reject
//! for an attribute.

use std::borrow::Cow;
use std::sync::LazyLock;

use seclake_core::fnv::FnvHashMap;

use seclake_core::time::parse_i64;
use seclake_core::{ParseContext, Row, Value};

use crate::columns::{C, COLUMNS};
use crate::syntax::cef::unquote;
use crate::syntax::prefix::Prefix;
use crate::syntax::{pairs, time};
use seclake_core::key_cache::KeyCache;

/// The promoted attributes: each column and its keys in lower case (the
/// CEF short and full names, and LEEF's own).
const PROMOTED: &[(C, &[&str])] = &[
    (C::SourceAddress, &["src", "sourceaddress"]),
    (C::DestinationAddress, &["dst", "destinationaddress"]),
    (C::SourcePort, &["spt", "sourceport", "srcport"]),
    (C::DestinationPort, &["dpt", "destinationport", "dstport"]),
    (
        C::SourceTranslatedAddress,
        &["sourcetranslatedaddress", "srcpostnat"],
    ),
    (
        C::DestinationTranslatedAddress,
        &["destinationtranslatedaddress", "dstpostnat"],
    ),
    (
        C::SourceTranslatedPort,
        &["sourcetranslatedport", "srcpostnatport"],
    ),
    (
        C::DestinationTranslatedPort,
        &["destinationtranslatedport", "dstpostnatport"],
    ),
    (C::SourceMac, &["smac", "sourcemacaddress", "srcmac"]),
    (
        C::DestinationMac,
        &["dmac", "destinationmacaddress", "dstmac"],
    ),
    (C::SourceHostName, &["shost", "sourcehostname"]),
    (C::DestinationHostName, &["dhost", "destinationhostname"]),
    (C::SourceUserName, &["suser", "sourceusername", "usrname"]),
    (C::DestinationUserName, &["duser", "destinationusername"]),
    (C::DeviceAddress, &["dvc", "deviceaddress"]),
    (C::DeviceHostName, &["dvchost", "devicehostname"]),
    (C::DeviceAction, &["act", "deviceaction"]),
    (C::EventOutcome, &["outcome", "eventoutcome"]),
    (C::TransportProtocol, &["proto", "transportprotocol"]),
    (C::ApplicationProtocol, &["app", "applicationprotocol"]),
    (C::DeviceEventCategory, &["cat", "deviceeventcategory"]),
    (C::Message, &["msg", "message"]),
    (C::Reason, &["reason"]),
    (C::RequestUrl, &["request", "requesturl", "url"]),
    (C::RequestMethod, &["requestmethod"]),
    (C::RequestClientApplication, &["requestclientapplication"]),
    (C::FileName, &["fname", "filename"]),
    (C::FilePath, &["filepath"]),
    (C::FileHash, &["filehash"]),
    (C::BytesIn, &["in", "bytesin"]),
    (C::BytesOut, &["out", "bytesout"]),
    (
        C::DeviceReceiptTime,
        &["rt", "devicereceipttime", "devtime"],
    ),
    (C::StartTime, &["start", "starttime"]),
    (C::EndTime, &["end", "endtime"]),
    (C::ExternalId, &["externalid"]),
    (C::DeviceExternalId, &["deviceexternalid"]),
    (C::Severity, &["sev"]),
];

/// [`PROMOTED`] by key: one hash and one comparison per attribute, where
/// a `match` compared a missed key with every name of its length.
static BY_KEY: LazyLock<FnvHashMap<&'static [u8], C>> = LazyLock::new(|| {
    PROMOTED
        .iter()
        .flat_map(|&(c, keys)| keys.iter().map(move |k| (k.as_bytes(), c)))
        .collect()
});

/// The promoted column of an attribute key, any case.
pub fn column(key: &str) -> Option<C> {
    let mut buf = [0u8; 32];
    BY_KEY.get(lower(key, &mut buf)?).copied()
}

/// `key`'s bytes in lower case, in `buf`; `None` when longer than any
/// promoted key.
fn lower<'b>(key: &str, buf: &'b mut [u8; 32]) -> Option<&'b [u8]> {
    let b = key.as_bytes();
    if b.len() > buf.len() {
        return None;
    }
    for (d, s) in buf.iter_mut().zip(b) {
        *d = s.to_ascii_lowercase();
    }
    Some(&buf[..b.len()])
}

/// Sets the columns before the attributes: the syslog prefix's, the
/// version and the header fields (empty ones stay null).
pub fn set_header<'a>(
    row: &mut Row<'a>,
    p: Prefix<'a>,
    version: &'a str,
    fields: impl IntoIterator<Item = (C, Cow<'a, str>)>,
) {
    if let Some(pri) = p.priority {
        row.set(C::SyslogFacility, Value::Int(i64::from(pri / 8)));
        row.set(C::SyslogSeverity, Value::Int(i64::from(pri % 8)));
    }
    if let Some(t) = p.time {
        row.set(C::SyslogTimestamp, t);
    }
    if let Some(h) = p.host {
        row.set(C::SyslogHostname, h);
    }
    if let Some(u) = p.unread {
        row.set(C::SyslogPrefix, u);
    }
    row.set(C::Version, version);
    for (c, v) in fields {
        if !v.is_empty() {
            row.set(c, Value::Str(v));
        }
    }
}

/// Sets the attributes of `text` (pairs separated by spaces or `delim`).
pub fn set_all<'a>(
    row: &mut Row<'a>,
    text: &'a str,
    delim: u8,
    ctx: &ParseContext,
    keys: &mut KeyCache<Option<C>>,
) {
    let mut position = 0;
    let mut extensions: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::new();
    // Most values have no escapes and no quotes: the backslashes of the
    // whole text are found in one search, and a value is unescaped only
    // when one falls inside it.
    let base = text.as_ptr() as usize;
    let mut backslashes = memchr::memchr_iter(b'\\', text.as_bytes()).peekable();
    let quotes = memchr::memchr(b'"', text.as_bytes()).is_some();
    pairs::for_each(text, delim, |key, raw| {
        let (start, end) = (
            raw.as_ptr() as usize - base,
            raw.as_ptr() as usize - base + raw.len(),
        );
        while backslashes.next_if(|&b| b < start).is_some() {}
        let escaped = backslashes.peek().is_some_and(|&b| b < end);
        // Some senders quote whole values (`src="10.0.0.1"`).
        let raw = if quotes { unquote(raw) } else { raw };
        let value = if escaped {
            pairs::unescape(raw)
        } else {
            Cow::Borrowed(raw)
        };
        let promoted = keys.get(position, key, column);
        position += 1;
        if let Some(c) = promoted.filter(|c| row.get(*c).is_null()) {
            if value.is_empty() {
                return;
            }
            if let Some(v) = typed(c, &value, ctx) {
                row.set(c, v.unwrap_or(Value::Str(value)));
                return;
            }
        }
        extensions.push((Cow::Borrowed(key), value));
    });
    if !extensions.is_empty() {
        number_repeats(&mut extensions);
        row.set(C::Extensions, Value::Map(extensions));
    }
}

/// The value of a promoted column: `Some(None)` for a string column (set
/// the text), `Some(Some(v))` for a typed value, `None` when the text is
/// not of the column's type.
fn typed<'a>(c: C, v: &str, ctx: &ParseContext) -> Option<Option<Value<'a>>> {
    match COLUMNS[c as usize].ty {
        "int" | "bigint" => parse_i64(v).map(|n| Some(Value::Int(n))),
        "timestamp" => time::parse(v, ctx).map(|t| Some(Value::Time(t))),
        _ => Some(None),
    }
}

/// Numbers repeated keys (`key#2`, `key#3`, ...) so that no value is lost
/// and the map's keys stay unique. Linear in the number of pairs; no
/// allocation unless a key repeats.
pub fn number_repeats(map: &mut [(Cow<'_, str>, Cow<'_, str>)]) {
    if map.len() <= 16 && !(1..map.len()).any(|i| map[..i].iter().any(|(k, _)| *k == map[i].0)) {
        return;
    }
    let mut names = Vec::new();
    {
        let mut seen = seclake_core::fnv::FnvHashMap::<&str, usize>::default();
        let mut repeated = Vec::new();
        for (i, (k, _)) in map.iter().enumerate() {
            let n = seen.entry(k.as_ref()).or_insert(0);
            *n += 1;
            if *n > 1 {
                repeated.push((i, *n));
            }
        }
        let mut taken = std::collections::HashSet::new();
        for (i, mut n) in repeated {
            loop {
                let name = format!("{}#{n}", map[i].0);
                if !seen.contains_key(name.as_str()) && taken.insert(name.clone()) {
                    names.push((i, name));
                    break;
                }
                n += 1;
            }
        }
    }
    for (i, name) in names {
        map[i].0 = Cow::Owned(name);
    }
}

/// The row's event time: when the device saw the event, else when the
/// activity started, else the syslog header's time.
pub fn event_time(row: &mut Row<'_>) {
    for c in [C::DeviceReceiptTime, C::StartTime, C::SyslogTimestamp] {
        if let Value::Time(t) = row.get(c) {
            row.event_time = Some(*t);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_promoted_key_names_one_column() {
        let keys: usize = PROMOTED.iter().map(|(_, k)| k.len()).sum();
        assert_eq!(BY_KEY.len(), keys, "a key is listed twice");
        assert!(PROMOTED
            .iter()
            .flat_map(|(_, k)| *k)
            .all(|k| k.len() <= 32 && *k == k.to_ascii_lowercase()));
        assert_eq!(column("requestMethod"), Some(C::RequestMethod));
        assert_eq!(column("DeviceExternalID"), Some(C::DeviceExternalId));
        assert_eq!(column("cs1"), None);
        assert_eq!(column(&"x".repeat(40)), None);
    }
}
