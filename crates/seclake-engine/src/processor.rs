//! What happens to one record: classification, the row's standard fields
//! and indicators, or a reject with its position and reason. The same code
//! runs for a stream parsed on the calling thread ([`crate::parse_stream`])
//! and for each chunk a pipeline worker parses.

use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use seclake_core::row::RowBuf;
use seclake_core::standard::RowIdHasher;
use seclake_core::{LogType, ParseContext, Row, StandardFields, Timestamp};
use seclake_decode::FrameError;

use crate::classify::{Classifier, Outcome};
use crate::stream::{Options, Reject, RowSink, StreamName, StreamStats};

const UNKNOWN: &str = "(unknown)";

/// How many rows share one reading of the clock for `p_parse_time`.
const PARSE_TIME_EVERY: u32 = 1024;

/// The per-stream state of parsing: parsers (which may keep state between
/// records, such as a VPC Flow header), row ids, the parse-time clock.
pub struct RecordProcessor<'t, 'o> {
    display: Arc<str>,
    identity: Arc<str>,
    types: &'t [&'t LogType],
    opts: &'o Options,
    ctx: ParseContext,
    forced: Option<&'static str>,
    /// Records start with the sending peer's address (see
    /// [`StreamName::peer_prefix`]).
    peer_prefix: bool,
    classifier: Classifier<'t>,
    buf: RowBuf,
    ids: RowIdHasher,
    parse_time: Timestamp,
    rows_on_clock: u32,
}

/// Where a reject comes from and why.
struct Why<'a> {
    at: (u64, u64),
    log_type: Option<&'a str>,
    reason: &'a str,
    detail: Option<&'a str>,
    raw: &'a [u8],
}

