//! Rendering query results: an aligned `table` for people, `csv` (with a
//! header) and `json` (one object per line) for tools.
//!
//! Timestamps are RFC 3339 with `Z` everywhere. Columns with a time zone
//! (every lake timestamp is UTC) print as `2024-03-07T05:30:00Z`; timestamps
//! without one (e.g. from `to_timestamp`) are UTC by DataFusion's convention
//! and get the `Z` too. CSV has no nesting, so structs and lists go into
//! a CSV cell as their JSON text, the same text `json` output has.
//!
//! CSV and JSON stream batch by batch; `table` must see every row to size
//! its columns, so it holds the results until [`ResultWriter::finish`].

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_cast::display::FormatOptions;
use arrow_json::writer::{make_encoder, EncoderOptions, LineDelimited};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::physical_plan::SendableRecordBatchStream;
use futures::StreamExt;

use crate::error::QueryError;

/// The format of naive (zone-less) timestamps: RFC 3339 in UTC, fractional
/// seconds only when present.
const NAIVE_TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.fZ";

/// How query results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// An aligned text table (arrow's pretty printer).
    #[default]
    Table,
    /// CSV with a header line.
    Csv,
    /// One JSON object per row and line (JSON Lines), nulls included.
    Json,
}

impl OutputFormat {
    /// Every format, for CLI help and tests that loop over all of them.
    pub const ALL: [OutputFormat; 3] = [OutputFormat::Table, OutputFormat::Csv, OutputFormat::Json];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::Csv => "csv",
            OutputFormat::Json => "json",
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OutputFormat {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OutputFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| QueryError::UnknownFormat(s.to_string()))
    }
}

/// Writes results in one format, batch by batch.
pub struct ResultWriter<W: Write> {
    schema: SchemaRef,
    sink: Sink<Tracked<W>>,
    /// The kind of the output's last I/O error (see [`Tracked`]).
    io_error: Arc<Mutex<Option<io::ErrorKind>>>,
    rows: u64,
}

/// The output, remembering the kind of its last I/O error: arrow's CSV
/// writer turns I/O errors into text, and the caller must be able to tell
/// a closed pipe (`seclake query … | head`) from a real failure.
struct Tracked<W> {
    inner: W,
    error: Arc<Mutex<Option<io::ErrorKind>>>,
}

impl<W: Write> Tracked<W> {
    fn record<T>(&self, r: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &r {
            *self.error.lock().expect("io error slot") = Some(e.kind());
        }
        r
    }
}

impl<W: Write> Write for Tracked<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.inner.write(buf);
        self.record(r)
    }

    fn flush(&mut self) -> io::Result<()> {
        let r = self.inner.flush();
        self.record(r)
    }
}

enum Sink<W: Write> {
    /// Everything is held and printed at the end.
    Table {
        out: W,
        held: Vec<RecordBatch>,
    },
    /// `started` once the header is out (arrow writes it with the first
    /// batch).
    Csv {
        // Boxed: arrow's CSV writer is large, and there is one per query.
        writer: Box<arrow_csv::Writer<W>>,
        started: bool,
    },
    Json(arrow_json::Writer<W, LineDelimited>),
}

impl<W: Write> ResultWriter<W> {
    /// A writer of results with `schema` (the schema of the batches to come;
    /// needed so an empty result still prints its header).
    pub fn new(out: W, schema: SchemaRef, format: OutputFormat) -> Self {
        let io_error = Arc::new(Mutex::new(None));
        let out = Tracked {
            inner: out,
            error: io_error.clone(),
        };
        let sink = match format {
            OutputFormat::Table => Sink::Table { out, held: vec![] },
            OutputFormat::Csv => Sink::Csv {
                writer: Box::new(
                    arrow_csv::WriterBuilder::new()
                        .with_header(true)
                        .with_timestamp_format(NAIVE_TIMESTAMP_FORMAT.to_string())
                        .build(out),
                ),
                started: false,
            },
            OutputFormat::Json => Sink::Json(
                arrow_json::WriterBuilder::new()
                    .with_explicit_nulls(true)
                    .with_timestamp_format(NAIVE_TIMESTAMP_FORMAT.to_string())
                    .build::<_, LineDelimited>(out),
            ),
        };
        ResultWriter {
            schema,
            sink,
            io_error,
            rows: 0,
        }
    }

