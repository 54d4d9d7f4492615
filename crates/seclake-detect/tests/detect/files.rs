//! The rule files in `tests/rules`: loaded from the directory, each either
//! compiled and run, or refused with its reason.

use std::path::Path;

use seclake_detect::{load_dir, Level};

use crate::support::{compile_one, run};

fn rules_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rules"))
}

#[tokio::test]
async fn every_rule_file_compiles_or_says_why_not() {
    let mut lines = Vec::new();
    for (path, rule) in load_dir(rules_dir()) {
        let name = path
            .strip_prefix(rules_dir())
            .unwrap()
            .display()
            .to_string();
        let line = match rule.and_then(|r| compile_one(&r)) {
            Ok(c) => format!("{name}: ok ({})", c.table),
            // The known logsources are every type's: not repeated here.
            Err(e) => format!("{name}: {e}")
                .split(" (known: ")
                .next()
                .unwrap()
                .to_string(),
        };
        lines.push(line);
    }
    assert_eq!(
        lines,
        [
            "access_key_for_another_user.yml: ok (aws_cloudtrail)",
            "broken/process_creation.yml: no seclake log type for logsource product: windows, category: process_creation",
            "broken/typo_modifier.yml: detection.selection.eventName|endwith: unknown modifier `endwith`",
            "console_login_without_mfa.yml: ok (aws_cloudtrail)",
            "encoded_powershell_via_ssm.yml: ok (aws_cloudtrail)",
            "public_bucket_policy.yml: ok (aws_cloudtrail)",
            "trail_stopped.yml: ok (aws_cloudtrail)",
        ]
    );
}

#[tokio::test]
async fn rule_files_match_their_events() {
    for (file, expected) in [
        ("access_key_for_another_user.yml", &["e13"][..]),
        ("console_login_without_mfa.yml", &["e01"]),
        ("encoded_powershell_via_ssm.yml", &["e10", "e11"]),
        ("public_bucket_policy.yml", &["e03"]),
        ("trail_stopped.yml", &["e06"]),
    ] {
        let yaml = std::fs::read_to_string(rules_dir().join(file)).unwrap();
        assert_eq!(run(&yaml).await, expected, "{file}");
    }
}

#[test]
fn metadata_is_kept() {
    let rule = seclake_detect::load_file(&rules_dir().join("trail_stopped.yml")).unwrap();
    assert_eq!(rule.title, "CloudTrail logging stopped or trail deleted");
    assert_eq!(
        rule.id.as_deref(),
        Some("5b0a2f4e-3c39-4a53-9d0e-4f7c1d9e2a10")
    );
    assert_eq!(rule.level, Some(Level::High));
    assert_eq!(rule.tags, ["attack.defense-evasion", "attack.t1562.008"]);
    assert_eq!(rule.logsource.product.as_deref(), Some("aws"));
    assert_eq!(
        rule.detection.condition_text,
        "selection and not filter_automation"
    );
}
