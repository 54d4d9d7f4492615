//! A Sigma rule as typed data: the metadata seclake keeps (title, id,
//! level, tags, ...), the logsource, and the detection with every search
//! settled into tests ([`crate::modifiers`]) and the condition parsed
//! ([`crate::condition`]). A rule that loads is valid Sigma that seclake
//! can represent; whether its logsource and fields exist in the lake is
//! for [`crate::compile`] to say.
//!
//! Errors name the key at fault as a path (`detection.selection[1].eventName`).
//! Keys seclake has no use for (`author`, `references`, custom ones) are
//! ignored, as Sigma allows; keys whose meaning seclake cannot honour
//! (`timeframe`, filter documents, v1 rule collections) are errors.
//! A correlation document is not a rule: [`crate::Document`] reads
//! either, [`crate::correlation`] the correlation.

use yaml_rust2::yaml::Hash;
use yaml_rust2::{Yaml, YamlLoader};

use crate::condition::{self, Condition};
use crate::error::RuleError;
use crate::matcher::{FieldTest, Number, Scalar};
use crate::modifiers::field_test;
use crate::pattern::Pattern;

/// A loaded Sigma rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub title: String,
    pub id: Option<String>,
    /// What correlation rules name it by (besides its id).
    pub name: Option<String>,
    pub status: Option<String>,
    pub description: Option<String>,
    pub level: Option<Level>,
    pub tags: Vec<String>,
    pub logsource: LogSource,
    pub detection: Detection,
}

/// Sigma's `logsource`: which events the rule is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSource {
    pub product: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
}

/// How critical a match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Informational,
        Level::Low,
        Level::Medium,
        Level::High,
        Level::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

/// The searches, by name in the order written, and the condition over them.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub searches: Vec<(String, Search)>,
    /// The condition as written (several conditions joined with ` or `).
    pub condition_text: String,
    pub condition: Condition,
}

/// One named search.
#[derive(Debug, Clone, PartialEq)]
pub enum Search {
    /// Maps of field tests: any map matches when all its tests match.
    Fields(Vec<Vec<FieldTest>>),
    /// Keywords looked for anywhere in the event (in the log type's
    /// keyword fields): any one, or all with `'|all'`.
    Keywords { patterns: Vec<Pattern>, all: bool },
}

impl Rule {
    /// Parses one rule from YAML text of one document.
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        match yaml_documents(text)?.as_slice() {
            [doc] => Rule::from_yaml(doc),
            [] => Err(RuleError::invalid("(file)", "the file holds no rule")),
            docs => Err(RuleError::invalid(
                "(file)",
                format!(
                    "{} YAML documents where one rule was expected (load the file to read them all)",
                    docs.len()
                ),
            )),
        }
    }

    /// The rule of one YAML document.
    pub fn from_yaml(doc: &Yaml) -> Result<Rule, RuleError> {
        let Yaml::Hash(top) = doc else {
            return Err(RuleError::invalid("(file)", "a rule must be a map of keys"));
        };
        if top.contains_key(&Yaml::String("correlation".into())) {
            return Err(RuleError::invalid(
                "correlation",
                "a correlation rule, not a detection rule (load it with the rules it names)",
            ));
        }
        for (key, what) in [
            ("filter", "a Sigma filter"),
            ("action", "`action` (rule collections)"),
        ] {
            if top.contains_key(&Yaml::String(key.into())) {
                return Err(RuleError::unsupported(key, what));
            }
        }
        let Meta {
            title,
            id,
            name,
            status,
            description,
            level,
            tags,
        } = meta(doc)?;
        Ok(Rule {
            title,
            id,
            name,
            status,
            description,
            level,
            tags,
            logsource: logsource(required(doc, "logsource")?)?,
            detection: detection(required(doc, "detection")?)?,
        })
    }

    /// Whether a correlation's reference (`rules: [...]`) names this rule:
    /// its `name`, or else its `id`.
    pub fn is_named(&self, reference: &str) -> bool {
        self.name.as_deref() == Some(reference) || self.id.as_deref() == Some(reference)
    }
}

/// The YAML documents of a text (`---` separates them), without the
/// empty ones (a leading or trailing `---`).
pub(crate) fn yaml_documents(text: &str) -> Result<Vec<Yaml>, RuleError> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| RuleError::Yaml(e.to_string()))?;
    Ok(docs
        .into_iter()
        .filter(|d| !matches!(d, Yaml::Null | Yaml::BadValue))
        .collect())
}

