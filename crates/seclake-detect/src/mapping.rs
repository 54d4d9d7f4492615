//! Where a Sigma rule's events are in the lake: its `logsource` names a
//! log type (and so a table), and its field names name columns.
//!
//! Both are declarations: [`LOG_SOURCES`] lists which logsource is which
//! log type, and [`FIELD_MAPPINGS`] says, per log type, which Sigma field
//! names differ from column paths, which text columns hold JSON whose
//! members rules may name, and which fields a keyword search looks in.
//! Adding a log type is one entry in each.
//!
//! A field resolves to an expression over the table: a column, a struct
//! member (`userIdentity.sessionContext.sessionIssuer.userName`), or a
//! member of a JSON text column (`requestParameters.bucketName`, through
//! `json_udf`), together with its kind, which decides how Sigma
//! values compare with it.

use datafusion::functions::core::expr_fn::get_field;
use datafusion::logical_expr::{ident, lit, Expr};
use seclake_core::schema::{Column, ColumnType};
use seclake_core::LogType;

use crate::error::RuleError;
use crate::rule::LogSource;

/// A logsource and the log type its events are.
#[derive(Debug, Clone, Copy)]
pub struct LogSourceMapping {
    pub product: Option<&'static str>,
    pub service: Option<&'static str>,
    pub category: Option<&'static str>,
    pub log_type: &'static str,
}

/// Every logsource seclake knows. A rule's logsource must equal one entry
/// (case-insensitively; keys an entry leaves out must be absent).
pub const LOG_SOURCES: &[LogSourceMapping] = &[LogSourceMapping {
    product: Some("aws"),
    service: Some("cloudtrail"),
    category: None,
    log_type: "AWS.CloudTrail",
}];

/// How Sigma field names map onto one log type's columns.
#[derive(Debug, Clone, Copy)]
pub struct FieldMapping {
    pub log_type: &'static str,
    /// Sigma field names that are not the column path, and the column
    /// path (dotted for struct and JSON members) they stand for.
    pub renames: &'static [(&'static str, &'static str)],
    /// Text columns holding JSON: `column.a.b` is member `a.b` of it.
    pub json_columns: &'static [&'static str],
    /// The fields a keyword search (a list of plain values) looks in; a
    /// log type without any cannot take keyword searches.
    pub keyword_fields: &'static [&'static str],
}

/// Every log type rules can be written for. Sigma's CloudTrail rules name
/// fields as CloudTrail's records do, which is how seclake names columns.
pub const FIELD_MAPPINGS: &[FieldMapping] = &[FieldMapping {
    log_type: "AWS.CloudTrail",
    renames: &[],
    json_columns: &[
        "requestParameters",
        "responseElements",
        "additionalEventData",
        "serviceEventDetails",
        "edgeDeviceDetails",
        "eventContext",
    ],
    keyword_fields: &[
        "eventSource",
        "eventName",
        "errorCode",
        "errorMessage",
        "sourceIPAddress",
        "userAgent",
        "userIdentity.arn",
        "userIdentity.userName",
        "userIdentity.principalId",
        "requestParameters",
        "responseElements",
        "additionalEventData",
        "serviceEventDetails",
    ],
}];

/// The log type for a rule's logsource.
pub fn log_source(ls: &LogSource) -> Result<&'static LogSourceMapping, RuleError> {
    let same = |want: Option<&str>, got: &Option<String>| match (want, got) {
        (None, None) => true,
        (Some(w), Some(g)) => w.eq_ignore_ascii_case(g),
        _ => false,
    };
    LOG_SOURCES
        .iter()
        .find(|m| {
            same(m.product, &ls.product)
                && same(m.service, &ls.service)
                && same(m.category, &ls.category)
        })
        .ok_or_else(|| RuleError::UnknownLogSource {
            logsource: describe(
                ls.product.as_deref(),
                ls.service.as_deref(),
                ls.category.as_deref(),
            ),
            known: LOG_SOURCES
                .iter()
                .map(|m| describe(m.product, m.service, m.category))
                .collect::<Vec<_>>()
                .join("; "),
        })
}

fn describe(product: Option<&str>, service: Option<&str>, category: Option<&str>) -> String {
    let parts: Vec<String> = [
        ("product", product),
        ("service", service),
        ("category", category),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| format!("{k}: {v}")))
    .collect();
    if parts.is_empty() {
        "(empty)".to_string()
    } else {
        parts.join(", ")
    }
}

/// The field mapping of a log type.
pub fn field_mapping(log_type: &str) -> Option<&'static FieldMapping> {
    FIELD_MAPPINGS.iter().find(|m| m.log_type == log_type)
}

/// What a field holds, which decides how values compare with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string column, string member, or JSON member read as text.
    Text,
    Int,
    Float,
    Bool,
    Timestamp,
    /// A list, object or map: only `null` and `exists` apply.
    Nested(&'static str),
}

/// A field resolved against a table.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub expr: Expr,
    pub kind: Kind,
}

/// Resolves Sigma field names against one log type's table.
pub struct Fields<'m> {
    pub mapping: &'m FieldMapping,
    pub log_type: &'m LogType,
}

