//! Nested JSON and scalars into builders, read back as the JSON output.

use std::borrow::Cow;

use arrow_array::RecordBatch;
use arrow_schema::{Field, Schema};
use seclake_core::schema::ColumnType;
use seclake_core::Value;

use super::Builder;

/// Appends each value to one column of `ty` and renders the rows.
fn column(ty: &str, values: &[Value<'_>]) -> Vec<String> {
    let ty = ColumnType::parse(ty).unwrap();
    let mut b = Builder::new(&ty);
    for v in values {
        b.append_value(v);
    }
    let array = b.finish().unwrap();
    let schema = Schema::new(vec![Field::new("v", array.data_type().clone(), true)]);
    let batch = RecordBatch::try_new(schema.into(), vec![array]).unwrap();
    let mut out = Vec::new();
    crate::json_lines::write_batch(&mut out, &batch);
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| {
            l.strip_prefix("{\"v\":")
                .and_then(|l| l.strip_suffix('}'))
                .unwrap_or("(null)")
                .to_string()
        })
        .collect()
}

fn json(text: &str) -> Value<'_> {
    Value::Json(Cow::Borrowed(text))
}

#[test]
fn keeps_declared_members_converted_to_their_types() {
    let got = column(
        "{ \"a\":bigint, \"b\":timestamp, \"c\":string, \"d\":[string], \"e\":boolean, \"f\":double }",
        &[json(
            r#"{"z":{"deep":[1,{"x":"}"}]},"d":["x",null, 3],"c":{"k":[1, 2]},"b":"2020-01-01T00:00:00+01:00","a":"42","E":"true","f":1}"#,
        )],
    );
    assert_eq!(
        got,
        [
            r#"{"a":42,"b":"2019-12-31T23:00:00Z","c":"{\"k\":[1,2]}","d":["x",null,"3"],"e":true,"f":1.0}"#
        ]
    );
}

