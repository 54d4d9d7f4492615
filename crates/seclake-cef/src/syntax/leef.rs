//! The LEEF header: `LEEF:Version|Vendor|Product|Version|EventID|` then
//! the attributes. LEEF 1.0 separates attributes with a tab; LEEF 2.0 may
//! name its delimiter in a sixth field (`^`, or hex as `0x5E` / `x5E`; an
//! empty field means a tab). Real senders also use spaces (Imperva), `|`
//! (PAN-OS) or `^` without saying so, so without a declared delimiter it
//! is found in the text: a tab, else `|`, else `^`, else a space only.
//! A space always separates attributes too (see [`super::pairs`]).

use std::borrow::Cow;

use seclake_core::ParseError;

use super::cef::split_field;

#[derive(Debug, PartialEq)]
pub struct Header<'a> {
    pub version: &'a str,
    /// Vendor, product, product version, event id.
    pub fields: [Cow<'a, str>; 4],
    /// The delimiter as the sender declared it (LEEF 2.0), if any.
    pub declared_delimiter: Option<&'a str>,
    /// The attribute delimiter in effect.
    pub delimiter: u8,
    pub attributes: &'a str,
}

/// Parses `text`, which starts right after `LEEF:`.
pub fn header(text: &str) -> Result<Header<'_>, ParseError> {
    let (version, mut rest) = text
        .split_once('|')
        .ok_or_else(|| ParseError::invalid("LEEF header without fields"))?;
    let version = version.trim();
    if version.is_empty() || !version.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return Err(ParseError::field("version", "not a LEEF version", version));
    }
    let mut fields: [Cow<'_, str>; 4] = Default::default();
    for (i, field) in fields.iter_mut().enumerate() {
        match split_field(rest) {
            Some((f, after)) => {
                *field = f;
                rest = after;
            }
            // An event without attributes may end after its event id.
            None if i == 3 => {
                *field = Cow::Borrowed(rest);
                rest = "";
            }
            None => {
                return Err(ParseError::field(
                    "header",
                    "LEEF header has fewer than 5 fields",
                    text,
                ))
            }
        }
    }
    let mut declared_delimiter = None;
    let mut delimiter = None;
    if !version.starts_with('1') {
        if let Some((field, after)) = rest.split_once('|') {
            if let Some(d) = delimiter_field(field) {
                declared_delimiter = Some(field);
                delimiter = Some(d);
                rest = after;
            }
        }
    }
    // A declared delimiter the attributes never use is a sender's mistake
    // (seen: `^` declared, tabs sent): find the one they do use.
    let delimiter = delimiter
        .filter(|d| memchr::memchr(*d, rest.as_bytes()).is_some())
        .unwrap_or_else(|| sniff(rest));
    Ok(Header {
        version,
        fields,
        declared_delimiter,
        delimiter,
        attributes: rest,
    })
}

/// The delimiter a LEEF 2.0 delimiter field names: one character, `0xHH`
/// or `xHH`; empty means a tab. `None` when the field is an attribute.
fn delimiter_field(field: &str) -> Option<u8> {
    if field.contains('=') {
        return None;
    }
    let hex = field
        .strip_prefix("0x")
        .or_else(|| field.strip_prefix("0X"))
        .or_else(|| field.strip_prefix('x'))
        .or_else(|| field.strip_prefix('X'));
    match (field.len(), hex) {
        (0, _) => Some(b'\t'),
        (1, _) => field.bytes().next().filter(|c| c.is_ascii()),
        (_, Some(h)) if (1..=2).contains(&h.len()) => {
            u8::from_str_radix(h, 16).ok().filter(|c| c.is_ascii())
        }
        _ => None,
    }
}

/// The delimiter undeclared attributes use.
fn sniff(attrs: &str) -> u8 {
    [b'\t', b'|', b'^']
        .into_iter()
        .find(|d| memchr::memchr(*d, attrs.as_bytes()).is_some())
        .unwrap_or(b' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leef_1_with_tabs_pipes_or_spaces() {
        let h = header("1.0|Microsoft|MSExchange|4.0 SP1|15345| src=192.0.2.0\tdst=1").unwrap();
        assert_eq!(h.version, "1.0");
        assert_eq!(h.fields[3], "15345");
        assert_eq!(h.delimiter, b'\t');
        assert_eq!(h.declared_delimiter, None);
        let h =
            header("1.0|Palo Alto Networks|PAN-OS|8.1.8|allow|cat=TRAFFIC|src=1.1.1.1").unwrap();
        assert_eq!(h.delimiter, b'|');
        assert_eq!(h.attributes, "cat=TRAFFIC|src=1.1.1.1");
        let h = header("0|Incapsula|SIEMintegration|0|SQL Injection| fileId=1 src=2").unwrap();
        assert_eq!(h.fields[3], "SQL Injection");
        assert_eq!(h.delimiter, b' ');
    }

    #[test]
    fn leef_2_declared_delimiters() {
        for (text, d) in [
            ("2.0|V|P|1|41|^| src=1^dst=2", b'^'),
            ("2.0|V|P|1|41|0x5E|src=1^dst=2", b'^'),
            ("2.0|V|P|1|41|x5E|src=1^dst=2", b'^'),
            ("2.0|V|P|1|41||src=1\tdst=2", b'\t'),
        ] {
            let h = header(text).unwrap();
            assert_eq!(h.delimiter, d, "{text}");
            assert!(h.declared_delimiter.is_some());
            assert!(h.attributes.trim_start().starts_with("src=1"), "{text}");
        }
        // Declared but not used: the one used wins.
        let h = header("2.0|V|P|1|41|^| src=1\tdst=2").unwrap();
        assert_eq!((h.declared_delimiter, h.delimiter), (Some("^"), b'\t'));
        // No delimiter field: attributes right after the event id.
        let h = header("2.0|Lancope|StealthWatch|1.0|41|src=10.0.0.1\tdst=2").unwrap();
        assert_eq!(h.declared_delimiter, None);
        assert_eq!(h.delimiter, b'\t');
        assert_eq!(h.attributes, "src=10.0.0.1\tdst=2");
        // Nothing after the event id.
        let h = header("2.0|V|P|1|41").unwrap();
        assert_eq!(h.fields[3], "41");
        assert_eq!(h.attributes, "");
    }

    #[test]
    fn broken_headers() {
        for bad in ["", "1.0", "v|a|b|c|d|", "1.0|a|b"] {
            assert!(header(bad).is_err(), "{bad:?}");
        }
    }
}