impl Fields<'_> {
    /// The expression and kind of the Sigma field `name`.
    pub fn resolve(&self, name: &str) -> Result<Resolved, RuleError> {
        let path = self
            .mapping
            .renames
            .iter()
            .find(|(sigma, _)| *sigma == name)
            .map_or(name, |(_, column)| column);
        let schema = &self.log_type.schema;
        // A column whose name has dots wins over a member path.
        if let Some(c) = schema.all_columns().find(|c| c.name == path) {
            return Ok(Resolved {
                expr: ident(c.name),
                kind: kind(&c.ty),
            });
        }
        let mut segments = path.split('.');
        let first = segments.next().unwrap_or_default();
        let column: &Column = schema
            .all_columns()
            .find(|c| c.name == first)
            .ok_or_else(|| self.unknown(name, first))?;
        let rest: Vec<&str> = segments.collect();
        if self.mapping.json_columns.contains(&column.name) {
            let args = std::iter::once(ident(column.name))
                .chain(rest.iter().map(|k| lit(*k)))
                .collect();
            return Ok(Resolved {
                expr: crate::json_udf::json_extract_path_text().call(args),
                kind: Kind::Text,
            });
        }
        let mut expr = ident(column.name);
        let mut ty = &column.ty;
        let mut walked = column.name.to_string();
        for segment in rest {
            let ColumnType::Object(members) = ty else {
                return Err(RuleError::field(
                    name,
                    format!("`{walked}` is {} and has no members", describe_type(ty)),
                ));
            };
            let member = members.iter().find(|m| m.name == segment).ok_or_else(|| {
                let names: Vec<String> = members.iter().map(|m| format!("`{}`", m.name)).collect();
                RuleError::field(
                    name,
                    format!(
                        "`{walked}` has no member `{segment}` (it has {})",
                        names.join(", ")
                    ),
                )
            })?;
            expr = get_field(expr, segment);
            ty = &member.ty;
            walked = format!("{walked}.{segment}");
        }
        Ok(Resolved {
            expr,
            kind: kind(ty),
        })
    }

    fn unknown(&self, name: &str, first: &str) -> RuleError {
        let lt = self.log_type.name();
        let near = self
            .log_type
            .schema
            .all_columns()
            .find(|c| c.name.eq_ignore_ascii_case(first))
            .map(|c| format!("; did you mean `{}`?", c.name))
            .unwrap_or_default();
        RuleError::field(name, format!("{lt} has no column `{first}`{near}"))
    }
}

fn kind(ty: &ColumnType) -> Kind {
    match ty {
        ColumnType::String => Kind::Text,
        ColumnType::Bigint | ColumnType::Int | ColumnType::Smallint => Kind::Int,
        ColumnType::Double | ColumnType::Float => Kind::Float,
        ColumnType::Boolean => Kind::Bool,
        ColumnType::Timestamp => Kind::Timestamp,
        other => Kind::Nested(describe_type(other)),
    }
}

fn describe_type(ty: &ColumnType) -> &'static str {
    match ty {
        ColumnType::Array(_) => "a list",
        ColumnType::Object(_) => "an object",
        ColumnType::Map => "a map",
        ColumnType::Timestamp => "a timestamp",
        ColumnType::Boolean => "a boolean",
        ColumnType::String => "a string",
        _ => "a number",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CloudTrail's columns under a mapping that renames two fields.
    const RENAMED: FieldMapping = FieldMapping {
        log_type: "AWS.CloudTrail",
        renames: &[
            ("User", "userIdentity.userName"),
            ("Bucket", "requestParameters.bucketName"),
        ],
        json_columns: &["requestParameters"],
        keyword_fields: &[],
    };

    fn resolved(name: &str) -> String {
        let fields = Fields {
            mapping: &RENAMED,
            log_type: seclake_registry::find("AWS.CloudTrail").unwrap(),
        };
        let r = fields.resolve(name).unwrap();
        format!("{:?} {}", r.kind, r.expr)
    }

    #[test]
    fn renames_lead_to_members_and_json_paths() {
        assert_eq!(
            resolved("User"),
            r#"Text get_field(userIdentity, Utf8("userName"))"#
        );
        assert_eq!(
            resolved("Bucket"),
            r#"Text json_extract_path_text(requestParameters, Utf8("bucketName"))"#
        );
        assert_eq!(resolved("eventTime"), "Timestamp eventTime");
        assert_eq!(resolved("resources"), r#"Nested("a list") resources"#);
    }

    #[test]
    fn logsources_match_whole_and_ignore_case() {
        let ls = |p: Option<&str>, s: Option<&str>, c: Option<&str>| LogSource {
            product: p.map(String::from),
            service: s.map(String::from),
            category: c.map(String::from),
        };
        let found = log_source(&ls(Some("AWS"), Some("CloudTrail"), None)).unwrap();
        assert_eq!(found.log_type, "AWS.CloudTrail");
        assert!(log_source(&ls(Some("aws"), Some("cloudtrail"), Some("x"))).is_err());
        assert_eq!(
            log_source(&ls(None, None, None)).unwrap_err().to_string(),
            "no seclake log type for logsource (empty) (known: product: aws, service: cloudtrail)"
        );
    }
}
