//! Field values and value modifiers (`field|contains|all: [...]`) turned
//! into typed tests, when a rule loads: everything Sigma says about a
//! value is settled here, so lowering only has to pick the SQL for each
//! test and the field's type.
//!
//! Modifiers apply in the order written. Transformations (`contains`,
//! `startswith`, `endswith`, `windash`, `base64`, `base64offset`, the
//! UTF-16 encodings) rewrite string values, and may turn one value into
//! several alternatives (`base64offset` gives three); type modifiers
//! (`re`, `cidr`, `exists`, `gt`/`gte`/`lt`/`lte`, `fieldref`, the time
//! parts) say what the value is and stand alone. `all`, `cased` and `neq`
//! change how values combine and compare.

use base64::Engine as _;

use crate::cidr::Cidr;
use crate::error::RuleError;
use crate::matcher::{CompareOp, FieldTest, Matcher, Number, NumberValue, Scalar, TimePart};
use crate::pattern::Pattern;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Modifier {
    Contains,
    StartsWith,
    EndsWith,
    Windash,
    Base64,
    Base64Offset,
    Utf16Le,
    Utf16Be,
    Utf16,
    All,
    Cased,
    Neq,
    Re,
    ReFlag(char),
    Cidr,
    Exists,
    Compare(CompareOp),
    FieldRef,
    Time(TimePart),
    Expand,
}

impl Modifier {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "contains" => Modifier::Contains,
            "startswith" => Modifier::StartsWith,
            "endswith" => Modifier::EndsWith,
            "windash" => Modifier::Windash,
            "base64" => Modifier::Base64,
            "base64offset" => Modifier::Base64Offset,
            "utf16le" | "wide" => Modifier::Utf16Le,
            "utf16be" => Modifier::Utf16Be,
            "utf16" => Modifier::Utf16,
            "all" => Modifier::All,
            "cased" => Modifier::Cased,
            "neq" => Modifier::Neq,
            "re" => Modifier::Re,
            "i" | "m" | "s" => Modifier::ReFlag(name.chars().next().expect("one char")),
            "cidr" => Modifier::Cidr,
            "exists" => Modifier::Exists,
            "gt" => Modifier::Compare(CompareOp::Gt),
            "gte" => Modifier::Compare(CompareOp::Gte),
            "lt" => Modifier::Compare(CompareOp::Lt),
            "lte" => Modifier::Compare(CompareOp::Lte),
            "fieldref" => Modifier::FieldRef,
            "minute" => Modifier::Time(TimePart::Minute),
            "hour" => Modifier::Time(TimePart::Hour),
            "day" => Modifier::Time(TimePart::Day),
            "week" => Modifier::Time(TimePart::Week),
            "month" => Modifier::Time(TimePart::Month),
            "year" => Modifier::Time(TimePart::Year),
            "expand" => Modifier::Expand,
            _ => return None,
        })
    }

    fn is_transformation(self) -> bool {
        matches!(
            self,
            Modifier::Contains
                | Modifier::StartsWith
                | Modifier::EndsWith
                | Modifier::Windash
                | Modifier::Base64
                | Modifier::Base64Offset
                | Modifier::Utf16Le
                | Modifier::Utf16Be
                | Modifier::Utf16
        )
    }

    fn is_type(self) -> bool {
        matches!(
            self,
            Modifier::Re
                | Modifier::Cidr
                | Modifier::Exists
                | Modifier::Compare(_)
                | Modifier::FieldRef
                | Modifier::Time(_)
        )
    }
}

