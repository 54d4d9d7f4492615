//! The Imperva Cloud WAF fields: the seed's table, one row per column,
//! with the field's name in each of the three formats. The CEF and LEEF
//! names are matched without regard to case (Imperva's producers vary
//! it: `fileId`/`fileid`, `deviceExternalId`/`deviceExternalID`); W3C
//! names exactly, as `#Fields:` lists them.

use std::sync::LazyLock;

use crate::cloud_waf::C;

/// (column, CEF key, LEEF key, W3C field). Empty: not sent in that format
/// (the attack severity is CEF's header severity).
pub const FIELDS: &[(C, &str, &str, &str)] = &[
    (C::Id, "fileId", "fileId", "cs-sessionid"),
    (C::ClientIp, "src", "src", "c-ip"),
    (
        C::UserAgent,
        "requestClientApplication",
        "requestClientApplication",
        "cs(User-Agent)",
    ),
    (C::RequestStartTime, "start", "start", "cs-start"),
    (C::ResponseEndTime, "end", "end", "cs-end"),
    (
        C::RequestHeaders,
        "additionalReqHeaders",
        "additionalReqHeaders",
        "cs-additionalReqHeaders",
    ),
    (
        C::ResponseHeaders,
        "additionalResHeaders",
        "additionalResHeaders",
        "cs-additionalResHeaders",
    ),
    (C::Url, "request", "url", "cs-uri"),
    (C::RefId, "tag", "tag", "s-tag"),
    (
        C::CountryCode,
        "ccode",
        "calCountryOrRegion",
        "cs-countrycode",
    ),
    (C::City, "cicode", "cicode", "cs-cicode"),
    (C::Protocol, "app", "proto", "cs-version"),
    (
        C::RequestId,
        "deviceExternalId",
        "deviceExternalId",
        "s-externalid",
    ),
    (C::Referrer, "ref", "ref", "cs(Referrer)"),
    (C::Method, "requestMethod", "requestMethod", "cs-method"),
    (C::HttpStatusCode, "cn1", "cn1", "sc-status"),
    (C::XForwardedFor, "xff", "xff", "s-xff"),
    (C::ContentLength, "in", "in", "cs-bytes"),
    (C::AccountId, "suid", "suid", "s-suid"),
    (C::AccountName, "Customer", "Customer", "s-accountname"),
    (C::SiteId, "siteid", "siteid", "s-siteid"),
    (
        C::SiteName,
        "sourceServiceName",
        "sourceServiceName",
        "s-computername",
    ),
    (C::RequestResult, "act", "cat", "sc-action"),
    (C::SourcePort, "cpt", "srcPort", "c-port"),
    (C::ProtocolVersion, "ver", "protoVer", "cs-provider"),
    (C::PopName, "deviceFacility", "popName", "sr-pop"),
    (C::PostBody, "postbody", "postbody", "cs-postbody"),
    (C::ServerIp, "sip", "dst", "s-ip"),
    (C::ServerPort, "spt", "dstPort", "s-port"),
    (C::QueryString, "qstr", "qstr", "cs-uri-query"),
    (C::CaptchaSupport, "cs1", "cs1", "s-capsupport"),
    (C::JsSupport, "cs2", "cs2", "cs-js-support"),
    (C::CookiesSupport, "cs3", "cs3", "cs-co-support"),
    (C::VisitorId, "cs4", "cs4", "cs-vid"),
    (C::Debug, "cs5", "cs5", "cs-clappsig"),
    (C::ClientApp, "cs6", "cs6", "cs-clapp"),
    (C::Latitude, "cs7", "cs7", "cs-lat"),
    (C::Longitude, "cs8", "cs8", "cs-long"),
    (C::RuleName, "cs9", "cs9", "s-ruleName"),
    (
        C::AttackId,
        "filePermission",
        "filePermission",
        "cs-attackid",
    ),
    (C::AttackType, "fileType", "fileType", "cs-attacktype"),
    (C::BrowserType, "dproc", "dproc", "cs-browsertype"),
    (C::AttackSeverity, "", "", "cs-severity"),
    (C::AdditionalRuleInfo, "cs11", "cs11", "cs-ruleInfo"),
    (C::DeliveryRuleDetails, "cs10", "cs10", "cs-rule"),
];

