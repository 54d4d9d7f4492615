//! Parsers for the AWS log types, one file per log type.
//!
//! Each file declares its columns with [`seclake_core::columns!`], its
//! [`seclake_core::LogTypeDef`] (`DEF`) and its parser. The registry crate
//! lists every `DEF`.

pub mod alb;
pub mod aurora_mysql_audit;
pub mod cloudtrail;
pub mod cloudtrail_digest;
pub mod cloudtrail_insight;
pub mod cloudwatch_events;
pub mod fields;
pub mod guardduty;
pub mod s3_server_access;
pub mod vpc_dns;
pub mod vpc_flow;
pub mod waf_web_acl;
