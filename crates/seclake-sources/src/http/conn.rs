//! One HTTP connection: requests read one after the other (keep-alive),
//! each checked (route, credentials, encoding, size, room in the queue)
//! before its body is read, queued for the serve loop, and answered once
//! the loop says whether its rows are committed.

use std::io::BufReader;
use std::net::{IpAddr, TcpStream};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::sync_channel;
use std::sync::Arc;

use rustls::ServerConfig;

use super::bodies::{check_encoding, unwrap, Envelope};
use super::request::{read_body, read_head, respond, Head, ReadError};
use super::{Auth, Reply, Request, Shared};
use crate::inputs::Input;
use crate::net::Conn;

/// Serves a connection until it closes, times out or the source stops.
pub(crate) fn serve(conn: TcpStream, peer: IpAddr, tls: Option<Arc<ServerConfig>>, s: &Shared) {
    let Some(conn) = Conn::new(conn, tls, &s.timeouts, &s.stop) else {
        return;
    };
    let mut conn = BufReader::with_capacity(64 << 10, conn);
    loop {
        let head = match read_head(&mut conn) {
            Ok(h) => h,
            Err(ReadError::Status(code, why)) => {
                let _ = answer(&mut conn, s, code, &[], &error(&why), true);
                return;
            }
            Err(ReadError::Closed | ReadError::Io(_)) => {
                if conn.get_ref().timed_out {
                    s.stats.conns.timed_out.fetch_add(1, Relaxed);
                }
                return;
            }
        };
        let keep = match request(&mut conn, peer, &head, s) {
            Ok(keep) => keep,
            Err(_) => {
                if conn.get_ref().timed_out {
                    s.stats.conns.timed_out.fetch_add(1, Relaxed);
                }
                false
            }
        };
        if !keep || !head.keep_alive || s.stop.load(Relaxed) {
            return;
        }
        let waiting = !conn.buffer().is_empty();
        conn.get_mut().unit_done(waiting);
    }
}

/// Handles one request; whether the connection can take another.
fn request(
    conn: &mut BufReader<Conn>,
    peer: IpAddr,
    head: &Head,
    s: &Shared,
) -> std::io::Result<bool> {
    let method = head.method.as_str();
    if method == "GET" || method == "HEAD" {
        let (code, body) = match head.path.as_str() {
            "/" | "/health" | "/services/collector/health" => (200, r#"{"status":"ok"}"#),
            _ => (
                404,
                r#"{"error":"POST log data; GET / answers health checks"}"#,
            ),
        };
        return answer(conn, s, code, &[], body, false);
    }
    if method != "POST" && method != "PUT" {
        let why = error(&format!("{method} is not taken; POST log data"));
        return answer(conn, s, 405, &[("Allow", "POST, PUT, GET")], &why, true).map(|_| false);
    }
    let envelope = Envelope::of_path(&head.path);
    if !authorized(&s.auth, head.authorization.as_deref()) {
        s.stats.auth_failed.fetch_add(1, Relaxed);
        let challenge = match s.auth {
            Auth::Basic { .. } => "Basic realm=\"seclake\"",
            _ => "Bearer realm=\"seclake\"",
        };
        let why = error("missing or wrong credentials");
        // The body is not read: the connection closes.
        return answer(conn, s, 401, &[("WWW-Authenticate", challenge)], &why, true).map(|_| false);
    }
    if let Some(n) = head.content_length.filter(|n| *n > s.max_body) {
        let why = error(&format!(
            "body of {n} bytes over max_body_bytes ({})",
            s.max_body
        ));
        return answer(conn, s, 413, &[], &why, true).map(|_| false);
    }
    if head.content_length.is_none() && !head.chunked {
        let why = error("a POST needs Content-Length or chunked Transfer-Encoding");
        return answer(conn, s, 411, &[], &why, true).map(|_| false);
    }
    // Room for the body, taken before it is read; a full queue means
    // the lake writer is behind: the sender tries again later.
    let room = head.content_length.unwrap_or(s.max_body);
    if !s.budget.try_take(room) {
        s.stats.busy.fetch_add(1, Relaxed);
        let why = error("the lake writer is behind; retry later");
        return answer(conn, s, 503, &[("Retry-After", "1")], &why, true).map(|_| false);
    }
    let mut held = Held { s, bytes: room };
    if head.expect_continue {
        use std::io::Write;
        conn.get_mut().write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let body = match read_body(conn, head, s.max_body) {
        Ok(b) => b,
        Err(ReadError::Status(code, why)) => {
            return answer(conn, s, code, &[], &error(&why), true).map(|_| false)
        }
        Err(ReadError::Io(e)) => return Err(e),
        Err(ReadError::Closed) => return Ok(false),
    };
    s.stats.bytes.fetch_add(body.len() as u64, Relaxed);
    // A chunked body took room for the largest; it keeps its own size.
    s.budget.give(held.bytes - body.len().min(held.bytes));
    held.bytes = body.len().min(held.bytes);
    if let Err((code, why)) = check_encoding(head.content_encoding.as_deref(), &body) {
        return answer(conn, s, code, &[], &error(&why), false);
    }
    let data = match envelope {
        Envelope::Plain => body,
        _ => match unwrap(envelope, &body, MAX_UNWRAPPED) {
            Ok((lines, _)) => lines,
            Err(why) => return answer(conn, s, 400, &[], &error(&why), false),
        },
    };
    if data.is_empty() {
        return answer(conn, s, 200, &[], &success(envelope, 0, 0), false);
    }
    let (tx, rx) = sync_channel(1);
    let identity = format!("http:{}:{:032x}", s.id, xxhash_rust::xxh3::xxh3_128(&data));
    let input = Input::Memory {
        name: format!("{}{} from {peer}", s.id, head.path),
        identity,
        bytes: Arc::from(data),
    };
    s.queued.fetch_add(1, Relaxed);
    if s.queue.send(Request { input, reply: tx }).is_err() {
        return answer(
            conn,
            s,
            503,
            &[("Retry-After", "1")],
            &error("stopping"),
            true,
        );
    }
    let reply = rx
        .recv()
        .unwrap_or(Reply::Failed("the source stopped".into()));
    drop(held);
    match reply {
        Reply::Committed { rows, rejects } => {
            answer(conn, s, 200, &[], &success(envelope, rows, rejects), false)
        }
        Reply::Failed(why) => {
            let why = error(&format!("not committed, retry: {why}"));
            answer(conn, s, 503, &[("Retry-After", "5")], &why, false)
        }
    }
}

/// Most bytes an enveloped body unwraps to.
const MAX_UNWRAPPED: u64 = 1 << 30;

/// Room in the queue, given back when the request is answered.
struct Held<'a> {
    s: &'a Shared,
    bytes: usize,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.s.budget.give(self.bytes);
    }
}

