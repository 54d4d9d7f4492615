//! CEF: ArcSight's Common Event Format, from any vendor, bare or after a
//! syslog header. The header fields become columns, the common attributes
//! typed columns ([`crate::attributes`]), the rest the `extensions` map.
//! Imperva Cloud WAF lines are their own log type, tried first.

use seclake_core::{LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature};

use crate::attributes;
use crate::columns::{C, COLUMNS};
use crate::syntax::{cef, prefix};
use seclake_core::key_cache::KeyCache;

pub const DEF: LogTypeDef = LogTypeDef {
    name: "CEF",
    description: "Common Event Format (ArcSight) events from any vendor, bare or forwarded after a syslog header.",
    reference: "https://www.microfocus.com/documentation/arcsight/arcsight-smartconnectors-8.3/cef-implementation-standard/",
    columns: COLUMNS,
    signature: Signature::Fallback,
    event_time: None,
    examples: &[
        "CEF:0|CyberArk|PTA|12.6|1|Suspected credentials theft|8|suser=mike2@prod1.domain.com shost=prod1.domain.com src=1.1.1.1 duser=andy@dev1.domain.com dhost=dev1.domain.com dst=2.2.2.2 cs1Label=ExtraData cs1=None cs2Label=EventID cs2=52b06812ec3500ed864c461e deviceCustomDate1Label=detectionDate deviceCustomDate1=1388577900000",
        "Jan 15 10:30:00 sc4s-host-01 CEF:0|Trend Micro|Deep Security Agent|10.2.229|6001200|AppControl detectOnly|6|cn1=202 cn1Label=Host ID dvc=192.168.33.128 TrendMicroDsTenant=Primary fileHash=80D4AC182F97D2AB48EE4310AC51DA5974167C596D133D64A83107B9069745E0 suser=root act=detectOnly",
        "<6> CEF:0|A10|vThunder|4.1.4-GR1-P12|WAF|session-id|2|rt=Jan 15 10:30:00 src=1.1.1.1 spt=34860 dst=1.1.1.1 dpt=80 dhost=test.host.local act=learn app=HTTP requestMethod=GET request=/sales/ msg=New session created: Id\\=1",
    ],
    new_parser: || Box::<CefParser>::default(),
    sigma: seclake_core::SigmaDef::NONE,
};

/// Per stream: the keys of the last event (see [`KeyCache`]).
#[derive(Default)]
struct CefParser {
    keys: KeyCache<Option<C>>,
}

