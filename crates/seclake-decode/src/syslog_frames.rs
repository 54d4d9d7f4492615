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
    let mut msg = Vec::new();
    loop {
        let next = *r.fill_buf().ok()?.first()?;
        if next.is_ascii_digit() && msg.len() < 9 {
            msg.push(next);
            r.consume(1);
            continue;
        }
        if next == b' ' && !msg.is_empty() {
            r.consume(1);
            let len: usize = std::str::from_utf8(&msg).ok()?.parse().ok()?;
            let mut body = Vec::with_capacity(len.min(max));
            r.by_ref()
                .take(len.min(max) as u64)
                .read_to_end(&mut body)
                .ok()?;
            if len > max {
                std::io::copy(
                    &mut r.by_ref().take((len - max) as u64),
                    &mut std::io::sink(),
                )
                .ok()?;
            }
            return Some(Frame {
                bytes: trim(body),
                truncated: len > max,
            });
        }
        break;
    }
    // Newline framing; the digits read so far start the message.
    r.by_ref()
        .take((max + 1).saturating_sub(msg.len()) as u64)
        .read_until(b'\n', &mut msg)
        .ok()?;
    let truncated = msg.len() > max && msg.last() != Some(&b'\n');
    if truncated {
        msg.truncate(max);
        // The rest of the over-long line is skipped.
        let mut rest = Vec::new();
        r.read_until(b'\n', &mut rest).ok()?;
    }
    Some(Frame {
        bytes: trim(msg),
        truncated,
    })
}

fn trim(mut msg: Vec<u8>) -> Vec<u8> {
    while msg.last().is_some_and(|c| *c == b'\n' || *c == b'\r') {
        msg.pop();
    }
    msg
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
}
