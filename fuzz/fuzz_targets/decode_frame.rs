//! Decompression and framing: any bytes give records or framing errors,
//! within the limits, never a panic or an unbounded allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seclake_decode::{framing::Framer, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_record_bytes: 4096,
        max_decompressed_bytes: 1 << 22,
        ..Limits::default()
    };
    let Ok((_, decoded)) = seclake_decode::open(data, limits) else {
        return;
    };
    let Ok(mut framer) = Framer::new(decoded, limits) else {
        return;
    };
    let mut last = 0;
    while let Some(next) = framer.next() {
        if let Ok(rec) = next {
            assert!(rec.bytes.len() <= limits.max_record_bytes);
            assert!(rec.offset >= last, "records go forward");
            last = rec.offset;
        }
    }
});
