//! The nested-column builders on any text, valid JSON or not: the arrays
//! always line up (one slot per append) and render as JSON.
#![no_main]

use std::borrow::Cow;

use libfuzzer_sys::fuzz_target;
use seclake_core::schema::ColumnType;
use seclake_core::Value;
use seclake_engine::batch::Builder;

const TYPES: &[&str] = &[
    r#"{ "a":bigint, "b":[string], "c":{ "d":timestamp, "e":boolean }, "f":double }"#,
    r#"[{ "arn":string, "accountId":string, "n":[smallint] }]"#,
    "[[int]]",
    "string",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for ty in TYPES {
        let ty = ColumnType::parse(ty).unwrap();
        let mut b = Builder::new(&ty);
        let mut n = 0;
        for piece in text.split('\n') {
            b.append_value(&Value::Json(Cow::Borrowed(piece)));
            n += 1;
        }
        let array = b.finish().expect("the arrays line up");
        assert_eq!(array.len(), n);
    }
});
