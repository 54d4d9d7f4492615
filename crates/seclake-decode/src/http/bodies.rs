//! What a POSTed body holds, by the path it was sent to:
//!
//! - any path: log data as it would be in a file (a JSON document, a JSON
//!   array, JSON lines, plain lines; gzip or zstd), classified by the
//!   pipeline like a file. Edgecast's real-time log delivery and generic
//!   NDJSON senders (`curl --data-binary @file.json.gz`) post this.
//! - `/services/collector`, `/services/collector/event`: Splunk HTTP
//!   Event Collector style, a series of JSON objects; each `event` (an
//!   object, or a string such as a syslog line) is a record.
//!   `/services/collector/raw` is log data as above.
//! - `/_bulk`, `/<index>/_bulk`: Elasticsearch bulk style, NDJSON action
//!   lines each followed by the document; `index` and `create` documents
//!   are records.
//!
//! Envelopes are unwrapped here, on the connection's thread, into JSON
//! lines (a record a line), so the pipeline sees plain log data.

use std::io::Read;

use serde::Deserialize;
use serde_json::value::RawValue;

/// How a body's records are wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// Log data as in a file.
    Plain,
    /// Splunk HEC events.
    Hec,
    /// Elasticsearch bulk actions.
    Bulk,
}

impl Envelope {
    /// The envelope of a POST to `path`.
    pub fn of_path(path: &str) -> Envelope {
        let p = path.trim_end_matches('/');
        if p == "/services/collector" || p == "/services/collector/event" {
            Envelope::Hec
        } else if p == "/_bulk" || p.ends_with("/_bulk") {
            Envelope::Bulk
        } else {
            Envelope::Plain
        }
    }
}

/// Checks `Content-Encoding` against the body's first bytes: what the
/// pipeline will decompress (gzip, zstd, zlib as `deflate`) is accepted,
/// and a body that is not what its header says is refused.
pub fn check_encoding(encoding: Option<&str>, body: &[u8]) -> Result<(), (u16, String)> {
    use crate::decompress::Compression;
    let found = Compression::sniff(body);
    let declared = match encoding.unwrap_or("identity") {
        "identity" | "" => return Ok(()),
        "gzip" | "x-gzip" => Compression::Gzip,
        "zstd" => Compression::Zstd,
        "deflate" => Compression::Zlib,
        other => {
            return Err((
                415,
                format!("Content-Encoding {other:?} is not supported (gzip, zstd, deflate are)"),
            ))
        }
    };
    if body.is_empty() || found == declared {
        Ok(())
    } else {
        Err((
            400,
            format!(
                "Content-Encoding says {} but the body is not {}",
                declared.name(),
                declared.name()
            ),
        ))
    }
}

/// The records of an enveloped body as JSON lines, and how many; the
/// body is decompressed first, within `max_bytes` out.
pub fn unwrap(envelope: Envelope, body: &[u8], max_bytes: u64) -> Result<(Vec<u8>, usize), String> {
    let limits = crate::decompress::Limits {
        max_decompressed_bytes: max_bytes,
        ..Default::default()
    };
    let (_, mut reader) = crate::decompress::open(body, limits).map_err(|e| e.to_string())?;
    let mut text = Vec::new();
    reader.read_to_end(&mut text).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(text.len());
    let n = match envelope {
        Envelope::Plain => {
            out = text;
            0
        }
        Envelope::Hec => hec(&text, &mut out)?,
        Envelope::Bulk => bulk(&text, &mut out)?,
    };
    Ok((out, n))
}

#[derive(Deserialize)]
struct HecEvent<'a> {
    #[serde(borrow)]
    event: Option<&'a RawValue>,
}

fn hec(text: &[u8], out: &mut Vec<u8>) -> Result<usize, String> {
    let mut n = 0;
    let stream = serde_json::Deserializer::from_slice(text).into_iter::<HecEvent>();
    for (i, item) in stream.enumerate() {
        let item = item.map_err(|e| format!("event {}: not a HEC event object: {e}", i + 1))?;
        let event = item
            .event
            .ok_or_else(|| format!("event {}: no \"event\" field", i + 1))?;
        record(event, out).map_err(|e| format!("event {}: {e}", i + 1))?;
        n += 1;
    }
    Ok(n)
}

