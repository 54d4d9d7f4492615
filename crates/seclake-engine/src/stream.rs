//! Running one input stream through decode, framing and classification.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::panic::{self, AssertUnwindSafe};

use seclake_core::row::RowBuf;
use seclake_core::standard::RowIdHasher;
use seclake_core::{LogType, ParseContext, Row, StandardFields, Timestamp};
use seclake_decode::{framing::Framer, Compression, FrameError, Limits};

use crate::classify::{Classifier, Outcome};

/// Settings of a parse run.
#[derive(Debug, Clone)]
pub struct Options {
    pub reference_time: Timestamp,
    /// Fixed parse time (tests); `None` means the wall clock at stream start.
    pub parse_time: Option<Timestamp>,
    pub source_id: Option<String>,
    pub source_label: Option<String>,
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            reference_time: Timestamp::now(),
            parse_time: None,
            source_id: None,
            source_label: None,
            limits: Limits::default(),
        }
    }
}

/// The two names of an input stream.
#[derive(Debug, Clone, Copy)]
pub struct StreamName<'a> {
    /// As shown in messages and in the rejects' `file` column.
    pub display: &'a str,
    /// What row ids derive from: the same for the same input however it
    /// was named (a canonical path; an S3 bucket, key and ETag), fresh for
    /// a stream that cannot be read again (standard input, a connection),
    /// so that deduplication by `p_row_id` never merges different rows.
    pub identity: &'a str,
}

impl<'a> StreamName<'a> {
    /// A stream whose display name is also its identity (tests, fixtures).
    pub fn same(name: &'a str) -> Self {
        StreamName {
            display: name,
            identity: name,
        }
    }
}

/// A record that did not become a row.
#[derive(Debug)]
pub struct Reject<'a> {
    /// The object, file or stream name.
    pub object: &'a str,
    /// The stream's identity (row ids of rejects derive from it).
    pub identity: &'a str,
    /// 1-based line of the record's start (0 when unknown).
    pub line: u64,
    /// Byte offset of the record in the decoded stream.
    pub offset: u64,
    /// The log type tried (forced, or the one the record most resembles).
    pub log_type: Option<&'a str>,
    /// A short category that is the same for every record broken the same
    /// way; `detail` has the specifics.
    pub reason: &'a str,
    pub detail: Option<&'a str>,
    /// The record's bytes (or its first bytes, when it was too long).
    pub raw: &'a [u8],
    /// The configured source, as on rows.
    pub source_id: Option<&'a str>,
    pub source_label: Option<&'a str>,
}

