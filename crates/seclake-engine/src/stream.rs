//! Running one input stream through decode, framing and classification.

use std::collections::BTreeMap;
use std::io::{self, Read};

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

/// A record that did not become a row.
#[derive(Debug)]
pub struct Reject<'a> {
    /// The object, file or stream name.
    pub object: &'a str,
    /// 1-based line of the record's start (0 when unknown).
    pub line: u64,
    /// Byte offset of the record in the decoded stream.
    pub offset: u64,
    /// The log type tried (forced, or the one the record most resembles).
    pub log_type: Option<&'a str>,
    pub reason: &'a str,
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

/// Parses one stream. `types` are the candidates: one type when the user
/// named it, every registered type to classify. Errors are only the sink's
/// own; problems with the input are rejects.
pub fn parse_stream<R: Read>(
    input: R,
    object: &str,
    types: &[&LogType],
    opts: &Options,
    sink: &mut dyn RowSink,
) -> io::Result<StreamStats> {
    let mut stats = StreamStats::default();
    let parse_time = opts.parse_time.unwrap_or_else(Timestamp::now);
    let ctx = ParseContext {
        reference_time: opts.reference_time,
    };
    let forced = (types.len() == 1).then(|| types[0].name());
    // Every reject goes through here: counted, attributed, given the source.
    let reject =
        |stats: &mut StreamStats, sink: &mut dyn RowSink, r: Reject<'_>| -> io::Result<()> {
            stats.rejects += 1;
            let key = types
                .iter()
                .find(|t| Some(t.name()) == r.log_type)
                .map_or(UNKNOWN, |t| t.name());
            stats.per_type.entry(key).or_default().rejects += 1;
            let r = Reject {
                source_id: opts.source_id.as_deref(),
                source_label: opts.source_label.as_deref(),
                ..r
            };
            sink.reject(&r)
        };

    let opened = seclake_decode::open(input, opts.limits)
        .and_then(|(compression, decoded)| Ok((compression, Framer::new(decoded, opts.limits)?)));
    let (compression, mut framer) = match opened {
        Ok(x) => x,
        Err(e) => {
            let reason = format!("cannot read: {e}");
            let r = Reject {
                object,
                line: 0,
                offset: 0,
                log_type: forced,
                reason: &reason,
                raw: b"",
                source_id: None,
                source_label: None,
            };
            reject(&mut stats, sink, r)?;
            return Ok(stats);
        }
    };
    stats.compression = Some(compression.name()).filter(|_| compression != Compression::None);
    let mut classifier = Classifier::new(types.to_vec());
    let ids = RowIdHasher::new(opts.source_id.as_deref().unwrap_or(""), object);
    let mut buf = RowBuf::default();
    while let Some(next) = framer.next() {
        let rec = match next {
            Ok(rec) => rec,
            Err(e) => {
                let (offset, line) = e.position().unwrap_or((0, 0));
                let reason = match &e {
                    FrameError::Io(io) => format!("read error, rest of input lost: {io}"),
                    other => other.to_string(),
                };
                reject(
                    &mut stats,
                    sink,
                    Reject {
                        object,
                        line,
                        offset,
                        log_type: forced,
                        reason: &reason,
                        raw: e.raw(),
                        source_id: None,
                        source_label: None,
                    },
                )?;
                continue;
            }
        };
        let text = match std::str::from_utf8(rec.bytes) {
            Ok(t) => t,
            Err(e) => {
                let reason = format!("invalid UTF-8 at byte {} of the record", e.valid_up_to());
                reject(
                    &mut stats,
                    sink,
                    Reject {
                        object,
                        line: rec.line,
                        offset: rec.offset,
                        log_type: forced,
                        reason: &reason,
                        raw: rec.bytes,
                        source_id: None,
                        source_label: None,
                    },
                )?;
                continue;
            }
        };
        match classifier.classify(text, &ctx, &mut buf) {
            Outcome::Row(t, mut row) => {
                row.collect_indicators(&t.schema);
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
            Outcome::Reject { log_type, reason } => {
                let log_type = log_type.map(|t| t.name());
                reject(
                    &mut stats,
                    sink,
                    Reject {
                        object,
                        line: rec.line,
                        offset: rec.offset,
                        log_type,
                        reason: &reason,
                        raw: rec.bytes,
                        source_id: None,
                        source_label: None,
                    },
                )?;
            }
        }
    }
    stats.decoded_bytes = framer.position();
    Ok(stats)
}