/// Settles one search entry. `at` is its key path for messages
/// (`detection.selection.eventName|contains`), `key` the key itself.
pub fn field_test(at: &str, key: &str, values: Vec<Scalar>) -> Result<FieldTest, RuleError> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or_default().to_string();
    let mut modifiers = Vec::new();
    for name in parts {
        let m = Modifier::parse(name)
            .ok_or_else(|| RuleError::invalid(at, format!("unknown modifier `{name}`")))?;
        if let Modifier::ReFlag(_) = m {
            if !modifiers.contains(&Modifier::Re) {
                return Err(RuleError::invalid(
                    at,
                    format!("modifier `{name}` must follow `re`"),
                ));
            }
        }
        modifiers.push(m);
    }
    if field.is_empty() {
        return Err(RuleError::invalid(
            at,
            "a field name is needed before the modifiers",
        ));
    }
    if modifiers.contains(&Modifier::Expand) {
        return Err(RuleError::unsupported(at, "`expand` (placeholders)"));
    }
    if values.is_empty() {
        return Err(RuleError::invalid(at, "no value to match"));
    }
    let types: Vec<Modifier> = modifiers.iter().copied().filter(|m| m.is_type()).collect();
    let transforms: Vec<Modifier> = modifiers
        .iter()
        .copied()
        .filter(|m| m.is_transformation())
        .collect();
    let all = modifiers.contains(&Modifier::All);
    let cased = modifiers.contains(&Modifier::Cased);
    let neq = modifiers.contains(&Modifier::Neq);
    if types.len() > 1 {
        return Err(RuleError::invalid(at, "only one of `re`, `cidr`, `exists`, `gt`/`gte`/`lt`/`lte`, `fieldref` and the time parts may be given"));
    }
    let values = match types.first() {
        None => values
            .into_iter()
            .map(|v| plain(at, v, &transforms, cased))
            .collect::<Result<Vec<_>, _>>()?,
        Some(&kind) => {
            if let Some(t) = transforms.first() {
                return Err(RuleError::invalid(
                    at,
                    format!("`{}` cannot be combined with `{}`", name(*t), name(kind)),
                ));
            }
            if kind == Modifier::Exists && (all || neq || values.len() != 1) {
                return Err(RuleError::invalid(
                    at,
                    "`exists` takes one value, true or false",
                ));
            }
            let flags: String = modifiers
                .iter()
                .filter_map(|m| match m {
                    Modifier::ReFlag(c) => Some(*c),
                    _ => None,
                })
                .collect();
            values
                .into_iter()
                .map(|v| typed(at, kind, v, &flags, cased).map(|m| vec![m]))
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    Ok(FieldTest {
        field,
        values,
        all,
        neq,
    })
}

/// A value under a type modifier.
fn typed(
    at: &str,
    kind: Modifier,
    v: Scalar,
    flags: &str,
    cased: bool,
) -> Result<Matcher, RuleError> {
    let want = |what: &str| {
        RuleError::invalid(
            at,
            format!("`{}` needs {what}, not {}", name(kind), shown(&v)),
        )
    };
    Ok(match (kind, &v) {
        (Modifier::Exists, Scalar::Bool(b)) => Matcher::Exists(*b),
        (Modifier::Re, Scalar::Str(s)) => {
            let regex = if flags.is_empty() {
                s.clone()
            } else {
                format!("(?{flags}){s}")
            };
            regex::Regex::new(&regex).map_err(|e| {
                let detail = e.to_string();
                let last = detail.lines().last().unwrap_or_default().trim().to_string();
                RuleError::invalid(
                    at,
                    format!("the regular expression `{s}` is not supported by seclake ({last})"),
                )
            })?;
            Matcher::Regex(regex)
        }
        (Modifier::Cidr, Scalar::Str(s)) => {
            Matcher::Cidr(Cidr::parse(s).ok_or_else(|| want("a network such as 10.0.0.0/8"))?)
        }
        (Modifier::Compare(op), Scalar::Number(n)) => Matcher::Compare(op, n.clone()),
        (Modifier::Compare(op), Scalar::Str(s)) => {
            Matcher::Compare(op, Number::parse(s).ok_or_else(|| want("a number"))?)
        }
        (Modifier::FieldRef, Scalar::Str(s)) if !s.is_empty() => Matcher::FieldRef {
            field: s.clone(),
            cased,
        },
        (
            Modifier::Time(part),
            Scalar::Number(Number {
                value: NumberValue::Int(i),
                ..
            }),
        ) => Matcher::TimePart(part, *i),
        (Modifier::Exists, _) => return Err(want("true or false")),
        (Modifier::Re, _) => return Err(want("a regular expression")),
        (Modifier::Cidr, _) => return Err(want("a network such as 10.0.0.0/8")),
        (Modifier::Compare(_), _) => return Err(want("a number")),
        (Modifier::FieldRef, _) => return Err(want("a field name")),
        (_, _) => return Err(want("a whole number")),
    })
}

/// A value in progress through the transformations: text, or the bytes
/// of a UTF-16 encoding waiting for base64.
enum Work {
    Text(Pattern),
    Bytes(Vec<u8>),
}

/// A value without a type modifier, through its transformations.
fn plain(
    at: &str,
    v: Scalar,
    transforms: &[Modifier],
    cased: bool,
) -> Result<Vec<Matcher>, RuleError> {
    let start = match v {
        Scalar::Null | Scalar::Str(_) if transforms.is_empty() && is_empty_value(&v) => {
            return Ok(vec![Matcher::Null])
        }
        Scalar::Null => {
            return Err(RuleError::invalid(
                at,
                format!("`null` cannot take `{}`", name(transforms[0])),
            ))
        }
        Scalar::Number(n) if transforms.is_empty() => return Ok(vec![Matcher::Number(n)]),
        Scalar::Bool(b) if transforms.is_empty() => return Ok(vec![Matcher::Bool(b)]),
        Scalar::Number(n) => Pattern::literal(&n.text),
        Scalar::Bool(b) => Pattern::literal(if b { "true" } else { "false" }),
        Scalar::Str(s) => Pattern::parse(&s),
    };
    let mut work = vec![Work::Text(start)];
    for &t in transforms {
        let mut next = Vec::with_capacity(work.len());
        for w in work {
            transform(at, t, w, &mut next)?;
        }
        work = next;
    }
    work.into_iter()
        .map(|w| match w {
            Work::Text(pattern) => Ok(Matcher::Text { pattern, cased }),
            Work::Bytes(_) => Err(RuleError::invalid(
                at,
                "a UTF-16 encoding must be followed by `base64` or `base64offset`",
            )),
        })
        .collect()
}

/// `null` and `''` both mean an empty field: seclake stores empty values
/// as null, so the two cannot be told apart in the lake.
fn is_empty_value(v: &Scalar) -> bool {
    matches!(v, Scalar::Null) || matches!(v, Scalar::Str(s) if s.is_empty())
}

fn transform(at: &str, t: Modifier, w: Work, out: &mut Vec<Work>) -> Result<(), RuleError> {
    let plain_bytes = |w: Work| -> Result<Vec<u8>, RuleError> {
        match w {
            Work::Bytes(b) => Ok(b),
            Work::Text(p) => p.as_plain().map(String::into_bytes).ok_or_else(|| {
                RuleError::invalid(at, format!("`{}` needs plain text: put wildcards and `contains`/`startswith`/`endswith`/`windash` after it", name(t)))
            }),
        }
    };
    let text = |w: Work| -> Result<Pattern, RuleError> {
        match w {
            Work::Text(p) => Ok(p),
            Work::Bytes(_) => Err(RuleError::invalid(
                at,
                format!("`{}` cannot follow a UTF-16 encoding", name(t)),
            )),
        }
    };
    match t {
        Modifier::Contains => out.push(Work::Text(text(w)?.any_before().any_after())),
        Modifier::StartsWith => out.push(Work::Text(text(w)?.any_after())),
        Modifier::EndsWith => out.push(Work::Text(text(w)?.any_before())),
        Modifier::Windash => out.push(Work::Text(text(w)?.windash())),
        Modifier::Base64 => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(plain_bytes(w)?);
            out.push(Work::Text(Pattern::literal(&encoded)));
        }
        Modifier::Base64Offset => {
            for variant in base64_offsets(&plain_bytes(w)?) {
                out.push(Work::Text(Pattern::literal(&variant)));
            }
        }
        Modifier::Utf16Le | Modifier::Utf16Be | Modifier::Utf16 => {
            let Work::Text(p) = w else {
                return Err(RuleError::invalid(
                    at,
                    format!("`{}` cannot follow another encoding", name(t)),
                ));
            };
            let s = p
                .as_plain()
                .ok_or_else(|| RuleError::invalid(at, format!("`{}` needs plain text", name(t))))?;
            let units = s.encode_utf16();
            let bytes: Vec<u8> = match t {
                Modifier::Utf16Be => units.flat_map(u16::to_be_bytes).collect(),
                Modifier::Utf16 => [0xFF, 0xFE]
                    .into_iter()
                    .chain(units.flat_map(u16::to_le_bytes))
                    .collect(),
                _ => units.flat_map(u16::to_le_bytes).collect(),
            };
            out.push(Work::Bytes(bytes));
        }
        _ => unreachable!("only transformations are applied"),
    }
    Ok(())
}