fn bulk(text: &[u8], out: &mut Vec<u8>) -> Result<usize, String> {
    let mut lines = text
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.trim_ascii().is_empty());
    let mut n = 0;
    while let Some((i, action)) = lines.next() {
        let action: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(action)
            .map_err(|e| format!("line {}: not a bulk action: {e}", i + 1))?;
        let verb = action.keys().next().map(String::as_str).unwrap_or_default();
        match verb {
            "index" | "create" => {
                let (j, doc) = lines
                    .next()
                    .ok_or_else(|| format!("line {}: {verb} without a document", i + 1))?;
                let doc: &RawValue = serde_json::from_slice(doc)
                    .map_err(|e| format!("line {}: the document is not JSON: {e}", j + 1))?;
                record(doc, out)?;
                n += 1;
            }
            other => {
                return Err(format!(
                    "line {}: bulk action {other:?}: only index and create add records",
                    i + 1
                ))
            }
        }
    }
    Ok(n)
}

/// One record as a line: an object as its JSON text, a string as its text
/// (a line break in it written `#012`, as syslog daemons do, so it stays
/// one record).
fn record(value: &RawValue, out: &mut Vec<u8>) -> Result<(), String> {
    let raw = value.get();
    if raw.starts_with('"') {
        let s: String = serde_json::from_str(raw).map_err(|e| e.to_string())?;
        out.extend_from_slice(s.replace('\n', "#012").replace('\r', "#015").as_bytes());
    } else if raw.starts_with('{') {
        // A line break in JSON is whitespace (strings cannot hold one
        // raw): a pretty-printed object becomes one line.
        let start = out.len();
        out.extend_from_slice(raw.as_bytes());
        for b in &mut out[start..] {
            if matches!(*b, b'\n' | b'\r') {
                *b = b' ';
            }
        }
    } else {
        return Err(format!(
            "a record must be an object or a string, not {raw:.40}"
        ));
    }
    out.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_envelopes() {
        assert_eq!(
            Envelope::of_path("/services/collector/event"),
            Envelope::Hec
        );
        assert_eq!(Envelope::of_path("/services/collector"), Envelope::Hec);
        assert_eq!(
            Envelope::of_path("/services/collector/raw"),
            Envelope::Plain
        );
        assert_eq!(Envelope::of_path("/logs-waf/_bulk"), Envelope::Bulk);
        assert_eq!(Envelope::of_path("/"), Envelope::Plain);
    }

    #[test]
    fn hec_events_become_lines() {
        let body = br#"{"time":1,"event":{"a":1}}  {"event":"<13>Jan  1 00:00:00 h x\nmore"}
{"event":{"b":"c"},"sourcetype":"x"}
{"event": {
  "pretty": "printed"
}}"#;
        let (out, n) = unwrap(Envelope::Hec, body, 1 << 20).unwrap();
        assert_eq!(n, 4);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"a\":1}\n<13>Jan  1 00:00:00 h x#012more\n{\"b\":\"c\"}\n{   \"pretty\": \"printed\" }\n"
        );
        let e = unwrap(Envelope::Hec, br#"{"event":1}{"x":2}"#, 1 << 20).unwrap_err();
        assert!(e.contains("event 1"), "{e}");
        let e = unwrap(Envelope::Hec, br#"{"x":2}"#, 1 << 20).unwrap_err();
        assert!(e.contains("no \"event\""), "{e}");
    }

    #[test]
    fn bulk_documents_become_lines() {
        let body = b"{\"index\":{\"_index\":\"w\"}}\n{\"a\":1}\n\n{\"create\":{}}\n{\"b\":2}\n";
        let (out, n) = unwrap(Envelope::Bulk, body, 1 << 20).unwrap();
        assert_eq!((out.as_slice(), n), (&b"{\"a\":1}\n{\"b\":2}\n"[..], 2));
        let e = unwrap(Envelope::Bulk, b"{\"delete\":{}}\n", 1 << 20).unwrap_err();
        assert!(e.contains("line 1") && e.contains("delete"), "{e}");
        let e = unwrap(Envelope::Bulk, b"{\"index\":{}}\n", 1 << 20).unwrap_err();
        assert!(e.contains("without a document"), "{e}");
    }

    #[test]
    fn encodings_are_checked_against_the_body() {
        let gz = [0x1f, 0x8b, 8, 0];
        assert!(check_encoding(Some("gzip"), &gz).is_ok());
        assert!(check_encoding(None, &gz).is_ok());
        assert_eq!(check_encoding(Some("gzip"), b"{}").unwrap_err().0, 400);
        assert_eq!(check_encoding(Some("br"), b"{}").unwrap_err().0, 415);
    }

    #[test]
    fn a_bomb_is_refused() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![b'{'; 4 << 20]).unwrap();
        let gz = gz.finish().unwrap();
        assert!(unwrap(Envelope::Hec, &gz, 1 << 20).is_err());
    }
}
