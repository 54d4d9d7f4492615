//! The project's rule fixtures (`fixtures/rules/`): every rule there has
//! test events beside it, and each passes them in both modes (the batch
//! matcher at ingest and the filter over Parquet rows agree on every
//! record).

use std::path::Path;

use seclake_detect::fixtures::{evaluate, fixtures_of, Expect};

fn rules_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/rules"))
}

#[tokio::test]
async fn every_rule_fixture_gives_the_same_matches_in_both_modes() {
    let mut rules = 0;
    let mut logsources = Vec::new();
    for (path, rule) in seclake_detect::load_dir(rules_dir()) {
        let rule = rule.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let targets =
            seclake_detect::compile(&rule).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let fixtures = fixtures_of(&path);
        assert!(
            fixtures.iter().any(|f| f.expect == Expect::Match)
                && fixtures.iter().any(|f| f.expect == Expect::NoMatch),
            "{}: needs fixtures that match and that do not",
            path.display()
        );
        for f in &fixtures {
            let outcome = evaluate(&targets.compiled, &f.path).await.unwrap();
            assert!(outcome.records > 0, "{}", f.path.display());
            assert_eq!(outcome.at_ingest, outcome.scheduled, "{}", f.path.display());
            let failures = outcome.failures(f.expect);
            assert!(failures.is_empty(), "{}: {failures:#?}", f.path.display());
        }
        logsources.extend(targets.tables().iter().map(|t| t.to_string()));
        rules += 1;
    }
    assert!(rules >= 5, "{rules}");
    logsources.sort();
    logsources.dedup();
    // Every kind of logsource has a rule: CloudTrail, web servers, DNS,
    // firewalls and host syslog.
    for table in [
        "aws_cloudtrail",
        "aws_alb",
        "aws_wafwebacl",
        "imperva_cloudwaf",
        "edgecast_waf",
        "aws_vpcdns",
        "aws_vpcflow",
        "juniper_firewall",
        "syslog_rfc3164",
        "syslog_rfc5424",
    ] {
        assert!(
            logsources.iter().any(|t| t == table),
            "{table}: {logsources:?}"
        );
    }
}

#[tokio::test]
async fn a_fixture_that_contradicts_its_rule_fails_with_the_record_named() {
    let dir = tempfile::tempdir().unwrap();
    let rule = dir.path().join("stop.yml");
    std::fs::copy(rules_dir().join("cloudtrail/trail_stopped.yml"), &rule).unwrap();
    // The rule's negatives presented as positives.
    let wrong = dir.path().join("stop.match.jsonl");
    std::fs::copy(
        rules_dir().join("cloudtrail/trail_stopped.nomatch.jsonl"),
        &wrong,
    )
    .unwrap();
    let fixtures = fixtures_of(&rule);
    assert_eq!(fixtures.len(), 1);
    assert_eq!(fixtures[0].expect, Expect::Match);
    let loaded = seclake_detect::load_file(&rule).unwrap();
    let targets = seclake_detect::compile(&loaded).unwrap();
    let outcome = evaluate(&targets.compiled, &wrong).await.unwrap();
    assert_eq!(outcome.records, 3);
    assert_eq!(
        outcome.failures(Expect::Match),
        [
            "record 1: not matched",
            "record 2: not matched",
            "record 3: not matched"
        ]
    );
    assert!(outcome.failures(Expect::NoMatch).is_empty());
}
