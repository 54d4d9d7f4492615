//! Syslog over TCP (RFC 6587) and TLS (RFC 5425): a thread per connection
//! reading frames, octet-counted or newline-ended, told apart frame by
//! frame ([`seclake_decode::syslog_frames`]). Connection limits and
//! timeouts (a frame is the unit that must arrive in time) are
//! [`crate::net`]'s.
//!
//! - A connection waits while the queue is full (backpressure); a frame
//!   that is not syslog still becomes a line, and so a reject in the lake.

use std::io::BufReader;
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use rustls::ServerConfig;
use seclake_decode::syslog_frames::frame_into;

use super::queue::{end_line, prefix, Intake};
use crate::net::{Conn, Timeouts};

/// A connection's read buffer, and the most it hands over at once.
const BLOCK: usize = 64 << 10;

/// Accepts connections until the source stops; `tls` makes it a TLS
/// listener.
pub fn accept(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    intake: Intake,
    timeouts: Timeouts,
    max_message: usize,
) {
    let (conns, stop, max) = (
        intake.stats.conns.clone(),
        intake.stop.clone(),
        timeouts.max_connections,
    );
    crate::net::accept(
        listener,
        "syslog-conn",
        conns,
        stop,
        max,
        move |conn, peer| serve(conn, peer, tls.clone(), &intake, &timeouts, max_message),
    );
}

/// Reads one connection's frames until it ends, times out or the source
/// stops.
fn serve(
    conn: TcpStream,
    peer: IpAddr,
    tls: Option<Arc<ServerConfig>>,
    intake: &Intake,
    timeouts: &Timeouts,
    max_message: usize,
) {
    let Some(guarded) = Conn::new(conn, tls, timeouts, &intake.stop) else {
        return;
    };
    let mut r = BufReader::with_capacity(BLOCK, guarded);
    let prefix = prefix(peer);
    let fresh = || intake.pool.take(BLOCK + BLOCK / 2);
    let (mut block, mut messages, mut any) = (fresh(), 0, false);
    loop {
        let line = block.len();
        block.extend_from_slice(prefix.as_bytes());
        let body = block.len();
        let Some(truncated) = frame_into(&mut r, max_message, &mut block) else {
            block.truncate(line);
            break;
        };
        if truncated {
            intake.stats.truncated.fetch_add(1, Ordering::Relaxed);
        }
        any = true;
        if block.len() == body {
            // An empty frame (a newline after a counted one).
            block.truncate(line);
        } else {
            end_line(&mut block, body);
            messages += 1;
        }
        // The next frame is under way if its bytes are already here.
        let waiting = !r.buffer().is_empty();
        r.get_mut().unit_done(waiting);
        // A block goes when it is full or the socket has no more for now.
        if messages > 0 && (block.len() >= BLOCK || !waiting) {
            if !intake.send(std::mem::replace(&mut block, fresh()), messages) {
                return;
            }
            messages = 0;
        }
    }
    if messages > 0 {
        intake.send(block, messages);
    }
    if r.get_ref().timed_out {
        intake.stats.conns.timed_out.fetch_add(1, Ordering::Relaxed);
    } else if r.get_ref().tls && !any {
        // Closed before a first message: a failed handshake (no client
        // certificate, or one the CA did not sign) or a probe.
        intake.stats.tls_failed.fetch_add(1, Ordering::Relaxed);
    }
}
