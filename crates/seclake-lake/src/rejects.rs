//! The `_rejects` table: every record that did not become a row, with the
//! raw record, so that a user can query what was lost and replay it.
//! It is written like a log type's table (same standard fields, same
//! partitioning by `p_event_time`, here the time of the rejection).

use std::borrow::Cow;
use std::sync::OnceLock;

use seclake_core::{
    columns, LogType, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Value,
};
use seclake_engine::Reject;

/// The table name of the rejects.
pub const TABLE: &str = "_rejects";

columns! {
    LogType = "log_type", "string", optional, [], "The log type tried (named with --log-type, or the type the record most resembled); null when no type recognised it.";
    Reason = "reason", "string", required, [], "Why the record was rejected: a short category, the same for every record broken the same way.";
    Detail = "detail", "string", optional, [], "The specifics of the reason (the offending value, a position).";
    File = "file", "string", required, [], "The file, object or stream the record came from.";
    Line = "line", "bigint", optional, [], "1-based line of the record's start (0 when unknown).";
    Offset = "offset", "bigint", required, [], "Byte offset of the record in the decompressed input.";
    Raw = "raw", "string", optional, [], "The raw record (invalid UTF-8 replaced by U+FFFD; only the start of over-long records).";
}

struct NoParser;

impl RecordParser for NoParser {
    fn parse<'a>(
        &mut self,
        _: &'a str,
        _: &ParseContext,
        _: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        Err(ParseError::mismatch("the rejects table is not a log type"))
    }
}

const DEF: LogTypeDef = LogTypeDef {
    name: TABLE,
    description: "Records that failed to parse, kept with their raw text and reason.",
    reference: "https://github.com/seclake/seclake",
    columns: COLUMNS,
    signature: seclake_core::Signature::Any,
    event_time: None,
    examples: &[],
    new_parser: || Box::new(NoParser),
    sigma: seclake_core::SigmaDef::NONE,
};

/// The rejects table's schema, as a pseudo log type.
pub fn log_type() -> &'static LogType {
    static T: OnceLock<LogType> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = LogType::new(DEF).expect("rejects schema is valid");
        t.table = TABLE.to_string();
        t
    })
}

/// Fills `row` from a reject.
pub fn fill<'a>(row: &mut Row<'a>, r: &'a Reject<'a>, raw: &'a str) {
    row.set(
        C::LogType,
        r.log_type.map(Value::str).unwrap_or(Value::Null),
    );
    row.set(C::Reason, Value::str(r.reason));
    row.set(C::Detail, r.detail.map(Value::str).unwrap_or(Value::Null));
    row.set(C::File, Value::str(r.object));
    row.set(C::Line, Value::Int(r.line as i64));
    row.set(C::Offset, Value::Int(r.offset as i64));
    row.set(C::Raw, Value::Str(Cow::Borrowed(raw)));
}