/// Writes a response and counts it; `Ok(true)` when the connection can go on.
fn answer(
    conn: &mut BufReader<Conn>,
    s: &Shared,
    code: u16,
    headers: &[(&str, &str)],
    body: &str,
    close: bool,
) -> std::io::Result<bool> {
    s.stats.count_status(code);
    // Stopping, the connection ends after this answer, and says so.
    let close = close || s.stop.load(Relaxed);
    respond(conn.get_mut(), code, headers, body, close)?;
    Ok(!close)
}

fn error(why: &str) -> String {
    serde_json::json!({ "error": why }).to_string()
}

/// The 200 answer, in the shape the sender's protocol expects.
fn success(envelope: Envelope, rows: u64, rejects: u64) -> String {
    match envelope {
        Envelope::Hec => r#"{"text":"Success","code":0}"#.to_string(),
        Envelope::Bulk => serde_json::json!({
            "took": 0, "errors": false, "items": [], "rows": rows, "rejects": rejects
        })
        .to_string(),
        Envelope::Plain => serde_json::json!({ "rows": rows, "rejects": rejects }).to_string(),
    }
}

/// Whether the `Authorization` header carries the configured credentials
/// (compared in constant time).
fn authorized(auth: &Auth, header: Option<&str>) -> bool {
    use base64::Engine;
    let given = header.unwrap_or_default();
    let (scheme, value) = given.split_once(' ').unwrap_or((given, ""));
    let value = value.trim();
    match auth {
        Auth::Open => true,
        Auth::Token(token) => {
            let scheme_ok =
                scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("splunk");
            scheme_ok & same(value.as_bytes(), token.as_bytes())
        }
        Auth::Basic { user, password } => {
            let want = format!("{user}:{password}");
            let got = base64::engine::general_purpose::STANDARD
                .decode(value)
                .unwrap_or_default();
            scheme.eq_ignore_ascii_case("basic") & same(&got, want.as_bytes())
        }
    }
}

/// Equal bytes, in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials() {
        let token = Auth::Token("s3cret".into());
        assert!(authorized(&token, Some("Bearer s3cret")));
        assert!(authorized(&token, Some("Splunk s3cret")));
        assert!(!authorized(&token, Some("Bearer s3cre")));
        assert!(!authorized(&token, Some("Bearer s3cret2")));
        assert!(!authorized(&token, Some("Basic s3cret")));
        assert!(!authorized(&token, None));
        let basic = Auth::Basic {
            user: "edge".into(),
            password: "pw".into(),
        };
        // base64("edge:pw")
        assert!(authorized(&basic, Some("Basic ZWRnZTpwdw==")));
        assert!(!authorized(&basic, Some("Basic ZWRnZTpwdX==")));
        assert!(!authorized(&basic, Some("Bearer ZWRnZTpwdw==")));
        assert!(authorized(&Auth::Open, None));
    }
}
