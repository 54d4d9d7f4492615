//! Where a Sigma rule's events are in the lake: its `logsource` names log
//! types (and so tables), and its field names name columns.
//!
//! Both are declared beside each log type ([`seclake_core::SigmaDef`]):
//! which logsources its rows answer, which Sigma field names differ from
//! column paths, which text columns hold JSON whose members rules may
//! name, where keyword searches look, and which columns hold DNS names
//! with a trailing dot. This module only reads those declarations, so
//! adding a log type adds nothing here.
//!
//! A field resolves to an expression over the table: a column, a struct
//! member (`userIdentity.sessionContext.sessionIssuer.userName`), or a
//! member of a JSON text column (`requestParameters.bucketName`, through
//! `json_udf`), together with its kind, which decides how Sigma
//! values compare with it.

use datafusion::functions::core::expr_fn::get_field;
use datafusion::functions::string::expr_fn::rtrim;
use datafusion::logical_expr::{ident, lit, Expr};
use seclake_core::schema::{Column, ColumnType};
use seclake_core::{LogType, SigmaDef, SigmaLogSource};

use crate::error::RuleError;
use crate::rule::LogSource;

/// Whether a rule's logsource reaches a declared one: every key the rule
/// sets is there with the same value (case-insensitively).
fn reaches(rule: &LogSource, declared: &SigmaLogSource) -> bool {
    let same = |got: &Option<String>, have: Option<&str>| match (got, have) {
        (None, _) => true,
        (Some(g), Some(h)) => g.eq_ignore_ascii_case(h),
        (Some(_), None) => false,
    };
    same(&rule.product, declared.product)
        && same(&rule.service, declared.service)
        && same(&rule.category, declared.category)
}

/// The log types whose rows a rule's logsource names, in registry order.
pub fn log_types(ls: &LogSource) -> Result<Vec<&'static LogType>, RuleError> {
    let empty = ls.product.is_none() && ls.service.is_none() && ls.category.is_none();
    let found: Vec<&'static LogType> = if empty {
        Vec::new()
    } else {
        seclake_registry::all()
            .iter()
            .filter(|t| t.def.sigma.logsources.iter().any(|d| reaches(ls, d)))
            .collect()
    };
    if found.is_empty() {
        return Err(RuleError::UnknownLogSource {
            logsource: describe(
                ls.product.as_deref(),
                ls.service.as_deref(),
                ls.category.as_deref(),
            ),
            known: known_logsources(),
        });
    }
    Ok(found)
}

/// Every declared logsource in short: the categories, then each product
/// with its services (`category dns, webserver; product aws (alb,
/// cloudtrail), linux (auth)`).
pub fn known_logsources() -> String {
    use std::collections::BTreeMap;
    let mut categories: Vec<&str> = Vec::new();
    let mut products: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for t in seclake_registry::all() {
        for d in t.def.sigma.logsources {
            if let Some(c) = d.category {
                categories.push(c);
            }
            if let Some(p) = d.product {
                products.entry(p).or_default().extend(d.service);
            }
        }
    }
    categories.sort_unstable();
    categories.dedup();
    let products: Vec<String> = products
        .into_iter()
        .map(|(p, mut services)| {
            services.sort_unstable();
            services.dedup();
            if services.is_empty() {
                p.to_string()
            } else {
                format!("{p} ({})", services.join(", "))
            }
        })
        .collect();
    format!(
        "category {}; product {}",
        categories.join(", "),
        products.join(", ")
    )
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
    pub log_type: &'m LogType,
}

impl<'m> Fields<'m> {
    pub fn new(log_type: &'m LogType) -> Self {
        Fields { log_type }
    }

