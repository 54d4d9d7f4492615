//! A parser bug must cost one record, never the run: a panic while parsing
//! becomes a reject with its position and the stream goes on.

use std::io;

use seclake_core::{
    columns, LogType, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row,
    StandardFields, Timestamp, Value,
};
use seclake_engine::{parse_stream, Options, Reject, RowSink, StreamName};

columns! {
    Text = "text", "string", required, [], "The line.";
}

/// Panics on lines that say "boom", like a parser with an indexing bug.
struct Fragile;

impl RecordParser for Fragile {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        _: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        if record.contains("boom") {
            let bytes = record.as_bytes();
            std::hint::black_box(bytes[bytes.len()]);
        }
        row.set(C::Text, Value::str(record));
        Ok(Parsed::Row)
    }
}

const DEF: LogTypeDef = LogTypeDef {
    name: "Test.Fragile",
    description: "A parser that panics on some records.",
    reference: "",
    columns: COLUMNS,
    signature: seclake_core::Signature::Any,
    event_time: None,
    examples: &[],
    new_parser: || Box::new(Fragile),
    sigma: seclake_core::SigmaDef::NONE,
};

#[derive(Default)]
struct Collect {
    rows: Vec<String>,
    rejects: Vec<(u64, String, Option<String>)>,
}

impl RowSink for Collect {
    fn row(
        &mut self,
        _: &LogType,
        row: &Row<'_>,
        _: &StandardFields<'_>,
        _: Timestamp,
    ) -> io::Result<()> {
        if let Value::Str(s) = row.get(C::Text) {
            self.rows.push(s.to_string());
        }
        Ok(())
    }
    fn reject(&mut self, r: &Reject<'_>) -> io::Result<()> {
        self.rejects
            .push((r.line, r.reason.to_string(), r.detail.map(str::to_string)));
        Ok(())
    }
}

#[test]
fn a_panicking_parser_costs_one_record() {
    let t = LogType::new(DEF).unwrap();
    let mut sink = Collect::default();
    let input = "one\nboom\ntwo\nboom again\nthree\n";
    let stats = parse_stream(
        input.as_bytes(),
        StreamName::same("fragile.log"),
        &[&t],
        &Options::default(),
        &mut sink,
    )
    .unwrap();
    assert_eq!(sink.rows, ["one", "two", "three"]);
    assert_eq!(stats.rows, 3);
    assert_eq!(stats.rejects, 2);
    let lines: Vec<u64> = sink.rejects.iter().map(|r| r.0).collect();
    assert_eq!(lines, [2, 4]);
    assert!(sink.rejects[0].1.contains("panicked"), "{:?}", sink.rejects);
    assert!(
        sink.rejects[0]
            .2
            .as_deref()
            .unwrap()
            .contains("index out of bounds"),
        "{:?}",
        sink.rejects
    );
}

/// While classifying, a type whose signature a record lacks is not even
/// tried: the fragile parser never sees the records that would crash it.
#[test]
fn classification_skips_types_whose_signature_the_record_lacks() {
    let guarded = LogType::new(LogTypeDef {
        name: "Test.Guarded",
        signature: seclake_core::Signature::QuotedTokens(&["fragile"]),
        event_time: None,
        ..DEF
    })
    .unwrap();
    let any = LogType::new(LogTypeDef {
        name: "Test.Any",
        new_parser: || Box::new(Sturdy),
        ..DEF
    })
    .unwrap();
    let mut sink = Collect::default();
    let stats = parse_stream(
        "boom\nboom again\n".as_bytes(),
        StreamName::same("mixed.log"),
        &[&guarded, &any],
        &Options::default(),
        &mut sink,
    )
    .unwrap();
    assert_eq!(stats.rejects, 0, "{:?}", sink.rejects);
    assert_eq!(stats.per_type["Test.Any"].rows, 2);
}

/// Takes any line.
struct Sturdy;

impl RecordParser for Sturdy {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        _: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        row.set(C::Text, Value::str(record));
        Ok(Parsed::Row)
    }
}