pub(crate) fn required<'y>(doc: &'y Yaml, key: &str) -> Result<&'y Yaml, RuleError> {
    match &doc[key] {
        Yaml::BadValue | Yaml::Null => Err(RuleError::invalid(key, "missing")),
        v => Ok(v),
    }
}

pub(crate) fn text_of(v: &Yaml, at: &str) -> Result<String, RuleError> {
    match v {
        Yaml::String(s) => Ok(s.clone()),
        Yaml::Integer(i) => Ok(i.to_string()),
        Yaml::Real(r) => Ok(r.clone()),
        _ => Err(RuleError::invalid(at, "expected text")),
    }
}

/// What every Sigma document says of itself, detection rule or
/// correlation alike.
pub(crate) struct Meta {
    pub title: String,
    pub id: Option<String>,
    pub name: Option<String>,
    pub status: Option<String>,
    pub description: Option<String>,
    pub level: Option<Level>,
    pub tags: Vec<String>,
}

/// The [`Meta`] of a document: its title (required), the rest if given.
pub(crate) fn meta(doc: &Yaml) -> Result<Meta, RuleError> {
    let title = text_of(required(doc, "title")?, "title")?;
    let level = match &doc["level"] {
        Yaml::BadValue => None,
        v => Some(level(v)?),
    };
    Ok(Meta {
        title,
        id: optional_text(doc, "id")?,
        name: optional_text(doc, "name")?,
        status: optional_text(doc, "status")?,
        description: optional_text(doc, "description")?,
        level,
        tags: tags(&doc["tags"])?,
    })
}

pub(crate) fn optional_text(doc: &Yaml, key: &str) -> Result<Option<String>, RuleError> {
    match &doc[key] {
        Yaml::BadValue | Yaml::Null => Ok(None),
        v => text_of(v, key).map(Some),
    }
}

pub(crate) fn level(v: &Yaml) -> Result<Level, RuleError> {
    let text = text_of(v, "level")?;
    Level::ALL
        .into_iter()
        .find(|l| l.as_str() == text)
        .ok_or_else(|| {
            RuleError::invalid(
                "level",
                format!("`{text}` is not one of informational, low, medium, high, critical"),
            )
        })
}

pub(crate) fn tags(v: &Yaml) -> Result<Vec<String>, RuleError> {
    match v {
        Yaml::BadValue | Yaml::Null => Ok(Vec::new()),
        Yaml::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, t)| text_of(t, &format!("tags[{i}]")))
            .collect(),
        _ => Err(RuleError::invalid("tags", "expected a list")),
    }
}

fn logsource(v: &Yaml) -> Result<LogSource, RuleError> {
    if !matches!(v, Yaml::Hash(_)) {
        return Err(RuleError::invalid("logsource", "expected a map"));
    }
    let get = |key: &str| match &v[key] {
        Yaml::BadValue | Yaml::Null => Ok(None),
        x => text_of(x, &format!("logsource.{key}")).map(Some),
    };
    Ok(LogSource {
        product: get("product")?,
        service: get("service")?,
        category: get("category")?,
    })
}

fn key_text(k: &Yaml, at: &str) -> Result<String, RuleError> {
    match k {
        Yaml::String(s) => Ok(s.clone()),
        Yaml::Integer(i) => Ok(i.to_string()),
        _ => Err(RuleError::invalid(at, "keys must be text")),
    }
}

fn detection(v: &Yaml) -> Result<Detection, RuleError> {
    let Yaml::Hash(map) = v else {
        return Err(RuleError::invalid("detection", "expected a map"));
    };
    let mut searches = Vec::new();
    let mut conditions = None;
    for (k, value) in map {
        let name = key_text(k, "detection")?;
        let at = format!("detection.{name}");
        match name.as_str() {
            "condition" => conditions = Some(condition_texts(value)?),
            "timeframe" => {
                return Err(RuleError::unsupported(
                    at,
                    "`timeframe` (matches over a time window)",
                ))
            }
            _ => searches.push((name, search(&at, value)?)),
        }
    }
    let texts = conditions.ok_or_else(|| RuleError::invalid("detection.condition", "missing"))?;
    let names: Vec<&str> = searches.iter().map(|(n, _)| n.as_str()).collect();
    let mut trees = texts
        .iter()
        .map(|t| condition::parse(t, &names))
        .collect::<Result<Vec<_>, _>>()?;
    let condition = if trees.len() == 1 {
        trees.pop().expect("one condition")
    } else {
        Condition::Or(trees)
    };
    Ok(Detection {
        searches,
        condition_text: texts.join(" or "),
        condition,
    })
}

