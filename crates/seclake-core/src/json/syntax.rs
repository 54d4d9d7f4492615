//! Strict JSON syntax over bytes: where a value ends, or why the text is
//! not JSON. The record decoder checks every byte of a record with it, so a
//! record is accepted exactly when it is JSON, and the builders that later
//! walk a nested member leniently never see malformed text.

/// Why text is not JSON, and the byte offset where that became clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntaxError {
    pub at: usize,
    pub what: &'static str,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.what, self.at)
    }
}

/// Deeper nesting is refused rather than followed (hostile input).
pub const MAX_DEPTH: usize = 128;

fn err<T>(at: usize, what: &'static str) -> Result<T, SyntaxError> {
    Err(SyntaxError { at, what })
}

/// The first byte at or after `i` that is not JSON white space.
#[inline]
pub fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The length of the run at the start of `b` that a JSON string holds as
/// it is: up to the first `"`, `\\` or control character (below 0x20), or
/// all of `b`. Reading and writing string literals both turn on it.
///
/// Log strings are mostly a few bytes long, where a search routine costs
/// more to set up than to run: blocks of 32 bytes are checked in a form
/// the compiler turns into vector instructions (no exit inside a block),
/// then 8 bytes at a time as one word (SWAR), then byte by byte.
#[inline]
pub fn plain_run(b: &[u8]) -> usize {
    let mut i = 0;
    while i + 32 <= b.len() {
        if b[i..i + 32].iter().fold(false, |hit, &c| hit | special(c)) {
            break;
        }
        i += 32;
    }
    while i + 8 <= b.len()
        && !special_word(u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes")))
    {
        i += 8;
    }
    while i < b.len() && !special(b[i]) {
        i += 1;
    }
    i
}

/// `"`, `\\` or a control character, without branches.
#[inline]
fn special(c: u8) -> bool {
    (c < 0x20) | (c == b'"') | (c == b'\\')
}

/// Whether any byte of `w` is [`special`]. Exact about whether there is
/// one; which one is left to the byte loop.
#[inline]
fn special_word(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    (below_space | has_zero(w ^ (ONES * b'"' as u64)) | has_zero(w ^ (ONES * b'\\' as u64))) != 0
}

/// The string literal that opens at `b[i] == b'"'`: the offset just past
/// its closing quote, and whether it holds escapes.
#[inline]
pub fn string_end(b: &[u8], i: usize) -> Result<(usize, bool), SyntaxError> {
    let mut j = i + 1;
    let mut escaped = false;
    loop {
        j += plain_run(&b[j.min(b.len())..]);
        match b.get(j) {
            None => return err(b.len(), "unterminated string"),
            Some(b'"') => return Ok((j + 1, escaped)),
            Some(b'\\') => {}
            Some(_) => return err(j, "control character in string"),
        }
        escaped = true;
        match b.get(j + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => j += 2,
            Some(b'u')
                if b.get(j + 2..j + 6)
                    .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) =>
            {
                j += 6
            }
            Some(_) => return err(j, "invalid escape in string"),
            None => return err(b.len(), "unterminated string"),
        }
    }
}

/// The offset just past the number that starts at `i`
/// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
fn number_end(b: &[u8], i: usize) -> Result<usize, SyntaxError> {
    let digits = |mut j: usize| {
        let start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        (j, j - start)
    };
    let mut j = i;
    if b.get(j) == Some(&b'-') {
        j += 1;
    }
    let (end, n) = digits(j);
    if n == 0 || (n > 1 && b[j] == b'0') {
        return err(j, "invalid number");
    }
    j = end;
    if b.get(j) == Some(&b'.') {
        let (end, n) = digits(j + 1);
        if n == 0 {
            return err(j, "invalid number");
        }
        j = end;
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        j += 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let (end, n) = digits(j);
        if n == 0 {
            return err(j, "invalid number");
        }
        j = end;
    }
    Ok(j)
}

/// The offset just past the JSON value that starts at or after `i`
/// (leading white space is skipped).
pub fn value_end(b: &[u8], i: usize) -> Result<usize, SyntaxError> {
    value_at(b, skip_ws(b, i), 0)
}

fn value_at(b: &[u8], i: usize, depth: usize) -> Result<usize, SyntaxError> {
    match b.get(i) {
        None => err(i, "unexpected end of input"),
        Some(b'"') => string_end(b, i).map(|(end, _)| end),
        Some(&open @ (b'{' | b'[')) => {
            if depth >= MAX_DEPTH {
                return err(i, "nested too deeply");
            }
            let (close, is_object) = if open == b'{' {
                (b'}', true)
            } else {
                (b']', false)
            };
            let mut j = skip_ws(b, i + 1);
            if b.get(j) == Some(&close) {
                return Ok(j + 1);
            }
            loop {
                if is_object {
                    if b.get(j) != Some(&b'"') {
                        return err(j, "expected a member name");
                    }
                    j = skip_ws(b, string_end(b, j)?.0);
                    if b.get(j) != Some(&b':') {
                        return err(j, "expected ':'");
                    }
                    j = skip_ws(b, j + 1);
                }
                j = skip_ws(b, value_at(b, j, depth + 1)?);
                match b.get(j) {
                    Some(b',') => j = skip_ws(b, j + 1),
                    Some(&c) if c == close => return Ok(j + 1),
                    _ if is_object => return err(j, "expected ',' or '}'"),
                    _ => return err(j, "expected ',' or ']'"),
                }
            }
        }
        Some(b't') => literal(b, i, b"true"),
        Some(b'f') => literal(b, i, b"false"),
        Some(b'n') => literal(b, i, b"null"),
        Some(b'-' | b'0'..=b'9') => number_end(b, i),
        Some(_) => err(i, "unexpected character"),
    }
}

