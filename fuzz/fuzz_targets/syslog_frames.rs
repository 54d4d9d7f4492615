//! The syslog server's TCP framing (RFC 6587: octet counting or newline,
//! per frame) over any byte stream, read in pieces of any size: no panic,
//! no frame longer than the limit, and every call makes progress.
#![no_main]

use std::io::BufReader;

use libfuzzer_sys::fuzz_target;
use seclake_decode::syslog_frames::frame;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let max = 1 + (pick as usize % 64);
    let capacity = 1 + (pick as usize / 64);
    let mut r = BufReader::with_capacity(capacity, rest);
    let mut frames = 0;
    while let Some(f) = frame(&mut r, max) {
        assert!(f.bytes.len() <= max, "a frame longer than the limit");
        frames += 1;
        assert!(frames <= rest.len() + 1, "no progress");
    }
});
