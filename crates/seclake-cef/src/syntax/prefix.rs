//! What comes before `CEF:` or `LEEF:` when the event was forwarded by
//! syslog: `<PRI>`, then an RFC 5424 header (`1 TIMESTAMP HOST ...`), a
//! BSD one (`Mmm dd hh:mm:ss HOST`), or an RFC 3339 time and a host.
//! Whatever the form, the priority, time and host are read when present;
//! a prefix that is none of these is kept whole, never dropped.

use seclake_core::{ParseContext, ParseError, Timestamp};
use seclake_syslog::header::{bsd_time, priority, token};

/// The syslog header before an event.
#[derive(Debug, Default, PartialEq)]
pub struct Prefix<'a> {
    pub priority: Option<u8>,
    pub time: Option<Timestamp>,
    pub host: Option<&'a str>,
    /// The prefix as sent, when it is not a header read above.
    pub unread: Option<&'a str>,
}

/// Finds `marker` (`CEF:` or `LEEF:`) at the start of `line` or after a
/// space: the text before it and the text after it.
pub fn split<'a>(line: &'a str, marker: &str) -> Option<(&'a str, &'a str)> {
    // Most events start with the marker: no search then.
    if let Some(rest) = line.strip_prefix(marker) {
        return Some(("", rest));
    }
    let finder = memchr::memmem::find_iter(line.as_bytes(), marker.as_bytes());
    for at in finder {
        if at == 0 || line.as_bytes()[at - 1] == b' ' || line.as_bytes()[at - 1] == b'>' {
            return Some((&line[..at], &line[at + marker.len()..]));
        }
    }
    None
}

/// Reads the syslog header in `prefix` (the text before the marker).
pub fn parse<'a>(prefix: &'a str, ctx: &ParseContext) -> Result<Prefix<'a>, ParseError> {
    let mut out = Prefix::default();
    let text = prefix.trim_end();
    if text.is_empty() {
        return Ok(out);
    }
    let mut rest = text;
    if let Some((pri, after)) = priority(text) {
        out.priority = Some(pri);
        rest = after.trim_start();
    }
    if rest.is_empty() {
        return Ok(out);
    }
    // RFC 5424: version 1, then the time (`-` for none) and the host.
    if let Some(after) = rest.strip_prefix("1 ") {
        let (ts, after) = token(after);
        if ts == "-" || Timestamp::parse_rfc3339(ts).is_some() {
            out.time = Timestamp::parse_rfc3339(ts);
            out.host = host(token(after).0);
            return Ok(out);
        }
    }
    if let Some(t) = bsd_time(rest, ctx) {
        let (t, after) = t?;
        out.time = Some(t);
        out.host = host(token(after.trim_start()).0);
        return Ok(out);
    }
    let (first, after) = token(rest);
    if let Some(t) = Timestamp::parse_rfc3339(first) {
        out.time = Some(t);
        out.host = host(token(after).0);
        return Ok(out);
    }
    out.unread = Some(text);
    Ok(out)
}

/// The host token, without the colon some senders end it with.
fn host(s: &str) -> Option<&str> {
    let s = s.strip_suffix(':').unwrap_or(s);
    (!s.is_empty() && s != "-").then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ParseContext {
        ParseContext::at(Timestamp::parse_rfc3339("2024-06-01T00:00:00Z").unwrap())
    }

    fn at(s: &str) -> Option<Timestamp> {
        Timestamp::parse_rfc3339(s)
    }

    #[test]
    fn the_marker_is_found_after_any_header() {
        assert_eq!(split("CEF:0|a", "CEF:"), Some(("", "0|a")));
        assert_eq!(split("<6> CEF:0|a", "CEF:"), Some(("<6> ", "0|a")));
        assert_eq!(split("<6>CEF:0|a", "CEF:"), Some(("<6>", "0|a")));
        assert_eq!(split("xCEF:0|a", "CEF:"), None);
        assert_eq!(split("LEEF:1.0|a", "CEF:"), None);
    }

    #[test]
    fn syslog_headers() {
        let c = ctx();
        let p = parse("Jan 15 10:30:00 sc4s-host-01 ", &c).unwrap();
        assert_eq!(p.time, at("2024-01-15T10:30:00Z"));
        assert_eq!(p.host, Some("sc4s-host-01"));
        let p = parse("<111>1 2024-01-15T10:30:00+00:00 sc4s-host-01 ", &c).unwrap();
        assert_eq!(p.priority, Some(111));
        assert_eq!(p.time, at("2024-01-15T10:30:00Z"));
        assert_eq!(p.host, Some("sc4s-host-01"));
        let p = parse("2016-06-01T09:29:11.356-04:00 host ", &c).unwrap();
        assert_eq!(p.time, at("2016-06-01T13:29:11.356Z"));
        assert_eq!(p.host, Some("host"));
        let p = parse("Jan 15 10:30:00 sc4s-host-01: ", &c).unwrap();
        assert_eq!(p.host, Some("sc4s-host-01"));
        let p = parse("<111> Jan  1 01:01:00 h ", &c).unwrap();
        assert_eq!(p.time, at("2024-01-01T01:01:00Z"));
        assert_eq!(parse("<6> ", &c).unwrap().priority, Some(6));
        assert_eq!(parse("", &c).unwrap(), Prefix::default());
    }

    #[test]
    fn other_prefixes_are_kept() {
        let p = parse("some relay said: ", &ctx()).unwrap();
        assert_eq!(p.unread, Some("some relay said:"));
        assert!(parse("Feb 30 10:00:00 h ", &ctx()).is_err());
    }
}
