//! Chunks: runs of records cut from one input by the reader, the unit of
//! work of the parse workers.
//!
//! The reader decodes and frames each input and copies its records into
//! chunks of about a megabyte, so one large file keeps every worker busy.
//! A record's byte offset and line travel with it, so row ids and reject
//! positions are the same whatever worker parses it.

use std::io::{self, BufRead, Read};
use std::sync::{Arc, OnceLock};

use seclake_core::parser::ByteStream;
use seclake_core::DecodeContext;
use seclake_decode::{framing::Framer, Compression, FrameError};

use crate::stream::Options;

/// What every chunk of one input shares.
pub struct StreamInfo {
    pub display: String,
    pub identity: String,
    pub peer_prefix: bool,
    /// The input's first record. A worker that starts a parser in the
    /// middle of an input replays it first, so that state a parser takes
    /// from the start of its input (a VPC Flow header line) is there.
    pub first_record: OnceLock<Box<[u8]>>,
}

pub enum Item {
    Record {
        start: usize,
        len: usize,
        line: u64,
        offset: u64,
    },
    FrameError(FrameError),
    /// The input's bytes could not be decoded at all.
    DecodeError(io::Error),
}

pub struct Chunk {
    /// Position in the run: outputs are delivered in this order.
    pub seq: u64,
    /// Index of the input in the run.
    pub input: usize,
    pub stream: Arc<StreamInfo>,
    /// Index of the chunk within its input.
    pub index: u64,
    pub data: Vec<u8>,
    pub items: Vec<Item>,
    /// The input's last chunk (it may hold no items).
    pub last: bool,
    /// Set on the last chunk.
    pub decoded_bytes: u64,
    pub compression: Option<&'static str>,
    /// The input could not be opened at all (only on a last, empty chunk).
    pub open_error: Option<io::Error>,
}

/// How big a chunk grows before it is handed to a worker.
#[derive(Clone, Copy)]
pub struct ChunkLimits {
    pub bytes: usize,
    pub items: usize,
}

impl Default for ChunkLimits {
    fn default() -> Self {
        ChunkLimits {
            bytes: 1 << 20,
            items: 1 << 16,
        }
    }
}

/// Cuts one opened input into chunks, calling `emit` with each (the last
/// one marked). `next_seq` numbers chunks across the whole run.
#[allow(clippy::too_many_arguments)]
pub fn read_input(
    input: usize,
    stream: Arc<StreamInfo>,
    reader: io::Result<Box<dyn Read + Send + '_>>,
    opts: &Options,
    chunk: ChunkLimits,
    next_seq: &mut u64,
    emit: &mut dyn FnMut(Chunk) -> bool,
) {
    let mut index = 0;
    let fresh = |next_seq: &mut u64, index: &mut u64| {
        let c = Chunk {
            seq: *next_seq,
            input,
            stream: stream.clone(),
            index: *index,
            data: super::pool::take(chunk.bytes + (chunk.bytes >> 3)),
            items: Vec::new(),
            last: false,
            decoded_bytes: 0,
            compression: None,
            open_error: None,
        };
        *next_seq += 1;
        *index += 1;
        c
    };
    let mut current = fresh(next_seq, &mut index);
    let reader = match reader {
        Ok(r) => r,
        Err(e) => {
            current.open_error = Some(e);
            current.last = true;
            emit(current);
            return;
        }
    };
    let reader = Box::new(SourceReader(reader));
    let (compression, mut framer) = match open_records(reader, &stream.display, opts) {
        Ok(x) => x,
        Err(e) => {
            current.open_error = read_failure(&e);
            current.items.push(Item::DecodeError(e));
            current.last = true;
            emit(current);
            return;
        }
    };
    // A failure of the input's own reader (the network, the disk): the
    // input was not read whole, so it must not be acknowledged as done.
    let mut failed: Option<io::Error> = None;
    while let Some(next) = framer.next() {
        match next {
            Ok(rec) => {
                if stream.first_record.get().is_none() {
                    let _ = stream.first_record.set(rec.bytes.into());
                }
                let start = current.data.len();
                current.data.extend_from_slice(rec.bytes);
                current.items.push(Item::Record {
                    start,
                    len: rec.bytes.len(),
                    line: rec.line,
                    offset: rec.offset,
                });
            }
            Err(e) => {
                if let (None, FrameError::Io(io)) = (&failed, &e) {
                    failed = read_failure(io);
                }
                current.items.push(Item::FrameError(e))
            }
        }
        if current.data.len() >= chunk.bytes || current.items.len() >= chunk.items {
            let full = std::mem::replace(&mut current, fresh(next_seq, &mut index));
            if !emit(full) {
                return;
            }
        }
    }
    current.last = true;
    current.open_error = failed;
    current.decoded_bytes = framer.position();
    current.compression = Some(compression.name()).filter(|_| compression != Compression::None);
    emit(current);
}

/// An error of an input's own reader, told apart from errors about its
/// data (corrupt compression, a bomb, a malformed record) once it has gone
/// through decompression and framing: the data errors are rejects, a read
/// failure also fails the input's acknowledgement (an S3 object that
/// vanished, a connection reset mid-object).
#[derive(Debug)]
struct ReadFailure(io::Error);

impl std::fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ReadFailure {}

/// Marks the errors of the input's reader as [`ReadFailure`]s.
struct SourceReader<R>(R);

impl<R: Read> Read for SourceReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::Interrupted {
                e
            } else {
                io::Error::new(e.kind(), ReadFailure(e))
            }
        })
    }
}

/// A copy of `e` to fail the input with, if it is a read failure.
fn read_failure(e: &io::Error) -> Option<io::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|x| x as _);
    while let Some(s) = source {
        if s.is::<ReadFailure>() {
            return Some(io::Error::new(e.kind(), format!("reading failed: {e}")));
        }
        source = s.source();
    }
    None
}

/// Decompresses, unwraps a file format, and frames: the records of an
/// input, however it was stored.
pub(crate) fn open_records<'r>(
    reader: impl Read + 'r,
    input: &str,
    opts: &Options,
) -> io::Result<(Compression, Framer<ByteStream<'r>>)> {
    let (compression, decoded) = seclake_decode::open(reader, opts.limits)?;
    let decoded = unwrap_format(decoded, input, opts)?;
    Ok((compression, Framer::new(decoded, opts.limits)?))
}

/// Applies the first decoder (file format around the records) that
/// recognises the start of the decompressed stream; the stream as it is
/// when none does.
fn unwrap_format<'r>(
    mut decoded: Box<dyn BufRead + 'r>,
    input: &str,
    opts: &Options,
) -> io::Result<ByteStream<'r>> {
    if opts.decoders.is_empty() {
        return Ok(Box::new(decoded));
    }
    let head = decoded.fill_buf()?;
    let Some(d) = opts.decoders.iter().find(|d| (d.detect)(head)) else {
        return Ok(Box::new(decoded));
    };
    let ctx = DecodeContext {
        input,
        secrets: &opts.secrets,
        strict: opts.strict,
    };
    (d.open)(Box::new(decoded), &ctx)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", d.name)))
}
