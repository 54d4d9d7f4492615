//! Parsers for the AWS log types, one file per log type.
//!
//! Each file declares its columns with [`seclake_core::columns!`], its
//! [`seclake_core::LogTypeDef`] (`DEF`) and its parser. The registry crate
//! lists every `DEF`.

pub mod fields;
pub mod vpc_flow;
