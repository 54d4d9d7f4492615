//! The CEF header: `CEF:Version|Device Vendor|Device Product|Device
//! Version|Device Event Class ID|Name|Severity|Extension`. Header fields
//! escape `|` and `\` with a backslash. Real senders also write `CEF: 0`,
//! stop after the severity (no final `|`), or leave fields empty.

use std::borrow::Cow;

use seclake_core::ParseError;

/// The seven header fields and the extension text after them.
#[derive(Debug, PartialEq)]
pub struct Header<'a> {
    pub version: &'a str,
    /// Device vendor, product, version, event class id, name, severity.
    pub fields: [Cow<'a, str>; 6],
    pub extension: &'a str,
}

/// Parses `text`, which starts right after `CEF:`.
pub fn header(text: &str) -> Result<Header<'_>, ParseError> {
    let (version, mut rest) = text
        .split_once('|')
        .ok_or_else(|| ParseError::invalid("CEF header without fields"))?;
    let version = version.trim();
    if version.is_empty() || !version.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return Err(ParseError::field("version", "not a CEF version", version));
    }
    let mut fields: [Cow<'_, str>; 6] = Default::default();
    for (i, field) in fields.iter_mut().enumerate() {
        match split_field(rest) {
            Some((f, after)) => {
                *field = f;
                rest = after;
            }
            // The severity may end the line without a final `|`.
            None if i == 5 => {
                *field = unescape_header(rest);
                rest = "";
            }
            None => {
                return Err(ParseError::field(
                    "header",
                    "CEF header has fewer than 7 fields",
                    text,
                ))
            }
        }
    }
    Ok(Header {
        version,
        fields,
        extension: rest,
    })
}

/// The header field at the start of `s` (up to an unescaped `|`), and the
/// text after its `|`.
pub fn split_field(s: &str) -> Option<(Cow<'_, str>, &str)> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'|', &b[from..]) {
        let at = from + i;
        let run = b[..at].iter().rev().take_while(|&&c| c == b'\\').count();
        if run % 2 == 0 {
            return Some((unescape_header(&s[..at]), &s[at + 1..]));
        }
        from = at + 1;
    }
    None
}

/// A header field with `\|` and `\\` undone, trimmed of the quotes some
/// senders put around it.
fn unescape_header(s: &str) -> Cow<'_, str> {
    let s = unquote(s);
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.clone().next() {
                Some(e @ ('|' | '\\')) => {
                    out.push(e);
                    chars.next();
                }
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` without one pair of surrounding double quotes.
pub fn unquote(s: &str) -> &str {
    match s.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
        Some(inner) => inner,
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(h: &Header) -> Vec<String> {
        h.fields.iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn seven_fields_then_the_extension() {
        let h =
            header("0|Incapsula|SIEMintegration|1|1|Illegal Resource Access|3| fileid=1").unwrap();
        assert_eq!(h.version, "0");
        assert_eq!(
            fields(&h),
            [
                "Incapsula",
                "SIEMintegration",
                "1",
                "1",
                "Illegal Resource Access",
                "3"
            ]
        );
        assert_eq!(h.extension, " fileid=1");
    }

    #[test]
    fn escapes_quotes_spaces_and_short_headers() {
        let h =
            header(" 0|security|tm|1.0|100|Detected a \\| in message \\\\ ok|10|src=1").unwrap();
        assert_eq!(h.version, "0");
        assert_eq!(h.fields[4], "Detected a | in message \\ ok");
        let h = header("1|\"Security\"|tm|1.0|100|\"worm stopped\"|10|").unwrap();
        assert_eq!(h.fields[0], "Security");
        assert_eq!(h.fields[4], "worm stopped");
        assert_eq!(h.extension, "");
        // No final `|` after the severity; empty fields.
        let h = header("0|Check Point|VPN-1 & FireWall-1|Check Point|Log|https|").unwrap();
        assert_eq!(h.fields[5], "");
        let h = header("1|Security|tm||100|worm||src= dst=2.1.2.2").unwrap();
        assert_eq!(h.fields[2], "");
        assert_eq!(h.fields[5], "");
        assert_eq!(h.extension, "src= dst=2.1.2.2");
    }

    #[test]
    fn broken_headers() {
        for bad in ["", "0", "x|a|b|c|d|e|f|", "0|a|b|c"] {
            assert!(header(bad).is_err(), "{bad:?}");
        }
    }
}
