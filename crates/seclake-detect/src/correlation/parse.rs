//! A correlation document as typed data. Errors name the key at fault
//! (`correlation.timespan`), as a rule's do. Keys of the `correlation`
//! section seclake does not know are errors rather than ignored: a
//! misspelt `group-by` would otherwise count everything together.

use yaml_rust2::Yaml;

use super::{Aliases, Correlation, Kind, Op, Tests, Timespan};
use crate::error::RuleError;
use crate::rule::{meta, required, text_of};

const KEYS: [&str; 7] = [
    "type",
    "rules",
    "group-by",
    "timespan",
    "condition",
    "aliases",
    "generate",
];

impl Correlation {
    /// The correlation of one YAML document (one with a `correlation` key).
    pub fn from_yaml(doc: &Yaml) -> Result<Correlation, RuleError> {
        if !matches!(doc, Yaml::Hash(_)) {
            return Err(RuleError::invalid("(file)", "a rule must be a map of keys"));
        }
        let meta = meta(doc)?;
        let section = required(doc, "correlation")?;
        let Yaml::Hash(map) = section else {
            return Err(RuleError::invalid("correlation", "expected a map"));
        };
        for key in map.keys() {
            let key = text_of(key, "correlation")?;
            if !KEYS.contains(&key.as_str()) {
                return Err(RuleError::invalid(
                    format!("correlation.{key}"),
                    format!("unknown key (expected one of {})", KEYS.join(", ")),
                ));
            }
        }
        let kind_text = text_of(key(section, "type")?, "correlation.type")?;
        let (condition, field) = condition(&section["condition"], &kind_text)?;
        let kind = match (kind_text.as_str(), field) {
            ("event_count", None) => Kind::EventCount,
            ("value_count", Some(field)) => Kind::ValueCount { field },
            ("value_count", None) => {
                return Err(RuleError::invalid(
                    "correlation.condition.field",
                    "missing: value_count counts the values of a field",
                ))
            }
            ("temporal", None) => Kind::Temporal,
            ("temporal_ordered", None) => Kind::TemporalOrdered,
            ("event_count" | "temporal" | "temporal_ordered", Some(_)) => {
                return Err(RuleError::invalid(
                    "correlation.condition.field",
                    "only value_count counts the values of a field",
                ))
            }
            (other, _) => {
                return Err(RuleError::invalid(
                    "correlation.type",
                    format!(
                    "`{other}` is not one of event_count, value_count, temporal, temporal_ordered"
                ),
                ))
            }
        };
        if condition.is_empty() && matches!(kind, Kind::EventCount | Kind::ValueCount { .. }) {
            return Err(RuleError::invalid(
                "correlation.condition",
                format!("missing: {kind_text} needs a count to compare (gte: 10)"),
            ));
        }
        Ok(Correlation {
            title: meta.title,
            id: meta.id,
            name: meta.name,
            status: meta.status,
            description: meta.description,
            level: meta.level,
            tags: meta.tags,
            kind,
            rules: references(key(section, "rules")?)?,
            group_by: texts(&section["group-by"], "correlation.group-by")?,
            timespan: timespan(key(section, "timespan")?)?,
            condition,
            aliases: aliases(&section["aliases"])?,
            // The specification puts `generate` beside `correlation`;
            // pySigma reads it inside. Either says yes.
            generate: flag(&doc["generate"], "generate")?
                || flag(&section["generate"], "correlation.generate")?,
        })
    }
}

/// A required key of the `correlation` section.
fn key<'y>(section: &'y Yaml, key: &str) -> Result<&'y Yaml, RuleError> {
    required(section, key).map_err(|_| RuleError::invalid(format!("correlation.{key}"), "missing"))
}

fn flag(v: &Yaml, at: &str) -> Result<bool, RuleError> {
    match v {
        Yaml::BadValue | Yaml::Null => Ok(false),
        Yaml::Boolean(b) => Ok(*b),
        _ => Err(RuleError::invalid(at, "expected true or false")),
    }
}

/// A list of text (or one text), each once.
fn texts(v: &Yaml, at: &str) -> Result<Vec<String>, RuleError> {
    let items = match v {
        Yaml::BadValue | Yaml::Null => return Ok(Vec::new()),
        Yaml::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, t)| text_of(t, &format!("{at}[{i}]")))
            .collect::<Result<Vec<_>, _>>()?,
        v => vec![text_of(v, at)?],
    };
    for (i, item) in items.iter().enumerate() {
        if items[..i].contains(item) {
            return Err(RuleError::invalid(
                format!("{at}[{i}]"),
                format!("`{item}` is listed twice"),
            ));
        }
    }
    Ok(items)
}

