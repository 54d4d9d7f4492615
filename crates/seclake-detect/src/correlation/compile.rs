//! A correlation made runnable: each rule it names found among the rules
//! loaded (by `name`, else `id`) and compiled for its tables, and each
//! field it groups by or counts resolved in every one of those tables,
//! through the correlation's `aliases` when the field has another name
//! in that rule's events.

use datafusion::logical_expr::Expr;

use super::{Correlation, CorrelationError, Kind};
use crate::load::Document;
use crate::mapping::{self, Fields};
use crate::rule::Rule;
use crate::Compiled;

/// The documents loaded together, which correlations may name.
pub struct RuleSet<'d> {
    rules: Vec<&'d Rule>,
    correlations: Vec<&'d Correlation>,
}

/// A correlation with its rules compiled: what the evaluator runs.
#[derive(Debug, Clone)]
pub struct CompiledCorrelation {
    pub correlation: Correlation,
    /// One per rule named, in the order named.
    pub bases: Vec<Base>,
}

/// A rule a correlation names.
#[derive(Debug, Clone)]
pub struct Base {
    /// As the correlation names it.
    pub reference: String,
    pub rule: Rule,
    /// Per table the rule compiles for (tables it does not compile for
    /// are left out, as `rules check` shows).
    pub targets: Vec<Target>,
}

/// A base rule on one table, with the correlation's fields over it.
#[derive(Debug, Clone)]
pub struct Target {
    pub compiled: Compiled,
    /// One per `group-by` field, in order.
    pub group: Vec<Expr>,
    /// The field `value_count` counts.
    pub value: Option<Expr>,
}

/// A compiled correlation that can fire alerts: one with an id.
#[derive(Debug, Clone)]
pub struct AlertCorrelation {
    pub id: String,
    pub compiled: CompiledCorrelation,
}

impl AlertCorrelation {
    pub fn new(compiled: CompiledCorrelation) -> Result<Self, CorrelationError> {
        let id = compiled.correlation.id.clone();
        match id.filter(|id| !id.trim().is_empty()) {
            Some(id) => Ok(AlertCorrelation { id, compiled }),
            None => Err(CorrelationError::NoId),
        }
    }
}

impl CompiledCorrelation {
    /// The tables read, each once, in the order of the rules.
    pub fn tables(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for t in self.bases.iter().flat_map(|b| &b.targets) {
            if !out.contains(&t.compiled.table.as_str()) {
                out.push(&t.compiled.table);
            }
        }
        out
    }
}

impl<'d> RuleSet<'d> {
    pub fn new(docs: impl IntoIterator<Item = &'d Document>) -> Self {
        let (mut rules, mut correlations) = (Vec::new(), Vec::new());
        for d in docs {
            match d {
                Document::Rule(r) => rules.push(r),
                Document::Correlation(c) => correlations.push(c),
            }
        }
        RuleSet {
            rules,
            correlations,
        }
    }

    /// Whether `rule` fires alerts of its own: unless correlations name
    /// it and none of them says `generate: true` (Sigma: the rules of a
    /// correlation are parts of it, not detections).
    pub fn generates(&self, rule: &Rule) -> bool {
        let mut naming = self
            .correlations
            .iter()
            .filter(|c| c.rules.iter().any(|r| rule.is_named(r)))
            .peekable();
        naming.peek().is_none() || naming.any(|c| c.generate)
    }

    /// The correlations that name `rule` (to say why it fires nothing).
    pub fn named_by(&self, rule: &Rule) -> Vec<&'d Correlation> {
        self.correlations
            .iter()
            .filter(|c| c.rules.iter().any(|r| rule.is_named(r)))
            .copied()
            .collect()
    }

    /// Finds and compiles the rules `c` names.
    pub fn compile(&self, c: &Correlation) -> Result<CompiledCorrelation, CorrelationError> {
        let mut bases = Vec::with_capacity(c.rules.len());
        for reference in &c.rules {
            let rule = self.find(reference)?;
            let targets = crate::compile(rule).map_err(|source| CorrelationError::Rule {
                reference: reference.clone(),
                source: Box::new(source),
            })?;
            let targets = targets
                .compiled
                .into_iter()
                .map(|compiled| target(c, reference, rule, compiled))
                .collect::<Result<_, _>>()?;
            bases.push(Base {
                reference: reference.clone(),
                rule: rule.clone(),
                targets,
            });
        }
        Ok(CompiledCorrelation {
            correlation: c.clone(),
            bases,
        })
    }

    fn find(&self, reference: &str) -> Result<&'d Rule, CorrelationError> {
        let found: Vec<&Rule> = self
            .rules
            .iter()
            .copied()
            .filter(|r| r.is_named(reference))
            .collect();
        match found.as_slice() {
            [rule] => Ok(rule),
            [] if self.correlations.iter().any(|c| c.is_named(reference)) => {
                Err(CorrelationError::Chained(reference.to_string()))
            }
            [] => Err(CorrelationError::UnknownRule(reference.to_string())),
            many => Err(CorrelationError::Ambiguous {
                reference: reference.to_string(),
                count: many.len(),
            }),
        }
    }
}

/// `compiled` with the fields of `c` resolved in its table.
fn target(
    c: &Correlation,
    reference: &str,
    rule: &Rule,
    compiled: Compiled,
) -> Result<Target, CorrelationError> {
    let log_type = seclake_registry::find(compiled.log_type)
        .expect("a rule compiles only for registered log types");
    let fields = Fields::new(log_type);
    let resolve = |at: &str, name: &str| -> Result<Expr, CorrelationError> {
        let field = field_for(c, name, reference, rule)?;
        let fail = |source| CorrelationError::Field {
            at: at.to_string(),
            reference: reference.to_string(),
            table: compiled.table.clone(),
            source: Box::new(source),
        };
        let resolved = fields.resolve(&field).map_err(fail)?;
        if let mapping::Kind::Nested(what) = resolved.kind {
            return Err(fail(crate::error::RuleError::Field {
                field,
                reason: format!("the field is {what}; correlations compare single values"),
            }));
        }
        Ok(resolved.expr)
    };
    let group = c
        .group_by
        .iter()
        .map(|g| resolve("group-by", g))
        .collect::<Result<_, _>>()?;
    let value = match &c.kind {
        Kind::ValueCount { field } => Some(resolve("condition.field", field)?),
        _ => None,
    };
    Ok(Target {
        compiled,
        group,
        value,
    })
}

/// The field `name` stands for in the events of the rule `reference`:
/// its alias's field for that rule, or itself.
fn field_for(
    c: &Correlation,
    name: &str,
    reference: &str,
    rule: &Rule,
) -> Result<String, CorrelationError> {
    let Some((alias, per_rule)) = c.aliases.iter().find(|(a, _)| a == name) else {
        return Ok(name.to_string());
    };
    per_rule
        .iter()
        .find(|(r, _)| r == reference || rule.is_named(r))
        .map(|(_, f)| f.clone())
        .ok_or_else(|| CorrelationError::Alias {
            alias: alias.clone(),
            reference: reference.to_string(),
        })
}
