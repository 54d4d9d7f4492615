//! Running one input stream through decode, framing and classification.

use std::collections::BTreeMap;
use std::io::{self, Read};

use std::sync::Arc;

use seclake_core::{DecoderDef, LogType, Row, Secrets, StandardFields, TimeZone, Timestamp};
use seclake_decode::{Compression, Limits};

use crate::processor::RecordProcessor;

/// Settings of a parse run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The reference time for formats without a year; `None` is the clock
    /// (read again as the run goes on, so a long-running source does not
    /// age).
    pub reference_time: Option<Timestamp>,
    /// The time zone of formats whose times carry none.
    pub time_zone: TimeZone,
    /// The source's secrets (private keys) for decoders and parsers.
    pub secrets: Arc<Secrets>,
    /// File formats around records, tried after decompression (the
    /// registry's list).
    pub decoders: Vec<DecoderDef>,
    /// Decoders treat integrity problems (a checksum mismatch) as errors.
    pub strict: bool,
    /// Fixed parse time (tests); `None` means the wall clock (read again
    /// every thousand rows or so).
    pub parse_time: Option<Timestamp>,
    pub source_id: Option<String>,
    pub source_label: Option<String>,
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            reference_time: None,
            time_zone: TimeZone::Utc,
            secrets: Arc::default(),
            decoders: Vec::new(),
            strict: false,
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
    /// Each record starts with the address of the peer that sent it and a
    /// space, as a network receiver (syslog) writes its batches: the
    /// address is taken off before parsing and kept in the `sender_ip`
    /// column of the types that declare it (and so among the row's IP
    /// indicators). Carried in the record, not the input, so that one
    /// batch holds the messages of many senders.
    pub peer_prefix: bool,
}

impl<'a> StreamName<'a> {
    /// A stream whose display name is also its identity (tests, fixtures).
    pub fn same(name: &'a str) -> Self {
        StreamName {
            display: name,
            identity: name,
            peer_prefix: false,
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

/// Parses one stream on the calling thread. `types` are the candidates:
/// one type when the user named it, every registered type to classify.
/// Errors are only the sink's own; problems with the input are rejects. A
/// parser that panics on a record is a bug, but it costs only that record:
/// it becomes a reject and the stream goes on.
pub fn parse_stream<R: Read>(
    input: R,
    name: StreamName<'_>,
    types: &[&LogType],
    opts: &Options,
    sink: &mut dyn RowSink,
) -> io::Result<StreamStats> {
    let mut stats = StreamStats::default();
    let mut p = RecordProcessor::new(name, types, opts);
    let opened = crate::pipeline::open_records(input, name.display, opts);
    let (compression, mut framer) = match opened {
        Ok(x) => x,
        Err(e) => {
            p.open_error(&e, sink, &mut stats)?;
            return Ok(stats);
        }
    };
    stats.compression = Some(compression.name()).filter(|_| compression != Compression::None);
    while let Some(next) = framer.next() {
        match next {
            Ok(rec) => p.record(rec.line, rec.offset, rec.bytes, sink, &mut stats)?,
            Err(e) => p.frame_error(&e, sink, &mut stats)?,
        }
    }
    stats.decoded_bytes = framer.position();
    Ok(stats)
}
