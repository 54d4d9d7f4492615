//! The strict JSON syntax check and the record decoder every JSON log type
//! uses: no input panics, and the syntax check agrees with serde_json on
//! what is JSON (up to the nesting limit both enforce).
#![no_main]

use libfuzzer_sys::fuzz_target;
use seclake_core::json::syntax::{skip_ws, value_end, MAX_DEPTH};
use seclake_core::json::{unquote, JsonRecord};
use seclake_core::{ColumnDef, Row};

const COLUMNS: &[ColumnDef] = &[
    ColumnDef { name: "s", ty: "string", required: true, indicators: &[], description: "" },
    ColumnDef { name: "t", ty: "timestamp", required: false, indicators: &[], description: "" },
    ColumnDef { name: "n", ty: "bigint", required: false, indicators: &[], description: "" },
    ColumnDef { name: "o", ty: "{ \"a\":string }", required: false, indicators: &[], description: "" },
    ColumnDef { name: "l", ty: "[string]", required: false, indicators: &[], description: "" },
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let b = text.as_bytes();
    let ours = value_end(b, 0).map(|end| skip_ws(b, end) == b.len());
    let deep = text.bytes().filter(|c| matches!(c, b'[' | b'{')).count() >= MAX_DEPTH;
    if !deep {
        let theirs = serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
        assert_eq!(ours.unwrap_or(false), theirs, "{text:?}");
    }
    if text.len() >= 2 && text.starts_with('"') {
        let _ = unquote(text);
    }
    let decoder = JsonRecord::new(COLUMNS, &["s"]).expect("valid columns");
    let mut row = Row::new(COLUMNS.len());
    let _ = decoder.decode(text, &mut row, |_, _| Ok(None));
});
