//! Rules seclake refuses, and the reason each gets: what `seclake rules
//! check` prints for them.

use crate::support::{error, rule_error};

#[test]
fn unknown_and_misused_modifiers() {
    for (detection, message) in [
        (
            "s:\n  eventName|startwith: Console\ncondition: s",
            "detection.s.eventName|startwith: unknown modifier `startwith`",
        ),
        (
            "s:\n  eventName|i: x\ncondition: s",
            "detection.s.eventName|i: modifier `i` must follow `re`",
        ),
        (
            "s:\n  eventName|expand: '%admins%'\ncondition: s",
            "detection.s.eventName|expand: `expand` (placeholders) is not supported",
        ),
        (
            "s:\n  eventName|contains|re: 'a.*'\ncondition: s",
            "detection.s.eventName|contains|re: `contains` cannot be combined with `re`",
        ),
        (
            "s:\n  eventName|re: '(?=lookahead)'\ncondition: s",
            "detection.s.eventName|re: the regular expression `(?=lookahead)` is not supported by seclake (error: look-around, including look-ahead and look-behind, is not supported)",
        ),
        (
            "s:\n  sourceIPAddress|cidr: 10.0.0.0/33\ncondition: s",
            "detection.s.sourceIPAddress|cidr: `cidr` needs a network such as 10.0.0.0/8, not '10.0.0.0/33'",
        ),
        (
            "s:\n  requestParameters.maxResults|gt: many\ncondition: s",
            "detection.s.requestParameters.maxResults|gt: `gt` needs a number, not 'many'",
        ),
        (
            "s:\n  errorCode|exists: 'yes'\ncondition: s",
            "detection.s.errorCode|exists: `exists` needs true or false, not 'yes'",
        ),
        (
            "s:\n  errorCode|exists: [true, false]\ncondition: s",
            "detection.s.errorCode|exists: `exists` takes one value, true or false",
        ),
        (
            "s:\n  errorCode|contains: null\ncondition: s",
            "detection.s.errorCode|contains: `null` cannot take `contains`",
        ),
        (
            "s:\n  eventName|contains|base64: x\ncondition: s",
            "detection.s.eventName|contains|base64: `base64` needs plain text: put wildcards and `contains`/`startswith`/`endswith`/`windash` after it",
        ),
        (
            "s:\n  eventName|wide: x\ncondition: s",
            "detection.s.eventName|wide: a UTF-16 encoding must be followed by `base64` or `base64offset`",
        ),
        (
            "s:\n  eventTime|hour: '3'\ncondition: s",
            "detection.s.eventTime|hour: `hour` needs a whole number, not '3'",
        ),
    ] {
        assert_eq!(error(detection), message, "{detection}");
    }
}

#[test]
fn fields_the_table_does_not_have_or_cannot_match() {
    for (detection, message) in [
        (
            "s:\n  eventname: x\ncondition: s",
            "field `eventname`: AWS.CloudTrail has no column `eventname`; did you mean `eventName`?",
        ),
        (
            "s:\n  CommandLine: x\ncondition: s",
            "field `CommandLine`: AWS.CloudTrail has no column `CommandLine`",
        ),
        (
            "s:\n  userIdentity.sessionContext.sessionIssuer.user: x\ncondition: s",
            "field `userIdentity.sessionContext.sessionIssuer.user`: `userIdentity.sessionContext.sessionIssuer` has no member `user` (it has `type`, `principalId`, `arn`, `accountId`, `userName`)",
        ),
        (
            "s:\n  eventName.first: x\ncondition: s",
            "field `eventName.first`: `eventName` is a string and has no members",
        ),
        (
            "s:\n  resources: x\ncondition: s",
            "field `resources`: the field is a list; seclake matches values against its members, or tests it with `null` or `exists`",
        ),
        (
            "s:\n  readOnly|gt: 1\ncondition: s",
            "field `readOnly`: `gt` compares numbers, and the field is a boolean",
        ),
        (
            "s:\n  eventName|hour: 3\ncondition: s",
            "field `eventName`: `hour` needs a timestamp field, and the field is text",
        ),
        (
            "s:\n  eventName|fieldref: nosuchfield\ncondition: s",
            "field `nosuchfield`: AWS.CloudTrail has no column `nosuchfield`",
        ),
    ] {
        assert_eq!(error(detection), message, "{detection}");
    }
}

#[test]
fn conditions_that_do_not_parse_or_need_several_events() {
    for (detection, message) in [
        (
            "s:\n  eventName: x\ncondition: s and",
            "detection.condition `s and`: expected a search after `and` at the end",
        ),
        (
            "s:\n  eventName: x\ncondition: s or t",
            "detection.condition `s or t`: no search named `t` (the detection has `s`)",
        ),
        (
            "s:\n  eventName: x\ncondition: s | count() by userIdentity.arn > 5",
            "detection.condition: an aggregation (`| count() ...`) is not supported",
        ),
        (
            "s:\n  eventName: x\ntimeframe: 5m\ncondition: s",
            "detection.timeframe: `timeframe` (matches over a time window) is not supported",
        ),
        ("s:\n  eventName: x", "detection.condition: missing"),
    ] {
        assert_eq!(error(detection), message, "{detection}");
    }
}

#[test]
fn documents_that_are_not_rules_seclake_can_run() {
    let logsource = "logsource:\n  product: aws\n  service: cloudtrail\n";
    let detection = "detection:\n  s:\n    eventName: x\n  condition: s\n";
    for (yaml, message) in [
        (
            format!("title: t\nlogsource:\n  product: windows\n  category: process_creation\n{detection}"),
            format!("no seclake log type for logsource product: windows, category: process_creation (known: {})", seclake_detect::mapping::known_logsources()),
        ),
        (
            format!("title: t\nlogsource:\n  product: gcp\n{detection}"),
            format!("no seclake log type for logsource product: gcp (known: {})", seclake_detect::mapping::known_logsources()),
        ),
        (format!("{logsource}{detection}"), "title: missing".to_string()),
        (format!("title: t\n{detection}"), "logsource: missing".to_string()),
        (format!("title: t\n{logsource}"), "detection: missing".to_string()),
        (
            format!("title: t\nlevel: urgent\n{logsource}{detection}"),
            "level: `urgent` is not one of informational, low, medium, high, critical".to_string(),
        ),
        (
            format!("title: t\n{logsource}{detection}---\ntitle: u\n"),
            "(file): 2 YAML documents where one rule was expected (load the file to read them all)".to_string(),
        ),
        (
            "title: t\ncorrelation:\n  type: event_count\n".to_string(),
            "correlation: a correlation rule, not a detection rule (load it with the rules it names)".to_string(),
        ),
        (
            format!("title: t\n{logsource}detection:\n  s: [{{eventName: x}}, y]\n  condition: s\n"),
            "detection.s: a list must hold only maps or only values".to_string(),
        ),
        (
            format!("title: t\n{logsource}detection:\n  s:\n    eventName: {{a: b}}\n  condition: s\n"),
            "detection.s.eventName: a value must be text, a number, true/false or null".to_string(),
        ),
    ] {
        assert_eq!(rule_error(&yaml), message, "{yaml}");
    }
    let broken = rule_error("title: t\ndetection: [unclosed\n");
    assert!(broken.starts_with("not valid YAML: "), "{broken}");
}

#[test]
fn duplicate_keys_are_errors_not_overwrites() {
    let got = error("s:\n  eventName: a\n  eventName: b\ncondition: s");
    assert!(got.starts_with("not valid YAML: "), "{got}");
    assert!(
        got.contains("duplicated key in mapping at byte 119 line 9"),
        "{got}"
    );
}