/// Where rows and rejects go.
pub trait RowSink {
    fn row(
        &mut self,
        log_type: &LogType,
        row: &Row<'_>,
        std: &StandardFields<'_>,
        event_time: Timestamp,
    ) -> io::Result<()>;
    fn reject(&mut self, reject: &Reject<'_>) -> io::Result<()>;
}

#[derive(Debug, Default, Clone)]
pub struct TypeStats {
    pub rows: u64,
    pub rejects: u64,
    pub skipped: u64,
}

/// What one stream produced.
#[derive(Debug, Default, Clone)]
pub struct StreamStats {
    pub compression: Option<&'static str>,
    pub decoded_bytes: u64,
    pub rows: u64,
    /// Framing records that are not data (headers).
    pub skipped: u64,
    pub rejects: u64,
    /// Per log type name; rejects no type claimed are under `"(unknown)"`.
    pub per_type: BTreeMap<&'static str, TypeStats>,
}

impl StreamStats {
    pub fn merge(&mut self, other: &StreamStats) {
        self.decoded_bytes += other.decoded_bytes;
        self.rows += other.rows;
        self.skipped += other.skipped;
        self.rejects += other.rejects;
        for (k, v) in &other.per_type {
            let e = self.per_type.entry(k).or_default();
            e.rows += v.rows;
            e.rejects += v.rejects;
            e.skipped += v.skipped;
        }
    }
}

const UNKNOWN: &str = "(unknown)";

/// How many rows share one reading of the clock for `p_parse_time`.
const PARSE_TIME_EVERY: u32 = 1024;

/// Parses one stream. `types` are the candidates: one type when the user
/// named it, every registered type to classify. Errors are only the sink's
/// own; problems with the input are rejects. A parser that panics on a
/// record is a bug, but it costs only that record: it becomes a reject and
/// the stream goes on.
pub fn parse_stream<R: Read>(
    input: R,
    name: StreamName<'_>,
    types: &[&LogType],
    opts: &Options,
    sink: &mut dyn RowSink,
) -> io::Result<StreamStats> {
    let object = name.display;
    let mut stats = StreamStats::default();
    let mut parse_time = opts.parse_time.unwrap_or_else(Timestamp::now);
    let mut rows_on_clock = 0u32;
    let ctx = ParseContext {
        reference_time: opts.reference_time,
    };
    let forced = (types.len() == 1).then(|| types[0].name());
    // Every reject goes through here: counted, attributed, given the source.
    let reject = |stats: &mut StreamStats,
                  sink: &mut dyn RowSink,
                  (line, offset): (u64, u64),
                  log_type: Option<&str>,
                  (reason, detail): (&str, Option<&str>),
                  raw: &[u8]|
     -> io::Result<()> {
        stats.rejects += 1;
        let key = types
            .iter()
            .find(|t| Some(t.name()) == log_type)
            .map_or(UNKNOWN, |t| t.name());
        stats.per_type.entry(key).or_default().rejects += 1;
        sink.reject(&Reject {
            object,
            identity: name.identity,
            line,
            offset,
            log_type,
            reason,
            detail,
            raw,
            source_id: opts.source_id.as_deref(),
            source_label: opts.source_label.as_deref(),
        })
    };

    let opened = seclake_decode::open(input, opts.limits)
        .and_then(|(compression, decoded)| Ok((compression, Framer::new(decoded, opts.limits)?)));
    let (compression, mut framer) = match opened {
        Ok(x) => x,
        Err(e) => {
            let detail = e.to_string();
            let why = ("cannot read the input", Some(detail.as_str()));
            reject(&mut stats, sink, (0, 0), forced, why, b"")?;
            return Ok(stats);
        }
    };
    stats.compression = Some(compression.name()).filter(|_| compression != Compression::None);
    let mut classifier = Classifier::new(types.to_vec());
    let ids = RowIdHasher::new(opts.source_id.as_deref().unwrap_or(""), name.identity);
    let mut buf = RowBuf::default();
    while let Some(next) = framer.next() {
        let rec = match next {
            Ok(rec) => rec,
            Err(e) => {
                let (offset, line) = e.position().unwrap_or((0, 0));
                let text = e.to_string();
                let why = match &e {
                    FrameError::Io(_) => ("read error, rest of input lost", Some(text.as_str())),
                    _ => (text.as_str(), None),
                };
                reject(&mut stats, sink, (line, offset), forced, why, e.raw())?;
                continue;
            }
        };
        let at = (rec.line, rec.offset);
        let text = match std::str::from_utf8(rec.bytes) {
            Ok(t) => t,
            Err(e) => {
                let detail = format!("at byte {} of the record", e.valid_up_to());
                let why = ("invalid UTF-8", Some(detail.as_str()));
                reject(&mut stats, sink, at, forced, why, rec.bytes)?;
                continue;
            }
        };
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            classifier.classify(text, &ctx, &mut buf)
        }));
        let outcome = match outcome {
            Ok(o) => o,
            Err(payload) => {
                // The parsers' state may be half-updated: start them afresh.
                classifier = Classifier::new(types.to_vec());
                buf = RowBuf::default();
                let detail = panic_message(&*payload);
                let why = ("internal error: the parser panicked", Some(detail));
                reject(&mut stats, sink, at, forced, why, rec.bytes)?;
                continue;
            }
        };
        match outcome {
            Outcome::Row(t, mut row) => {
                row.collect_indicators(&t.schema);
                if opts.parse_time.is_none() {
                    rows_on_clock += 1;
                    if rows_on_clock == PARSE_TIME_EVERY {
                        rows_on_clock = 0;
                        parse_time = Timestamp::now();
                    }
                }
                let mut std = StandardFields {
                    log_type: t.name(),
                    row_id: [0; 32],
                    parse_time,
                    source_id: opts.source_id.as_deref(),
                    source_label: opts.source_label.as_deref(),
                };
                ids.row_id(rec.offset, 0, &mut std.row_id);
                let event_time = row.event_time.unwrap_or(parse_time);
                sink.row(t, &row, &std, event_time)?;
                buf.recycle(row);
                stats.rows += 1;
                stats.per_type.entry(t.name()).or_default().rows += 1;
            }
            Outcome::Skip(t) => {
                stats.skipped += 1;
                stats.per_type.entry(t.name()).or_default().skipped += 1;
            }
            Outcome::Reject { log_type, error } => {
                let log_type = log_type.map(|t| t.name());
                let why = (error.reason(), error.detail());
                reject(&mut stats, sink, at, log_type, why, rec.bytes)?;
            }
        }
    }
    stats.decoded_bytes = framer.position();
    Ok(stats)
}

/// The message a panic was raised with.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}
