//! The `key=value` pairs of a CEF extension or a LEEF attribute list.
//!
//! Values are not quoted and may hold spaces, so a pair ends only where
//! the next one begins: a key (letters, digits, `_ . , [ ] -`) right after
//! a space (or the LEEF delimiter), followed by an unescaped `=`. An `=`
//! anywhere else (`msg=status=ok`, `request=https://a/?id=1`, a `\=`
//! escape) belongs to the value. Trailing spaces and delimiters are not
//! part of a value. The scan touches each byte once: it jumps from `=` to
//! `=` and looks back over the key only.

use std::borrow::Cow;

/// Calls `f(key, raw_value)` for every pair of `text`, in order, with the
/// value's escapes still in (see [`unescape`]). `delim` is the character
/// between pairs besides a space (LEEF's tab, `^`, `|`; a space for CEF).
/// Text before the first key (none in well-formed input) is given with an
/// empty key, so nothing is dropped.
pub fn for_each<'a>(text: &'a str, delim: u8, mut f: impl FnMut(&'a str, &'a str)) {
    let b = text.as_bytes();
    let mut key: Option<&'a str> = None;
    let mut value_start = 0;
    for eq in memchr::memchr_iter(b'=', b) {
        if eq > 0 && b[eq - 1] == b'\\' && is_escaped(b, eq) {
            continue;
        }
        let mut k = eq;
        while k > value_start && is_key_byte(b[k - 1]) {
            k -= 1;
        }
        if k == eq || !(k == 0 || b[k - 1] == b' ' || b[k - 1] == delim) {
            continue;
        }
        // Before the first key, only separators may come.
        if key.is_none() && k > 0 && !trim_end(&text[..k], delim).is_empty() {
            f("", trim_end(&text[..k], delim));
        }
        if let Some(prev) = key {
            f(prev, trim_end(&text[value_start..k], delim));
        }
        key = Some(&text[k..eq]);
        value_start = eq + 1;
    }
    match key {
        Some(prev) => f(prev, trim_end(&text[value_start..], delim)),
        None => {
            let rest = trim_end(text.trim_start_matches([' ', delim as char]), delim);
            if !rest.is_empty() {
                f("", rest);
            }
        }
    }
}

/// Whether the byte at `i` follows an odd number of backslashes.
fn is_escaped(b: &[u8], i: usize) -> bool {
    let run = b[..i].iter().rev().take_while(|&&c| c == b'\\').count();
    run % 2 == 1
}

#[inline]
fn is_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b',' | b'[' | b']' | b'-')
}

/// `s` without trailing spaces, line ends and delimiters (all ASCII, so
/// cutting at a byte boundary keeps UTF-8 whole).
#[inline]
fn trim_end(s: &str, delim: u8) -> &str {
    let b = s.as_bytes();
    let mut end = b.len();
    while end > 0 && (matches!(b[end - 1], b' ' | b'\r' | b'\n') || b[end - 1] == delim) {
        end -= 1;
    }
    &s[..end]
}

/// A value with CEF's escapes undone: `\=`, `\\`, `\|`, `\n` and `\r`. A
/// backslash before anything else is kept (real lines have lone ones:
/// `detected a \ in packet`). Borrowed when there is nothing to undo.
pub fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.clone().next() {
            Some(e @ ('=' | '\\' | '|')) => {
                out.push(e);
                chars.next();
            }
            Some('n') => {
                out.push('\n');
                chars.next();
            }
            Some('r') => {
                out.push('\r');
                chars.next();
            }
            _ => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str, delim: u8) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for_each(text, delim, |k, v| {
            out.push((k.to_string(), unescape(v).into_owned()))
        });
        out
    }

    fn p(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn values_hold_spaces_and_end_at_the_next_key() {
        assert_eq!(
            pairs(
                " src=10.0.0.1 msg=Detected a threat. No action needed   spt=1232 ",
                b' '
            ),
            p(&[
                ("src", "10.0.0.1"),
                ("msg", "Detected a threat. No action needed"),
                ("spt", "1232")
            ])
        );
    }

    #[test]
    fn equals_signs_inside_values() {
        assert_eq!(
            pairs(
                "msg=status=ok reason=none request=https://foo.com?id=foo&a=bar qstr=p\\=%2f act=x =0.0.0.0",
                b' '
            ),
            p(&[
                ("msg", "status=ok"),
                ("reason", "none"),
                ("request", "https://foo.com?id=foo&a=bar"),
                ("qstr", "p=%2f"),
                ("act", "x =0.0.0.0"),
            ])
        );
    }

    #[test]
    fn empty_values_odd_keys_and_escapes() {
        assert_eq!(
            pairs(
                "cs9= cs9Label=Rule name ad.Error_,Code=3 ad.field[0]=f0 path=\\\\home\\\\ msg=a\\nb\\rc d \\ e",
                b' '
            ),
            p(&[
                ("cs9", ""),
                ("cs9Label", "Rule name"),
                ("ad.Error_,Code", "3"),
                ("ad.field[0]", "f0"),
                ("path", "\\home\\"),
                ("msg", "a\nb\rc d \\ e"),
            ])
        );
        // JSON values and trailing commas stay as sent.
        assert_eq!(
            pairs(
                "additionalReqHeaders=[{\"Accept\":\"*/*\"}] fileType=30037,1001,",
                b' '
            ),
            p(&[
                ("additionalReqHeaders", "[{\"Accept\":\"*/*\"}]"),
                ("fileType", "30037,1001,")
            ])
        );
    }

    #[test]
    fn leef_delimiters() {
        assert_eq!(
            pairs("src=192.0.2.0\tdst=172.50.123.1\tusrName=joe black", b'\t'),
            p(&[
                ("src", "192.0.2.0"),
                ("dst", "172.50.123.1"),
                ("usrName", "joe black")
            ])
        );
        assert_eq!(
            pairs("cat=TRAFFIC|usrName=|RuleName=test|", b'|'),
            p(&[("cat", "TRAFFIC"), ("usrName", ""), ("RuleName", "test")])
        );
        assert_eq!(
            pairs("src=1^dst=2^sev=5 cn1=3\tx=y", b'^'),
            p(&[("src", "1"), ("dst", "2"), ("sev", "5"), ("cn1", "3\tx=y")])
        );
    }

    #[test]
    fn text_without_pairs_is_kept_under_an_empty_key() {
        assert_eq!(pairs("", b' '), p(&[]));
        assert_eq!(pairs("   ", b' '), p(&[]));
        assert_eq!(pairs("just text", b' '), p(&[("", "just text")]));
        assert_eq!(
            pairs("junk here a=1", b' '),
            p(&[("", "junk here"), ("a", "1")])
        );
        assert_eq!(
            pairs("TestField={'x': 'blabla\u{ea}bla'}", b' '),
            p(&[("TestField", "{'x': 'blabla\u{ea}bla'}")])
        );
    }
}
