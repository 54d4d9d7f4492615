//! Syslog over a stream (TCP, TLS): RFC 6587 frames, octet-counted
//! (`123 <PRI>...`) or ended by a newline, told apart frame by frame.

use std::io::{BufRead, Read};

/// One message of the stream.
#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    pub bytes: Vec<u8>,
    /// Longer than the limit: cut to it (the rest was skipped).
    pub truncated: bool,
}

/// The next frame of a TCP stream: octet counting when it starts with
/// digits and a space, else up to a newline. `None` at the end. The
/// digits are read a byte at a time, so a count split across reads is
/// still a count.
pub fn frame(r: &mut impl BufRead, max: usize) -> Option<Frame> {
    let mut bytes = Vec::new();
    let truncated = frame_into(r, max, &mut bytes)?;
    Some(Frame { bytes, truncated })
}

/// [`frame`], appending the message to `out` (a receiver's block of
/// messages) instead of a fresh buffer; whether it was truncated. At the
/// end, `out` is as it was.
pub fn frame_into(r: &mut impl BufRead, max: usize, out: &mut Vec<u8>) -> Option<bool> {
    let start = out.len();
    let result = frame_at(r, max, out, start);
    if result.is_none() {
        out.truncate(start);
    } else {
        while out.len() > start && matches!(out.last(), Some(b'\n' | b'\r')) {
            out.pop();
        }
    }
    result
}

fn frame_at(r: &mut impl BufRead, max: usize, out: &mut Vec<u8>, start: usize) -> Option<bool> {
    loop {
        let next = *r.fill_buf().ok()?.first()?;
        let digits = out.len() - start;
        if next.is_ascii_digit() && digits < 9 {
            out.push(next);
            r.consume(1);
            continue;
        }
        if next == b' ' && digits > 0 {
            r.consume(1);
            let len: usize = std::str::from_utf8(&out[start..]).ok()?.parse().ok()?;
            out.truncate(start);
            let keep = len.min(max);
            if r.by_ref().take(keep as u64).read_to_end(out).ok()? < keep {
                // The stream ended inside the frame: what came is kept.
                return Some(false);
            }
            if len > max {
                std::io::copy(
                    &mut r.by_ref().take((len - max) as u64),
                    &mut std::io::sink(),
                )
                .ok()?;
            }
            return Some(len > max);
        }
        break;
    }
    // Newline framing; the digits read so far start the message.
    let room = (max + 1).saturating_sub(out.len() - start);
    read_line(r, room, out)?;
    let truncated = out.len() - start > max && out.last() != Some(&b'\n');
    if truncated {
        out.truncate(start + max);
        // The rest of the over-long line is skipped.
        skip_line(r)?;
    }
    Some(truncated)
}

/// Appends up to and including the next newline, at most `room` bytes.
fn read_line(r: &mut impl BufRead, mut room: usize, out: &mut Vec<u8>) -> Option<()> {
    while room > 0 {
        let buf = r.fill_buf().ok()?;
        if buf.is_empty() {
            return Some(());
        }
        let window = &buf[..buf.len().min(room)];
        if let Some(i) = memchr::memchr(b'\n', window) {
            out.extend_from_slice(&window[..=i]);
            r.consume(i + 1);
            return Some(());
        }
        let n = window.len();
        out.extend_from_slice(window);
        r.consume(n);
        room -= n;
    }
    Some(())
}

/// Skips to after the next newline without keeping the bytes.
fn skip_line(r: &mut impl BufRead) -> Option<()> {
    loop {
        let buf = r.fill_buf().ok()?;
        if buf.is_empty() {
            return Some(());
        }
        match memchr::memchr(b'\n', buf) {
            Some(i) => {
                r.consume(i + 1);
                return Some(());
            }
            None => {
                let n = buf.len();
                r.consume(n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn all(data: &[u8], max: usize, capacity: usize) -> Vec<(String, bool)> {
        let mut r = BufReader::with_capacity(capacity, data);
        let mut got = Vec::new();
        while let Some(f) = frame(&mut r, max) {
            // An empty frame (a newline after a counted one) is skipped.
            if !f.bytes.is_empty() {
                got.push((String::from_utf8(f.bytes).unwrap(), f.truncated));
            }
        }
        got
    }

    #[test]
    fn octet_counted_and_newline_frames_mix() {
        let data = b"11 <13>1 - x y\n<13>Jan  1 00:00:00 h t: plain\n5 hello20 <13>1 -\n";
        let got: Vec<String> = all(data, 1024, 8192).into_iter().map(|(s, _)| s).collect();
        assert_eq!(
            got,
            [
                "<13>1 - x y",
                "<13>Jan  1 00:00:00 h t: plain",
                "hello",
                "<13>1 -"
            ]
        );
    }

    #[test]
    fn a_count_split_across_reads_is_still_a_count() {
        let got = all(b"12 <13>1 - x yz123\n", 1024, 1);
        assert_eq!(
            got,
            [
                ("<13>1 - x yz".to_string(), false),
                ("123".to_string(), false)
            ]
        );
    }

    #[test]
    fn long_frames_are_truncated() {
        let long = format!("{}\nnext\n", "a".repeat(100));
        assert_eq!(
            all(long.as_bytes(), 10, 8192),
            [("a".repeat(10), true), ("next".to_string(), false)]
        );
        let counted = format!("100 {}", "b".repeat(100));
        assert_eq!(all(counted.as_bytes(), 10, 8192), [("b".repeat(10), true)]);
    }

    #[test]
    fn frames_are_appended_to_a_block_and_the_end_leaves_it_as_it_was() {
        let mut r = BufReader::with_capacity(4, &b"5 a\nb\r\nplain\r\n"[..]);
        let mut block = b"10.0.0.1 ".to_vec();
        assert_eq!(frame_into(&mut r, 100, &mut block), Some(false));
        assert_eq!(block, b"10.0.0.1 a\nb");
        block.extend_from_slice(b"|");
        assert_eq!(frame_into(&mut r, 3, &mut block), Some(true));
        assert_eq!(block, b"10.0.0.1 a\nb|pla");
        assert_eq!(frame_into(&mut r, 100, &mut block), None);
        assert_eq!(block, b"10.0.0.1 a\nb|pla");
    }
}