/// The event formats of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Cef,
    Leef,
    W3c,
}

type Index = seclake_core::fnv::FnvHashMap<String, C>;

fn index(format: Format) -> Index {
    let mut map = Index::default();
    for &(c, cef, leef, w3c) in FIELDS {
        let (name, fold) = match format {
            Format::Cef => (cef, true),
            Format::Leef => (leef, true),
            Format::W3c => (w3c, false),
        };
        if !name.is_empty() {
            map.insert(
                if fold {
                    name.to_ascii_lowercase()
                } else {
                    name.to_string()
                },
                c,
            );
        }
    }
    map
}

static CEF: LazyLock<Index> = LazyLock::new(|| index(Format::Cef));
static LEEF: LazyLock<Index> = LazyLock::new(|| index(Format::Leef));
static W3C: LazyLock<Index> = LazyLock::new(|| index(Format::W3c));

/// The column of a field name in a format.
pub fn column(format: Format, name: &str) -> Option<C> {
    match format {
        Format::W3c => W3C.get(name).copied(),
        Format::Cef | Format::Leef => {
            let mut buf = [0u8; 32];
            let b = name.as_bytes();
            if b.len() > buf.len() {
                return None;
            }
            for (d, s) in buf.iter_mut().zip(b) {
                *d = s.to_ascii_lowercase();
            }
            let key = std::str::from_utf8(&buf[..b.len()]).ok()?;
            let index = if format == Format::Cef { &CEF } else { &LEEF };
            index.get(key).copied()
        }
    }
}

/// The name of a column's field in a format (empty when not sent in it).
pub fn name(format: Format, c: C) -> &'static str {
    FIELDS
        .iter()
        .find(|r| r.0 == c)
        .map_or("", |&(_, cef, leef, w3c)| match format {
            Format::Cef => cef,
            Format::Leef => leef,
            Format::W3c => w3c,
        })
}

/// Whether a CEF/LEEF key is the label of a field in the table (`cs1Label`
/// ... `cs11Label`, `cn1Label`): fixed names the columns already say.
pub fn is_known_label(key: &str) -> bool {
    let Some(base) = key
        .strip_suffix("Label")
        .or_else(|| key.strip_suffix("label"))
    else {
        return false;
    };
    let base = base.to_ascii_lowercase();
    FIELDS.iter().any(|&(_, cef, _, _)| {
        (cef.starts_with("cs") || cef.starts_with("cn")) && cef.eq_ignore_ascii_case(&base)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_but_the_header_ones_is_in_the_table_once() {
        let mut seen = std::collections::HashSet::new();
        for &(c, ..) in FIELDS {
            assert!(seen.insert(c as usize), "{c:?} twice");
        }
        for f in [Format::Cef, Format::Leef, Format::W3c] {
            let names = FIELDS.iter().filter(|r| {
                !match f {
                    Format::Cef => r.1,
                    Format::Leef => r.2,
                    Format::W3c => r.3,
                }
                .is_empty()
            });
            assert_eq!(names.count(), index(f).len(), "{f:?}: a name twice");
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(column(Format::Cef, "fileid"), Some(C::Id));
        assert_eq!(column(Format::Cef, "deviceExternalID"), Some(C::RequestId));
        assert_eq!(column(Format::Leef, "dst"), Some(C::ServerIp));
        assert_eq!(column(Format::Cef, "dst"), None);
        assert_eq!(column(Format::W3c, "cs(User-Agent)"), Some(C::UserAgent));
        assert_eq!(column(Format::W3c, "CS(user-agent)"), None);
        assert!(is_known_label("cs9Label"));
        assert!(is_known_label("cn1Label"));
        assert!(!is_known_label("cs12Label"));
        assert!(!is_known_label("cs1"));
    }
}
