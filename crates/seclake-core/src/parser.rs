//! The parser contract: what a log type declares and how its parser turns
//! one record into one row.

use std::borrow::Cow;
use std::sync::Arc;

use crate::row::Row;
use crate::schema::ColumnDef;
use crate::time::{TimeZone, Timestamp};

/// What parsing one record produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// The row is filled in.
    Row,
    /// The row is filled in and the record holds more rows (an Edgecast
    /// document's `logs[]`): the engine asks for each with
    /// [`RecordParser::next_row`].
    RowAndMore,
    /// The record is framing, not data (a VPC Flow header line). It is
    /// counted but yields no row and no reject.
    Skip,
}

/// Why a record was not parsed: a short `reason` that stays the same for
/// every record broken the same way (so `GROUP BY reason` groups), and an
/// optional `detail` with the specifics (the offending value, a position).
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    mismatch: bool,
    reason: Cow<'static, str>,
    detail: Option<Box<str>>,
    /// For one entry of a record of several rows: the entry's bytes in the
    /// record, and whether the record goes on after it.
    entry: Option<(usize, usize, bool)>,
}

impl ParseError {
    /// The record is not of this log type at all (classification tries the
    /// next type).
    pub fn mismatch(reason: impl Into<Cow<'static, str>>) -> Self {
        ParseError {
            mismatch: true,
            reason: reason.into(),
            detail: None,
            entry: None,
        }
    }
    /// The record is of this log type but broken.
    pub fn invalid(reason: impl Into<Cow<'static, str>>) -> Self {
        ParseError {
            mismatch: false,
            reason: reason.into(),
            detail: None,
            entry: None,
        }
    }
    /// A field that does not hold what the log type says it holds: the
    /// reason names the field, the detail shows (the start of) the value.
    pub fn field(field: &str, reason: &str, value: &str) -> Self {
        let shown: String = value.chars().take(80).collect();
        ParseError::invalid(format!("field {field}: {reason}")).with_detail(format!("{shown:?}"))
    }
    /// Adds the specifics.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into().into_boxed_str());
        self
    }
    /// Makes this the error of one entry (`record[range]`) of a record of
    /// several rows: only the entry is rejected (its text as the raw
    /// record), and when `more`, the engine asks for the next row
    /// ([`RecordParser::next_row`]) as after a row.
    pub fn in_entry(mut self, range: std::ops::Range<usize>, more: bool) -> Self {
        self.entry = Some((range.start, range.end, more));
        self
    }
    /// The entry's bytes in the record, if the error is one entry's.
    pub fn entry(&self) -> Option<std::ops::Range<usize>> {
        self.entry.map(|(s, e, _)| s..e)
    }
    /// Whether rows may follow this entry's error in the same record.
    pub fn has_more(&self) -> bool {
        self.entry.is_some_and(|(_, _, more)| more)
    }
    pub fn is_mismatch(&self) -> bool {
        self.mismatch
    }
    pub fn reason(&self) -> &str {
        &self.reason
    }
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.detail {
            Some(d) => write!(f, "{}: {d}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for ParseError {}

/// What parsers may need beyond the record: the source's settings.
#[derive(Debug, Clone)]
pub struct ParseContext {
    /// The reference time for formats without a year: the clock (moving
    /// on as a long run goes) unless a replay fixes it.
    pub reference_time: Timestamp,
    /// The time zone of formats whose times carry none.
    pub time_zone: TimeZone,
    /// The source's secrets (private keys), for parsers and decoders that
    /// need them.
    pub secrets: Arc<Secrets>,
    /// The name of the input being parsed (a path, an `s3://` URI, a URL;
    /// empty when there is none). Some vendors number their deliveries in
    /// file names only (an Imperva log file's sequence, an Edgecast
    /// delivery's agent and sequence), and those numbers are what tells a
    /// lost file: the log types that declare such columns read them here.
    pub input: Arc<str>,
}

impl ParseContext {
    /// UTC, no secrets, no input name, the given reference time.
    pub fn at(reference_time: Timestamp) -> Self {
        ParseContext {
            reference_time,
            time_zone: TimeZone::Utc,
            secrets: Arc::default(),
            input: Arc::from(""),
        }
    }

    /// The last segment of the input's name: a file's name without its
    /// directories, an object key's or URL's last part without a query or
    /// fragment (`https://host/1_2/1_17.log?x` gives `1_17.log`).
    pub fn input_file_name(&self) -> &str {
        file_name(&self.input)
    }
}

/// See [`ParseContext::input_file_name`].
pub fn file_name(input: &str) -> &str {
    let path = match input.split_once("://") {
        Some((_, rest)) => rest.split(['?', '#']).next().unwrap_or(rest),
        None => input,
    };
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Named secret values of a source (e.g. `private-key`), kept out of
/// debug output.
#[derive(Default, Clone)]
pub struct Secrets {
    items: Vec<(String, Arc<[u8]>)>,
}

impl Secrets {
    pub fn add(&mut self, kind: &str, value: impl Into<Arc<[u8]>>) {
        self.items.push((kind.to_string(), value.into()));
    }

    /// Every secret of a kind, in the order given.
    pub fn of_kind<'s>(&'s self, kind: &'s str) -> impl Iterator<Item = &'s [u8]> + 's {
        self.items
            .iter()
            .filter(move |(k, _)| k == kind)
            .map(|(_, v)| &v[..])
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.items.iter().map(|(k, _)| format!("{k}: (hidden)")))
            .finish()
    }
}

/// Where a decoder's input comes from, and the secrets it may use.
pub struct DecodeContext<'a> {
    /// The input's name, for messages.
    pub input: &'a str,
    pub secrets: &'a Secrets,
    /// Integrity problems (a checksum mismatch) are errors, not warnings.
    pub strict: bool,
}

