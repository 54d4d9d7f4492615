//! Sigma rules from any text: a YAML document (or several) loaded as
//! rules and correlations, conditions parsed, values and modifiers
//! checked, and what loads compiled for the tables its logsource names:
//! an error or a rule, never a panic, and a compiled rule always names a
//! registered table.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rule) = seclake_detect::Rule::parse(text) {
        if let Ok(targets) = seclake_detect::compile(&rule) {
            for c in &targets.compiled {
                assert!(seclake_registry::find(&c.table).is_some(), "{}", c.table);
            }
        }
    }
    let _ = seclake_detect::Document::parse_all(text);
});
