//! HTTP/1.1 on one connection: the request head (parsed by `httparse`,
//! bounded), the body by `Content-Length` or chunked, bounded by the
//! source's `max_body_bytes`, and the responses.

use std::io::{self, BufRead, Read, Write};

/// The longest request head (request line and headers).
pub const MAX_HEAD: usize = 64 << 10;
const MAX_HEADERS: usize = 100;

/// What a request's head says that matters here.
#[derive(Debug, Default)]
pub struct Head {
    pub method: String,
    /// The path without the query.
    pub path: String,
    pub content_length: Option<usize>,
    pub chunked: bool,
    pub expect_continue: bool,
    /// HTTP/1.1 without `Connection: close`, or HTTP/1.0 with keep-alive.
    pub keep_alive: bool,
    pub content_encoding: Option<String>,
    pub authorization: Option<String>,
}

/// Why a request could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The connection ended between requests: a normal end.
    Closed,
    /// Malformed (400), or too large (413 for a body, 431 for a head).
    Status(u16, String),
    Io(io::Error),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

fn bad(why: impl Into<String>) -> ReadError {
    ReadError::Status(400, why.into())
}

/// Reads a request head.
pub fn read_head(r: &mut impl BufRead) -> Result<Head, ReadError> {
    let mut buf = Vec::with_capacity(1024);
    loop {
        let before = buf.len();
        let room = (MAX_HEAD + 1 - buf.len()) as u64;
        let n = r.take(room).read_until(b'\n', &mut buf)?;
        if n == 0 {
            return match before {
                0 => Err(ReadError::Closed),
                _ => Err(bad("the connection ended inside the request head")),
            };
        }
        if buf.len() > MAX_HEAD {
            return Err(ReadError::Status(431, "request head over 64 KiB".into()));
        }
        let line = &buf[before..];
        // Empty lines before a request are tolerated (RFC 9112 2.2).
        if before == 0 && (line == b"\r\n" || line == b"\n") {
            buf.clear();
            continue;
        }
        if line == b"\r\n" || line == b"\n" {
            break;
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(&buf) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(bad("incomplete request head")),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(ReadError::Status(431, "more than 100 headers".into()))
        }
        Err(e) => return Err(bad(format!("malformed request head: {e}"))),
    }
    let version = req.version.unwrap_or(1);
    let target = req.path.unwrap_or("/");
    let mut head = Head {
        method: req.method.unwrap_or_default().to_string(),
        path: target.split('?').next().unwrap_or("/").to_string(),
        keep_alive: version == 1,
        ..Head::default()
    };
    for h in req.headers.iter() {
        let value = std::str::from_utf8(h.value).unwrap_or_default().trim();
        let name = h.name;
        if name.eq_ignore_ascii_case("content-length") {
            let n: usize = value
                .parse()
                .map_err(|_| bad(format!("Content-Length {value:?} is not a number")))?;
            if head.content_length.is_some_and(|m| m != n) {
                return Err(bad("two different Content-Length headers"));
            }
            head.content_length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            match value.to_ascii_lowercase().as_str() {
                "chunked" => head.chunked = true,
                "identity" => {}
                other => {
                    return Err(ReadError::Status(
                        501,
                        format!("Transfer-Encoding {other:?} is not supported (chunked is)"),
                    ))
                }
            }
        } else if name.eq_ignore_ascii_case("expect") {
            head.expect_continue = value.eq_ignore_ascii_case("100-continue");
        } else if name.eq_ignore_ascii_case("connection") {
            let v = value.to_ascii_lowercase();
            if v.contains("close") {
                head.keep_alive = false;
            } else if v.contains("keep-alive") {
                head.keep_alive = true;
            }
        } else if name.eq_ignore_ascii_case("content-encoding") {
            head.content_encoding = Some(value.to_ascii_lowercase());
        } else if name.eq_ignore_ascii_case("authorization") {
            head.authorization = Some(value.to_string());
        }
    }
    // A message with both is a smuggling attempt or a broken proxy.
    if head.chunked && head.content_length.is_some() {
        return Err(bad("both Content-Length and chunked Transfer-Encoding"));
    }
    Ok(head)
}

/// Reads the body the head announces, at most `max` bytes.
pub fn read_body(r: &mut impl BufRead, head: &Head, max: usize) -> Result<Vec<u8>, ReadError> {
    let too_large = || ReadError::Status(413, format!("body over max_body_bytes ({max})"));
    if head.chunked {
        return read_chunked(r, max, too_large);
    }
    let n = head.content_length.unwrap_or(0);
    if n > max {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut body)?;
    if body.len() < n {
        return Err(bad(format!(
            "the connection ended after {} of {n} body bytes",
            body.len()
        )));
    }
    Ok(body)
}