impl<'t, 'o> RecordProcessor<'t, 'o> {
    pub fn new(name: StreamName<'_>, types: &'t [&'t LogType], opts: &'o Options) -> Self {
        let display: Arc<str> = name.display.into();
        RecordProcessor {
            display: display.clone(),
            identity: name.identity.into(),
            types,
            opts,
            ctx: ParseContext {
                reference_time: opts.reference_time.unwrap_or_else(Timestamp::now),
                time_zone: opts.time_zone,
                secrets: opts.secrets.clone(),
                // Parsers of types whose vendors number deliveries in
                // file names read the numbers from it.
                input: display,
            },
            forced: (types.len() == 1).then(|| types[0].name()),
            peer_prefix: name.peer_prefix,
            classifier: Classifier::new(types.to_vec()),
            buf: RowBuf::default(),
            ids: RowIdHasher::new(opts.source_id.as_deref().unwrap_or(""), name.identity),
            parse_time: opts.parse_time.unwrap_or_else(Timestamp::now),
            rows_on_clock: 0,
        }
    }

    /// Every reject goes through here: counted, attributed, given the source.
    fn reject(
        &self,
        why: Why<'_>,
        sink: &mut dyn RowSink,
        stats: &mut StreamStats,
    ) -> io::Result<()> {
        stats.rejects += 1;
        let key = self
            .types
            .iter()
            .find(|t| Some(t.name()) == why.log_type)
            .map_or(UNKNOWN, |t| t.name());
        stats.per_type.entry(key).or_default().rejects += 1;
        sink.reject(&Reject {
            object: &self.display,
            identity: &self.identity,
            line: why.at.0,
            offset: why.at.1,
            log_type: why.log_type,
            reason: why.reason,
            detail: why.detail,
            raw: why.raw,
            source_id: self.opts.source_id.as_deref(),
            source_label: self.opts.source_label.as_deref(),
        })
    }

    /// The input could not be decoded at all (bad compressed stream).
    pub fn open_error(
        &mut self,
        e: &io::Error,
        sink: &mut dyn RowSink,
        stats: &mut StreamStats,
    ) -> io::Result<()> {
        let detail = e.to_string();
        let why = Why {
            at: (0, 0),
            log_type: self.forced,
            reason: "cannot read the input",
            detail: Some(&detail),
            raw: b"",
        };
        self.reject(why, sink, stats)
    }

    /// Framing found no record where one should be (too long, truncated,
    /// malformed, or the stream failed).
    pub fn frame_error(
        &mut self,
        e: &FrameError,
        sink: &mut dyn RowSink,
        stats: &mut StreamStats,
    ) -> io::Result<()> {
        let (offset, line) = e.position().unwrap_or((0, 0));
        let text = e.to_string();
        let (reason, detail) = match e {
            FrameError::Io(_) => ("read error, rest of input lost", Some(text.as_str())),
            _ => (text.as_str(), None),
        };
        let why = Why {
            at: (line, offset),
            log_type: self.forced,
            reason,
            detail,
            raw: e.raw(),
        };
        self.reject(why, sink, stats)
    }

    /// Parses one record into a row or a reject.
    pub fn record(
        &mut self,
        line: u64,
        offset: u64,
        bytes: &[u8],
        sink: &mut dyn RowSink,
        stats: &mut StreamStats,
    ) -> io::Result<()> {
        let at = (line, offset);
        let (sender, bytes) = match self.peer_prefix {
            true => split_peer(bytes),
            false => (None, bytes),
        };
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let detail = format!("at byte {} of the record", e.valid_up_to());
                let why = Why {
                    at,
                    log_type: self.forced,
                    reason: "invalid UTF-8",
                    detail: Some(&detail),
                    raw: bytes,
                };
                return self.reject(why, sink, stats);
            }
        };
        let first = self.guarded(at, bytes, sink, stats, |c, buf, ctx| {
            c.classify(text, ctx, buf)
        })?;
        let Some(mut outcome) = first else {
            return Ok(());
        };
        // One record may hold several rows; each gets its own index in the
        // row id.
        let mut index = 0u32;
        loop {
            match outcome {
                Outcome::Row(t, mut row, more) => {
                    if let (Some(column), Some(peer)) = (t.sender, sender) {
                        row.set(column, seclake_core::Value::str(peer));
                    }
                    self.emit(t, row, offset, index, sink, stats)?;
                    if !more {
                        return Ok(());
                    }
                    index += 1;
                    let next = self.guarded(at, bytes, sink, stats, |c, buf, ctx| {
                        c.next_row(t, text, ctx, buf)
                    })?;
                    match next {
                        Some(o) => outcome = o,
                        None => return Ok(()),
                    }
                }
                Outcome::Skip(t) => {
                    if index == 0 {
                        stats.skipped += 1;
                        stats.per_type.entry(t.name()).or_default().skipped += 1;
                    }
                    return Ok(());
                }
                Outcome::Reject { log_type, error } => {
                    // One broken entry of a record of several rows: that
                    // entry is the reject, and the rows after it go on.
                    let raw = error.entry().and_then(|r| bytes.get(r)).unwrap_or(bytes);
                    let why = Why {
                        at,
                        log_type: log_type.map(|t| t.name()),
                        reason: error.reason(),
                        detail: error.detail(),
                        raw,
                    };
                    self.reject(why, sink, stats)?;
                    let Some(t) = log_type.filter(|_| error.has_more()) else {
                        return Ok(());
                    };
                    let next = self.guarded(at, bytes, sink, stats, |c, buf, ctx| {
                        c.next_row(t, text, ctx, buf)
                    })?;
                    match next {
                        Some(o) => outcome = o,
                        None => return Ok(()),
                    }
                }
            }
        }
    }

    /// Runs a parser call; a panic in it becomes a reject of the record
    /// (and `None`), with the parsers started afresh.
    fn guarded<'a>(
        &mut self,
        at: (u64, u64),
        bytes: &[u8],
        sink: &mut dyn RowSink,
        stats: &mut StreamStats,
        call: impl FnOnce(&mut Classifier<'t>, &mut RowBuf, &ParseContext) -> Outcome<'t, 'a>,
    ) -> io::Result<Option<Outcome<'t, 'a>>> {
        let (classifier, buf, ctx) = (&mut self.classifier, &mut self.buf, &self.ctx);
        match panic::catch_unwind(AssertUnwindSafe(|| call(classifier, buf, ctx))) {
            Ok(o) => Ok(Some(o)),
            Err(payload) => {
                // The parsers' state may be half-updated: start them afresh.
                self.classifier = Classifier::new(self.types.to_vec());
                self.buf = RowBuf::default();
                let detail = panic_message(&*payload);
                let why = Why {
                    at,
                    log_type: self.forced,
                    reason: "internal error: the parser panicked",
                    detail: Some(detail),
                    raw: bytes,
                };
                self.reject(why, sink, stats)?;
                Ok(None)
            }
        }
    }

    /// Gives a parsed row its standard fields and hands it to the sink.
    fn emit(
        &mut self,
        t: &LogType,
        mut row: Row<'_>,
        offset: u64,
        index: u32,
        sink: &mut dyn RowSink,
        stats: &mut StreamStats,
    ) -> io::Result<()> {
        t.finish_row(&mut row);
        if self.opts.parse_time.is_none() {
            self.rows_on_clock += 1;
            if self.rows_on_clock == PARSE_TIME_EVERY {
                self.rows_on_clock = 0;
                self.parse_time = Timestamp::now();
                if self.opts.reference_time.is_none() {
                    self.ctx.reference_time = self.parse_time;
                }
            }
        }
        let mut std = StandardFields {
            log_type: t.name(),
            row_id: [0; 32],
            parse_time: self.parse_time,
            source_id: self.opts.source_id.as_deref(),
            source_label: self.opts.source_label.as_deref(),
        };
        self.ids.row_id(offset, index, &mut std.row_id);
        let event_time = row.event_time.unwrap_or(self.parse_time);
        let res = sink.row(t, &row, &std, event_time);
        self.buf.recycle(row);
        res?;
        stats.rows += 1;
        stats.per_type.entry(t.name()).or_default().rows += 1;
        Ok(())
    }
}

/// A record's sending peer (the text before the first space, an IP
/// address as the receiver wrote it) and the message after it.
fn split_peer(bytes: &[u8]) -> (Option<&str>, &[u8]) {
    let Some(space) = memchr::memchr(b' ', bytes) else {
        return (None, bytes);
    };
    // The receiver wrote an IP address; the check only keeps a record
    // that is not so prefixed from losing its first word.
    let peer = &bytes[..space];
    let address = |b: &u8| b.is_ascii_hexdigit() || *b == b'.' || *b == b':';
    match std::str::from_utf8(peer) {
        Ok(p) if (2..=45).contains(&p.len()) && peer.iter().all(address) => {
            (Some(p), &bytes[space + 1..])
        }
        _ => (None, bytes),
    }
}

/// The message a panic was raised with.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}
