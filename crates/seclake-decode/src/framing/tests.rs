use super::*;

/// Each record as (text, offset, line), or the error's message.
type Framed = Vec<Result<(String, u64, u64), String>>;

fn frame_with(input: &[u8], limits: Limits) -> (Framing, Framed) {
    let mut f = Framer::new(input, limits).unwrap();
    let framing = f.framing();
    let mut out = Vec::new();
    while let Some(r) = f.next() {
        out.push(match r {
            Ok(rec) => Ok((
                String::from_utf8_lossy(rec.bytes).into_owned(),
                rec.offset,
                rec.line,
            )),
            Err(e) => Err(format!("{e} @{:?}", e.position())),
        });
    }
    (framing, out)
}

fn frame(input: &str) -> (Framing, Framed) {
    frame_with(input.as_bytes(), Limits::default())
}

fn texts(v: &Framed) -> Vec<String> {
    v.iter()
        .map(|r| {
            r.as_ref()
                .map(|t| t.0.clone())
                .unwrap_or_else(|e| format!("ERR {e}"))
        })
        .collect()
}

#[test]
fn lines_with_crlf_blank_lines_and_no_final_newline() {
    let (fr, recs) = frame("a b\r\n\n  \nc d");
    assert_eq!(fr, Framing::Lines);
    assert_eq!(texts(&recs), vec!["a b", "c d"]);
    assert_eq!(recs[1].as_ref().unwrap().2, 4);
    assert_eq!(recs[1].as_ref().unwrap().1, 9);
}

#[test]
fn json_lines_stay_line_framed() {
    let (fr, recs) = frame("{\"a\":1}\n{\"b\":\n{\"c\":3}\n");
    assert_eq!(fr, Framing::Lines);
    assert_eq!(texts(&recs), vec!["{\"a\":1}", "{\"b\":", "{\"c\":3}"]);
}

#[test]
fn records_wrapper_is_streamed_element_by_element() {
    let input =
        "{\"Records\":[{\"a\":\"x]}\\\"\"},\n {\"b\":[1,{\"c\":2}]}], \"other\": {\"x\":1}}";
    let (fr, recs) = frame(input);
    assert_eq!(fr, Framing::Json);
    assert_eq!(
        texts(&recs),
        vec!["{\"a\":\"x]}\\\"\"}", "{\"b\":[1,{\"c\":2}]}"]
    );
    assert_eq!(recs[1].as_ref().unwrap().2, 2);
}

#[test]
fn arrays_and_pretty_documents() {
    let (fr, recs) = frame("[\n {\"a\": 1},\n {\"b\": 2}\n]\n{\n \"c\": 3\n}\n");
    assert_eq!(fr, Framing::Json);
    assert_eq!(
        texts(&recs),
        vec!["{\"a\": 1}", "{\"b\": 2}", "{\n \"c\": 3\n}"]
    );
    assert_eq!(recs[2].as_ref().unwrap().2, 5);
}

#[test]
fn truncated_json_is_reported() {
    let (_, recs) = frame("{\"Records\":[{\"a\":1},{\"b\":");
    assert_eq!(texts(&recs)[0], "{\"a\":1}");
    assert!(texts(&recs)[1].contains("truncated"), "{:?}", recs);
    assert_eq!(recs.len(), 2);
}

#[test]
fn over_long_lines_are_reported_and_skipped() {
    let limits = Limits {
        max_record_bytes: 2000,
        ..Limits::default()
    };
    let long = "x".repeat(600_000);
    let input = format!("first\n{long}\nlast\n");
    let (_, recs) = frame_with(input.as_bytes(), limits);
    let t = texts(&recs);
    assert_eq!(t.len(), 3, "{t:?}");
    assert_eq!(t[0], "first");
    assert!(t[1].starts_with("ERR record longer than 2000"), "{}", t[1]);
    assert_eq!(t[2], "last");
    assert_eq!(recs[2].as_ref().unwrap().2, 3);
}

#[test]
fn over_long_json_values_are_skipped_without_buffering() {
    let limits = Limits {
        max_record_bytes: 4096,
        ..Limits::default()
    };
    let big = format!("{{\"a\":\"{}\"}}", "y".repeat(2_000_000));
    let input = format!("[{{\"k\":1}},{big},{{\"k\":2}}]");
    let mut f = Framer::new(input.as_bytes(), limits).unwrap();
    let mut got = Vec::new();
    while let Some(r) = f.next() {
        got.push(
            r.map(|r| String::from_utf8_lossy(r.bytes).into_owned())
                .map_err(|e| e.to_string()),
        );
        assert!(f.buf.len() < 1 << 20, "buffer grew to {}", f.buf.len());
    }
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].as_deref(), Ok("{\"k\":1}"));
    assert!(got[1].as_ref().unwrap_err().contains("longer than 4096"));
    assert_eq!(got[2].as_deref(), Ok("{\"k\":2}"));
}

/// A reader that hands out one byte at a time, to exercise every refill path.
struct Trickle<'a>(&'a [u8]);
impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() || buf.is_empty() {
            return Ok(0);
        }
        buf[0] = self.0[0];
        self.0 = &self.0[1..];
        Ok(1)
    }
}

#[test]
fn byte_by_byte_input_frames_the_same() {
    let input = "{\"Records\":[{\"a\":\"s p\"},{\"b\":{\"c\":[1,2]}}]}\n";
    let mut f = Framer::new(Trickle(input.as_bytes()), Limits::default()).unwrap();
    let mut got = Vec::new();
    while let Some(r) = f.next() {
        got.push(String::from_utf8_lossy(r.unwrap().bytes).into_owned());
    }
    assert_eq!(got, vec!["{\"a\":\"s p\"}", "{\"b\":{\"c\":[1,2]}}"]);
}

#[test]
fn stray_closing_brackets_are_malformed_and_skipped() {
    let (fr, recs) = frame("[{\"a\":1}]\n}}} junk\n{\"b\":\n2}\n");
    assert_eq!(fr, Framing::Json);
    let t = texts(&recs);
    assert_eq!(t[0], "{\"a\":1}");
    assert!(t[1].contains("malformed"), "{t:?}");
    assert_eq!(t[2], "{\"b\":\n2}");
}

#[test]
fn objects_run_together_on_a_line_are_split() {
    let (fr, recs) = frame("{\"a\":1}{\"b\":2}\n{\"c\":3}\n");
    assert_eq!(fr, Framing::Json);
    assert_eq!(texts(&recs), vec!["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"]);
}

#[test]
fn the_limit_holds_for_records_that_fit_the_buffer() {
    let limits = Limits {
        max_record_bytes: 100,
        ..Limits::default()
    };
    let long = format!("{{\"a\":\"{}\"}}", "z".repeat(200));
    let input = format!("[{long},{{\"b\":1}}]");
    let (_, recs) = frame_with(input.as_bytes(), limits);
    let t = texts(&recs);
    assert!(t[0].starts_with("ERR record longer than 100"), "{t:?}");
    assert_eq!(t[1], "{\"b\":1}");
    let lines = format!("{}\nok\n", "y".repeat(200));
    let (_, recs) = frame_with(lines.as_bytes(), limits);
    let t = texts(&recs);
    assert!(t[0].starts_with("ERR record longer than 100"), "{t:?}");
    assert_eq!(t[1], "ok");
}
