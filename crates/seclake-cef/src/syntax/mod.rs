//! The grammars, shared with the vendor types built on them (Imperva):
//! the syslog prefix, the CEF and LEEF headers, the `key=value` pairs and
//! the time values.

pub mod cef;
pub mod leef;
pub mod pairs;
pub mod prefix;
pub mod time;