fn read_chunked(
    r: &mut impl BufRead,
    max: usize,
    too_large: impl Fn() -> ReadError,
) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        r.take(1024).read_until(b'\n', &mut line)?;
        let text = std::str::from_utf8(&line).unwrap_or_default();
        let size = text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| bad(format!("chunk size {:?} is not hexadecimal", size)))?;
        if size == 0 {
            break;
        }
        if body.len().saturating_add(size) > max {
            return Err(too_large());
        }
        let start = body.len();
        r.take(size as u64).read_to_end(&mut body)?;
        if body.len() - start < size {
            return Err(bad("the connection ended inside a chunk"));
        }
        line.clear();
        r.take(2).read_until(b'\n', &mut line)?;
        if line != b"\r\n" && line != b"\n" {
            return Err(bad("a chunk does not end with CRLF"));
        }
    }
    // Trailers, ignored, up to the empty line.
    for _ in 0..MAX_HEADERS {
        line.clear();
        r.take(MAX_HEAD as u64).read_until(b'\n', &mut line)?;
        if line.is_empty() || line == b"\r\n" || line == b"\n" {
            return Ok(body);
        }
    }
    Err(ReadError::Status(431, "too many trailers".into()))
}

/// A response: status, extra headers, a JSON body; `close` ends the
/// connection after it.
pub fn respond(
    w: &mut impl Write,
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
    close: bool,
) -> io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        reason(status),
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if close {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    out.push_str(body);
    w.write_all(out.as_bytes())?;
    w.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Result<Head, ReadError> {
        read_head(&mut io::BufReader::new(text.as_bytes()))
    }

    #[test]
    fn heads_say_length_encoding_and_credentials() {
        let h = head("POST /in?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nContent-Encoding: GZIP\r\nAuthorization: Bearer t\r\nExpect: 100-continue\r\n\r\n").unwrap();
        assert_eq!((h.method.as_str(), h.path.as_str()), ("POST", "/in"));
        assert_eq!(h.content_length, Some(12));
        assert_eq!(h.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(h.authorization.as_deref(), Some("Bearer t"));
        assert!(h.expect_continue && h.keep_alive && !h.chunked);
        let h = head("POST / HTTP/1.0\r\n\r\n").unwrap();
        assert!(!h.keep_alive);
        let h = head("\r\nPOST / HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
        assert!(!h.keep_alive);
    }

    #[test]
    fn bad_heads_are_refused_with_their_status() {
        let status = |t: &str| match head(t) {
            Err(ReadError::Status(s, _)) => s,
            other => panic!("{other:?}"),
        };
        assert_eq!(status("POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n"), 400);
        assert_eq!(
            status("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400
        );
        assert_eq!(
            status("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
            501
        );
        assert_eq!(status("GARBAGE\r\n\r\n"), 400);
        assert_eq!(status("POST / HTTP/1.1\r\nHost: a"), 400);
        let long = format!("POST / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        assert_eq!(status(&long), 431);
        let many: String = (0..150).map(|i| format!("X{i}: y\r\n")).collect();
        assert_eq!(status(&format!("POST / HTTP/1.1\r\n{many}\r\n")), 431);
        assert!(matches!(head(""), Err(ReadError::Closed)));
    }

    #[test]
    fn bodies_by_length_or_chunks_within_the_bound() {
        let mut h = Head {
            content_length: Some(5),
            ..Head::default()
        };
        let body =
            |h: &Head, t: &str, max| read_body(&mut io::BufReader::new(t.as_bytes()), h, max);
        assert_eq!(body(&h, "hello, more", 10).unwrap(), b"hello");
        assert!(matches!(
            body(&h, "hel", 10),
            Err(ReadError::Status(400, _))
        ));
        assert!(matches!(
            body(&h, "hello", 4),
            Err(ReadError::Status(413, _))
        ));
        h = Head {
            chunked: true,
            ..Head::default()
        };
        let chunked = "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
        assert_eq!(body(&h, chunked, 100).unwrap(), b"hello world");
        assert!(matches!(
            body(&h, chunked, 8),
            Err(ReadError::Status(413, _))
        ));
        assert!(matches!(
            body(&h, "zz\r\n", 8),
            Err(ReadError::Status(400, _))
        ));
        assert!(matches!(
            body(&h, "5\r\nhel", 8),
            Err(ReadError::Status(400, _))
        ));
    }
}
