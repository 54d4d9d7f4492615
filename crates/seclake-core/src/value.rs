//! The values a parser puts in a row. They borrow from the record text
//! whenever they can, so a parsed row costs no allocation per field.

use std::borrow::Cow;

use crate::time::Timestamp;

#[derive(Clone, Debug, Default, PartialEq)]
pub enum Value<'a> {
    #[default]
    Null,
    Str(Cow<'a, str>),
    Int(i64),
    Float(f64),
    Bool(bool),
    Time(Timestamp),
    /// JSON text (object, array or scalar). In a `string` column it is
    /// stored as compact JSON text; in an object or array column it is
    /// shaped by the column's type.
    Json(Cow<'a, str>),
    /// Values of an array column that the parser built itself.
    List(Vec<Value<'a>>),
    /// Keys and values of a `map<string,string>` column, in record order.
    Map(Vec<(Cow<'a, str>, Cow<'a, str>)>),
}

impl<'a> Value<'a> {
    pub fn str(s: &'a str) -> Self {
        Value::Str(Cow::Borrowed(s))
    }

    /// A string, or null for AWS's `-` placeholder and the empty string.
    #[inline]
    pub fn dash_null(s: &'a str) -> Self {
        if matches!(s.as_bytes(), b"-" | b"") {
            Value::Null
        } else {
            Value::Str(Cow::Borrowed(s))
        }
    }

    #[inline]
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether dropping the value frees memory (an owned string, a list,
    /// a map); values that borrow or are numbers own nothing.
    #[inline]
    pub fn owns_memory(&self) -> bool {
        matches!(
            self,
            Value::Str(Cow::Owned(_)) | Value::Json(Cow::Owned(_)) | Value::List(_) | Value::Map(_)
        )
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Str(Cow::Borrowed(s))
    }
}

impl<'a> From<Cow<'a, str>> for Value<'a> {
    fn from(s: Cow<'a, str>) -> Self {
        Value::Str(s)
    }
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<f64> for Value<'_> {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<bool> for Value<'_> {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<Timestamp> for Value<'_> {
    fn from(v: Timestamp) -> Self {
        Value::Time(v)
    }
}

impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}
