//! An HTTP source's settings, taken from its `[[source]]` table and
//! checked whole (every problem named, the TLS files loaded), so
//! `--check-config` finds them before the daemon starts.

use std::net::SocketAddr;
use std::time::Duration;

use crate::config::SourceConfig;
use crate::net::tls::TlsFiles;

/// Who may send.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// Anyone who can reach the port (a warning is logged at start).
    Open,
    /// `Authorization: Bearer <token>` (also `Splunk <token>`, as HEC
    /// senders write it).
    Token(String),
    /// `Authorization: Basic` with this user and password.
    Basic { user: String, password: String },
}

impl std::fmt::Debug for Auth {
    // Never print a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::Open => "Open",
            Auth::Token(_) => "Token(..)",
            Auth::Basic { .. } => "Basic(..)",
        })
    }
}

/// How an HTTP source listens and what it takes.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub listen: Vec<SocketAddr>,
    /// HTTPS when set (`tls_cert`, `tls_key`, optional `tls_client_ca`).
    pub tls_files: Option<TlsFiles>,
    pub auth: Auth,
    /// A body longer than this (as sent, compressed or not) is refused
    /// with 413 (default 64 MiB).
    pub max_body: usize,
    /// Connections open at once, at most (default 1000).
    pub max_connections: usize,
    /// A connection silent this long between requests is closed (default
    /// 2 minutes).
    pub idle_timeout: Duration,
    /// A request (head and body) must arrive whole within this from its
    /// first byte (default 60 s): a trickling client cannot hold a
    /// connection.
    pub frame_timeout: Duration,
    /// Bytes of bodies waiting for their commit, at most (default
    /// 256 MiB); a request that finds no room is answered 503 with
    /// `Retry-After`.
    pub queue_bytes: usize,
}

impl HttpOptions {
    /// The settings of `s`, or every problem with them.
    pub fn from_config(s: &SourceConfig) -> Result<HttpOptions, Vec<String>> {
        let mut problems = Vec::new();
        let mut o = HttpOptions {
            listen: Vec::new(),
            tls_files: None,
            auth: Auth::Open,
            max_body: s.max_body_bytes.unwrap_or(64 << 20),
            max_connections: s.max_connections.unwrap_or(1000),
            idle_timeout: Duration::from_secs(120),
            frame_timeout: Duration::from_secs(60),
            queue_bytes: s.queue_bytes.unwrap_or(256 << 20),
        };
        let mut schemes = Vec::new();
        match s.listen.as_deref() {
            None | Some([]) => problems.push("listen is required for type http".to_string()),
            Some(list) => {
                for a in list {
                    let (scheme, addr) = a.split_once("://").unwrap_or(("", a));
                    if !matches!(scheme, "" | "http" | "https") {
                        problems.push(format!(
                            "listen {a:?} is not host:port or http(s)://host:port"
                        ));
                        continue;
                    }
                    schemes.push(scheme);
                    match addr.trim_end_matches('/').parse() {
                        Ok(addr) => o.listen.push(addr),
                        Err(_) => problems.push(format!(
                            "listen {a:?}: {addr:?} is not host:port such as 0.0.0.0:8443"
                        )),
                    }
                }
            }
        }
        crate::net::durations(
            [
                ("idle_timeout", &s.idle_timeout, &mut o.idle_timeout),
                ("frame_timeout", &s.frame_timeout, &mut o.frame_timeout),
            ],
            &mut problems,
        );
        if o.max_body == 0 || o.max_connections == 0 || o.queue_bytes == 0 {
            problems
                .push("max_body_bytes, max_connections and queue_bytes must be above zero".into());
        }
        o.tls_files = crate::net::tls::from_config(s, &mut problems);
        if o.tls_files.is_some() && schemes.contains(&"http") {
            problems.push("listen says http:// but tls_cert is set (HTTPS)".into());
        }
        if o.tls_files.is_none() && schemes.contains(&"https") {
            problems.push("https:// listeners need tls_cert and tls_key".into());
        }
        o.auth = match (&s.auth_token, &s.basic_auth) {
            (Some(_), Some(_)) => {
                problems.push("auth_token and basic_auth: give one".into());
                Auth::Open
            }
            (Some(t), None) if t.trim().is_empty() => {
                problems.push("auth_token is empty".into());
                Auth::Open
            }
            (Some(t), None) => Auth::Token(t.clone()),
            (None, Some(b)) if b.user.is_empty() || b.user.contains(':') => {
                problems.push("basic_auth: user must be non-empty, without ':'".into());
                Auth::Open
            }
            (None, Some(b)) => Auth::Basic {
                user: b.user.clone(),
                password: b.password.clone(),
            },
            (None, None) => Auth::Open,
        };
        for (set, name) in [
            (s.max_message_bytes.is_some(), "max_message_bytes"),
            (s.spool.is_some(), "spool"),
            (s.receive_buffer_bytes.is_some(), "receive_buffer_bytes"),
        ] {
            if set {
                problems.push(format!(
                    "{name} is a syslog setting; http takes max_body_bytes"
                ));
            }
        }
        if problems.is_empty() {
            Ok(o)
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::parse;

    fn source(rest: &str) -> String {
        format!("[lake]\nuri = \"/tmp/l\"\n[[source]]\nid = \"push\"\ntype = \"http\"\n{rest}\n")
    }

    #[test]
    fn one_address_or_a_list_and_the_credentials() {
        let c = parse(&source("listen = \"127.0.0.1:8080\"\nauth_token = \"t\"")).unwrap();
        let o = super::HttpOptions::from_config(&c.sources[0]).unwrap();
        assert_eq!(o.listen.len(), 1);
        assert_eq!(o.auth, super::Auth::Token("t".into()));
        assert_eq!(format!("{:?}", o.auth), "Token(..)");
        let list = "listen = [\"http://127.0.0.1:1\", \"127.0.0.1:2\"]\nbasic_auth = { user = \"u\", password = \"p\" }";
        let c = parse(&source(list)).unwrap();
        let o = super::HttpOptions::from_config(&c.sources[0]).unwrap();
        assert_eq!(o.listen.len(), 2);
        assert!(matches!(o.auth, super::Auth::Basic { .. }));
    }

    #[test]
    fn every_problem_is_named() {
        let bad = "listen = [\"https://127.0.0.1:1\", \"udp://x\", \"nohost\"]\nauth_token = \"t\"\nbasic_auth = { user = \"a:b\", password = \"p\" }\nspool = \"/x\"\nframe_timeout = \"0s\"";
        let e = parse(&source(bad)).unwrap_err();
        for want in [
            "https:// listeners need tls_cert",
            "\"udp://x\" is not host:port",
            "\"nohost\" is not host:port",
            "auth_token and basic_auth: give one",
            "spool is a syslog setting",
            "frame_timeout must not be zero",
        ] {
            assert!(e.contains(want), "missing {want:?} in:\n{e}");
        }
        let e = parse(&source("auth_token = \"t\"")).unwrap_err();
        assert!(e.contains("listen is required for type http"), "{e}");
    }
}
