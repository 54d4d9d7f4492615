//! Correlation documents (`tests/correlations`): files of several
//! documents, references by name and id across files, what `generate`
//! does to the rules named, and the errors of correlations that do not
//! parse or name what is not there.

use std::path::Path;

use seclake_detect::correlation::{AlertCorrelation, Kind, Op, RuleSet};
use seclake_detect::{load_dir_documents, load_file_documents, CorrelationError, Document, Rule};

use crate::correlation_support::fixtures;

fn dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/correlations"))
}

fn kind(d: &Document) -> &'static str {
    match d {
        Document::Rule(_) => "rule",
        Document::Correlation(c) => c.kind.as_str(),
    }
}

#[test]
fn every_document_of_every_file_loads_in_order() {
    let listed: Vec<(String, &str, String)> = load_dir_documents(dir())
        .iter()
        .map(|(path, d)| {
            let d = d.as_ref().unwrap();
            let file = path.file_name().unwrap().to_string_lossy().to_string();
            (file, kind(d), d.title().to_string())
        })
        .collect();
    let expected = [
        ("base_rules.yml", "rule", "S3 buckets listed"),
        ("base_rules.yml", "rule", "CloudTrail logging stopped"),
        ("base_rules.yml", "rule", "Access key created"),
        (
            "brute_force.yml",
            "event_count",
            "Console sign-in failures for one user",
        ),
        ("brute_force.yml", "rule", "Failed console sign-in"),
        (
            "key_for_listed_user.yml",
            "temporal",
            "Access key created for a user who just listed the buckets",
        ),
        (
            "key_sprawl.yml",
            "value_count",
            "Bucket listing from many addresses",
        ),
        (
            "recon_then_stop.yml",
            "temporal_ordered",
            "Reconnaissance, then the trail stopped",
        ),
        (
            "recon_then_stop.yml",
            "temporal",
            "Reconnaissance and the trail stopped",
        ),
    ]
    .map(|(f, k, t)| (f.to_string(), k, t.to_string()));
    assert_eq!(listed, expected);

    let Document::Correlation(c) = load_file_documents(&dir().join("brute_force.yml"))
        .remove(0)
        .unwrap()
    else {
        panic!("a correlation first");
    };
    assert_eq!(
        c.id.as_deref(),
        Some("3a7c9e51-0b2d-4f68-a1c3-5e7f9b0d2c46")
    );
    assert_eq!(c.kind, Kind::EventCount);
    assert_eq!(c.rules, ["failed_console_login"]);
    assert_eq!(c.group_by, ["userIdentity.userName"]);
    assert_eq!(
        (c.timespan.text.as_str(), c.timespan.micros),
        ("1h", 3_600_000_000)
    );
    assert_eq!(c.condition, [(Op::Gte, 3)]);
    assert_eq!(c.tags, ["attack.credential-access", "attack.t1110"]);
    assert!(!c.generate);
    let Document::Correlation(sprawl) = load_file_documents(&dir().join("key_sprawl.yml"))
        .remove(0)
        .unwrap()
    else {
        panic!("a correlation");
    };
    assert_eq!(
        sprawl.kind,
        Kind::ValueCount {
            field: "sourceIPAddress".into()
        }
    );
    let rules: Vec<Option<String>> = load_file_documents(&dir().join("base_rules.yml"))
        .into_iter()
        .map(|d| d.and_then(Document::into_rule).unwrap().name)
        .collect();
    assert_eq!(
        rules,
        [
            Some("bucket_listing".into()),
            Some("trail_stopped".into()),
            Some("access_key_created".into())
        ]
    );
}

#[test]
fn references_resolve_by_name_or_id_across_files() {
    let docs = fixtures();
    let set = RuleSet::new(&docs);
    for d in &docs {
        let Document::Correlation(c) = d else {
            continue;
        };
        let compiled = set
            .compile(c)
            .unwrap_or_else(|e| panic!("{}: {e}", c.title));
        assert_eq!(compiled.tables(), ["aws_cloudtrail"], "{}", c.title);
        let named: Vec<&str> = compiled
            .bases
            .iter()
            .map(|b| b.rule.title.as_str())
            .collect();
        let expected: &[&str] = match c.kind {
            Kind::EventCount => &["Failed console sign-in"],
            Kind::ValueCount { .. } => &["S3 buckets listed"],
            Kind::Temporal if c.aliases.is_empty() => {
                &["S3 buckets listed", "CloudTrail logging stopped"]
            }
            Kind::Temporal => &["S3 buckets listed", "Access key created"],
            // The trail rule named by its id.
            Kind::TemporalOrdered => &["S3 buckets listed", "CloudTrail logging stopped"],
        };
        assert_eq!(named, expected, "{}", c.title);
    }
}

