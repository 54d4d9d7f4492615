//! LEEF: IBM QRadar's Log Event Extended Format 1.0 and 2.0, from any
//! vendor, bare or after a syslog header. Same table as CEF: LEEF's
//! header fills vendor, product, version and event id; its attributes are
//! promoted by the same keys (plus LEEF's own `srcPort`, `usrName`,
//! `devTime`, `sev`, ...).

use seclake_core::{LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature};

use crate::attributes;
use crate::columns::{C, COLUMNS};
use crate::syntax::{leef, prefix};
use seclake_core::key_cache::KeyCache;

pub const DEF: LogTypeDef = LogTypeDef {
    name: "LEEF",
    description: "Log Event Extended Format (QRadar) 1.0 and 2.0 events from any vendor, bare or forwarded after a syslog header.",
    reference: "https://www.ibm.com/docs/en/dsm?topic=overview-leef-event-components",
    columns: COLUMNS,
    signature: Signature::Fallback,
    event_time: None,
    examples: &[
        "LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345| src=192.0.2.0\tdst=172.50.123.1\tsev=5\tcat=anomaly\tsrcPort=81\tdstPort=21\tusrName=joe.black",
        "<111>1 2024-01-15T10:30:00+00:00 sc4s-host-01 LEEF:2.0|Vendor|Product|Version|EventID|^|src=192.0.2.0^dst=172.50.123.1^sev=5^cat=anomaly^srcPort=81^dstPort=21^usrName=joe.black^devTime=Jan 15 2024 10:30:00.000 EST^devTimeFormat=MMM dd yyyy HH:mm:ss.SSS z",
        "LEEF:2.0|Trend Micro|Deep Security Manager|<DSA version>|192|cat=System\tname=Alert Ended\tdesc=Alert: CPU Warning Threshold Exceeded\\nSubject: 10.201.114.164\tsev=3\tsrc=10.201.114.164\tusrName=System",
    ],
    new_parser: || Box::<LeefParser>::default(),
    sigma: seclake_core::SigmaDef::NONE,
};

/// Per stream: the keys of the last event (see [`KeyCache`]).
#[derive(Default)]
struct LeefParser {
    keys: KeyCache<Option<C>>,
}

impl RecordParser for LeefParser {
    fn parse<'a>(
        &mut self,
        line: &'a str,
        ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        let Some((before, after)) = prefix::split(line, "LEEF:") else {
            return Err(ParseError::mismatch("not LEEF: no LEEF: header"));
        };
        let h = leef::header(after)?;
        let [vendor, product, version, event_id] = h.fields;
        attributes::set_header(
            row,
            prefix::parse(before, ctx)?,
            h.version,
            [
                (C::DeviceVendor, vendor),
                (C::DeviceProduct, product),
                (C::DeviceVersion, version),
                (C::EventClassId, event_id),
            ],
        );
        if let Some(d) = h.declared_delimiter {
            row.set(C::LeefDelimiter, d);
        }
        attributes::set_all(row, h.attributes, h.delimiter, ctx, &mut self.keys);
        attributes::event_time(row);
        Ok(Parsed::Row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seclake_core::testing::{indicators, parse};
    use seclake_core::{Indicator, Timestamp, Value};

    #[test]
    fn leef_1_with_tabs() {
        let row = parse(&DEF, DEF.examples[0]).unwrap();
        assert_eq!(row.get(C::Version), &Value::str("1.0"));
        assert_eq!(row.get(C::EventClassId), &Value::str("15345"));
        assert_eq!(row.get(C::SourcePort), &Value::Int(81));
        assert_eq!(row.get(C::DestinationPort), &Value::Int(21));
        assert_eq!(row.get(C::Severity), &Value::str("5"));
        assert_eq!(row.get(C::DeviceEventCategory), &Value::str("anomaly"));
        assert_eq!(row.get(C::SourceUserName), &Value::str("joe.black"));
        assert_eq!(
            indicators(&row, Indicator::IpAddress),
            ["172.50.123.1", "192.0.2.0"]
        );
    }

    #[test]
    fn leef_2_with_a_declared_delimiter_and_a_zoned_device_time() {
        let row = parse(&DEF, DEF.examples[1]).unwrap();
        assert_eq!(row.get(C::LeefDelimiter), &Value::str("^"));
        assert_eq!(row.get(C::SyslogFacility), &Value::Int(13));
        assert_eq!(
            row.event_time,
            Timestamp::parse_rfc3339("2024-01-15T15:30:00Z")
        );
        let Value::Map(m) = row.get(C::Extensions) else {
            panic!("no extensions")
        };
        assert_eq!(m[0].0, "devTimeFormat");
    }

    #[test]
    fn escapes_and_header_only_events() {
        let row = parse(&DEF, DEF.examples[2]).unwrap();
        let Value::Map(m) = row.get(C::Extensions) else {
            panic!("no extensions")
        };
        assert!(m
            .iter()
            .any(|(k, v)| k == "desc" && v.contains("Exceeded\nSubject")));
        let row = parse(&DEF, "LEEF:2.0|V|P|1|41").unwrap();
        assert_eq!(row.get(C::EventClassId), &Value::str("41"));
        assert_eq!(row.get(C::Extensions), &Value::Null);
    }

    #[test]
    fn other_lines_are_mismatches() {
        for other in ["CEF:0|a|b|c|d|e|f|", "<34>Oct 11 22:14:15 host su: hi"] {
            assert!(parse(&DEF, other).unwrap_err().is_mismatch(), "{other}");
        }
        assert!(!parse(&DEF, "LEEF:1.0|a").unwrap_err().is_mismatch());
    }
}
