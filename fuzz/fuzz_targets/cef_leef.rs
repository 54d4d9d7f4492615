//! The CEF and LEEF grammars (generic types and Imperva's events), the
//! W3C lines after a `#Fields:` directive, Imperva log files through their
//! decoder (header, `|==|`, zlib body), and classification over all types.
//! The first byte picks which.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

const W3C_FIELDS: &[u8] = b"#Fields: cs-sessionid c-ip cs(User-Agent) cs-start cs-end sc-status cs-lat s-xff x-other\n";

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let one = |name: &str| vec![seclake_registry::find(name).unwrap()];
    match pick % 6 {
        0 => common::run(rest, &one("CEF")),
        1 => common::run(rest, &one("LEEF")),
        2 => common::run(rest, &one("Imperva.CloudWAF")),
        3 => {
            let mut w3c = W3C_FIELDS.to_vec();
            w3c.extend_from_slice(rest);
            common::run(&w3c, &one("Imperva.CloudWAF"));
        }
        4 => common::run_decoded(rest, &one("Imperva.CloudWAF")),
        _ => common::run_decoded(rest, &seclake_registry::all().iter().collect::<Vec<_>>()),
    }
});