/// A file format around the records (an Imperva log file: a header, then a
/// compressed or encrypted body), recognised after decompression and
/// unwrapped before framing. Listed in the registry like log types.
#[derive(Clone, Copy)]
pub struct DecoderDef {
    pub name: &'static str,
    pub description: &'static str,
    /// Whether a stream starting with these bytes is this format.
    pub detect: fn(head: &[u8]) -> bool,
    /// The bytes of the records inside. An error (no key for an encrypted
    /// body, say) is reported for the whole input.
    pub open: OpenDecoded,
}

/// A boxed byte stream, as decoders take and give them (read on the
/// thread that opened it).
pub type ByteStream<'r> = Box<dyn std::io::Read + 'r>;

/// How a decoder unwraps a stream.
pub type OpenDecoded =
    for<'r> fn(ByteStream<'r>, &DecodeContext<'_>) -> std::io::Result<ByteStream<'r>>;

impl std::fmt::Debug for DecoderDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecoderDef")
            .field("name", &self.name)
            .finish()
    }
}

/// Parses records of one log type, one stream at a time: a parser may keep
/// state between the records of a stream (the VPC Flow header).
pub trait RecordParser: Send {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError>;

    /// The next row of the record [`RecordParser::parse`] returned
    /// [`Parsed::RowAndMore`] for: `RowAndMore` again, `Row` for the last
    /// one, or `Skip` when there are no more. An error rejects the rest of
    /// the record (the rows given before it stay), unless it is one
    /// entry's ([`ParseError::in_entry`]) with more to come: then that
    /// entry alone is rejected and the next row is asked for. `parse` may
    /// return such an error for a record's first entry too.
    fn next_row<'a>(
        &mut self,
        record: &'a str,
        ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        let _ = (record, ctx, row);
        Ok(Parsed::Skip)
    }
}

/// What a record must show before a log type's parser is tried while
/// classifying among several types: a necessary condition, checked with a
/// substring search, so that a record costs one parse for its own type, not
/// one per registered type. (With one type named, its parser always runs,
/// for the best error message.)
#[derive(Clone, Copy, Debug)]
pub enum Signature {
    /// Any record may be of this type.
    Any,
    /// Every one of these appears in the record as a quoted JSON token
    /// (`"eventVersion"`): the member names (or values) the parser cannot
    /// do without. A record spelling one with escapes is not recognised.
    QuotedTokens(&'static [&'static str]),
    /// Any record, but only once every other type has declined it: a
    /// generic type (syslog, CEF, LEEF) that must not take the records of
    /// a more specific type riding on the same format (an SSR message is
    /// RFC 5424 too, an Imperva event CEF). Generic types are tried in
    /// registry order among themselves.
    Fallback,
}

impl Signature {
    pub fn admits(&self, record: &str) -> bool {
        match self {
            Signature::Any | Signature::Fallback => true,
            Signature::QuotedTokens(tokens) => tokens.iter().all(|t| has_quoted(record, t)),
        }
    }
}

