use super::*;
use seclake_core::testing::{indicators, parse};
use seclake_core::{Indicator, LogType};

const DOCUMENT: &str =
    include_str!("../../../../fixtures/log-types/Edgecast.WAF/input-edgio-docs-json.json");

/// Every row of one record, as the engine asks for them: the rows given,
/// then the error that ended the record, if any.
fn rows(record: &str) -> (Vec<Row<'_>>, Option<ParseError>) {
    rows_of("", record)
}

/// [`rows`] of a record of the input named `input`.
fn rows_of<'r>(input: &str, record: &'r str) -> (Vec<Row<'r>>, Option<ParseError>) {
    let t = LogType::new(DEF).unwrap();
    let ctx = ParseContext {
        input: input.into(),
        ..ParseContext::at(Timestamp(0))
    };
    let mut parser = (DEF.new_parser)();
    let mut out = Vec::new();
    let mut row = Row::new(COLUMNS.len());
    let mut parsed = parser.parse(record, &ctx, &mut row);
    loop {
        match parsed {
            Ok(Parsed::Skip) => return (out, None),
            Ok(p) => {
                t.finish_row(&mut row);
                out.push(row);
                if p == Parsed::Row {
                    return (out, None);
                }
                row = Row::new(COLUMNS.len());
                parsed = parser.next_row(record, &ctx, &mut row);
            }
            Err(e) => return (out, Some(e)),
        }
    }
}

