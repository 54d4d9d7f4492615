//! How Sigma detection rules see a log type, declared beside the type.
//!
//! A Sigma rule names its events by `logsource` (`product: aws, service:
//! cloudtrail`; `category: webserver`) and its fields by the names of
//! Sigma's taxonomy (`cs-uri-query`, `c-ip`, `query`) or of the vendor's
//! records. A log type says here which logsources its rows answer and how
//! those names reach its columns; the detection crate turns the
//! declaration into expressions. Only data lives here: a log type that
//! declares nothing ([`SigmaDef::NONE`]) simply cannot be the target of a
//! rule.

/// One Sigma logsource a log type's rows answer. A rule's logsource
/// matches when every key the rule sets equals the key here
/// (case-insensitively): a rule with only `category: webserver` reaches
/// every type that declares that category, whatever its product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigmaLogSource {
    pub product: Option<&'static str>,
    pub service: Option<&'static str>,
    pub category: Option<&'static str>,
}

impl SigmaLogSource {
    /// `product: P, service: S`.
    pub const fn service(product: &'static str, service: &'static str) -> Self {
        SigmaLogSource {
            product: Some(product),
            service: Some(service),
            category: None,
        }
    }

    /// `category: C`, whatever the product.
    pub const fn category(category: &'static str) -> Self {
        SigmaLogSource {
            product: None,
            service: None,
            category: Some(category),
        }
    }

    /// `product: P` alone.
    pub const fn product(product: &'static str) -> Self {
        SigmaLogSource {
            product: Some(product),
            service: None,
            category: None,
        }
    }
}

/// A log type's Sigma declaration.
#[derive(Debug, Clone, Copy)]
pub struct SigmaDef {
    /// The logsources whose rules run on this type's table.
    pub logsources: &'static [SigmaLogSource],
    /// Sigma field names that are not column paths, and the column path
    /// (dotted for struct and JSON members) each stands for. Names not
    /// listed are looked up as column paths.
    pub fields: &'static [(&'static str, &'static str)],
    /// Text columns holding JSON: `column.a.b` is member `a.b` of it.
    pub json_columns: &'static [&'static str],
    /// Where a keyword search (a rule's list of plain values) looks; a
    /// type without any cannot take keyword searches.
    pub keyword_fields: &'static [&'static str],
    /// Columns of DNS names written with a trailing dot
    /// (`example.com.`): rules compare them without it.
    pub dns_names: &'static [&'static str],
}

impl SigmaDef {
    /// No rule runs on the type.
    pub const NONE: SigmaDef = SigmaDef {
        logsources: &[],
        fields: &[],
        json_columns: &[],
        keyword_fields: &[],
        dns_names: &[],
    };

    /// Only logsources: rules name fields by column path.
    pub const fn answers(logsources: &'static [SigmaLogSource]) -> Self {
        SigmaDef {
            logsources,
            ..SigmaDef::NONE
        }
    }
}