#[test]
fn rules_named_by_correlations_fire_alone_only_with_generate() {
    let docs = fixtures();
    let set = RuleSet::new(&docs);
    let rule = |title: &str| -> &Rule {
        docs.iter()
            .find_map(|d| match d {
                Document::Rule(r) if r.title == title => Some(r),
                _ => None,
            })
            .unwrap()
    };
    // Named only by correlations without `generate`.
    assert!(!set.generates(rule("Failed console sign-in")));
    assert!(!set.generates(rule("Access key created")));
    // Named (among others) by the temporal correlation with `generate: true`.
    assert!(set.generates(rule("CloudTrail logging stopped")));
    assert!(set.generates(rule("S3 buckets listed")));
    // Named by none.
    let alone = Rule::parse(&crate::support::cloudtrail_rule(
        "s:\n  eventName: x\ncondition: s",
    ))
    .unwrap();
    assert!(set.generates(&alone));
    assert_eq!(set.named_by(rule("Failed console sign-in")).len(), 1);
}

/// A correlation of the fixture rules, from the `correlation:` section.
fn compile_error(section: &str) -> (String, CorrelationError) {
    let yaml = format!(
        "title: t\nid: x\ncorrelation:\n{}",
        crate::support::dedent(section)
            .lines()
            .map(|l| format!("  {l}\n"))
            .collect::<String>()
    );
    let Document::Correlation(c) = Document::parse_all(&yaml).remove(0).unwrap() else {
        panic!("not a correlation");
    };
    let docs = fixtures();
    let e = RuleSet::new(&docs).compile(&c).unwrap_err();
    (e.to_string(), e)
}

#[test]
fn references_and_fields_that_are_not_there_are_errors_naming_them() {
    let (msg, e) = compile_error(
        "type: event_count\nrules: [failed_console_login, nope]\ntimespan: 1h\ncondition: {gte: 2}",
    );
    assert!(
        matches!(e, CorrelationError::UnknownRule(ref r) if r == "nope"),
        "{e:?}"
    );
    assert_eq!(
        msg,
        "correlation.rules: no rule named `nope` (or with that id) is loaded"
    );
    for (section, message) in [
        (
            "type: temporal\nrules: [bucket_listing, 1f4a7c2e-9d5b-4e81-b3a6-0c8e2f5d7a19]\ntimespan: 1h",
            "correlation.rules: `1f4a7c2e-9d5b-4e81-b3a6-0c8e2f5d7a19` is a correlation; correlations of correlations are not supported",
        ),
        (
            "type: event_count\nrules: [bucket_listing]\ngroup-by: [userName]\ntimespan: 1h\ncondition: {gte: 2}",
            "correlation.group-by: rule `bucket_listing` on aws_cloudtrail: field `userName`: AWS.CloudTrail has no column `userName`",
        ),
        (
            "type: event_count\nrules: [bucket_listing]\ngroup-by: [resources]\ntimespan: 1h\ncondition: {gte: 2}",
            "correlation.group-by: rule `bucket_listing` on aws_cloudtrail: field `resources`: the field is a list; correlations compare single values",
        ),
        (
            "type: value_count\nrules: [bucket_listing]\ntimespan: 1h\ncondition: {field: nosuch, gte: 2}",
            "correlation.condition.field: rule `bucket_listing` on aws_cloudtrail: field `nosuch`: AWS.CloudTrail has no column `nosuch`",
        ),
        (
            "type: temporal\nrules: [bucket_listing, trail_stopped]\ngroup-by: [user]\naliases: {user: {bucket_listing: userIdentity.userName}}\ntimespan: 1h",
            "correlation.aliases.user: no field for rule `trail_stopped`",
        ),
    ] {
        assert_eq!(compile_error(section).0, message, "{section}");
    }
    // A rule that does not compile, named by a correlation in its file.
    let text = "title: c\ncorrelation:\n  type: temporal\n  rules: [bad]\n  timespan: 1h\n---\ntitle: b\nname: bad\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {CommandLine: x}\n  condition: s\n";
    let docs: Vec<Document> = Document::parse_all(text)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let Document::Correlation(c) = &docs[0] else {
        panic!()
    };
    let e = RuleSet::new(&docs).compile(c).unwrap_err();
    assert_eq!(e.to_string(), "correlation.rules: rule `bad`: field `CommandLine`: AWS.CloudTrail has no column `CommandLine`");
    // Compiles, but fires nothing without an id.
    let named =
        "title: c\ncorrelation:\n  type: temporal\n  rules: [bucket_listing]\n  timespan: 1h\n";
    let Document::Correlation(c) = Document::parse_all(named).remove(0).unwrap() else {
        panic!()
    };
    let docs = fixtures();
    let e = AlertCorrelation::new(RuleSet::new(&docs).compile(&c).unwrap()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "id: missing: a correlation that fires alerts needs one (alerts are keyed by it)"
    );
}

