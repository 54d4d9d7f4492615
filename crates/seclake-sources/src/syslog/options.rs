//! A syslog source's settings, taken from its `[[source]]` table and
//! checked whole: every problem is named, and the TLS files are loaded, so
//! `--check-config` finds an unreadable key before the daemon starts.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::config::SourceConfig;
use crate::net::tls::TlsFiles;

/// How a syslog source listens, bounds and keeps what it receives.
#[derive(Debug, Clone)]
pub struct SyslogOptions {
    pub udp: Vec<SocketAddr>,
    pub tcp: Vec<SocketAddr>,
    pub tls: Vec<SocketAddr>,
    /// `tls_cert`, `tls_key` and the optional `tls_client_ca`.
    pub tls_files: Option<TlsFiles>,
    /// Longer messages are cut to this and counted (default 64 KiB).
    pub max_message: usize,
    /// TCP and TLS connections open at once, at most (default 1000); the
    /// ones past it are closed at once and counted.
    pub max_connections: usize,
    /// A connection silent this long between messages is closed (default
    /// 10 minutes).
    pub idle_timeout: Duration,
    /// A message (or a TLS handshake) must arrive whole within this from
    /// its first byte, or the connection is closed: a client trickling
    /// bytes (slow loris) cannot hold a connection (default 30 s).
    pub frame_timeout: Duration,
    /// The UDP sockets' kernel receive buffer (`SO_RCVBUF`), when set.
    pub receive_buffer: Option<usize>,
    /// Bytes of received messages waiting in memory, at most (default
    /// 64 MiB). TCP and TLS stop reading at the bound; UDP drops, counted.
    pub queue_bytes: usize,
    /// The write-ahead spool directory, when set.
    pub spool: Option<PathBuf>,
    /// How often the spool is synced to disk (default 100 ms).
    pub spool_sync: Duration,
}

impl SyslogOptions {
    /// The settings of `s`, or every problem with them.
    pub fn from_config(s: &SourceConfig) -> Result<SyslogOptions, Vec<String>> {
        let mut problems = Vec::new();
        let mut o = SyslogOptions {
            udp: Vec::new(),
            tcp: Vec::new(),
            tls: Vec::new(),
            tls_files: None,
            max_message: s.max_message_bytes.unwrap_or(65_536),
            max_connections: s.max_connections.unwrap_or(1000),
            idle_timeout: Duration::from_secs(600),
            frame_timeout: Duration::from_secs(30),
            receive_buffer: s.receive_buffer_bytes,
            queue_bytes: s.queue_bytes.unwrap_or(64 << 20),
            spool: s.spool.as_ref().map(PathBuf::from),
            spool_sync: Duration::from_millis(100),
        };
        match &s.listen {
            None => problems.push("listen is required for type syslog".to_string()),
            Some(l) if l.is_empty() => problems.push("listen is empty".to_string()),
            Some(l) => {
                for a in l {
                    let (scheme, addr) = a.split_once("://").unwrap_or(("", a));
                    let list = match scheme {
                        "udp" => &mut o.udp,
                        "tcp" => &mut o.tcp,
                        "tls" => &mut o.tls,
                        _ => {
                            problems.push(format!(
                                "listen {a:?} is not udp://, tcp:// or tls://host:port"
                            ));
                            continue;
                        }
                    };
                    match addr.parse() {
                        Ok(addr) => list.push(addr),
                        Err(_) => problems.push(format!(
                            "listen {a:?}: {addr:?} is not host:port such as 0.0.0.0:514"
                        )),
                    }
                }
            }
        }
        crate::net::durations(
            [
                ("idle_timeout", &s.idle_timeout, &mut o.idle_timeout),
                ("frame_timeout", &s.frame_timeout, &mut o.frame_timeout),
                ("spool_sync", &s.spool_sync, &mut o.spool_sync),
            ],
            &mut problems,
        );
        if o.max_message == 0 || o.max_connections == 0 || o.queue_bytes == 0 {
            problems.push(
                "max_message_bytes, max_connections and queue_bytes must be above zero".into(),
            );
        }
        o.tls_files = crate::net::tls::from_config(s, &mut problems);
        if o.tls_files.is_none() && !o.tls.is_empty() {
            problems.push("tls:// listeners need tls_cert and tls_key".to_string());
        }
        if o.tls_files.is_some() && o.tls.is_empty() {
            problems.push("tls_cert is set but no tls:// address is in listen".to_string());
        }
        if problems.is_empty() {
            Ok(o)
        } else {
            Err(problems)
        }
    }
}
