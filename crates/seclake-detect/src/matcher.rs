//! What one search entry tests, once its modifiers are settled
//! ([`crate::modifiers`]): the values as written ([`Scalar`]) and the
//! typed tests they become ([`Matcher`], [`FieldTest`]), which lowering
//! turns into SQL for the field's type.

use crate::cidr::Cidr;
use crate::pattern::Pattern;

/// A value as written in the rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Str(String),
    Number(Number),
    Bool(bool),
    Null,
}

/// A number, with the text it was written as (`1.50` stays `1.50` when a
/// string field is compared with it).
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    pub text: String,
    pub value: NumberValue,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NumberValue {
    Int(i64),
    Float(f64),
}

impl Number {
    pub fn int(value: i64) -> Self {
        Number {
            text: value.to_string(),
            value: NumberValue::Int(value),
        }
    }

    /// A number written as text (`"42"`, `1.5`), if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        let value = match t.parse::<i64>() {
            Ok(i) => NumberValue::Int(i),
            Err(_) => NumberValue::Float(t.parse::<f64>().ok().filter(|f| f.is_finite())?),
        };
        Some(Number {
            text: t.to_string(),
            value,
        })
    }
}

/// How a field compares with one value (or one alternative of it).
#[derive(Debug, Clone, PartialEq)]
pub enum Matcher {
    /// `null` (or `''`): the field is missing or empty.
    Null,
    /// Sigma string matching: case-insensitive unless `cased`.
    Text { pattern: Pattern, cased: bool },
    /// A number written without string modifiers: numeric equality on a
    /// numeric field, the number's text on a string field.
    Number(Number),
    /// A boolean: equality on a boolean field, `true`/`false` on text.
    Bool(bool),
    /// `re`: a regular expression (Rust `regex` syntax), with the `i`,
    /// `m`, `s` flags already written into it.
    Regex(String),
    /// `cidr`: the field is an IP address inside the network.
    Cidr(Cidr),
    /// `gt`, `gte`, `lt`, `lte`.
    Compare(CompareOp, Number),
    /// `exists: true|false`.
    Exists(bool),
    /// `fieldref`: the field equals another field of the same row.
    FieldRef { field: String, cased: bool },
    /// `minute`, `hour`, ...: that part of a timestamp field equals the value.
    TimePart(TimePart, i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

/// Parts of a timestamp the time modifiers compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimePart {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl TimePart {
    /// The part's name for SQL `date_part`.
    pub fn sql_name(self) -> &'static str {
        match self {
            TimePart::Minute => "minute",
            TimePart::Hour => "hour",
            TimePart::Day => "day",
            TimePart::Week => "week",
            TimePart::Month => "month",
            TimePart::Year => "year",
        }
    }
}

/// One `field|modifiers: values` entry of a search, settled.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldTest {
    /// The Sigma field name, without modifiers.
    pub field: String,
    /// One entry per value written; each holds the alternatives the value
    /// became (several after `base64offset`), any of which matches.
    pub values: Vec<Vec<Matcher>>,
    /// `all`: every value must match (otherwise any one).
    pub all: bool,
    /// `neq`: the field must differ from every value.
    pub neq: bool,
}
