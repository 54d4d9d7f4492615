//! The column model. Column types are written in the notation of the seed
//! documents (`string`, `bigint`, `[string]`,
//! `[{ "arn":string, "accountId":string }]`, ...), parsed once when the
//! registry is built, so a schema in code reads exactly like the vendor
//! table it came from and `seclake schema` prints it back the same way.

use std::fmt;

use crate::indicators::IndicatorKind;
use crate::standard::STANDARD_COLUMNS;

/// A column type. `String` columns may hold JSON text (CloudTrail
/// `requestParameters`): the type says how it is stored, not what it means.
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnType {
    String,
    Bigint,
    Int,
    Smallint,
    Double,
    Float,
    Boolean,
    Timestamp,
    Array(Box<ColumnType>),
    Object(Vec<Field>),
    /// `map<string,string>`: keys not known in advance (CEF extensions,
    /// unknown syslog parameters).
    Map,
}

/// A named member of an object type.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: ColumnType,
}

/// How a column is declared in a parser file.
#[derive(Clone, Copy, Debug)]
pub struct ColumnDef {
    pub name: &'static str,
    /// Type in seed notation, e.g. `[{ "arn":string }]`.
    pub ty: &'static str,
    pub required: bool,
    /// Indicators extracted from this column's values.
    pub indicators: &'static [IndicatorKind],
    pub description: &'static str,
}

/// A declared column with its parsed type.
#[derive(Clone, Debug)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
    pub required: bool,
    pub indicators: &'static [IndicatorKind],
    pub description: &'static str,
}

/// A log type's columns: its own columns, then the standard `p_*` fields.
#[derive(Clone, Debug)]
pub struct Schema {
    /// The log type's own columns, in declaration order; a row's values are
    /// indexed by position in this list.
    pub columns: Vec<Column>,
    /// The standard fields, the same for every log type.
    pub standard: Vec<Column>,
    /// `,"name":` for each of `columns`, rendered once for the JSON writer.
    pub json_keys: Vec<Box<[u8]>>,
}

/// Error in a column type written in seed notation.
#[derive(Debug, thiserror::Error)]
#[error("column type `{text}`: {reason} at byte {pos}")]
pub struct TypeSyntaxError {
    pub text: String,
    pub reason: &'static str,
    pub pos: usize,
}

impl Schema {
    /// Parses every column's type. Fails on the first bad type or on a
    /// duplicate column name.
    pub fn new(defs: &[ColumnDef]) -> Result<Self, TypeSyntaxError> {
        if defs.len() > crate::row::MAX_COLUMNS {
            return Err(TypeSyntaxError {
                text: format!("{} columns", defs.len()),
                reason: "too many columns",
                pos: 0,
            });
        }
        let mut columns = Vec::with_capacity(defs.len());
        for d in defs {
            if columns.iter().any(|c: &Column| c.name == d.name) {
                return Err(TypeSyntaxError {
                    text: d.name.to_string(),
                    reason: "duplicate column name",
                    pos: 0,
                });
            }
            if !d
                .name
                .bytes()
                .all(|c| c.is_ascii_graphic() && c != b'"' && c != b'\\')
            {
                return Err(TypeSyntaxError {
                    text: d.name.to_string(),
                    reason: "column names must be plain ASCII",
                    pos: 0,
                });
            }
            columns.push(Column::from_def(d)?);
        }
        let standard = STANDARD_COLUMNS
            .iter()
            .map(|d| Column::from_def(d).expect("standard column types are valid"))
            .collect();
        let json_keys = columns
            .iter()
            .map(|c: &Column| format!(",\"{}\":", c.name).into_bytes().into_boxed_slice())
            .collect();
        Ok(Schema {
            columns,
            standard,
            json_keys,
        })
    }

    /// Own columns then standard fields.
    pub fn all_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().chain(self.standard.iter())
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

impl Column {
    pub fn from_def(d: &ColumnDef) -> Result<Self, TypeSyntaxError> {
        Ok(Column {
            name: d.name,
            ty: ColumnType::parse(d.ty)?,
            required: d.required,
            indicators: d.indicators,
            description: d.description,
        })
    }
}

impl ColumnType {
    /// Parses seed notation.
    pub fn parse(text: &str) -> Result<Self, TypeSyntaxError> {
        let mut p = TypeParser {
            s: text.as_bytes(),
            pos: 0,
            text,
        };
        let ty = p.ty()?;
        p.ws();
        if p.pos != p.s.len() {
            return Err(p.err("trailing characters"));
        }
        Ok(ty)
    }

    pub fn is_nested(&self) -> bool {
        matches!(
            self,
            ColumnType::Array(_) | ColumnType::Object(_) | ColumnType::Map
        )
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::String => f.write_str("string"),
            ColumnType::Bigint => f.write_str("bigint"),
            ColumnType::Int => f.write_str("int"),
            ColumnType::Smallint => f.write_str("smallint"),
            ColumnType::Double => f.write_str("double"),
            ColumnType::Float => f.write_str("float"),
            ColumnType::Boolean => f.write_str("boolean"),
            ColumnType::Timestamp => f.write_str("timestamp"),
            ColumnType::Map => f.write_str("map<string,string>"),
            ColumnType::Array(inner) => write!(f, "[{inner}]"),
            ColumnType::Object(fields) => {
                f.write_str("{ ")?;
                for (i, fl) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "\"{}\":{}", fl.name, fl.ty)?;
                }
                f.write_str(" }")
            }
        }
    }
}