    /// Writes (or, for `table`, keeps) one batch. A failure to write the
    /// output is a [`QueryError::Io`] with the original error kind.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), QueryError> {
        let r = self.write_batch(batch);
        r.map_err(|e| io_error_or(&self.io_error, e))
    }

    /// Prints what is held, flushes, and returns the number of rows written.
    pub fn finish(self) -> Result<u64, QueryError> {
        let io_error = self.io_error.clone();
        self.finish_output().map_err(|e| io_error_or(&io_error, e))
    }

    fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), QueryError> {
        self.rows += batch.num_rows() as u64;
        match &mut self.sink {
            Sink::Table { held, .. } => {
                if batch.num_rows() > 0 {
                    held.push(batch.clone());
                }
            }
            Sink::Csv { writer, started } => {
                if batch.num_rows() > 0 || !*started {
                    writer.write(&nested_to_json_text(batch)?)?;
                    *started = true;
                }
            }
            Sink::Json(writer) => {
                if batch.num_rows() > 0 {
                    writer.write(batch)?;
                }
            }
        }
        Ok(())
    }

    fn finish_output(self) -> Result<u64, QueryError> {
        match self.sink {
            Sink::Table { mut out, mut held } => {
                if held.is_empty() {
                    held.push(RecordBatch::new_empty(self.schema.clone()));
                }
                let options = FormatOptions::new()
                    .with_display_error(true)
                    .with_null("NULL")
                    .with_timestamp_format(Some(NAIVE_TIMESTAMP_FORMAT));
                let table =
                    arrow_cast::pretty::pretty_format_batches_with_options(&held, &options)?;
                writeln!(out, "{table}")?;
                out.flush()?;
            }
            Sink::Csv {
                mut writer,
                started,
            } => {
                if !started {
                    // No rows: still write the header.
                    let empty = RecordBatch::new_empty(self.schema.clone());
                    writer.write(&nested_to_json_text(&empty)?)?;
                }
                writer.into_inner().flush()?;
            }
            Sink::Json(mut writer) => {
                writer.finish()?;
                writer.into_inner().flush()?;
            }
        }
        Ok(self.rows)
    }
}

/// The output's own I/O error if there was one, else `e`.
fn io_error_or(slot: &Mutex<Option<io::ErrorKind>>, e: QueryError) -> QueryError {
    match slot.lock().expect("io error slot").take() {
        Some(kind) => QueryError::Io(io::Error::new(kind, e.to_string())),
        None => e,
    }
}

/// Writes every batch of `stream` to `out` and returns the row count.
pub async fn write_stream<W: Write>(
    out: W,
    mut stream: SendableRecordBatchStream,
    format: OutputFormat,
) -> Result<u64, QueryError> {
    let mut writer = ResultWriter::new(out, stream.schema(), format);
    while let Some(batch) = stream.next().await {
        writer.write(&batch?)?;
    }
    writer.finish()
}

/// Renders collected batches to a string (small results, tests).
pub fn render(
    schema: SchemaRef,
    batches: &[RecordBatch],
    format: OutputFormat,
) -> Result<String, QueryError> {
    let mut buf = Vec::new();
    let mut writer = ResultWriter::new(&mut buf, schema, format);
    for b in batches {
        writer.write(b)?;
    }
    writer.finish()?;
    Ok(String::from_utf8(buf).expect("arrow writers write UTF-8"))
}

/// Whether CSV cannot hold a column of this type as is.
fn is_nested(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Struct(_)
            | DataType::List(_)
            | DataType::LargeList(_)
            | DataType::ListView(_)
            | DataType::LargeListView(_)
            | DataType::FixedSizeList(..)
            | DataType::Map(..)
            | DataType::Union(..)
    ) || matches!(t, DataType::Dictionary(_, v) if is_nested(v))
}

/// Replaces nested columns with their JSON text (nulls stay null).
fn nested_to_json_text(batch: &RecordBatch) -> Result<RecordBatch, QueryError> {
    let schema = batch.schema();
    if !schema.fields().iter().any(|f| is_nested(f.data_type())) {
        return Ok(batch.clone());
    }
    let options = EncoderOptions::default()
        .with_explicit_nulls(true)
        .with_timestamp_format(NAIVE_TIMESTAMP_FORMAT.to_string());
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        if !is_nested(field.data_type()) {
            fields.push(field.clone());
            columns.push(column.clone());
            continue;
        }
        let mut encoder = make_encoder(field, column.as_ref(), &options)?;
        let mut buf = Vec::new();
        let text: StringArray = (0..column.len())
            .map(|i| {
                if encoder.is_null(i) {
                    return None;
                }
                buf.clear();
                encoder.encode(i, &mut buf);
                Some(String::from_utf8_lossy(&buf).into_owned())
            })
            .collect();
        fields.push(Arc::new(Field::new(field.name(), DataType::Utf8, true)));
        columns.push(Arc::new(text));
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())),
        columns,
    )?)
}
