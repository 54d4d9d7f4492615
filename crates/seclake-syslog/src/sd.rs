//! RFC 5424 structured data: `[id name="value" ...][id2 ...]` or `-`.
//! Values undo the three escapes the RFC defines (`\"`, `\\`, `\]`); any
//! other backslash is kept as written.

use std::borrow::Cow;

use seclake_core::ParseError;

/// One SD-ELEMENT: its id and parameters, in message order.
#[derive(Debug, PartialEq)]
pub struct Element<'a> {
    pub id: &'a str,
    pub params: Vec<(&'a str, Cow<'a, str>)>,
}

/// Parses the structured data at the start of `s`: the elements (none for
/// `-`) and the text after them.
pub fn parse(s: &str) -> Result<(Vec<Element<'_>>, &str), ParseError> {
    let mut out: Vec<Element<'_>> = Vec::new();
    let rest = for_each(s, |id, name, value| {
        match out.last_mut() {
            Some(e) if std::ptr::eq(e.id, id) => {}
            _ => out.push(Element {
                id,
                params: Vec::new(),
            }),
        }
        if let (Some(e), Some(name)) = (out.last_mut(), name) {
            e.params.push((name, value));
        }
    })?;
    Ok((out, rest))
}

/// Calls `f` with each parameter of the structured data at the start of
/// `s` as (SD-ID, name, value), in message order, and with `None` for the
/// name of an element without parameters; returns the text after the
/// structured data. No element list is built (the hot path).
pub fn for_each<'a>(
    s: &'a str,
    mut f: impl FnMut(&'a str, Option<&'a str>, Cow<'a, str>),
) -> Result<&'a str, ParseError> {
    if let Some(rest) = s.strip_prefix('-') {
        return Ok(rest);
    }
    let mut rest = s;
    if !rest.starts_with('[') {
        return Err(ParseError::invalid("structured data: expected - or [").with_detail(preview(s)));
    }
    while let Some(body) = rest.strip_prefix('[') {
        let id_end = body
            .find([' ', ']'])
            .ok_or_else(|| ParseError::invalid("structured data: unterminated element"))?;
        let id = &body[..id_end];
        if id.is_empty() {
            return Err(ParseError::invalid("structured data: empty SD-ID"));
        }
        let mut r = &body[id_end..];
        let mut any = false;
        loop {
            r = r.trim_start_matches(' ');
            if let Some(after) = r.strip_prefix(']') {
                r = after;
                break;
            }
            // Names are short: the memchr crate's search costs less there
            // than `str::find`'s.
            let eq = memchr::memchr(b'=', r.as_bytes()).ok_or_else(|| {
                ParseError::invalid("structured data: parameter without =").with_detail(preview(r))
            })?;
            let name = &r[..eq];
            let after_eq = &r[eq + 1..];
            let (v, after) = if let Some(value) = after_eq.strip_prefix('"') {
                quoted_value(value)?
            } else if let Some(value) = after_eq.strip_prefix(['\u{201c}', '\u{201d}']) {
                // Typographic quotes, as some Junos releases write them.
                let end = value
                    .find('\u{201d}')
                    .ok_or_else(|| ParseError::invalid("structured data: unterminated value"))?;
                let close = end + '\u{201d}'.len_utf8();
                (Cow::Borrowed(&value[..end]), &value[close..])
            } else {
                return Err(
                    ParseError::invalid("structured data: unquoted value").with_detail(preview(r))
                );
            };
            f(id, Some(name), v);
            any = true;
            r = after;
        }
        if !any {
            f(id, None, Cow::Borrowed(""));
        }
        rest = r;
    }
    Ok(rest)
}

/// A value after its opening quote: the value and the text after the
/// closing quote.
fn quoted_value(s: &str) -> Result<(Cow<'_, str>, &str), ParseError> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut escaped = false;
    loop {
        match memchr::memchr2(b'"', b'\\', &b[i..]) {
            None => return Err(ParseError::invalid("structured data: unterminated value")),
            Some(k) if b[i + k] == b'\\' => {
                escaped = true;
                i += k + 2;
                if i > b.len() {
                    return Err(ParseError::invalid("structured data: unterminated value"));
                }
            }
            Some(k) => {
                let raw = &s[..i + k];
                let v = if escaped {
                    Cow::Owned(unescape(raw))
                } else {
                    Cow::Borrowed(raw)
                };
                return Ok((v, &s[i + k + 1..]));
            }
        }
    }
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some(n @ ('"' | '\\' | ']'))) => {
                out.push(n);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

fn preview(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_params_and_escapes() {
        let (els, rest) =
            parse(r#"[exampleSDID@32473 iut="3" eventSource="App \"x\" \] \\ \n"][examplePriority@32473 class="high"] msg"#)
                .unwrap();
        assert_eq!(rest, " msg");
        assert_eq!(els.len(), 2);
        assert_eq!(els[0].id, "exampleSDID@32473");
        assert_eq!(els[0].params[0], ("iut", Cow::Borrowed("3")));
        assert_eq!(els[0].params[1].1, r#"App "x" ] \ \n"#);
        assert_eq!(els[1].params, vec![("class", Cow::Borrowed("high"))]);
        assert_eq!(parse("- msg").unwrap(), (vec![], " msg"));
        assert_eq!(parse("[id]").unwrap().0[0].params, vec![]);
        let (els, _) = parse("[junos a=\u{201d}st0.0\u{201d} b=\"x\"]").unwrap();
        assert_eq!(
            els[0].params,
            vec![("a", Cow::Borrowed("st0.0")), ("b", Cow::Borrowed("x"))]
        );
    }

    #[test]
    fn malformed_structured_data_is_an_error() {
        for bad in [
            "[id a=1]",
            "[id a=\"1]",
            "[id a]",
            "x",
            "[",
            "[]",
            "[id a=\"\\",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
