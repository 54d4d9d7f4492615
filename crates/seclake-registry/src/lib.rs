//! The one explicit list of every log type seclake knows, and of the file
//! formats (decoders) that wrap records.
//!
//! Adding a log type is one parser file, one line here, its fixtures under
//! `fixtures/log-types/<LogType>/`, and regenerated docs
//! (`SECLAKE_BLESS=1 cargo test -p seclake-registry`). The tests in this
//! crate loop over the whole list.

use std::sync::OnceLock;

use seclake_core::{DecoderDef, LogType, LogTypeDef};

pub mod docs;

/// Every log type, in name order.
pub const DEFINITIONS: &[LogTypeDef] = &[
    seclake_aws::alb::DEF,
    seclake_aws::aurora_mysql_audit::DEF,
    seclake_aws::cloudtrail::DEF,
    seclake_aws::cloudtrail_digest::DEF,
    seclake_aws::cloudtrail_insight::DEF,
    seclake_aws::cloudwatch_events::DEF,
    seclake_aws::guardduty::DEF,
    seclake_aws::s3_server_access::DEF,
    seclake_aws::vpc_dns::DEF,
    seclake_aws::vpc_flow::DEF,
    seclake_aws::waf_web_acl::DEF,
    seclake_cef::cef::DEF,
    seclake_edgecast::waf::DEF,
    seclake_imperva::cloud_waf::DEF,
    seclake_juniper::access::DEF,
    seclake_juniper::audit::DEF,
    seclake_juniper::firewall::DEF,
    seclake_juniper::mws::DEF,
    seclake_juniper::postgres::DEF,
    seclake_juniper::ssr::DEF,
    seclake_juniper::security::DEF,
    seclake_cef::leef::DEF,
    seclake_syslog::rfc3164::DEF,
    seclake_syslog::rfc5424::DEF,
];

/// Every file format around records (a header, then an encrypted or
/// compressed body), tried in this order after decompression.
pub const DECODERS: &[DecoderDef] = &[seclake_imperva::file::DECODER];

/// The registered decoders.
pub fn decoders() -> &'static [DecoderDef] {
    DECODERS
}

/// The registered log types with their schemas built.
pub fn all() -> &'static [LogType] {
    static ALL: OnceLock<Vec<LogType>> = OnceLock::new();
    ALL.get_or_init(|| {
        DEFINITIONS
            .iter()
            .map(|d| LogType::new(*d).unwrap_or_else(|e| panic!("log type {}: {e}", d.name)))
            .collect()
    })
}

/// Finds a log type by name (case-insensitive) or table name.
pub fn find(name: &str) -> Option<&'static LogType> {
    all()
        .iter()
        .find(|t| t.name().eq_ignore_ascii_case(name) || t.table == name)
}
