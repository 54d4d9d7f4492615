//! Ready-made sinks: normalized JSON lines for rows, JSON lines for rejects.

use std::io::{self, Write};

use seclake_core::json_out::write_str;
use seclake_core::{LogType, Row, StandardFields, Timestamp};

use crate::batch::TableBatch;
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

/// Rows in a batch before they are rendered: enough to amortize the
/// per-batch work, small enough to keep output flowing.
const JSON_BATCH_ROWS: usize = 4096;

/// Rows as normalized JSON lines into `rows` (rendered from Arrow batches,
/// in input order); rejects as JSON lines into `rejects` (if any) and as
/// messages to `messages` (if any).
pub struct JsonLinesSink<W: Write> {
    pub rows: W,
    pub rejects: Option<Box<dyn Write>>,
    pub messages: Option<Box<dyn Write>>,
    buf: Vec<u8>,
    /// A batch per log type met (keyed by address), reused; `current` is
    /// the one holding rows.
    batches: Vec<(usize, TableBatch)>,
    current: Option<usize>,
}

impl<W: Write> JsonLinesSink<W> {
    pub fn new(rows: W) -> Self {
        JsonLinesSink {
            rows,
            rejects: None,
            messages: None,
            buf: Vec::with_capacity(1 << 20),
            batches: Vec::new(),
            current: None,
        }
    }

    /// Renders the rows of the current batch into the output buffer.
    fn render(&mut self) -> io::Result<()> {
        if let Some(i) = self.current.take() {
            let batch = self.batches[i].1.finish().map_err(io::Error::other)?;
            crate::json_lines::write_batch(&mut self.buf, &batch);
        }
        if self.buf.len() >= 1 << 20 {
            self.rows.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.render()?;
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
        let key = t as *const LogType as usize;
        let i = match self.current {
            Some(i) if self.batches[i].0 == key => i,
            _ => {
                // Another type: what came before is rendered first, so
                // rows keep their input order.
                self.render()?;
                match self.batches.iter().position(|(k, _)| *k == key) {
                    Some(i) => i,
                    None => {
                        self.batches.push((key, TableBatch::new(&t.schema)));
                        self.batches.len() - 1
                    }
                }
            }
        };
        self.current = Some(i);
        let batch = &mut self.batches[i].1;
        batch.append(row, std, event_time);
        if batch.rows() >= JSON_BATCH_ROWS {
            self.render()?;
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