    /// The type's Sigma declaration.
    pub fn sigma(&self) -> &'m SigmaDef {
        &self.log_type.def.sigma
    }

    /// The expression and kind of the Sigma field `name`.
    pub fn resolve(&self, name: &str) -> Result<Resolved, RuleError> {
        let path = self
            .sigma()
            .fields
            .iter()
            .find(|(sigma, _)| *sigma == name)
            .map_or(name, |(_, column)| column);
        let resolved = self.resolve_path(name, path)?;
        if resolved.kind == Kind::Text && self.sigma().dns_names.contains(&path) {
            // `example.com.` compares as `example.com`.
            return Ok(Resolved {
                expr: rtrim(vec![resolved.expr, lit(".")]),
                kind: Kind::Text,
            });
        }
        Ok(resolved)
    }

    /// `path` (what the Sigma field `name` stands for) resolved.
    fn resolve_path(&self, name: &str, path: &str) -> Result<Resolved, RuleError> {
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
        if self.sigma().json_columns.contains(&column.name) {
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

    fn resolved(log_type: &str, name: &str) -> String {
        let fields = Fields::new(seclake_registry::find(log_type).unwrap());
        let r = fields.resolve(name).unwrap();
        format!("{:?} {}", r.kind, r.expr)
    }

    #[test]
    fn fields_lead_to_members_json_paths_and_renamed_columns() {
        let ct = "AWS.CloudTrail";
        assert_eq!(
            resolved(ct, "userIdentity.userName"),
            r#"Text get_field(userIdentity, Utf8("userName"))"#
        );
        assert_eq!(
            resolved(ct, "requestParameters.bucketName"),
            r#"Text json_extract_path_text(requestParameters, Utf8("bucketName"))"#
        );
        assert_eq!(resolved(ct, "eventTime"), "Timestamp eventTime");
        assert_eq!(resolved(ct, "resources"), r#"Nested("a list") resources"#);
        assert_eq!(
            resolved("AWS.WAFWebACL", "c-ip"),
            r#"Text get_field(httpRequest, Utf8("clientIp"))"#
        );
        assert_eq!(resolved("AWS.ALB", "sc-status"), "Int elbStatusCode");
    }

    #[test]
    fn dns_names_compare_without_their_trailing_dot() {
        assert_eq!(
            resolved("AWS.VPCDns", "query"),
            r#"Text rtrim(query_name, Utf8("."))"#
        );
        assert_eq!(resolved("AWS.VPCDns", "query_type"), "Text query_type");
    }

    fn ls(p: Option<&str>, s: Option<&str>, c: Option<&str>) -> LogSource {
        LogSource {
            product: p.map(String::from),
            service: s.map(String::from),
            category: c.map(String::from),
        }
    }

    fn names(ls: &LogSource) -> Vec<&'static str> {
        log_types(ls).unwrap().iter().map(|t| t.name()).collect()
    }

    #[test]
    fn logsources_reach_every_type_that_declares_them_ignoring_case() {
        assert_eq!(
            names(&ls(Some("AWS"), Some("CloudTrail"), None)),
            ["AWS.CloudTrail"]
        );
        assert_eq!(
            names(&ls(None, None, Some("webserver"))),
            [
                "AWS.ALB",
                "AWS.WAFWebACL",
                "Edgecast.WAF",
                "Imperva.CloudWAF",
                "Juniper.Access"
            ]
        );
        assert_eq!(names(&ls(None, None, Some("dns"))), ["AWS.VPCDns"]);
        assert_eq!(
            names(&ls(Some("linux"), Some("auth"), None)),
            ["Syslog.RFC3164", "Syslog.RFC5424"]
        );
        assert!(log_types(&ls(Some("aws"), Some("cloudtrail"), Some("x"))).is_err());
        let err = log_types(&ls(None, None, None)).unwrap_err().to_string();
        assert!(
            err.starts_with("no seclake log type for logsource (empty) (known: "),
            "{err}"
        );
        assert!(
            err.ends_with("(known: category dns, firewall, proxy, webserver; product aws (alb, cloudtrail, eventbridge, guardduty, route53, s3, vpcflow, waf), edgecast, imperva, juniper (firewall, ssr, webapp_secure), linux (auth, clamav, cron, guacamole, sshd, sudo, syslog, vsftpd))"),
            "{err}"
        );
    }
}
