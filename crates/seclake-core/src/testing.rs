//! Helpers for parser unit tests: parse records with a log type's parser
//! the way the engine does (indicators collected with the log type's
//! schema) and read the indicators back.

use crate::indicators::Indicator;
use crate::parser::{LogType, LogTypeDef, ParseContext, ParseError, Parsed};
use crate::row::Row;
use crate::time::Timestamp;

/// The context the helpers parse with: reference time zero.
fn context() -> ParseContext {
    ParseContext::at(Timestamp(0))
}

fn log_type(def: &LogTypeDef) -> LogType {
    LogType::new(*def)
        .unwrap_or_else(|e| panic!("log type {} has an invalid schema: {e}", def.name))
}

/// Parses one record with a fresh parser of `def`. A row
/// ([`Parsed::Row`]) comes back with its indicators collected; a skipped
/// record ([`Parsed::Skip`]) gives its (empty) row as it is.
pub fn parse<'a>(def: &LogTypeDef, record: &'a str) -> Result<Row<'a>, ParseError> {
    parse_all(def, &[record])
        .pop()
        .expect("one result per record")
        .map(|(_, row)| row)
}

/// Parses a sequence of records with one parser of `def`, so that state
/// kept between records (a VPC Flow header) carries over. Rows
/// ([`Parsed::Row`]) have their indicators collected.
pub fn parse_all<'a>(
    def: &LogTypeDef,
    records: &[&'a str],
) -> Vec<Result<(Parsed, Row<'a>), ParseError>> {
    parse_input(def, "", records)
}

/// Like [`parse_all`], for records of the input named `input` (a path,
/// an object URI, a URL), for log types that read facts from the name.
pub fn parse_input<'a>(
    def: &LogTypeDef,
    input: &str,
    records: &[&'a str],
) -> Vec<Result<(Parsed, Row<'a>), ParseError>> {
    let ctx = ParseContext {
        input: input.into(),
        ..context()
    };
    let log_type = log_type(def);
    let mut parser = (def.new_parser)();
    records
        .iter()
        .map(|record| {
            let mut row = Row::new(def.columns.len());
            let parsed = parser.parse(record, &ctx, &mut row)?;
            if parsed == Parsed::Row {
                log_type.finish_row(&mut row);
            }
            Ok((parsed, row))
        })
        .collect()
}

/// The values of one indicator field of a row whose indicators are
/// collected (every row [`parse`] and [`parse_all`] return).
pub fn indicators<'r>(row: &'r Row<'_>, kind: Indicator) -> Vec<&'r str> {
    row.indicator_values(kind).collect()
}
