//! Cutting a decoded stream into records.
//!
//! Two framings, chosen from the first bytes of the stream:
//! - **Lines**: one record a line (`\n`, optional `\r`); blank lines are not
//!   records. JSON Lines files use this framing too, so one malformed line
//!   costs one record, not the rest of the file.
//! - **JSON**: a stream of JSON values, as pretty-printed documents,
//!   concatenated values, top-level arrays (each element a record) or the
//!   CloudTrail wrapper `{"Records":[...]}` (each element a record). The
//!   scanner tracks only strings and nesting depth, so it runs at memory
//!   speed and holds one record at a time.
//!
//! Records longer than [`Limits::max_record_bytes`] are reported and
//! skipped without being buffered whole.

use std::io::{self, Read};

use crate::decompress::Limits;

const READ_CHUNK: usize = 256 << 10;
const PREFIX_KEPT: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Lines,
    Json,
}

/// One record: its bytes and where it starts in the decoded stream.
#[derive(Debug)]
pub struct Record<'b> {
    pub bytes: &'b [u8],
    /// Byte offset of the record's first byte.
    pub offset: u64,
    /// 1-based line number of the record's first byte.
    pub line: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("record longer than {limit} bytes, skipped")]
    TooLong {
        offset: u64,
        line: u64,
        limit: usize,
        prefix: Vec<u8>,
    },
    #[error("input ends inside a JSON value (truncated file?)")]
    Truncated {
        offset: u64,
        line: u64,
        prefix: Vec<u8>,
    },
    #[error("malformed JSON: {reason}")]
    Malformed {
        offset: u64,
        line: u64,
        reason: &'static str,
        raw: Vec<u8>,
    },
    /// Reading or decompressing failed; the stream ends here.
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl FrameError {
    /// Where the problem starts: (byte offset, line).
    pub fn position(&self) -> Option<(u64, u64)> {
        match self {
            FrameError::TooLong { offset, line, .. }
            | FrameError::Truncated { offset, line, .. }
            | FrameError::Malformed { offset, line, .. } => Some((*offset, *line)),
            FrameError::Io(_) => None,
        }
    }

    /// The part of the raw record kept for the rejects.
    pub fn raw(&self) -> &[u8] {
        match self {
            FrameError::TooLong { prefix, .. } | FrameError::Truncated { prefix, .. } => prefix,
            FrameError::Malformed { raw, .. } => raw,
            FrameError::Io(_) => &[],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// Values at the top level are records.
    Top,
    /// Inside a top-level array: elements are records.
    Array,
    /// Inside `{"Records":[`: elements are records.
    RecordsArray,
    /// After the Records array, inside the wrapper object.
    WrapperTail,
}

/// Resumable state of the scan of one JSON value.
#[derive(Debug, Default, Clone, Copy)]
struct ValueScan {
    active: bool,
    /// The first byte (which decides the kind of value) has been seen.
    started: bool,
    pos: usize,
    depth: u32,
    in_str: bool,
    esc: bool,
    /// The value is over the size limit: its bytes are being dropped.
    skipping: bool,
    skip_offset: u64,
    skip_line: u64,
}

/// Reads records from a decoded stream.
pub struct Framer<R> {
    reader: R,
    limits: Limits,
    framing: Framing,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// Line number at `buf[start]` (lines mode) or at `counted` (JSON).
    line: u64,
    /// JSON mode: newlines are counted up to this buffer index.
    counted: usize,
    eof: bool,
    done: bool,
    /// Lines mode: an over-long line is being skipped.
    skipping_line: bool,
    /// Lines mode: `buf[start..scanned]` has no newline.
    scanned: usize,
    ctx: Ctx,
    scan: ValueScan,
    skipped_prefix: Vec<u8>,
}

impl<R: Read> Framer<R> {
    /// Peeks at the stream to choose the framing.
    pub fn new(reader: R, limits: Limits) -> io::Result<Self> {
        let mut f = Framer {
            reader,
            limits,
            framing: Framing::Lines,
            buf: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
            base: 0,
            line: 1,
            counted: 0,
            eof: false,
            done: false,
            skipping_line: false,
            scanned: 0,
            ctx: Ctx::Top,
            scan: ValueScan::default(),
            skipped_prefix: Vec::new(),
        };
        while f.end < 64 << 10 && !f.eof {
            f.fill()?;
        }
        if f.buf[..f.end].starts_with(b"\xEF\xBB\xBF") {
            f.start = 3;
            f.counted = 3;
            f.scanned = 3;
        }
        f.framing = detect(&f.buf[f.start..f.end]);
        Ok(f)
    }

    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// Bytes of the decoded stream consumed so far.
    pub fn position(&self) -> u64 {
        self.base + self.start as u64
    }

    /// The next record, an error about one record (the stream goes on), or
    /// `None` at the end. After an `Io` error the stream ends.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Result<Record<'_>, FrameError>> {
        if self.done {
            return None;
        }
        let res = match self.framing {
            Framing::Lines => self.next_line(),
            Framing::Json => self.next_json(),
        };
        match res {
            Ok(Some((s, e, offset, line))) => Some(Ok(Record {
                bytes: &self.buf[s..e],
                offset,
                line,
            })),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(err) => {
                if matches!(err, FrameError::Io(_) | FrameError::Truncated { .. }) {
                    self.done = true;
                }
                Some(Err(err))
            }
        }
    }

    /// Reads more input, first moving unconsumed bytes to the front.
    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 && (self.end == self.buf.len() || self.start > self.buf.len() / 2) {
            self.buf.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.scanned -= self.start.min(self.scanned);
            self.counted -= self.start.min(self.counted);
            self.scan.pos -= self.start.min(self.scan.pos);
            self.start = 0;
        }
        if self.end == self.buf.len() {
            let new_len = (self.buf.len() * 2)
                .min(self.limits.max_record_bytes + 2 * READ_CHUNK)
                .max(self.buf.len() + READ_CHUNK);
            self.buf.resize(new_len, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn next_line(&mut self) -> Result<Option<(usize, usize, u64, u64)>, FrameError> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.scanned..self.end]) {
                let nl = self.scanned + i;
                let s = self.start;
                let line = self.line;
                self.start = nl + 1;
                self.scanned = self.start;
                self.line += 1;
                if std::mem::take(&mut self.skipping_line) {
                    continue;
                }
                if nl - s > self.limits.max_record_bytes {
                    return Err(FrameError::TooLong {
                        offset: self.base + s as u64,
                        line,
                        limit: self.limits.max_record_bytes,
                        prefix: self.buf[s..s + PREFIX_KEPT.min(nl - s)].to_vec(),
                    });
                }
                let mut e = nl;
                if e > s && self.buf[e - 1] == b'\r' {
                    e -= 1;
                }
                if self.buf[s..e].iter().all(|c| c.is_ascii_whitespace()) {
                    continue;
                }
                return Ok(Some((s, e, self.base + s as u64, line)));
            }
            self.scanned = self.end;
            if self.end - self.start > self.limits.max_record_bytes {
                let prefix = self.buf[self.start..self.start + PREFIX_KEPT].to_vec();
                let err = (!self.skipping_line).then(|| FrameError::TooLong {
                    offset: self.base + self.start as u64,
                    line: self.line,
                    limit: self.limits.max_record_bytes,
                    prefix,
                });
                self.skipping_line = true;
                self.start = self.end;
                self.scanned = self.end;
                if let Some(err) = err {
                    return Err(err);
                }
            }
            if self.eof {
                let (s, e) = (self.start, self.end);
                self.start = self.end;
                if s == e || std::mem::take(&mut self.skipping_line) {
                    return Ok(None);
                }
                let e = if self.buf[e - 1] == b'\r' { e - 1 } else { e };
                if self.buf[s..e].iter().all(|c| c.is_ascii_whitespace()) {
                    return Ok(None);
                }
                return Ok(Some((s, e, self.base + s as u64, self.line)));
            }
            self.fill()?;
        }
    }

    /// Line number of `buf[idx]`, counting newlines not yet counted.
    fn line_at(&mut self, idx: usize) -> u64 {
        if idx > self.counted {
            self.line += memchr::memchr_iter(b'\n', &self.buf[self.counted..idx]).count() as u64;
            self.counted = idx;
        }
        self.line
    }

    /// Skips white space; returns the next byte, or `None` at the end.
    fn peek_non_ws(&mut self) -> Result<Option<u8>, FrameError> {
        loop {
            while self.start < self.end {
                let c = self.buf[self.start];
                if !c.is_ascii_whitespace() {
                    return Ok(Some(c));
                }
                self.start += 1;
            }
            if self.eof {
                return Ok(None);
            }
            self.fill()?;
        }
    }

    /// Makes at least `n` bytes available after `start`, if the input has them.
    fn ensure(&mut self, n: usize) -> Result<(), FrameError> {
        while self.end - self.start < n && !self.eof {
            self.fill()?;
        }
        Ok(())
    }

    fn next_json(&mut self) -> Result<Option<(usize, usize, u64, u64)>, FrameError> {
        loop {
            if self.scan.active {
                return self.finish_value().map(Some);
            }
            let Some(c) = self.peek_non_ws()? else {
                if self.ctx != Ctx::Top {
                    let offset = self.position();
                    let line = self.line_at(self.start);
                    self.ctx = Ctx::Top;
                    return Err(FrameError::Truncated {
                        offset,
                        line,
                        prefix: Vec::new(),
                    });
                }
                return Ok(None);
            };
            match (self.ctx, c) {
                (Ctx::Top, b'[') => {
                    self.start += 1;
                    self.ctx = Ctx::Array;
                }
                (Ctx::Top, b'{') if self.records_wrapper()? => {
                    self.ctx = Ctx::RecordsArray;
                }
                // Commas separate values in arrays, and some writers put
                // them between concatenated top-level values too.
                (Ctx::Top | Ctx::Array | Ctx::RecordsArray | Ctx::WrapperTail, b',') => {
                    self.start += 1
                }
                (Ctx::Array, b']') => {
                    self.start += 1;
                    self.ctx = Ctx::Top;
                }
                (Ctx::RecordsArray, b']') => {
                    self.start += 1;
                    self.ctx = Ctx::WrapperTail;
                }
                (Ctx::WrapperTail, b'}') => {
                    self.start += 1;
                    self.ctx = Ctx::Top;
                }
                (Ctx::WrapperTail, b'"') => {
                    // Another member of the wrapper: skip `"key": value`.
                    self.begin_value();
                    let _ = self.finish_value();
                    let _ = self.peek_non_ws()?;
                    if self.start < self.end && self.buf[self.start] == b':' {
                        self.start += 1;
                        let _ = self.peek_non_ws()?;
                        self.begin_value();
                        let _ = self.finish_value();
                    }
                }
                (Ctx::Top, b'}' | b']')
                | (Ctx::Array | Ctx::RecordsArray, b'}')
                | (Ctx::WrapperTail, _) => {
                    let offset = self.position();
                    let line = self.line_at(self.start);
                    let raw = self.skip_to_newline()?;
                    self.ctx = Ctx::Top;
                    return Err(FrameError::Malformed {
                        offset,
                        line,
                        reason: "unexpected character between values",
                        raw,
                    });
                }
                _ => self.begin_value(),
            }
        }
    }

    /// At `{`: is this CloudTrail's `{"Records":[` wrapper? Consumes it if so.
    fn records_wrapper(&mut self) -> Result<bool, FrameError> {
        self.ensure(64)?;
        let b = &self.buf[self.start..self.end];
        let mut i = 1;
        let ws = |b: &[u8], mut i: usize| {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            i
        };
        i = ws(b, i);
        if !b[i..].starts_with(b"\"Records\"") {
            return Ok(false);
        }
        i = ws(b, i + 9);
        if b.get(i) != Some(&b':') {
            return Ok(false);
        }
        i = ws(b, i + 1);
        if b.get(i) != Some(&b'[') {
            return Ok(false);
        }
        self.start += i + 1;
        Ok(true)
    }

    fn begin_value(&mut self) {
        self.scan = ValueScan {
            active: true,
            pos: self.start,
            ..ValueScan::default()
        };
    }

    fn skip_to_newline(&mut self) -> Result<Vec<u8>, FrameError> {
        let mut raw = Vec::new();
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                raw.extend_from_slice(&self.buf[self.start..self.start + i.min(PREFIX_KEPT)]);
                self.start += i + 1;
                return Ok(raw);
            }
            if raw.len() < PREFIX_KEPT {
                let take = (self.end - self.start).min(PREFIX_KEPT - raw.len());
                raw.extend_from_slice(&self.buf[self.start..self.start + take]);
            }
            self.start = self.end;
            if self.eof {
                return Ok(raw);
            }
            self.fill()?;
        }
    }

    /// Scans the value begun at `start` to its end.
    fn finish_value(&mut self) -> Result<(usize, usize, u64, u64), FrameError> {
        loop {
            if let Some(end) = self.scan_step() {
                self.scan.active = false;
                let s = self.start;
                self.start = end;
                if self.scan.skipping {
                    let err = FrameError::TooLong {
                        offset: self.scan.skip_offset,
                        line: self.scan.skip_line,
                        limit: self.limits.max_record_bytes,
                        prefix: std::mem::take(&mut self.skipped_prefix),
                    };
                    return Err(err);
                }
                let line = self.line_at(s);
                if end - s > self.limits.max_record_bytes {
                    return Err(FrameError::TooLong {
                        offset: self.base + s as u64,
                        line,
                        limit: self.limits.max_record_bytes,
                        prefix: self.buf[s..s + PREFIX_KEPT.min(end - s)].to_vec(),
                    });
                }
                return Ok((s, end, self.base + s as u64, line));
            }
            if self.scan.pos - self.start > self.limits.max_record_bytes && !self.scan.skipping {
                self.scan.skipping = true;
                self.scan.skip_offset = self.position();
                self.scan.skip_line = self.line_at(self.start);
                self.skipped_prefix = self.buf[self.start..self.start + PREFIX_KEPT].to_vec();
            }
            if self.scan.skipping {
                // Drop what has been scanned; keep scanning.
                self.line_at(self.scan.pos);
                self.start = self.scan.pos;
            }
            if self.eof {
                self.scan.active = false;
                let offset = if self.scan.skipping {
                    self.scan.skip_offset
                } else {
                    self.position()
                };
                let line = if self.scan.skipping {
                    self.scan.skip_line
                } else {
                    self.line_at(self.start)
                };
                let mut prefix = std::mem::take(&mut self.skipped_prefix);
                if prefix.is_empty() {
                    prefix = self.buf[self.start..self.end.min(self.start + PREFIX_KEPT)].to_vec();
                }
                self.start = self.end;
                self.ctx = Ctx::Top;
                return Err(FrameError::Truncated {
                    offset,
                    line,
                    prefix,
                });
            }
            self.fill()?;
        }
    }

    /// Advances the value scan over buffered bytes; returns the end index
    /// (exclusive) when the value is complete.
    fn scan_step(&mut self) -> Option<usize> {
        let b = &self.buf[..self.end];
        let st = &mut self.scan;
        let mut i = st.pos;
        if !st.started {
            // First byte decides the kind of value.
            let &first = b.get(i)?;
            st.started = true;
            match first {
                b'{' | b'[' => {
                    st.depth = 1;
                    i += 1;
                }
                b'"' => {
                    st.in_str = true;
                    i += 1;
                }
                _ => {
                    // A scalar: up to the next delimiter, and at least one
                    // byte, so that a stray delimiter cannot stall the scan.
                    i += 1;
                    while i < b.len() {
                        if matches!(b[i], b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                            return Some(i);
                        }
                        i += 1;
                    }
                    st.pos = i;
                    return if self.eof { Some(i) } else { None };
                }
            }
        }
        while i < b.len() {
            if st.esc {
                st.esc = false;
                i += 1;
                continue;
            }
            if st.in_str {
                match memchr::memchr2(b'"', b'\\', &b[i..]) {
                    Some(k) => {
                        i += k;
                        if b[i] == b'\\' {
                            st.esc = true;
                        } else {
                            st.in_str = false;
                            if st.depth == 0 {
                                return Some(i + 1);
                            }
                        }
                        i += 1;
                    }
                    None => i = b.len(),
                }
                continue;
            }
            match b[i] {
                b'"' => st.in_str = true,
                b'{' | b'[' => st.depth += 1,
                b'}' | b']' => {
                    st.depth -= 1;
                    if st.depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        st.pos = i;
        None
    }
}

/// Lines unless the stream starts with a JSON array, the Records wrapper,
/// or an object that spans several lines.
fn detect(head: &[u8]) -> Framing {
    let s = head
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(head.len());
    let b = &head[s..];
    match b.first() {
        Some(b'[') => Framing::Json,
        Some(b'{') => {
            let after = b[1..]
                .iter()
                .position(|c| !c.is_ascii_whitespace())
                .map(|p| &b[1 + p..]);
            if after.is_some_and(|a| a.starts_with(b"\"Records\"")) {
                return Framing::Json;
            }
            // Does the first object end on its first line?
            let (mut depth, mut in_str, mut esc) = (0u32, false, false);
            for (i, &c) in b.iter().enumerate() {
                if esc {
                    esc = false;
                } else if in_str {
                    match c {
                        b'\\' => esc = true,
                        b'"' => in_str = false,
                        _ => {}
                    }
                } else {
                    match c {
                        b'"' => in_str = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                // Objects run together on one line (as
                                // Firehose delivers them) need the JSON
                                // stream framing; otherwise it is JSON Lines.
                                let next = b[i + 1..].iter().find(|c| **c != b' ' && **c != b'\t');
                                return if next == Some(&b'{') {
                                    Framing::Json
                                } else {
                                    Framing::Lines
                                };
                            }
                        }
                        b'\n' => return Framing::Json,
                        _ => {}
                    }
                }
            }
            // The first line is longer than the peek: one long JSON line.
            Framing::Lines
        }
        _ => Framing::Lines,
    }
}

#[cfg(test)]
mod tests;
