//! One record, several rows (an Edgecast document's `logs[]`): each row
//! has its own row id, an error part-way rejects the rest of the record
//! and keeps the rows before it, and an error of one entry rejects that
//! entry alone (its text as the raw record) while the rows after it go on.

use std::io;

use seclake_core::{
    columns, LogType, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row,
    StandardFields, Timestamp, Value,
};
use seclake_engine::{parse_stream, Options, Reject, RowSink, StreamName};

columns! {
    Item = "item", "string", required, [], "One item of the record.";
}

/// `a;b;c` is three rows; an item `!` is an error of the record, an item
/// `?` an error of that item alone.
#[derive(Default)]
struct Items {
    rest: usize,
}

impl Items {
    fn item<'a>(&mut self, record: &'a str, row: &mut Row<'a>) -> Result<Parsed, ParseError> {
        let tail = &record[self.rest..];
        let (item, more) = match tail.split_once(';') {
            Some((item, _)) => (item, true),
            None => (tail, false),
        };
        if item == "!" {
            return Err(ParseError::invalid("bad item"));
        }
        let start = self.rest;
        self.rest += item.len() + 1;
        if item == "?" {
            return Err(ParseError::invalid("unclear item").in_entry(start..start + 1, more));
        }
        row.set(C::Item, Value::str(item));
        Ok(if more {
            Parsed::RowAndMore
        } else {
            Parsed::Row
        })
    }
}

impl RecordParser for Items {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        _: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        self.rest = 0;
        self.item(record, row)
    }
    fn next_row<'a>(
        &mut self,
        record: &'a str,
        _: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        self.item(record, row)
    }
}

const DEF: LogTypeDef = LogTypeDef {
    name: "Test.Items",
    description: "Several rows a record.",
    reference: "",
    columns: COLUMNS,
    signature: seclake_core::Signature::Any,
    event_time: None,
    examples: &[],
    new_parser: || Box::new(Items::default()),
    sigma: seclake_core::SigmaDef::NONE,
};

#[derive(Default)]
struct Collect {
    rows: Vec<(String, String)>,
    rejects: Vec<(u64, String)>,
    raws: Vec<String>,
}

impl RowSink for Collect {
    fn row(
        &mut self,
        _: &LogType,
        row: &Row<'_>,
        std: &StandardFields<'_>,
        _: Timestamp,
    ) -> io::Result<()> {
        if let Value::Str(s) = row.get(C::Item) {
            self.rows.push((
                s.to_string(),
                String::from_utf8_lossy(&std.row_id).into_owned(),
            ));
        }
        Ok(())
    }
    fn reject(&mut self, r: &Reject<'_>) -> io::Result<()> {
        self.rejects.push((r.line, r.reason.to_string()));
        self.raws.push(String::from_utf8_lossy(r.raw).into_owned());
        Ok(())
    }
}

fn run(input: &str) -> Collect {
    let t = LogType::new(DEF).unwrap();
    let mut sink = Collect::default();
    parse_stream(
        input.as_bytes(),
        StreamName::same("items"),
        &[&t],
        &Options::default(),
        &mut sink,
    )
    .unwrap();
    sink
}

#[test]
fn each_row_of_a_record_is_a_row_with_its_own_id() {
    let got = run("a;b;c\nd\ne;!;f\ng\n");
    let items: Vec<&str> = got.rows.iter().map(|(i, _)| i.as_str()).collect();
    assert_eq!(items, ["a", "b", "c", "d", "e", "g"]);
    let mut ids: Vec<&str> = got.rows.iter().map(|(_, id)| id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6, "row ids are distinct");
    assert_eq!(got.rejects, [(3, "bad item".to_string())]);
    // The same input gives the same ids.
    assert_eq!(run("a;b;c\nd\ne;!;f\ng\n").rows, got.rows);
}

#[test]
fn a_broken_entry_is_its_own_reject_and_the_rest_go_on() {
    let got = run("?;a;?;b\nc;?\n?\n");
    let items: Vec<&str> = got.rows.iter().map(|(i, _)| i.as_str()).collect();
    assert_eq!(items, ["a", "b", "c"]);
    let lines: Vec<u64> = got.rejects.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [1, 1, 2, 3]);
    assert!(got.rejects.iter().all(|(_, r)| r == "unclear item"));
    assert_eq!(got.raws, ["?", "?", "?", "?"], "the entry, not the record");
}
