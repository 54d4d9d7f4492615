//! The prefix every WebApp Secure line starts with, `MMM D HH:MM:SS HOST `
//! (BSD syslog's, without a priority): the time, read with the source's
//! year and zone, and the appliance's host name.

use seclake_core::{ParseContext, ParseError, Row, Timestamp};
use seclake_syslog::header::{bsd_time, token};

/// The time and host at the start of `line`, and the text after them;
/// `None` when the line does not start with a BSD time.
pub fn parse<'a>(
    line: &'a str,
    ctx: &ParseContext,
) -> Option<Result<(Timestamp, &'a str, &'a str), ParseError>> {
    Some(bsd_time(line, ctx)?.and_then(|(t, rest)| {
        let (host, rest) = token(rest.strip_prefix(' ').unwrap_or(rest));
        if host.is_empty() {
            return Err(ParseError::invalid("no host name after the time"));
        }
        Ok((t, host, rest))
    }))
}

/// Sets the two prefix columns every WebApp Secure type declares first
/// (`timestamp`, `hostname`; a test checks).
pub fn set<'a>(row: &mut Row<'a>, t: Timestamp, host: &'a str) {
    row.set(0usize, t);
    row.set(1usize, host);
}

/// `[text]` at the start of `s`: the text and what follows. The WebApp
/// Secure lines bracket their level, service and component.
pub fn bracketed(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_prefix('[')?;
    let end = inner.find(']')?;
    Some((&inner[..end], &inner[end + 1..]))
}

/// The `[LEVEL][service][SUBJECT]` tags after the prefix of a line that
/// holds `service` (such as `[mws-access]`): the level (none when the first
/// tag is a service), the tag right after the service (a thread, a
/// service name), and the text after them.
pub fn tags<'a>(
    rest: &'a str,
    service: &str,
) -> Option<(Option<&'a str>, Option<&'a str>, &'a str)> {
    let level = bracketed(rest.trim_start())
        .map(|(l, _)| l)
        .filter(|l| !l.starts_with("mws-"));
    let at = rest.find(service)?;
    let after = &rest[at + service.len()..];
    Some(match bracketed(after) {
        Some((subject, after)) => (level, Some(subject), after),
        None => (level, None, after),
    })
}