struct TypeParser<'t> {
    s: &'t [u8],
    pos: usize,
    text: &'t str,
}

impl TypeParser<'_> {
    fn err(&self, reason: &'static str) -> TypeSyntaxError {
        TypeSyntaxError {
            text: self.text.to_string(),
            reason,
            pos: self.pos,
        }
    }

    fn ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn ty(&mut self) -> Result<ColumnType, TypeSyntaxError> {
        self.ws();
        if self.eat(b'[') {
            let inner = self.ty()?;
            if !self.eat(b']') {
                return Err(self.err("expected `]`"));
            }
            return Ok(ColumnType::Array(Box::new(inner)));
        }
        if self.eat(b'{') {
            let mut fields = Vec::new();
            loop {
                if !self.eat(b'"') {
                    return Err(self.err("expected a quoted field name"));
                }
                let start = self.pos;
                while self.pos < self.s.len() && self.s[self.pos] != b'"' {
                    self.pos += 1;
                }
                if self.pos == self.s.len() {
                    return Err(self.err("unterminated field name"));
                }
                let name = self.text[start..self.pos].to_string();
                self.pos += 1;
                if !self.eat(b':') {
                    return Err(self.err("expected `:`"));
                }
                let ty = self.ty()?;
                if fields.iter().any(|f: &Field| f.name == name) {
                    return Err(self.err("duplicate field name"));
                }
                fields.push(Field { name, ty });
                if self.eat(b',') {
                    continue;
                }
                if self.eat(b'}') {
                    break;
                }
                return Err(self.err("expected `,` or `}`"));
            }
            return Ok(ColumnType::Object(fields));
        }
        let start = self.pos;
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_alphabetic() {
            self.pos += 1;
        }
        if &self.text[start..self.pos] == "map" {
            let rest: String = self.text[self.pos..]
                .chars()
                .filter(|c| !c.is_whitespace())
                .take("<string,string>".len())
                .collect();
            if rest != "<string,string>" {
                return Err(self.err("only map<string,string> is supported"));
            }
            // Step over `<string,string>` and any white space inside it.
            let mut seen = 0;
            while seen < rest.len() {
                if !self.s[self.pos].is_ascii_whitespace() {
                    seen += 1;
                }
                self.pos += 1;
            }
            return Ok(ColumnType::Map);
        }
        Ok(match &self.text[start..self.pos] {
            "string" => ColumnType::String,
            "bigint" => ColumnType::Bigint,
            "int" => ColumnType::Int,
            "smallint" => ColumnType::Smallint,
            "double" => ColumnType::Double,
            "float" => ColumnType::Float,
            "boolean" => ColumnType::Boolean,
            "timestamp" => ColumnType::Timestamp,
            _ => {
                self.pos = start;
                return Err(self.err("unknown type name"));
            }
        })
    }
}

/// Declares a log type's columns and an enum `C` naming their positions.
///
/// ```
/// seclake_core::columns! {
///     Name = "name", "string", required, [], "The name.";
///     Size = "size", "bigint", optional, [], "The size.";
/// }
/// assert_eq!(COLUMNS[C::Size as usize].name, "size");
/// ```
#[macro_export]
macro_rules! columns {
    ($( $id:ident = $name:expr, $ty:literal, $req:ident, [$($ind:ident),*], $desc:expr; )*) => {
        /// Positions of this log type's columns in its schema.
        #[allow(dead_code, clippy::enum_variant_names)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(usize)]
        pub enum C { $($id),* }
        impl From<C> for usize {
            fn from(c: C) -> usize { c as usize }
        }
        /// This log type's columns, in schema order.
        pub const COLUMNS: &[$crate::schema::ColumnDef] = &[
            $($crate::schema::ColumnDef {
                name: $name,
                ty: $ty,
                required: $crate::columns!(@req $req),
                indicators: &[$($crate::indicators::IndicatorKind::$ind),*],
                description: $desc,
            }),*
        ];
    };
    (@req required) => { true };
    (@req optional) => { false };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_seed_notation_and_prints_it_back() {
        for t in [
            "string",
            "[string]",
            "[{ \"arn\":string, \"accountId\":string, \"type\":string }]",
            "{ \"state\":string, \"insightContext\":{ \"statistics\":{ \"baseline\":{ \"average\":double } } } }",
        ] {
            assert_eq!(ColumnType::parse(t).unwrap().to_string(), t);
        }
    }

    #[test]
    fn reports_bad_types() {
        for t in [
            "strin",
            "[string",
            "{ \"a\" string }",
            "{ \"a\":string, \"a\":bigint }",
            "string x",
        ] {
            assert!(ColumnType::parse(t).is_err(), "{t}");
        }
    }
}
