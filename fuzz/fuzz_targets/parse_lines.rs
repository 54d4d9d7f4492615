//! Every line grammar (VPC Flow, ALB, S3 access, Aurora audit), chosen by
//! the first byte, and classification over all types.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

use common::LINE_TYPES;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    match LINE_TYPES.get(pick as usize % (LINE_TYPES.len() + 1)) {
        Some(name) => common::run(rest, &[seclake_registry::find(name).unwrap()]),
        None => common::run(rest, &seclake_registry::all().iter().collect::<Vec<_>>()),
    }
});
