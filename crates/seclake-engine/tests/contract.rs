//! What the engine gives parsers and decoders beyond the record: a time
//! zone and a reference clock per source, secrets, and file formats
//! unwrapped before framing.

use std::io::{self, Read};
use std::sync::Arc;

use seclake_core::parser::ByteStream;
use seclake_core::{
    columns, DecodeContext, DecoderDef, LogType, LogTypeDef, ParseContext, ParseError, Parsed,
    RecordParser, Row, Secrets, StandardFields, Timestamp, Value,
};
use seclake_engine::{parse_stream, Options, Reject, RowSink, StreamName};

columns! {
    Text = "text", "string", required, [], "The line.";
}

/// `YYYY-MM-DD HH:MM:SS text`, a local time in the source's zone.
struct Local;

impl RecordParser for Local {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        let (stamp, text) = record.split_at(19.min(record.len()));
        let n = |r: std::ops::Range<usize>| stamp.get(r).and_then(|s| s.parse::<u32>().ok());
        let civil = (
            i64::from(n(0..4).unwrap_or(0)),
            n(5..7).unwrap_or(0),
            n(8..10).unwrap_or(0),
            n(11..13).unwrap_or(0),
            n(14..16).unwrap_or(0),
            n(17..19).unwrap_or(0),
            0,
        );
        let t = ctx
            .time_zone
            .to_utc(civil)
            .ok_or_else(|| ParseError::field("time", "not a local time", stamp))?;
        row.event_time = Some(t);
        row.set(C::Text, Value::str(text.trim()));
        Ok(Parsed::Row)
    }
}

const DEF: LogTypeDef = LogTypeDef {
    name: "Test.Local",
    description: "Local times.",
    reference: "",
    columns: COLUMNS,
    signature: seclake_core::Signature::Any,
    event_time: None,
    examples: &[],
    new_parser: || Box::new(Local),
    sigma: seclake_core::SigmaDef::NONE,
};

#[derive(Default)]
struct Collect {
    rows: Vec<(String, Timestamp)>,
    rejects: Vec<(String, Option<String>)>,
}

impl RowSink for Collect {
    fn row(
        &mut self,
        _: &LogType,
        row: &Row<'_>,
        _: &StandardFields<'_>,
        t: Timestamp,
    ) -> io::Result<()> {
        if let Value::Str(s) = row.get(C::Text) {
            self.rows.push((s.to_string(), t));
        }
        Ok(())
    }
    fn reject(&mut self, r: &Reject<'_>) -> io::Result<()> {
        self.rejects
            .push((r.reason.to_string(), r.detail.map(str::to_string)));
        Ok(())
    }
}

fn run(input: &[u8], opts: &Options) -> Collect {
    let t = LogType::new(DEF).unwrap();
    let mut sink = Collect::default();
    parse_stream(input, StreamName::same("in"), &[&t], opts, &mut sink).unwrap();
    sink
}

#[test]
fn the_sources_time_zone_reaches_the_parser() {
    let opts = Options {
        time_zone: "Europe/Paris".parse().unwrap(),
        ..Options::default()
    };
    let got = run(
        b"2024-01-15 12:00:00 winter\n2024-07-15 12:00:00 summer\n",
        &opts,
    );
    let times: Vec<String> = got.rows.iter().map(|(_, t)| t.to_rfc3339()).collect();
    assert_eq!(times, ["2024-01-15T11:00:00Z", "2024-07-15T10:00:00Z"]);
}

/// `ROT13\n` then the records, rotated.
fn rot13_open<'r>(mut inner: ByteStream<'r>, _: &DecodeContext<'_>) -> io::Result<ByteStream<'r>> {
    let mut all = Vec::new();
    inner.read_to_end(&mut all)?;
    let body: Vec<u8> = all[6..]
        .iter()
        .map(|&c| match c {
            b'a'..=b'z' => (c - b'a' + 13) % 26 + b'a',
            other => other,
        })
        .collect();
    Ok(Box::new(io::Cursor::new(body)))
}

/// `LOCKED\n` then the records, readable with the secret `sesame` only.
fn locked_open<'r>(inner: ByteStream<'r>, ctx: &DecodeContext<'_>) -> io::Result<ByteStream<'r>> {
    if !ctx.secrets.of_kind("test-key").any(|k| k == b"sesame") {
        return Err(io::Error::other(format!(
            "{}: no usable key for key id 7",
            ctx.input
        )));
    }
    let mut r = io::BufReader::new(inner);
    let mut header = String::new();
    io::BufRead::read_line(&mut r, &mut header)?;
    Ok(Box::new(r))
}

const DECODERS: [DecoderDef; 2] = [
    DecoderDef {
        name: "Test.Rot13",
        description: "Rotated records.",
        detect: |head| head.starts_with(b"ROT13\n"),
        open: rot13_open,
    },
    DecoderDef {
        name: "Test.Locked",
        description: "Records behind a key.",
        detect: |head| head.starts_with(b"LOCKED\n"),
        open: locked_open,
    },
];

#[test]
fn decoders_unwrap_file_formats_before_framing() {
    let opts = Options {
        decoders: DECODERS.to_vec(),
        ..Options::default()
    };
    let got = run(b"ROT13\n2024-01-15 12:00:00 uryyb\n", &opts);
    assert_eq!(got.rows[0].0, "hello");
    // Not this format: read as it is.
    let got = run(b"2024-01-15 12:00:00 plain\n", &opts);
    assert_eq!(got.rows[0].0, "plain");
}

#[test]
fn a_decoder_without_its_secret_rejects_the_input_with_its_reason() {
    let body = b"LOCKED\n2024-01-15 12:00:00 secret\n";
    let mut opts = Options {
        decoders: DECODERS.to_vec(),
        ..Options::default()
    };
    let got = run(body, &opts);
    assert!(got.rows.is_empty());
    assert_eq!(got.rejects.len(), 1);
    let detail = got.rejects[0].1.clone().unwrap_or_default();
    assert!(
        detail.contains("Test.Locked") && detail.contains("key id 7"),
        "{detail}"
    );
    let mut secrets = Secrets::default();
    secrets.add("test-key", b"sesame".to_vec());
    opts.secrets = Arc::new(secrets);
    assert!(
        !format!("{:?}", opts.secrets).contains("sesame"),
        "secrets stay out of debug output"
    );
    let got = run(body, &opts);
    assert_eq!(got.rows[0].0, "secret");
}