/// The three ways `bytes` look in base64 when they start 0, 1 or 2 bytes
/// into a 3-byte group of a longer text: each encoding of the bytes
/// behind that many placeholder bytes, without the leading characters
/// the placeholders affect and the trailing characters the unknown bytes
/// after the value would change.
pub fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    const LEAD: [usize; 3] = [0, 2, 3];
    (0..3)
        .map(|shift| {
            let mut shifted = vec![0u8; shift];
            shifted.extend_from_slice(bytes);
            let encoded = base64::engine::general_purpose::STANDARD.encode(&shifted);
            let trail = match shifted.len() % 3 {
                0 => 0,
                1 => 3,
                _ => 2,
            };
            encoded
                .get(LEAD[shift]..encoded.len() - trail)
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

fn shown(v: &Scalar) -> String {
    match v {
        Scalar::Str(s) => format!("'{s}'"),
        Scalar::Number(n) => n.text.clone(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Null => "null".to_string(),
    }
}

fn name(m: Modifier) -> &'static str {
    match m {
        Modifier::Contains => "contains",
        Modifier::StartsWith => "startswith",
        Modifier::EndsWith => "endswith",
        Modifier::Windash => "windash",
        Modifier::Base64 => "base64",
        Modifier::Base64Offset => "base64offset",
        Modifier::Utf16Le => "utf16le",
        Modifier::Utf16Be => "utf16be",
        Modifier::Utf16 => "utf16",
        Modifier::All => "all",
        Modifier::Cased => "cased",
        Modifier::Neq => "neq",
        Modifier::Re => "re",
        Modifier::ReFlag(_) => "re flag",
        Modifier::Cidr => "cidr",
        Modifier::Exists => "exists",
        Modifier::Compare(CompareOp::Gt) => "gt",
        Modifier::Compare(CompareOp::Gte) => "gte",
        Modifier::Compare(CompareOp::Lt) => "lt",
        Modifier::Compare(CompareOp::Lte) => "lte",
        Modifier::FieldRef => "fieldref",
        Modifier::Time(p) => p.sql_name(),
        Modifier::Expand => "expand",
    }
}