/// `condition: text` or, as Sigma allows, a list of conditions any of
/// which matches.
fn condition_texts(v: &Yaml) -> Result<Vec<String>, RuleError> {
    let at = "detection.condition";
    match v {
        Yaml::String(s) => Ok(vec![s.clone()]),
        Yaml::Array(items) if !items.is_empty() => items.iter().map(|i| text_of(i, at)).collect(),
        _ => Err(RuleError::invalid(
            at,
            "expected a condition or a list of conditions",
        )),
    }
}

fn search(at: &str, v: &Yaml) -> Result<Search, RuleError> {
    match v {
        Yaml::Hash(map)
            if map
                .keys()
                .any(|k| matches!(k, Yaml::String(s) if s.starts_with('|'))) =>
        {
            keyword_map(at, map)
        }
        Yaml::Hash(map) => Ok(Search::Fields(vec![field_map(at, map)?])),
        Yaml::Array(items) if items.is_empty() => {
            Err(RuleError::invalid(at, "the search is empty"))
        }
        Yaml::Array(items) if items.iter().all(|i| matches!(i, Yaml::Hash(_))) => {
            let mut maps = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                if let Yaml::Hash(map) = item {
                    maps.push(field_map(&format!("{at}[{i}]"), map)?);
                }
            }
            Ok(Search::Fields(maps))
        }
        Yaml::Array(items)
            if items
                .iter()
                .any(|i| matches!(i, Yaml::Hash(_) | Yaml::Array(_))) =>
        {
            Err(RuleError::invalid(
                at,
                "a list must hold only maps or only values",
            ))
        }
        Yaml::Array(_) | Yaml::String(_) | Yaml::Integer(_) | Yaml::Real(_) => {
            keywords(at, scalars(at, v)?, false)
        }
        _ => Err(RuleError::invalid(
            at,
            "expected a map, a list of maps or a list of keywords",
        )),
    }
}

/// `'|all': [...]`: keywords that must all appear.
fn keyword_map(at: &str, map: &Hash) -> Result<Search, RuleError> {
    let [(k, values)] = map.iter().collect::<Vec<_>>()[..] else {
        return Err(RuleError::invalid(
            at,
            "a keyword search (`'|all'`) cannot be mixed with fields",
        ));
    };
    let key = key_text(k, at)?;
    if key != "|all" {
        return Err(RuleError::invalid(
            format!("{at}.{key}"),
            "a keyword search takes only the `all` modifier",
        ));
    }
    keywords(&format!("{at}.{key}"), scalars(at, values)?, true)
}

fn keywords(at: &str, values: Vec<Scalar>, all: bool) -> Result<Search, RuleError> {
    let patterns = values
        .into_iter()
        .map(|v| match v {
            Scalar::Str(s) => Ok(Pattern::parse(&s)),
            Scalar::Number(n) => Ok(Pattern::literal(&n.text)),
            Scalar::Bool(b) => Ok(Pattern::literal(&b.to_string())),
            Scalar::Null => Err(RuleError::invalid(at, "a keyword cannot be null")),
        })
        .map(|p| p.map(|p| p.any_before().any_after()))
        .collect::<Result<_, _>>()?;
    Ok(Search::Keywords { patterns, all })
}

fn field_map(at: &str, map: &Hash) -> Result<Vec<FieldTest>, RuleError> {
    if map.is_empty() {
        return Err(RuleError::invalid(at, "the map is empty"));
    }
    map.iter()
        .map(|(k, values)| {
            let key = key_text(k, at)?;
            let here = format!("{at}.{key}");
            field_test(&here, &key, scalars(&here, values)?)
        })
        .collect()
}

/// A value or a list of values.
fn scalars(at: &str, v: &Yaml) -> Result<Vec<Scalar>, RuleError> {
    match v {
        Yaml::Array(items) => items.iter().map(|i| scalar(at, i)).collect(),
        v => Ok(vec![scalar(at, v)?]),
    }
}

fn scalar(at: &str, v: &Yaml) -> Result<Scalar, RuleError> {
    Ok(match v {
        Yaml::String(s) => Scalar::Str(s.clone()),
        Yaml::Integer(i) => Scalar::Number(Number::int(*i)),
        Yaml::Real(r) => Scalar::Number(
            Number::parse(r)
                .ok_or_else(|| RuleError::invalid(at, format!("`{r}` is not a finite number")))?,
        ),
        Yaml::Boolean(b) => Scalar::Bool(*b),
        Yaml::Null => Scalar::Null,
        _ => {
            return Err(RuleError::invalid(
                at,
                "a value must be text, a number, true/false or null",
            ))
        }
    })
}
