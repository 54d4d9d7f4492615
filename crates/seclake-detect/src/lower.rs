//! A loaded rule lowered to one DataFusion expression over its table.
//!
//! Sigma's matching is two-valued: a search over a field the event lacks
//! simply does not match, and `not` of it does. SQL's is three-valued
//! (`NOT (x = 'a')` is NULL when `x` is), so each search is wrapped in
//! `IS TRUE` before the condition combines searches.
//!
//! String matching is case-insensitive unless `cased`: `ILIKE` with the
//! pattern's wildcards as `%`/`_` (which DataFusion runs as plain
//! comparisons for ASCII text), or an anchored regular expression when
//! the pattern holds a `windash` class.

use std::collections::HashMap;

use arrow_schema::DataType;
use datafusion::functions::expr_fn::{date_part, lower};
use datafusion::logical_expr::expr::Like;
use datafusion::logical_expr::{binary_expr, cast, lit, try_cast, Expr, Operator};

use crate::condition::Condition;
use crate::error::RuleError;
use crate::mapping::{Fields, Kind, Resolved};
use crate::matcher::{CompareOp, FieldTest, Matcher, Number, NumberValue};
use crate::pattern::Pattern;
use crate::rule::{Rule, Search};

/// The rule's detection as one expression.
pub fn lower_rule(rule: &Rule, fields: &Fields<'_>) -> Result<Expr, RuleError> {
    let mut searches = HashMap::new();
    // Every search is lowered, used by the condition or not, so a rule
    // with a field the table lacks is reported wherever the field is.
    for (name, search) in &rule.detection.searches {
        let expr = match search {
            Search::Fields(maps) => {
                let mut alternatives = Vec::with_capacity(maps.len());
                for tests in maps {
                    let all = tests.iter().map(|t| test(t, fields));
                    alternatives.push(every(all.collect::<Result<_, _>>()?));
                }
                any(alternatives)
            }
            Search::Keywords { patterns, all } => keywords(name, patterns, *all, fields)?,
        };
        searches.insert(name.as_str(), expr.is_true());
    }
    Ok(condition(&rule.detection.condition, &searches))
}

fn condition(c: &Condition, searches: &HashMap<&str, Expr>) -> Expr {
    match c {
        Condition::Search(name) => searches[name.as_str()].clone(),
        Condition::Not(inner) => Expr::Not(Box::new(condition(inner, searches))),
        Condition::And(items) => every(items.iter().map(|i| condition(i, searches)).collect()),
        Condition::Or(items) => any(items.iter().map(|i| condition(i, searches)).collect()),
    }
}

fn any(exprs: Vec<Expr>) -> Expr {
    exprs.into_iter().reduce(Expr::or).unwrap_or(lit(false))
}

fn every(exprs: Vec<Expr>) -> Expr {
    exprs.into_iter().reduce(Expr::and).unwrap_or(lit(true))
}

/// Keywords: each is looked for in any of the log type's keyword fields.
fn keywords(
    search: &str,
    patterns: &[Pattern],
    all: bool,
    fields: &Fields<'_>,
) -> Result<Expr, RuleError> {
    if fields.sigma().keyword_fields.is_empty() {
        return Err(RuleError::unsupported(
            format!("detection.{search}"),
            format!("a keyword search over {}", fields.log_type.name()),
        ));
    }
    let targets = fields
        .sigma()
        .keyword_fields
        .iter()
        .map(|f| fields.resolve(f).and_then(|r| text(f, &r)))
        .collect::<Result<Vec<_>, _>>()?;
    let each: Vec<Expr> = patterns
        .iter()
        .map(|p| {
            any(targets
                .iter()
                .map(|t| text_match(t.clone(), p, false))
                .collect())
        })
        .collect();
    Ok(if all { every(each) } else { any(each) })
}

/// One `field|modifiers: values` entry.
fn test(t: &FieldTest, fields: &Fields<'_>) -> Result<Expr, RuleError> {
    let field = fields.resolve(&t.field)?;
    let mut groups = Vec::with_capacity(t.values.len());
    for alternatives in &t.values {
        let exprs = alternatives
            .iter()
            .map(|m| matcher(&t.field, &field, m, fields))
            .collect::<Result<Vec<_>, _>>()?;
        groups.push(any(exprs));
    }
    Ok(if t.neq {
        every(groups.into_iter().map(|g| Expr::Not(Box::new(g))).collect())
    } else if t.all {
        every(groups)
    } else {
        any(groups)
    })
}