/// `"token"` somewhere in `text`.
pub fn has_quoted(text: &str, token: &str) -> bool {
    let b = text.as_bytes();
    memchr::memmem::find_iter(b, token.as_bytes())
        .any(|i| i > 0 && b[i - 1] == b'"' && b.get(i + token.len()) == Some(&b'"'))
}

/// Everything a log type declares. One `const` of this per parser file,
/// listed once in the registry.
#[derive(Clone, Copy)]
pub struct LogTypeDef {
    /// e.g. `AWS.VPCFlow`.
    pub name: &'static str,
    pub description: &'static str,
    /// Where the vendor documents the format.
    pub reference: &'static str,
    pub columns: &'static [ColumnDef],
    /// What a record must show to be tried as this type when classifying.
    pub signature: Signature,
    /// The timestamp column that gives a row its `p_event_time` (the
    /// parse time stands in when it is null). A parser may set the event
    /// time itself; otherwise the engine takes it from this column.
    pub event_time: Option<&'static str>,
    /// Raw records that must parse: tests and documentation at once.
    pub examples: &'static [&'static str],
    pub new_parser: fn() -> Box<dyn RecordParser>,
    /// Which Sigma rules run on the type's table, and how their field
    /// names reach its columns.
    pub sigma: crate::sigma::SigmaDef,
}

impl LogTypeDef {
    /// The table name: lower case, `.` replaced by `_`.
    pub fn table_name(&self) -> String {
        table_name(self.name)
    }
}

pub fn table_name(log_type: &str) -> String {
    log_type.to_ascii_lowercase().replace('.', "_")
}

/// A registered log type: its declaration with the schema parsed.
pub struct LogType {
    pub def: LogTypeDef,
    pub schema: crate::schema::Schema,
    /// Index of the declared event-time column.
    pub event_time: Option<usize>,
    /// `lower(name with . → _)`.
    pub table: String,
    /// Index of the [`SENDER_COLUMN`], for types that may arrive over
    /// the network.
    pub sender: Option<usize>,
}

/// The column a log type declares (string, IP indicator) when its records
/// may arrive from a network sender (syslog): the engine fills it with the
/// sending peer's address, which the message itself may not name (a relay,
/// a NAT, a header without a hostname). Null for records read from files.
pub const SENDER_COLUMN: &str = "sender_ip";

/// The [`SENDER_COLUMN`]'s description, the same in every type.
pub const SENDER_DESCRIPTION: &str = "The address of the peer that sent the message to seclake's network receiver (syslog); null when the record was read from a file or object.";

impl LogType {
    pub fn new(def: LogTypeDef) -> Result<Self, crate::schema::TypeSyntaxError> {
        let schema = crate::schema::Schema::new(def.columns)?;
        let event_time = match def.event_time {
            None => None,
            Some(name) => match schema.index_of(name) {
                Some(i) if schema.columns[i].ty == crate::schema::ColumnType::Timestamp => Some(i),
                _ => {
                    return Err(crate::schema::TypeSyntaxError {
                        text: name.to_string(),
                        reason: "the event-time column must be a timestamp column of the type",
                        pos: 0,
                    })
                }
            },
        };
        Ok(LogType {
            sender: schema.index_of(SENDER_COLUMN),
            event_time,
            schema,
            table: def.table_name(),
            def,
        })
    }

    pub fn name(&self) -> &'static str {
        self.def.name
    }

    /// Completes a parsed row: the event time from the declared column
    /// when the parser set none, then the indicators of every column.
    pub fn finish_row(&self, row: &mut Row<'_>) {
        if row.event_time.is_none() {
            if let Some(crate::value::Value::Time(t)) = self.event_time.map(|c| row.get(c)) {
                row.event_time = Some(*t);
            }
        }
        row.collect_indicators(&self.schema);
    }
}

impl std::fmt::Debug for LogType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogType")
            .field("name", &self.def.name)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn the_file_name_is_the_last_segment_of_a_path_key_or_url() {
        for (input, name) in [
            ("1234_5678.log", "1234_5678.log"),
            ("logs/in/1234_5678.log", "1234_5678.log"),
            ("C:\\logs\\1234_5678.log", "1234_5678.log"),
            ("s3://bucket/a/b/1234_5678.log", "1234_5678.log"),
            (
                "https://logs1.incapsula.com/1234_5678/1234_17.log?sig=a/b#x",
                "1234_17.log",
            ),
            ("-", "-"),
            ("", ""),
            ("dir/", ""),
        ] {
            assert_eq!(file_name(input), name, "{input}");
        }
    }
}
