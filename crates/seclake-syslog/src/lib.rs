//! Syslog: the RFC 5424 and RFC 3164 (BSD) grammars, and the generic log
//! types for messages no more specific type claims. Vendor types that ride
//! on syslog (Juniper SSR) reuse the header and structured-data parsers.

pub mod header;
pub mod rfc3164;
pub mod rfc5424;
pub mod sd;
