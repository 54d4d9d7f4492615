//! Syslog: the RFC 5424 and RFC 3164 (BSD) grammars, and the generic log
//! types for messages no more specific type claims. Vendor types that ride
//! on syslog (Juniper SSR) reuse the header and structured-data parsers.

pub mod header;
pub mod rfc3164;
pub mod rfc5424;
pub mod sd;

use seclake_core::{SigmaDef, SigmaLogSource};

/// Sigma, for both generic syslog types: a host's syslog answers
/// `product: linux` rules and those of its usual services (a service is a
/// program writing to syslog); a keyword search looks in the message.
pub const LINUX_SIGMA: SigmaDef = SigmaDef {
    logsources: &[
        SigmaLogSource::product("linux"),
        SigmaLogSource::service("linux", "syslog"),
        SigmaLogSource::service("linux", "auth"),
        SigmaLogSource::service("linux", "sshd"),
        SigmaLogSource::service("linux", "sudo"),
        SigmaLogSource::service("linux", "cron"),
        SigmaLogSource::service("linux", "clamav"),
        SigmaLogSource::service("linux", "guacamole"),
        SigmaLogSource::service("linux", "vsftpd"),
    ],
    fields: &[],
    json_columns: &[],
    keyword_fields: &["message"],
    dns_names: &[],
};