fn references(v: &Yaml) -> Result<Vec<String>, RuleError> {
    let refs = texts(v, "correlation.rules")?;
    if refs.is_empty() {
        return Err(RuleError::invalid(
            "correlation.rules",
            "name at least one rule",
        ));
    }
    Ok(refs)
}

/// `timespan: 90m`: a whole number of seconds, minutes, hours, days or
/// weeks. Months and years have no fixed length, so no fixed buckets.
fn timespan(v: &Yaml) -> Result<Timespan, RuleError> {
    let at = "correlation.timespan";
    let text = text_of(v, at)?;
    let bad = || {
        RuleError::invalid(
            at,
            format!("`{text}` is not a number followed by s, m, h, d or w (90m)"),
        )
    };
    let unit = text.chars().last().ok_or_else(bad)?;
    let seconds: i64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        'M' | 'y' => {
            return Err(RuleError::unsupported(
                at,
                format!("`{text}` (months and years have no fixed length)"),
            ))
        }
        _ => return Err(bad()),
    };
    let number = &text[..text.len() - unit.len_utf8()];
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let micros = number
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(seconds)?.checked_mul(1_000_000))
        .filter(|m| *m > 0)
        .ok_or_else(|| {
            RuleError::invalid(
                at,
                format!("`{text}` must be above zero and at most centuries"),
            )
        })?;
    Ok(Timespan { text, micros })
}

/// The count tests of `condition` and its `field`.
fn condition(v: &Yaml, kind: &str) -> Result<(Tests, Option<String>), RuleError> {
    let at = "correlation.condition";
    let map = match v {
        Yaml::BadValue | Yaml::Null => return Ok((Vec::new(), None)),
        Yaml::Hash(map) => map,
        _ => return Err(RuleError::invalid(at, "expected a map such as `gte: 10`")),
    };
    if kind == "temporal_ordered" {
        return Err(RuleError::unsupported(
            at,
            "a condition on temporal_ordered (every rule must match, in order)",
        ));
    }
    let (mut tests, mut field) = (Vec::new(), None);
    for (k, value) in map {
        let key = text_of(k, at)?;
        let here = format!("{at}.{key}");
        if key == "field" {
            let mut fields = texts(value, &here)?;
            if fields.len() != 1 {
                return Err(RuleError::unsupported(
                    here,
                    "counting the values of several fields together",
                ));
            }
            field = fields.pop();
            continue;
        }
        let op = Op::ALL
            .into_iter()
            .find(|o| o.as_str() == key)
            .ok_or_else(|| {
                RuleError::invalid(
                    &here,
                    "unknown comparison (expected gt, gte, lt, lte, eq, neq or field)",
                )
            })?;
        let Yaml::Integer(n) = value else {
            return Err(RuleError::invalid(here, "expected a whole number"));
        };
        tests.push((op, *n));
    }
    if tests.is_empty() && !map.is_empty() && kind != "value_count" {
        return Err(RuleError::invalid(at, "no comparison (gte: 10)"));
    }
    Ok((tests, field))
}

fn aliases(v: &Yaml) -> Result<Aliases, RuleError> {
    let at = "correlation.aliases";
    let map = match v {
        Yaml::BadValue | Yaml::Null => return Ok(Vec::new()),
        Yaml::Hash(map) => map,
        _ => return Err(RuleError::invalid(at, "expected a map of alias names")),
    };
    map.iter()
        .map(|(alias, per_rule)| {
            let alias = text_of(alias, at)?;
            let here = format!("{at}.{alias}");
            let Yaml::Hash(per_rule) = per_rule else {
                return Err(RuleError::invalid(
                    here,
                    "expected a map of rule names to fields",
                ));
            };
            let fields = per_rule
                .iter()
                .map(|(rule, field)| {
                    let rule = text_of(rule, &here)?;
                    let field = text_of(field, &format!("{here}.{rule}"))?;
                    Ok((rule, field))
                })
                .collect::<Result<_, RuleError>>()?;
            Ok((alias, fields))
        })
        .collect()
}