impl RecordParser for CefParser {
    fn parse<'a>(
        &mut self,
        line: &'a str,
        ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        let Some((before, after)) = prefix::split(line, "CEF:") else {
            return Err(ParseError::mismatch("not CEF: no CEF: header"));
        };
        let h = cef::header(after)?;
        let [vendor, product, version, class, name, severity] = h.fields;
        attributes::set_header(
            row,
            prefix::parse(before, ctx)?,
            h.version,
            [
                (C::DeviceVendor, vendor),
                (C::DeviceProduct, product),
                (C::DeviceVersion, version),
                (C::EventClassId, class),
                (C::Name, name),
                (C::Severity, severity),
            ],
        );
        attributes::set_all(row, h.extension, b' ', ctx, &mut self.keys);
        attributes::event_time(row);
        Ok(Parsed::Row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seclake_core::testing::{indicators, parse};
    use seclake_core::{Indicator, Timestamp, Value};
    use std::borrow::Cow;

    fn map<'r>(row: &'r Row<'_>) -> Vec<(&'r str, &'r str)> {
        match row.get(C::Extensions) {
            Value::Map(m) => m.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn header_promoted_attributes_and_extensions() {
        let row = parse(&DEF, DEF.examples[0]).unwrap();
        assert_eq!(row.get(C::DeviceVendor), &Value::str("CyberArk"));
        assert_eq!(row.get(C::EventClassId), &Value::str("1"));
        assert_eq!(row.get(C::Severity), &Value::str("8"));
        assert_eq!(
            row.get(C::SourceUserName),
            &Value::str("mike2@prod1.domain.com")
        );
        assert_eq!(row.get(C::SourceAddress), &Value::str("1.1.1.1"));
        assert_eq!(
            map(&row),
            [
                ("cs1Label", "ExtraData"),
                ("cs1", "None"),
                ("cs2Label", "EventID"),
                ("cs2", "52b06812ec3500ed864c461e"),
                ("deviceCustomDate1Label", "detectionDate"),
                ("deviceCustomDate1", "1388577900000"),
            ]
        );
        assert_eq!(
            indicators(&row, Indicator::IpAddress),
            ["1.1.1.1", "2.2.2.2"]
        );
        assert_eq!(
            indicators(&row, Indicator::DomainName),
            ["dev1.domain.com", "prod1.domain.com"]
        );
        assert_eq!(
            indicators(&row, Indicator::Username),
            ["andy@dev1.domain.com", "mike2@prod1.domain.com"]
        );
    }

    #[test]
    fn after_a_syslog_header() {
        let row = parse(&DEF, DEF.examples[1]).unwrap();
        assert_eq!(row.get(C::SyslogHostname), &Value::str("sc4s-host-01"));
        assert!(matches!(row.get(C::SyslogTimestamp), Value::Time(_)));
        assert_eq!(
            row.event_time,
            match row.get(C::SyslogTimestamp) {
                Value::Time(t) => Some(*t),
                _ => None,
            }
        );
        assert_eq!(
            indicators(&row, Indicator::Sha256),
            ["80d4ac182f97d2ab48ee4310ac51da5974167c596d133d64a83107b9069745e0"]
        );
        let row = parse(&DEF, DEF.examples[2]).unwrap();
        assert_eq!(row.get(C::SyslogSeverity), &Value::Int(6));
        assert_eq!(
            row.get(C::Message),
            &Value::Str(Cow::Borrowed("New session created: Id=1"))
        );
        assert_eq!(row.get(C::DestinationPort), &Value::Int(80));
        assert!(row.event_time.is_some(), "rt without a year");
    }

    #[test]
    fn receipt_time_is_the_event_time_and_bad_values_stay_in_the_map() {
        let row = parse(
            &DEF,
            "CEF:0|V|P|1|100|n|5|rt=1543270652000 spt=http start=soon requestmethod=GET",
        )
        .unwrap();
        assert_eq!(
            row.event_time,
            Timestamp::parse_rfc3339("2018-11-26T22:17:32Z")
        );
        assert_eq!(row.get(C::SourcePort), &Value::Null);
        assert_eq!(row.get(C::RequestMethod), &Value::str("GET"));
        assert_eq!(map(&row), [("spt", "http"), ("start", "soon")]);
    }

    #[test]
    fn repeated_keys_are_numbered() {
        let row = parse(
            &DEF,
            "CEF:0|V|P|1|1|n|8|flexString1=1.23 flexString1=1.24 src=1.1.1.1 src=2.2.2.2",
        )
        .unwrap();
        assert_eq!(row.get(C::SourceAddress), &Value::str("1.1.1.1"));
        assert_eq!(
            map(&row),
            [
                ("flexString1", "1.23"),
                ("flexString1#2", "1.24"),
                ("src", "2.2.2.2")
            ]
        );
    }

    #[test]
    fn other_lines_are_mismatches_and_broken_ones_invalid() {
        for other in [
            "LEEF:1.0|a|b|c|d|src=1",
            "<34>Oct 11 22:14:15 host su: hi",
            "{}",
        ] {
            assert!(parse(&DEF, other).unwrap_err().is_mismatch(), "{other}");
        }
        for broken in [
            "CEF:0|a|b",
            "CEF:x|a|b|c|d|e|f|",
            "Feb 30 10:00:00 h CEF:0|a|b|c|d|e|f|",
        ] {
            assert!(!parse(&DEF, broken).unwrap_err().is_mismatch(), "{broken}");
        }
    }
}
