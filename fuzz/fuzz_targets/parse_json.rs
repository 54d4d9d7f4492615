//! Every JSON log type, chosen by the first byte.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

use common::{CEF_TYPES, LINE_TYPES, SYSLOG_TYPES};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let json: Vec<_> = seclake_registry::all()
        .iter()
        .filter(|t| {
            ![LINE_TYPES, SYSLOG_TYPES, CEF_TYPES]
                .iter()
                .any(|list| list.contains(&t.name()))
        })
        .collect();
    let t = json[pick as usize % json.len()];
    common::run(rest, &[t]);
});
