//! The syslog grammars (RFC 5424 with structured data, RFC 3164), chosen
//! by the first byte, and classification over all types.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

use common::SYSLOG_TYPES;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    match SYSLOG_TYPES.get(pick as usize % (SYSLOG_TYPES.len() + 1)) {
        Some(name) => common::run(rest, &[seclake_registry::find(name).unwrap()]),
        None => common::run(rest, &seclake_registry::all().iter().collect::<Vec<_>>()),
    }
});
