//! Imperva Cloud WAF: the log type ([`cloud_waf`], its field table in
//! [`fields`], the W3C lines in [`w3c`]) and the log file decoder
//! ([`file`]: header, then a plain, zlib or AES-encrypted body; the AES
//! key wrapped with the customer's RSA key, see [`crypto`]), and the id
//! and sequence of a log file's name ([`file_name`]).

pub mod build;
pub mod cloud_waf;
pub mod crypto;
pub mod fields;
pub mod file;
pub mod file_name;
pub mod w3c;
