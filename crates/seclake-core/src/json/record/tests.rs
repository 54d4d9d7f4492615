use super::*;
use crate::schema::ColumnDef;

const fn col(name: &'static str, ty: &'static str, required: bool) -> ColumnDef {
    ColumnDef {
        name,
        ty,
        required,
        indicators: &[],
        description: "",
    }
}

const COLUMNS: &[ColumnDef] = &[
    col("id", "string", true),
    col("when", "timestamp", true),
    col("count", "bigint", false),
    col("score", "double", false),
    col("ok", "boolean", false),
    col("tags", "[string]", false),
    col("user", "{ \"name\":string }", false),
    col("note", "string", false),
];

fn decoder() -> JsonRecord {
    JsonRecord::new(COLUMNS, &["id", "when"]).unwrap()
}

fn decode(record: &str) -> Result<Vec<Value<'_>>, ParseError> {
    let mut row = Row::new(8);
    decoder().decode(record, &mut row, |_, _| Ok(None))?;
    let mut v = row.values();
    v.resize(COLUMNS.len(), Value::Null);
    Ok(v)
}

#[test]
fn members_land_in_their_columns_by_type() {
    let v = decode(
        r#" {"note":{"a" : [1]},"id":"x\"1","when":"2024-01-02T03:04:05.5Z","count":"42","score":-1.5e1,"ok":"true","tags":["a"],"user":{"name":"b"},"extra":[{"deep":true}]} "#,
    )
    .unwrap();
    assert_eq!(v[0], Value::Str(Cow::Owned("x\"1".into())));
    assert_eq!(
        v[1],
        Value::Time(Timestamp::parse_rfc3339("2024-01-02T03:04:05.5Z").unwrap())
    );
    assert_eq!(v[2], Value::Int(42));
    assert_eq!(v[3], Value::Float(-15.0));
    assert_eq!(v[4], Value::Bool(true));
    assert_eq!(v[5], Value::Json(Cow::Borrowed(r#"["a"]"#)));
    assert_eq!(v[6], Value::Json(Cow::Borrowed(r#"{"name":"b"}"#)));
    // An object in a string column stays JSON text.
    assert_eq!(v[7], Value::Json(Cow::Borrowed(r#"{"a" : [1]}"#)));
}

#[test]
fn null_and_empty_are_null_and_numbers_fit_string_columns() {
    let v = decode(r#"{"id":7,"when":"2024-01-01T00:00:00Z","note":"","count":null,"tags":""}"#)
        .unwrap();
    assert_eq!(v[0], Value::str("7"));
    assert_eq!(v[7], Value::Null);
    assert_eq!(v[2], Value::Null);
    assert_eq!(v[5], Value::Null);
}

#[test]
fn another_types_record_is_a_mismatch_whatever_else_is_wrong() {
    for rec in [
        r#"{"when":"2024-01-01T00:00:00Z"}"#,
        r#"{"id":"x","when_":"2024"}"#,
        r#"{"when":12,"count":"many"}"#,
        r#"{"other":"x""#,
        "[1]",
        "id when",
        "",
        // Identifying members only inside a nested object.
        r#"{"detail":{"id":"x","when":"2024-01-01T00:00:00Z"}}"#,
    ] {
        let e = decode(rec).unwrap_err();
        assert!(e.is_mismatch(), "{rec}: {e}");
    }
}

#[test]
fn this_types_broken_record_is_invalid_and_names_the_member() {
    for (rec, reason) in [
        (
            r#"{"id":"x","when":"noon"}"#,
            "field when: not an RFC 3339 timestamp",
        ),
        (
            r#"{"id":"x","when":12}"#,
            "field when: not an RFC 3339 timestamp",
        ),
        (
            r#"{"id":"x","count":1.5,"when":"2024-01-01T00:00:00Z"}"#,
            "field count: not an integer",
        ),
        (
            r#"{"id":"x","when":"2024-01-01T00:00:00Z","ok":"yes"}"#,
            "field ok: expected true or false",
        ),
        (
            r#"{"id":"x","when":"2024-01-01T00:00:00Z","tags":{}}"#,
            "field tags: expected a JSON array",
        ),
        (
            r#"{"id":"x","when":"2024-01-01T00:00:00Z","user":[]}"#,
            "field user: expected a JSON object",
        ),
        (
            r#"{"id":null,"when":"2024-01-01T00:00:00Z"}"#,
            "required member id is missing",
        ),
        (
            r#"{"id":"x","when":"2024-01-01T00:00:00Z","#,
            "invalid JSON",
        ),
        (
            r#"{"id":"x","when":"2024-01-01T00:00:00Z"} x"#,
            "invalid JSON",
        ),
        (
            r#"{"id":"x","when":"2024-01-01T00:00:00Z","n":01}"#,
            "invalid JSON",
        ),
    ] {
        let e = decode(rec).unwrap_err();
        assert!(!e.is_mismatch(), "{rec}: {e}");
        assert_eq!(e.reason(), reason, "{rec}");
    }
}

#[test]
fn the_hook_sees_every_member_and_may_take_it() {
    let mut row = Row::new(8);
    let mut keys = Vec::new();
    decoder()
        .decode(
            r#"{"id":"x","when":"2024-01-01T00:00:00Z","count":"n/a","k\u0065y":1}"#,
            &mut row,
            |m, _| {
                keys.push((m.key.to_string(), m.column));
                Ok(match m.key {
                    "count" => Some(Value::Int(-1)),
                    _ => None,
                })
            },
        )
        .unwrap();
    assert_eq!(row.get(2usize), &Value::Int(-1));
    assert_eq!(
        keys,
        vec![
            ("id".to_string(), Some(0)),
            ("when".to_string(), Some(1)),
            ("count".to_string(), Some(2)),
            ("key".to_string(), None),
        ]
    );
}

#[test]
fn finds_a_top_level_member() {
    let rec = r#"{"a":{"b":1},"detail-type":"X","detail":{"id":"y"}}"#;
    assert_eq!(top_level_member(rec, "detail"), Some(r#"{"id":"y"}"#));
    assert_eq!(top_level_member(rec, "b"), None);
    assert_eq!(top_level_member("[1]", "a"), None);
}
