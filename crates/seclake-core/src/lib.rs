//! Core types of seclake.
//!
//! Everything a parser needs and nothing about where bytes come from:
//! the column model ([`schema`]), the borrowed values a parser produces
//! ([`value`], [`row`]), timestamps ([`time`]), indicator extraction
//! ([`indicators`]), the standard `p_*` fields ([`standard`]), the parser
//! contract ([`parser`]) and the normalized JSON writer ([`json_out`]).
//! [`testing`] holds helpers for parser unit tests.

pub mod fnv;
pub mod indicators;
pub mod json;
pub mod json_out;
pub mod jsonscan;
pub mod key_cache;
pub mod parser;
pub mod row;
pub mod schema;
pub mod sigma;
pub mod standard;
pub mod testing;
pub mod time;
pub mod value;

pub use indicators::{Indicator, IndicatorKind};
pub use parser::{
    DecodeContext, DecoderDef, LogType, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser,
    Secrets, Signature,
};
pub use row::Row;
pub use schema::{Column, ColumnDef, ColumnType, Schema};
pub use sigma::{SigmaDef, SigmaLogSource};
pub use standard::{RowIdentity, StandardFields};
pub use time::{TimeZone, Timestamp};
pub use value::Value;
