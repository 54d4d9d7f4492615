//! The HTTP receiver's grammar over any bytes: request heads and bodies
//! (by length or chunked) read back to back from a stream in pieces of
//! any size, and HEC and bulk envelopes unwrapped: no panic, no body over
//! its bound, every request makes progress, and unwrapped records are one
//! a line.
#![no_main]

use std::io::BufReader;

use libfuzzer_sys::fuzz_target;
use seclake_decode::http::bodies::{unwrap, Envelope};
use seclake_decode::http::request::{read_body, read_head, ReadError};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let max = 1 + (pick as usize % 128);
    let capacity = 1 + (pick as usize / 8);
    let mut r = BufReader::with_capacity(capacity, rest);
    for _ in 0..=rest.len() {
        let head = match read_head(&mut r) {
            Ok(h) => h,
            Err(ReadError::Closed | ReadError::Status(..) | ReadError::Io(_)) => break,
        };
        match read_body(&mut r, &head, max) {
            Ok(body) => assert!(body.len() <= max, "a body over its bound"),
            Err(_) => break,
        }
    }
    for envelope in [Envelope::Hec, Envelope::Bulk] {
        if let Ok((lines, n)) = unwrap(envelope, rest, 1 << 20) {
            assert_eq!(memchr_count(&lines), n, "not one record a line");
        }
    }
});

fn memchr_count(b: &[u8]) -> usize {
    b.iter().filter(|c| **c == b'\n').count()
}