#[test]
fn correlation_documents_that_do_not_parse_say_why() {
    for (section, message) in [
        ("type: event_count\nrules: [a]\ntimespan: 1h", "correlation.condition: missing: event_count needs a count to compare (gte: 10)"),
        ("type: event_cnt\nrules: [a]\ntimespan: 1h", "correlation.type: `event_cnt` is not one of event_count, value_count, temporal, temporal_ordered"),
        ("type: value_count\nrules: [a]\ntimespan: 1h\ncondition: {gte: 3}", "correlation.condition.field: missing: value_count counts the values of a field"),
        ("type: event_count\nrules: [a]\ntimespan: 1h\ncondition: {field: x, gte: 3}", "correlation.condition.field: only value_count counts the values of a field"),
        ("type: event_count\nrules: [a]\ntimespan: 1h\ncondition: {ge: 3}", "correlation.condition.ge: unknown comparison (expected gt, gte, lt, lte, eq, neq or field)"),
        ("type: event_count\nrules: [a]\ntimespan: 1h\ncondition: {gte: many}", "correlation.condition.gte: expected a whole number"),
        ("type: temporal_ordered\nrules: [a, b]\ntimespan: 1h\ncondition: {gte: 1}", "correlation.condition: a condition on temporal_ordered (every rule must match, in order) is not supported"),
        ("type: temporal\nrules: [a]\ntimespan: 1 hour", "correlation.timespan: `1 hour` is not a number followed by s, m, h, d or w (90m)"),
        ("type: temporal\nrules: [a]\ntimespan: 1M", "correlation.timespan: `1M` (months and years have no fixed length) is not supported"),
        ("type: temporal\nrules: [a]\ntimespan: 0s", "correlation.timespan: `0s` must be above zero and at most centuries"),
        ("type: temporal\nrules: [a]", "correlation.timespan: missing"),
        ("type: temporal\nrules: []\ntimespan: 1h", "correlation.rules: name at least one rule"),
        ("type: temporal\nrules: [a, a]\ntimespan: 1h", "correlation.rules[1]: `a` is listed twice"),
        ("type: temporal\nrules: [a]\ntimespan: 1h\ngroupby: [x]", "correlation.groupby: unknown key (expected one of type, rules, group-by, timespan, condition, aliases, generate)"),
    ] {
        let yaml = format!("title: t\ncorrelation:\n{}", section.lines().map(|l| format!("  {l}\n")).collect::<String>());
        let got = Document::parse_all(&yaml).remove(0).unwrap_err().to_string();
        assert_eq!(got, message, "{section}");
    }
    // Ranges, every comparison, and `generate` where pySigma reads it.
    let yaml = "title: t\ncorrelation:\n  type: event_count\n  rules: a\n  timespan: 90m\n  condition: {gt: 1, lte: 5, neq: 3}\n  generate: true\n";
    let Document::Correlation(c) = Document::parse_all(yaml).remove(0).unwrap() else {
        panic!()
    };
    assert_eq!(c.condition, [(Op::Gt, 1), (Op::Lte, 5), (Op::Neq, 3)]);
    assert_eq!(c.timespan.micros, 90 * 60 * 1_000_000);
    assert!(c.generate && !c.monotonic());
    assert!(c.group_by.is_empty());
    // One bad document does not hide the others of its file.
    let docs = Document::parse_all("title: a\ncorrelation: {}\n---\ntitle: b\nlogsource: {product: aws, service: cloudtrail}\ndetection: {s: {eventName: x}, condition: s}\n");
    assert_eq!(
        docs[0].as_ref().unwrap_err().to_string(),
        "correlation.type: missing"
    );
    assert_eq!(docs[1].as_ref().unwrap().title(), "b");
}