#[test]
fn member_names_match_exactly_first_then_in_any_case() {
    let got = column(
        "[{ \"arn\":string, \"ARN\":string, \"type\":string }]",
        &[json(r#"[{"ARN":"a","Type":"t"},{"arn":"b"}]"#)],
    );
    assert_eq!(got, [r#"[{"ARN":"a","type":"t"},{"arn":"b"}]"#]);
}

#[test]
fn wrong_kinds_and_nulls_are_null() {
    let got = column(
        "{ \"a\":bigint }",
        &[
            json(r#"{"a":"x","b":1}"#),
            json("\"text\""),
            json("null"),
            json(r#"{"a":1,"a":2}"#),
            Value::Null,
        ],
    );
    assert_eq!(got, ["{}", "(null)", "(null)", r#"{"a":1}"#, "(null)"]);
    let got = column("{ \"a\":{ \"b\":string } }", &[json(r#"{"a":null}"#)]);
    assert_eq!(got, ["{}"]);
}

#[test]
fn strings_with_escapes_are_normalized() {
    let got = column("{ \"s\":string }", &[json(r#"{"s":"a\u0041\/b\"q"}"#)]);
    assert_eq!(got, [r#"{"s":"aA/b\"q"}"#]);
}

/// Malformed JSON never comes from a validated record, but it must not
/// break the batch: what was read is kept and the columns line up.
#[test]
fn malformed_json_keeps_the_arrays_aligned() {
    let got = column(
        "[{ \"s\":string, \"n\":[bigint] }]",
        &[
            json(r#"[{"s":"a"},"#),
            json(r#"[{"s":"abc"#),
            json(r#"[{"n":[1,}]"#),
            json(r#"[}"#),
            json(r#"{"#),
            json(r#"[{"s":"ok","n":[1,2]}]"#),
        ],
    );
    assert_eq!(got.len(), 6);
    assert_eq!(got[5], r#"[{"s":"ok","n":[1,2]}]"#);
}

/// One set of rules: a value out of an integer column's range is null in
/// the batch, so in Parquet and in the JSON output alike.
#[test]
fn integers_out_of_range_are_null_everywhere() {
    let got = column(
        "smallint",
        &[Value::Int(70_000), Value::Int(-5), Value::Str("12".into())],
    );
    assert_eq!(got, ["(null)", "-5", "12"]);
    let got = column(
        "int",
        &[Value::Int(1 << 40), Value::Float(3.0), Value::Float(3.5)],
    );
    assert_eq!(got, ["(null)", "3", "(null)"]);
    let got = column(
        "{ \"p\":smallint }",
        &[json(r#"{"p":65536}"#), json(r#"{"p":443}"#)],
    );
    assert_eq!(got, ["{}", r#"{"p":443}"#]);
}

#[test]
fn lists_built_by_parsers_and_scalars_as_text() {
    let got = column(
        "[string]",
        &[Value::List(vec![
            Value::str("a"),
            Value::Null,
            Value::Int(3),
        ])],
    );
    assert_eq!(got, [r#"["a",null,"3"]"#]);
    let got = column(
        "string",
        &[Value::Int(7), Value::Bool(true), Value::Float(0.5)],
    );
    assert_eq!(got, [r#""7""#, r#""true""#, r#""0.5""#]);
}

#[test]
fn maps_from_pairs_and_from_json_objects() {
    let got = column(
        "map<string,string>",
        &[
            Value::Map(vec![
                ("act".into(), "blocked".into()),
                ("src".into(), "10.0.0.1".into()),
            ]),
            json(r#"{"k":"v","n":3,"o":{"a":[1, 2]},"z":null}"#),
            json("[1]"),
            Value::Null,
            Value::Map(Vec::new()),
        ],
    );
    assert_eq!(
        got,
        [
            r#"{"act":"blocked","src":"10.0.0.1"}"#,
            r#"{"k":"v","n":"3","o":"{\"a\":[1,2]}","z":null}"#,
            "(null)",
            "(null)",
            "{}"
        ]
    );
}

#[test]
fn map_types_parse_and_print_in_seed_notation() {
    let ty = ColumnType::parse("map< string , string >").unwrap();
    assert_eq!(ty, ColumnType::Map);
    assert_eq!(ty.to_string(), "map<string,string>");
    assert!(ColumnType::parse("map<string,bigint>").is_err());
    let nested = ColumnType::parse(r#"{ "ext":map<string,string>, "n":bigint }"#).unwrap();
    assert_eq!(
        nested.to_string(),
        r#"{ "ext":map<string,string>, "n":bigint }"#
    );
}

/// A batch reused after `finish` (its builders keep room for as many rows,
/// its indicator lists catch up with nulls lazily) gives the same batch as
/// a fresh one, schema (time zones) included.
#[test]
fn a_reused_table_batch_builds_what_a_fresh_one_does() {
    use seclake_core::indicators::IndicatorKind;
    use seclake_core::schema::ColumnDef;
    use seclake_core::{Row, StandardFields, Timestamp};

    const DEFS: &[ColumnDef] = &[
        ColumnDef {
            name: "addr",
            ty: "string",
            required: false,
            indicators: &[IndicatorKind::Ip],
            description: "",
        },
        ColumnDef {
            name: "n",
            ty: "bigint",
            required: false,
            indicators: &[],
            description: "",
        },
        ColumnDef {
            name: "t",
            ty: "timestamp",
            required: false,
            indicators: &[],
            description: "",
        },
        ColumnDef {
            name: "never",
            ty: "int",
            required: false,
            indicators: &[],
            description: "",
        },
    ];
    let schema = seclake_core::Schema::new(DEFS).unwrap();
    let fill = |b: &mut super::TableBatch, rows: &[(Option<&str>, i64)]| {
        for (i, (addr, n)) in rows.iter().enumerate() {
            let mut row = Row::new(4);
            if let Some(a) = addr {
                row.set(0usize, Value::str(a));
            }
            row.set(1usize, Value::Int(*n));
            if i % 2 == 0 {
                row.set(2usize, Value::Time(Timestamp::from_micros(*n).unwrap()));
            }
            row.collect_indicators(&schema);
            let std = StandardFields {
                log_type: "Test.Type",
                row_id: [b'a'; 32],
                parse_time: Timestamp::from_micros(7).unwrap(),
                source_id: None,
                source_label: Some("label"),
            };
            b.append(&row, &std, Timestamp::from_micros(*n).unwrap());
        }
        b.finish().unwrap()
    };
    let first: &[(Option<&str>, i64)] = &[(Some("10.0.0.1"), 1), (None, 2), (Some("x"), 3)];
    let second: &[(Option<&str>, i64)] = &[
        (None, 4),
        (Some("10.0.0.2"), 5),
        (None, 6),
        (Some("2001:db8::1"), 7),
        (None, 8),
    ];
    let mut reused = super::TableBatch::new(&schema);
    fill(&mut reused, first);
    let again = fill(&mut reused, second);
    let fresh = fill(&mut super::TableBatch::new(&schema), second);
    assert_eq!(again, fresh);
    assert_eq!(again.num_rows(), 5);
    let ips = again.column_by_name("p_any_ip_addresses").unwrap();
    assert_eq!(ips.null_count(), 3, "rows without an address have no list");
}
