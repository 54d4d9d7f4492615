//! Imperva's W3C format: a `#Fields:` directive names the columns of the
//! lines that follow (the order is taken from it, never assumed); values
//! are separated by spaces, quoted when they hold spaces (`\"` inside),
//! `-` when empty.

/// The field names of a `#Fields:` directive (the text after the colon).
pub fn field_names(directive: &str) -> impl Iterator<Item = &str> {
    directive.split_ascii_whitespace()
}

/// Calls `f` with each value of a data line, quotes removed and `\"`
/// undone (`Cow::Owned` only then). Returns `false` when a quote is not
/// closed.
pub fn for_each_value<'a>(line: &'a str, mut f: impl FnMut(std::borrow::Cow<'a, str>)) -> bool {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        if b[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            let mut escaped = false;
            loop {
                match b.get(j) {
                    None => return false,
                    Some(b'\\') if b.get(j + 1) == Some(&b'"') => {
                        escaped = true;
                        j += 2;
                    }
                    Some(b'"') => break,
                    Some(_) => j += 1,
                }
            }
            let raw = &line[start..j];
            f(if escaped {
                std::borrow::Cow::Owned(raw.replace("\\\"", "\""))
            } else {
                std::borrow::Cow::Borrowed(raw)
            });
            i = j + 1;
        } else {
            let end = memchr_space(&b[i..]).map_or(b.len(), |n| i + n);
            f(std::borrow::Cow::Borrowed(&line[i..end]));
            i = end;
        }
    }
    true
}

fn memchr_space(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(line: &str) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for_each_value(line, |v| out.push(v.into_owned())).then_some(out)
    }

    #[test]
    fn quoted_bare_and_empty_values() {
        assert_eq!(
            values(r#""123" 1.2.3.4 "Mozilla/5.0 (X11; Linux)" - "say \"hi\"" """#).unwrap(),
            [
                "123",
                "1.2.3.4",
                "Mozilla/5.0 (X11; Linux)",
                "-",
                "say \"hi\"",
                ""
            ]
        );
        assert_eq!(values("  a  b ").unwrap(), ["a", "b"]);
        assert_eq!(values(r#"a "unclosed"#), None);
        assert_eq!(
            field_names(" cs-sessionid c-ip cs(User-Agent)").collect::<Vec<_>>(),
            ["cs-sessionid", "c-ip", "cs(User-Agent)"]
        );
    }
}