fn str_value<'r>(row: &'r Row<'_>, c: C) -> Option<&'r str> {
    match row.get(c) {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

#[test]
fn an_entry_keeps_its_nanoseconds_and_columns() {
    let row = parse(&DEF, DEF.examples[0]).unwrap();
    assert_eq!(
        row.get(C::Timestamp),
        &Value::Time(Timestamp(1_602_200_337_177_535))
    );
    assert_eq!(
        row.get(C::TimestampNs),
        &Value::Int(1_602_200_337_177_535_713)
    );
    assert_eq!(
        row.event_time.unwrap().to_rfc3339(),
        "2020-10-08T23:38:57.177535Z"
    );
    assert_eq!(
        str_value(&row, C::Uuid),
        Some("38046679731278771327748811544613832704")
    );
    assert_eq!(row.get(C::ServerPort), &Value::Int(443));
    assert_eq!(row.get(C::SubEventsCount), &Value::Int(1));
    assert!(matches!(row.get(C::SubEvents), Value::Json(j) if j.contains("\"rule_id\":80009")));
    assert_eq!(str_value(&row, C::ClientCountryCode), Some("US"));
    // `""` is null; the document-only columns are absent.
    assert!(row.get(C::Referer).is_null() && row.get(C::AgentId).is_null());
    assert_eq!(indicators(&row, Indicator::IpAddress), ["190.220.230.2"]);
    assert_eq!(indicators(&row, Indicator::DomainName), ["cdn.example.com"]);
}

#[test]
fn a_document_gives_a_row_per_entry_with_the_top_level_fields() {
    let (rows, err) = rows(DOCUMENT);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(str_value(row, C::AgentId), Some("1234500008619D55A"));
        assert_eq!(str_value(row, C::AccountNumber), Some("0001"));
        assert_eq!(str_value(row, C::Datestamp), Some("20201008"));
        assert_eq!(str_value(row, C::Service), Some("waf"));
        assert_eq!(row.get(C::SeqNum), &Value::Int(0));
        assert_eq!(row.get(C::ProfileId), &Value::Int(0));
    }
    assert_eq!(
        indicators(&rows[0], Indicator::IpAddress),
        ["190.220.230.2"]
    );
    assert_eq!(
        indicators(&rows[1], Indicator::IpAddress),
        ["230.180.240.23"]
    );
    assert_eq!(
        rows[1].get(C::TimestampNs),
        &Value::Int(1_602_200_338_598_465_258)
    );
    // The one-entry example is one row, like the engine's tests expect.
    let (one, err) = self::rows(DEF.examples[1]);
    assert!(err.is_none() && one.len() == 1);
}

#[test]
fn entries_of_a_delivered_file_take_its_delivery_from_the_name() {
    let name = "s3://logs/rtld/waf_0001_1337_20240610_1234500008619D55A_7.json_lines.gz";
    let (rows, err) = rows_of(name, DEF.examples[0]);
    assert!(err.is_none(), "{err:?}");
    let row = &rows[0];
    assert_eq!(str_value(row, C::AgentId), Some("1234500008619D55A"));
    assert_eq!(str_value(row, C::Datestamp), Some("20240610"));
    assert_eq!(str_value(row, C::AccountNumber), Some("0001"));
    assert_eq!(row.get(C::SeqNum), &Value::Int(7));
    assert_eq!(row.get(C::ProfileId), &Value::Int(1337));
    // The entry's own account wins; a name of no delivery gives nothing.
    let entry = r#"{"waf_profile_name":"p","account_number":"0002"}"#;
    let (rows, _) = rows_of(name, entry);
    assert_eq!(str_value(&rows[0], C::AccountNumber), Some("0002"));
    let (rows, _) = rows_of("/tmp/events.jsonl", entry);
    assert_eq!(rows[0].get(C::SeqNum), &Value::Null);
    assert_eq!(rows[0].get(C::AgentId), &Value::Null);
    // A document says its own delivery, whatever its file is named.
    let (rows, _) = rows_of(name, DOCUMENT);
    for row in &rows {
        assert_eq!(str_value(row, C::AgentId), Some("1234500008619D55A"));
        assert_eq!(str_value(row, C::Datestamp), Some("20201008"));
        assert_eq!(row.get(C::SeqNum), &Value::Int(0));
        assert_eq!(row.get(C::ProfileId), &Value::Int(0));
    }
}

#[test]
fn an_entrys_own_value_wins_over_the_documents() {
    let doc = r#"{"account_number":"0001","agent_id":"A","seq_num":3,"logs":[{"waf_profile_name":"p","account_number":"0002"},{"waf_profile_name":"p","account_number":null}]}"#;
    let (rows, err) = rows(doc);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(str_value(&rows[0], C::AccountNumber), Some("0002"));
    assert_eq!(str_value(&rows[1], C::AccountNumber), Some("0001"));
    assert!(rows.iter().all(|r| r.get(C::SeqNum) == &Value::Int(3)));
}

#[test]
fn a_broken_entry_ends_the_document_after_the_rows_before_it() {
    let doc = r#"{"agent_id":"A","logs":[{"waf_profile_name":"p","client_ip":"192.0.2.1"},{"waf_profile_name":"p","timestamp":"soon"},{"waf_profile_name":"p"}]}"#;
    let (rows, err) = rows(doc);
    assert_eq!(rows.len(), 1);
    let err = err.unwrap();
    assert!(!err.is_mismatch());
    assert_eq!(err.reason(), "field timestamp: not <seconds>.<fraction>");
    assert_eq!(err.detail(), Some("logs[1]: \"soon\""));
    // An element that is not a WAF entry is the document's broken part.
    let doc = r#"{"agent_id":"A","logs":[{"waf_profile_name":"p"},{"status_code":200},7]}"#;
    let err = self::rows(doc).1.unwrap();
    assert!(!err.is_mismatch());
    assert!(err.reason().starts_with("logs entry: needs"), "{err}");
    let err = self::rows(r#"{"logs":[7]}"#).1.unwrap();
    assert_eq!(err.reason(), "logs entry: not a JSON object");
}

#[test]
fn an_empty_document_is_no_row_and_no_reject() {
    let (rows, err) = rows(r#"{"agent_id":"A","service":"waf","logs":[ ]}"#);
    assert!(rows.is_empty() && err.is_none());
}

#[test]
fn timestamps_are_read_as_decimal_text() {
    let ns = |t: &str| epoch_nanos(t).map(|(us, ns)| (us.micros(), ns));
    assert_eq!(
        ns("1602200337.177535713"),
        Some((1_602_200_337_177_535, Some(1_602_200_337_177_535_713)))
    );
    // A float would give ...177535774 or so; the text gives the digits.
    assert_eq!(
        ns("1718012400.000000001"),
        Some((1_718_012_400_000_000, Some(1_718_012_400_000_000_001)))
    );
    assert_eq!(
        ns("1602200337.5"),
        Some((1_602_200_337_500_000, Some(1_602_200_337_500_000_000)))
    );
    assert_eq!(
        ns("1602200337"),
        Some((1_602_200_337_000_000, Some(1_602_200_337_000_000_000)))
    );
    // Past the ninth digit: dropped.
    assert_eq!(ns("1.1234567899"), Some((1_123_456, Some(1_123_456_789))));
    // Before the epoch the fraction counts back too, and microseconds
    // round down, so timestamp never passes timestamp_ns.
    assert_eq!(ns("-1.0000005"), Some((-1_000_001, Some(-1_000_000_500))));
    // Year 2286: a timestamp, but no i64 of nanoseconds.
    assert_eq!(ns("9999999999.5"), Some((9_999_999_999_500_000, None)));
    for bad in [
        "",
        ".5",
        "1.",
        "1.2.3",
        "1e9",
        "1.5e3",
        "abc",
        "1 .5",
        "99999999999999999999",
        "999999999999.5",
        "1.-5",
    ] {
        assert_eq!(ns(bad), None, "{bad}");
    }
}

#[test]
fn ja3_hashes_host_ports_and_ipv6_feed_the_indicators() {
    let row = parse(&DEF, DEF.examples[2]).unwrap();
    assert_eq!(
        indicators(&row, Indicator::Md5),
        ["e7d705a3286e19ea42f587b344ee6865"]
    );
    assert_eq!(indicators(&row, Indicator::IpAddress), ["2001:db8::7"]);
    assert_eq!(
        indicators(&row, Indicator::DomainName),
        ["shop.example.com"]
    );
    // The column keeps the header as sent.
    assert_eq!(str_value(&row, C::Host), Some("shop.example.com:8443"));
    assert_eq!(str_value(&row, C::RtldProfileName), Some("waf-to-s3"));
    assert_eq!(
        row.get(C::TimestampNs),
        &Value::Int(1_718_012_345_500_000_000)
    );
    assert!(matches!(row.get(C::RuleTags), Value::Json(j) if j.contains("attack-sqli")));
    let row = parse(
        &DEF,
        r#"{"waf_profile_name":"p","host":"[2001:db8::1]:443","client_tls_ja3_md5":"771,4865-4866,0"}"#,
    )
    .unwrap();
    assert_eq!(indicators(&row, Indicator::IpAddress), ["2001:db8::1"]);
    assert!(indicators(&row, Indicator::Md5).is_empty());
}

#[test]
fn every_field_but_the_marker_may_be_absent() {
    let row = parse(&DEF, r#"{"waf_profile_name":"Site 1"}"#).unwrap();
    assert_eq!(row.cells().len(), 1);
    assert!(row.event_time.is_none());
    // `timestamp_ns` comes from `timestamp` only, whatever the record says.
    let row = parse(
        &DEF,
        r#"{"timestamp":1.5,"timestamp_ns":7,"waf_profile_name":"p"}"#,
    )
    .unwrap();
    assert_eq!(row.get(C::TimestampNs), &Value::Int(1_500_000_000));
    let row = parse(&DEF, r#"{"timestamp_ns":7,"waf_profile_name":"p"}"#).unwrap();
    assert!(row.get(C::TimestampNs).is_null());
    // A string timestamp is read the same way; null and "" are absent.
    let row = parse(&DEF, r#"{"timestamp":"1.25","waf_profile_name":"p"}"#).unwrap();
    assert_eq!(row.get(C::TimestampNs), &Value::Int(1_250_000_000));
    let row = parse(
        &DEF,
        r#"{"timestamp":1.5,"timestamp":null,"waf_profile_name":"p"}"#,
    )
    .unwrap();
    assert!(row.get(C::Timestamp).is_null() && row.get(C::TimestampNs).is_null());
}

#[test]
fn other_records_are_mismatches() {
    for rec in [
        // Another RTLD module's document and entry.
        r#"{"agent_id":"A","service":"rl","logs":[{"waf_profile_name":"p"}]}"#,
        r#"{"timestamp":1718012404.5,"client_ip":"203.0.113.1","status_code":200}"#,
        // AWS WAF.
        r#"{"timestamp":1592357192516,"formatVersion":1,"webaclId":"w","action":"ALLOW","httpRequest":{"clientIp":"3.3.3.3"}}"#,
        r#"{"hello":"world"}"#,
        r#"{"logs":"not a WAF document"}"#,
        r#"{"agent_id":"A","logs":{"waf_profile_name":"p"}}"#,
        "[1,2,3]",
        "7",
        "not json",
        "",
    ] {
        let err = rows(rec).1.unwrap_or_else(|| panic!("{rec} parsed"));
        assert!(err.is_mismatch(), "{rec}: {err}");
    }
}

#[test]
fn broken_entries_are_invalid() {
    let base = r#"{"timestamp":1.5,"waf_profile_name":"p","server_port":443,"rule_tags":[],"sub_events":[{"rule_id":1,"total_anomaly_score":5}]}"#;
    parse(&DEF, base).unwrap();
    for (from, to, field) in [
        ("1.5", "\"soon\"", "timestamp"),
        ("1.5", "1e9", "timestamp"),
        ("1.5", "{}", "timestamp"),
        ("443", "4294967296", "server_port"),
        ("443", "\"https\"", "server_port"),
        ("[]", "\"OWASP\"", "rule_tags"),
        ("\"rule_id\":1", "\"rule_id\":\"9x\"", "sub_events.rule_id"),
        (
            "\"rule_id\":1",
            "\"rule_id\":3000000000",
            "sub_events.rule_id",
        ),
        ("5}", "5.5}", "sub_events.total_anomaly_score"),
        ("[{\"rule_id\"", "[7,{\"rule_id\"", "sub_events"),
    ] {
        let rec = base.replacen(from, to, 1);
        let err = parse(&DEF, &rec).err().unwrap_or_else(|| panic!("{rec}"));
        assert!(!err.is_mismatch(), "{rec}: {err}");
        assert!(err.reason().contains(field), "{rec}: {err}");
    }
    let err = parse(&DEF, r#"{"waf_profile_name":"p","timestamp":"#).unwrap_err();
    assert_eq!(err.reason(), "invalid JSON");
    // A document's own fields.
    for doc in [
        r#"{"profile_id":"p","logs":[{"waf_profile_name":"p"}]}"#,
        r#"{"seq_num":1.5,"logs":[{"waf_profile_name":"p"}]}"#,
    ] {
        let (rows, err) = rows(doc);
        let err = err.unwrap();
        assert!(rows.is_empty() && !err.is_mismatch(), "{doc}: {err}");
    }
}

#[test]
fn no_prefix_of_a_document_or_entry_panics() {
    for text in [DOCUMENT, DEF.examples[1], DEF.examples[2]] {
        for end in (0..=text.len()).filter(|&e| text.is_char_boundary(e)) {
            let _ = rows(&text[..end]);
        }
    }
    for hostile in [
        r#"{"waf_profile_name":"p","logs":[[[[[[[[[[]]]]]]]]]]}"#,
        r#"{"logs":[{"waf_profile_name":"p","sub_events":[{"rule_id":-99999999999999999999}]}]}"#,
        r#"{"waf_profile_name":"p","host":"[","url":"http://[::1"}"#,
        r#"{"waf_profile_name":"p","host":":"}"#,
        r#"{"waf\u005fprofile_name":"p"}"#,
    ] {
        let _ = rows(hostile);
    }
}