fn matcher(
    name: &str,
    field: &Resolved,
    m: &Matcher,
    fields: &Fields<'_>,
) -> Result<Expr, RuleError> {
    let e = field.expr.clone();
    let numeric = matches!(field.kind, Kind::Int | Kind::Float);
    Ok(match m {
        Matcher::Null if field.kind == Kind::Text => e.clone().is_null().or(e.eq(lit(""))),
        Matcher::Null => e.is_null(),
        Matcher::Exists(true) => e.is_not_null(),
        Matcher::Exists(false) => e.is_null(),
        Matcher::Number(n) if numeric => e.eq(number(n)),
        Matcher::Bool(b) if field.kind == Kind::Bool => e.eq(lit(*b)),
        Matcher::Text { pattern, cased } => match (field.kind, pattern.as_plain()) {
            // A number or boolean written as a string still compares as one.
            (Kind::Int | Kind::Float, Some(p)) if Number::parse(&p).is_some() => {
                e.eq(number(&Number::parse(&p).expect("checked")))
            }
            (Kind::Bool, Some(p))
                if p.eq_ignore_ascii_case("true") || p.eq_ignore_ascii_case("false") =>
            {
                e.eq(lit(p.eq_ignore_ascii_case("true")))
            }
            _ => text_match(text(name, field)?, pattern, *cased),
        },
        Matcher::Number(n) => text_match(text(name, field)?, &Pattern::literal(&n.text), false),
        Matcher::Bool(b) => {
            text_match(text(name, field)?, &Pattern::literal(&b.to_string()), false)
        }
        Matcher::Regex(re) => {
            binary_expr(text(name, field)?, Operator::RegexMatch, lit(re.as_str()))
        }
        Matcher::Cidr(net) => {
            crate::cidr::cidr_match().call(vec![text(name, field)?, lit(net.to_string())])
        }
        Matcher::Compare(op, n) => {
            let left = match field.kind {
                Kind::Int | Kind::Float => e,
                Kind::Text => try_cast(e, DataType::Float64),
                _ => {
                    return Err(RuleError::field(
                        name,
                        format!(
                            "{} compares numbers, and the field is {}",
                            op_name(*op),
                            kind_name(field.kind)
                        ),
                    ))
                }
            };
            binary_expr(left, compare(*op), number(n))
        }
        Matcher::TimePart(part, v) => {
            if field.kind != Kind::Timestamp {
                return Err(RuleError::field(
                    name,
                    format!(
                        "`{}` needs a timestamp field, and the field is {}",
                        part.sql_name(),
                        kind_name(field.kind)
                    ),
                ));
            }
            date_part(lit(part.sql_name()), e).eq(lit(*v))
        }
        Matcher::FieldRef {
            field: other,
            cased,
        } => {
            let o = fields.resolve(other)?;
            if field.kind == o.kind && field.kind != Kind::Text {
                e.eq(o.expr)
            } else if *cased {
                text(name, field)?.eq(text(other, &o)?)
            } else {
                lower(text(name, field)?).eq(lower(text(other, &o)?))
            }
        }
    })
}

/// The field as text: numbers, booleans and timestamps are cast; lists,
/// objects and maps have no text to match.
fn text(name: &str, field: &Resolved) -> Result<Expr, RuleError> {
    match field.kind {
        Kind::Text => Ok(field.expr.clone()),
        Kind::Nested(what) => Err(RuleError::field(
            name,
            format!("the field is {what}; seclake matches values against its members, or tests it with `null` or `exists`"),
        )),
        _ => Ok(cast(field.expr.clone(), DataType::Utf8)),
    }
}

/// Sigma string matching of `e` against `pattern`.
fn text_match(e: Expr, pattern: &Pattern, cased: bool) -> Expr {
    if cased {
        if let Some(plain) = pattern.as_plain() {
            return e.eq(lit(plain));
        }
    }
    match pattern.to_like() {
        Some(like) => Expr::Like(Like::new(
            false,
            Box::new(e),
            Box::new(lit(like)),
            Some('\\'),
            !cased,
        )),
        None => binary_expr(e, Operator::RegexMatch, lit(pattern.to_regex(cased))),
    }
}

fn number(n: &Number) -> Expr {
    match n.value {
        NumberValue::Int(i) => lit(i),
        NumberValue::Float(f) => lit(f),
    }
}

fn compare(op: CompareOp) -> Operator {
    match op {
        CompareOp::Gt => Operator::Gt,
        CompareOp::Gte => Operator::GtEq,
        CompareOp::Lt => Operator::Lt,
        CompareOp::Lte => Operator::LtEq,
    }
}

fn op_name(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Gt => "`gt`",
        CompareOp::Gte => "`gte`",
        CompareOp::Lt => "`lt`",
        CompareOp::Lte => "`lte`",
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "text",
        Kind::Int | Kind::Float => "a number",
        Kind::Bool => "a boolean",
        Kind::Timestamp => "a timestamp",
        Kind::Nested(what) => what,
    }
}
