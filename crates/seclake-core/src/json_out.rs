//! JSON text primitives shared by every writer of JSON: string literals
//! (escaping only what JSON requires, eight bytes at a time) and
//! timestamps.

use crate::json::syntax::plain_run;
use crate::time::Timestamp;

pub fn write_time(out: &mut Vec<u8>, t: Timestamp) {
    out.push(b'"');
    t.write_rfc3339(out);
    out.push(b'"');
}

/// Writes a JSON string literal, escaping only what JSON requires. Runs of
/// plain bytes are found by [`plain_run`], since almost no log value
/// needs escaping.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    let mut i = plain_run(b);
    if i == b.len() {
        // Nothing to escape, the usual case.
        out.reserve(b.len() + 2);
        out.push(b'"');
        out.extend_from_slice(b);
        out.push(b'"');
        return;
    }
    out.reserve(s.len() + 8);
    out.push(b'"');
    let mut start = 0;
    loop {
        out.extend_from_slice(&b[start..i]);
        write_escape(out, b[i]);
        i += 1;
        start = i;
        i += plain_run(&b[i..]);
        if i >= b.len() {
            break;
        }
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

/// The size of the fixed buffer a timestamp is staged in.
pub const SHORT: usize = 32;

/// Appends the first `n` bytes of `buf` by appending all of it and
/// cutting back, so the copy has a size known when compiling. (Staging
/// every short value this way was measured slower: the branches on its
/// length cost more than the call to `memcpy` they save.)
#[inline]
pub fn extend_prefix(out: &mut Vec<u8>, buf: &[u8; SHORT], n: usize) {
    let len = out.len();
    out.extend_from_slice(buf);
    out.truncate(len + n);
}

fn write_escape(out: &mut Vec<u8>, c: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match c {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        _ => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[(c >> 4) as usize],
            HEX[(c & 15) as usize],
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_serde_json_on_every_byte_position() {
        let specials = ['"', '\\', '\n', '\u{1}', '\u{1f}', 'é', ' ', '~'];
        for len in 0..80 {
            for pos in 0..len {
                for sp in specials {
                    let s: String = (0..len).map(|i| if i == pos { sp } else { 'a' }).collect();
                    let mut out = Vec::new();
                    write_str(&mut out, &s);
                    let back: String = serde_json::from_slice(&out).unwrap();
                    assert_eq!(back, s);
                }
            }
        }
    }

    #[test]
    fn strings_are_escaped() {
        let mut out = Vec::new();
        write_str(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a\\\"b\\\\c\\nd\\u0001é\""
        );
    }

    #[test]
    fn plain_strings_of_every_length_are_quoted() {
        for len in 0..=70 {
            let s: String = (0..len).map(|i| (b'a' + (i % 26) as u8) as char).collect();
            let mut out = b"head".to_vec();
            write_str(&mut out, &s);
            assert_eq!(out, format!("head\"{s}\"").into_bytes());
        }
    }
}
