//! Classification among every registered type: specific types win over the
//! generic ones riding on the same format, whatever came before.

mod common;

use common::{fixture_options, Capture};

#[test]
fn specific_types_win_over_generic_ones_in_any_order() {
    let lines = [
        ("CEF:0|Vendor|Product|1.0|100|Generic|5|src=10.0.0.1", "CEF"),
        (
            "CEF:0|Incapsula|SIEMintegration|1|1|Normal|0| fileId=1 src=198.51.100.7 start=1705705619206",
            "Imperva.CloudWAF",
        ),
        (
            "Jan 15 10:30:00 host CEF:0|Incapsula|SIEMintegration|1|1|Normal|0| fileId=2 src=198.51.100.8",
            "Imperva.CloudWAF",
        ),
        ("<134>Jan 15 10:30:00 fw01 CEF:0|Vendor|Product|1.0|100|After syslog|3|src=10.0.0.3", "CEF"),
        (
            "LEEF:0|Incapsula|SIEMintegration|0|SQL Injection| fileId=3 src=127.0.0.1 start=1460303291788",
            "Imperva.CloudWAF",
        ),
        ("LEEF:1.0|Microsoft|MSExchange|4.0|15345|src=192.0.2.0\tdst=172.50.123.1", "LEEF"),
        ("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick", "Syslog.RFC3164"),
        (
            "<134>1 2025-01-10T15:45:12Z n.r SSR 128 SESSION_CLOSE [ssr@2636.1.0.0 session-id=\"x\"]",
            "Juniper.SSR",
        ),
        ("CEF:0|Imperva Inc|Attack Analytics|0|1|Incident|5|src=1.2.3.4", "CEF"),
    ];
    let all: Vec<_> = seclake_registry::all().iter().collect();
    // Forwards and backwards, so every type follows every other.
    for order in [false, true] {
        let mut list = lines.to_vec();
        if order {
            list.reverse();
        }
        let text: String = list.iter().map(|(l, _)| format!("{l}\n")).collect();
        let mut got = Capture::default();
        seclake_engine::parse_stream(
            text.as_bytes(),
            seclake_engine::StreamName::same("mixed.log"),
            &all,
            &fixture_options(),
            &mut got,
        )
        .unwrap();
        let want: Vec<&str> = list.iter().map(|(_, t)| *t).collect();
        assert_eq!(got.row_types, want, "reversed: {order}");
    }
}
