//! The SQL function `json_extract_path_text(json, key, ...)`: a member of
//! a text column holding JSON (CloudTrail's `requestParameters`), as text,
//! so Sigma fields such as `requestParameters.bucketName` can be matched
//! like any string column.
//!
//! Named and behaving as PostgreSQL's function of that name: each key
//! steps into an object member, or into an array element when the key is
//! an index (`"0"`); a string comes back without its quotes and escapes,
//! any other value as its JSON text (`42`, `true`, `{"a":1}`); a JSON
//! `null`, a missing member, or text that is not JSON gives SQL NULL.
//! Members are looked up borrowed, without building the document.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::Array;
use arrow_schema::DataType;
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use serde_json::value::RawValue;

use crate::cidr::utf8;

/// The function object, to call in expressions or register with a session.
pub fn json_extract_path_text() -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::from(JsonExtractPathText {
        signature: Signature::variadic(vec![DataType::Utf8], Volatility::Immutable),
    }))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonExtractPathText {
    signature: Signature,
}

impl ScalarUDFImpl for JsonExtractPathText {
    fn name(&self) -> &str {
        "json_extract_path_text"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if args.args.len() < 2 {
            return exec_err!("json_extract_path_text needs the JSON text and at least one key");
        }
        let arrays = ColumnarValue::values_to_arrays(&args.args)?
            .iter()
            .map(utf8)
            .collect::<Result<Vec<_>>>()?;
        let texts = arrays[0].as_string::<i32>();
        let keys: Vec<_> = arrays[1..].iter().map(|a| a.as_string::<i32>()).collect();
        let mut out = StringBuilder::with_capacity(texts.len(), 0);
        let mut path = Vec::with_capacity(keys.len());
        for i in 0..texts.len() {
            path.clear();
            if texts.is_null(i) || keys.iter().any(|k| k.is_null(i)) {
                out.append_null();
                continue;
            }
            path.extend(keys.iter().map(|k| k.value(i)));
            match extract(texts.value(i), &path) {
                Some(v) => out.append_value(v),
                None => out.append_null(),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// The member of `json` at `path`, as text (see the module docs).
pub fn extract<'j>(json: &'j str, path: &[&str]) -> Option<Cow<'j, str>> {
    let mut raw: &'j RawValue = serde_json::from_str(json).ok()?;
    for key in path {
        raw = step(raw, key)?;
    }
    let text = raw.get();
    match text.as_bytes().first()? {
        b'n' => None,
        b'"' => match serde_json::from_str::<Cow<'j, str>>(text) {
            Ok(s) => Some(s),
            Err(_) => serde_json::from_str::<String>(text).ok().map(Cow::Owned),
        },
        _ => Some(Cow::Borrowed(text)),
    }
}

/// One step down: the member `key` of an object, or element `key` of an
/// array. (A duplicated member name gives its last value.)
fn step<'j>(raw: &'j RawValue, key: &str) -> Option<&'j RawValue> {
    match raw.get().as_bytes().first()? {
        b'{' => {
            let members: HashMap<Cow<'j, str>, &'j RawValue> =
                serde_json::from_str(raw.get()).ok()?;
            members.get(key).copied()
        }
        b'[' => {
            let index: usize = key.parse().ok()?;
            let items: Vec<&'j RawValue> = serde_json::from_str(raw.get()).ok()?;
            items.get(index).copied()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_members_as_text() {
        let doc = r#"{"bucketName":"logs","n":42,"ok":true,"nested":{"a":{"b":"deep \"q\""}},
            "list":[{"id":"x"},{"id":"y"}],"nothing":null,"obj":{"k": [1, 2]}}"#;
        let get = |path: &[&str]| extract(doc, path).map(|c| c.into_owned());
        assert_eq!(get(&["bucketName"]).as_deref(), Some("logs"));
        assert_eq!(get(&["n"]).as_deref(), Some("42"));
        assert_eq!(get(&["ok"]).as_deref(), Some("true"));
        assert_eq!(get(&["nested", "a", "b"]).as_deref(), Some("deep \"q\""));
        assert_eq!(get(&["list", "1", "id"]).as_deref(), Some("y"));
        assert_eq!(get(&["obj"]).as_deref(), Some(r#"{"k": [1, 2]}"#));
        assert_eq!(get(&["nothing"]), None);
        assert_eq!(get(&["missing"]), None);
        assert_eq!(get(&["bucketName", "x"]), None);
        assert_eq!(get(&["list", "x"]), None);
        assert_eq!(get(&["list", "5"]), None);
        assert_eq!(extract("not json", &["a"]), None);
        assert_eq!(extract("", &["a"]), None);
    }
}
