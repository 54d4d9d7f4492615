//! Timestamp parsers: whatever they accept is within years 1 to 9999 and
//! survives formatting and parsing again unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seclake_core::Timestamp;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    for t in [Timestamp::parse_rfc3339(s), Timestamp::parse_unix_seconds(s)]
        .into_iter()
        .flatten()
    {
        assert!(t >= Timestamp::MIN && t <= Timestamp::MAX, "{s:?} gave {t:?}");
        let text = t.to_rfc3339();
        assert_eq!(Timestamp::parse_rfc3339(&text), Some(t), "{s:?} -> {text}");
    }
});
