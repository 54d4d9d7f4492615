//! Ready-made sinks: normalized JSON lines for rows, JSON lines for rejects.

use std::io::{self, Write};

use seclake_core::json_out::{write_str, JsonRowWriter};
use seclake_core::{LogType, Row, StandardFields, Timestamp};

use crate::stream::{Reject, RowSink};

/// Writes one JSON object per reject: `file`, `line`, `offset`,
/// `log_type`, `reason`, `detail`, `raw` (lossy UTF-8 when the bytes are
/// not).
pub fn write_reject_json(out: &mut Vec<u8>, r: &Reject<'_>) {
    out.extend_from_slice(b"{\"file\":");
    write_str(out, r.object);
    out.extend_from_slice(format!(",\"line\":{},\"offset\":{}", r.line, r.offset).as_bytes());
    if let Some(t) = r.log_type {
        out.extend_from_slice(b",\"log_type\":");
        write_str(out, t);
    }
    out.extend_from_slice(b",\"reason\":");
    write_str(out, r.reason);
    if let Some(d) = r.detail {
        out.extend_from_slice(b",\"detail\":");
        write_str(out, d);
    }
    out.extend_from_slice(b",\"raw\":");
    write_str(out, &String::from_utf8_lossy(r.raw));
    out.extend_from_slice(b"}\n");
}

/// One line for a person: `file:line: [type:] reason[: detail]`.
pub fn reject_message(r: &Reject<'_>) -> String {
    let pos = if r.line > 0 {
        format!("{}:{}", r.object, r.line)
    } else {
        format!("{}@{}", r.object, r.offset)
    };
    let t = r.log_type.map(|t| format!("{t}: ")).unwrap_or_default();
    match r.detail {
        Some(d) => format!("{pos}: {t}{}: {d}", r.reason),
        None => format!("{pos}: {t}{}", r.reason),
    }
}

/// Rows as normalized JSON lines into `rows`; rejects as JSON lines into
/// `rejects` (if any) and as messages to `messages` (if any).
pub struct JsonLinesSink<W: Write> {
    pub rows: W,
    pub rejects: Option<Box<dyn Write>>,
    pub messages: Option<Box<dyn Write>>,
    buf: Vec<u8>,
    writer: JsonRowWriter,
}

impl<W: Write> JsonLinesSink<W> {
    pub fn new(rows: W) -> Self {
        JsonLinesSink {
            rows,
            rejects: None,
            messages: None,
            buf: Vec::with_capacity(1 << 20),
            writer: JsonRowWriter::default(),
        }
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.rows.write_all(&self.buf)?;
        self.buf.clear();
        self.rows.flush()?;
        if let Some(r) = &mut self.rejects {
            r.flush()?;
        }
        Ok(())
    }
}

impl<W: Write> RowSink for JsonLinesSink<W> {
    fn row(
        &mut self,
        t: &LogType,
        row: &Row<'_>,
        std: &StandardFields<'_>,
        event_time: Timestamp,
    ) -> io::Result<()> {
        self.writer
            .write(&mut self.buf, &t.schema, row, std, event_time);
        if self.buf.len() >= 1 << 20 {
            self.rows.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn reject(&mut self, r: &Reject<'_>) -> io::Result<()> {
        if let Some(out) = &mut self.rejects {
            let mut line = Vec::new();
            write_reject_json(&mut line, r);
            out.write_all(&line)?;
        }
        if let Some(m) = &mut self.messages {
            writeln!(m, "reject: {}", reject_message(r))?;
        }
        Ok(())
    }
}

impl<W: Write> Drop for JsonLinesSink<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}