fn literal(b: &[u8], i: usize, word: &[u8]) -> Result<usize, SyntaxError> {
    if b[i..].starts_with(word) {
        Ok(i + word.len())
    } else {
        err(i, "invalid literal")
    }
}

/// Undoes the escapes of a string literal's contents (without quotes) that
/// [`string_end`] accepted. A lone surrogate becomes U+FFFD rather than
/// failing the record.
pub fn unescape(inner: &str) -> String {
    let b = inner.as_bytes();
    let mut out = String::with_capacity(inner.len());
    let mut i = 0;
    while i < b.len() {
        let Some(k) = memchr::memchr(b'\\', &b[i..]) else {
            out.push_str(&inner[i..]);
            break;
        };
        out.push_str(&inner[i..i + k]);
        i += k;
        let c = b.get(i + 1).copied().unwrap_or(b'\\');
        i += 2;
        match c {
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'u' => {
                let unit = |at: usize| {
                    inner
                        .get(at..at + 4)
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                };
                let Some(hi) = unit(i) else {
                    out.push('\u{fffd}');
                    continue;
                };
                i += 4;
                let code = if (0xD800..0xDC00).contains(&hi)
                    && inner[i..].starts_with("\\u")
                    && unit(i + 2).is_some_and(|lo| (0xDC00..0xE000).contains(&lo))
                {
                    let lo = unit(i + 2).unwrap_or(0xDC00);
                    i += 6;
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            other if other.is_ascii() => out.push(other as char),
            // Not valid JSON (never after `string_end`): keep the character.
            _ => i -= 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The run ends at the first quote, backslash or control byte, found
    /// in every block size (32, 8, 1) and at every position.
    #[test]
    fn plain_run_stops_at_the_first_special_byte() {
        let bytes = [b'"', b'\\', 0x00, 0x1f, b' ', 0x7f, 0xc3, 0xff, b'a'];
        for len in 0..100 {
            for at in 0..len {
                for &c in &bytes {
                    let mut b = vec![b'x'; len];
                    b[at] = c;
                    let expected = b
                        .iter()
                        .position(|&c| c < 0x20 || c == b'"' || c == b'\\')
                        .unwrap_or(len);
                    assert_eq!(plain_run(&b), expected, "{len} {at} {c}");
                }
            }
        }
    }

    fn check(s: &str) -> Result<usize, SyntaxError> {
        value_end(s.as_bytes(), 0)
    }

    #[test]
    fn accepts_json() {
        for ok in [
            r#"{"a":[1,-2.5e+3,true,false,null,"x\"y\u00e9"],"b":{}}"#,
            "[]",
            " [ 1 , 2 ] ",
            "0",
            "-0.0E1",
            r#""\/\b\f\n\r\t""#,
        ] {
            let end = check(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(ok[end..].trim(), "", "{ok}");
        }
    }

    #[test]
    fn rejects_what_is_not_json() {
        for (bad, what) in [
            (r#"{"a":tru}"#, "invalid literal"),
            (r#"{"a" 1}"#, "expected ':'"),
            (r#"{"a":1,}"#, "expected a member name"),
            ("[1 2]", "expected ',' or ']'"),
            ("[1,2}", "expected ',' or ']'"),
            ("01", "invalid number"),
            ("1.", "invalid number"),
            ("-", "invalid number"),
            (r#""a\x""#, "invalid escape in string"),
            (r#""a\u12""#, "invalid escape in string"),
            ("\"a\tb\"", "control character in string"),
            (r#"{"a":"b"#, "unterminated string"),
            (r#"{"a":["#, "unexpected end of input"),
            ("'a'", "unexpected character"),
        ] {
            assert_eq!(check(bad).unwrap_err().what, what, "{bad}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_followed() {
        let deep = "[".repeat(100_000);
        assert_eq!(check(&deep).unwrap_err().what, "nested too deeply");
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(check(&ok).is_ok());
    }

    #[test]
    fn unescapes() {
        assert_eq!(
            unescape(r#"a\"b\\c\/\n\u00e9\ud83d\ude00"#),
            "a\"b\\c/\né😀"
        );
        assert_eq!(unescape(r"lone \ud800 x"), "lone \u{fffd} x");
    }
}
