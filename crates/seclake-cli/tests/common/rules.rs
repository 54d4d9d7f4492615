//! Sigma rules several tests run over CloudTrail records, and what
//! they fired.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{ok, seclake, text};

/// Writes `rules` (file name, YAML) into a new `rules` directory of
/// `dir`.
pub fn write_rules(dir: &Path, rules: &[(&str, &str)]) -> PathBuf {
    let rules_dir = dir.join("rules");
    std::fs::create_dir_all(&rules_dir).unwrap();
    for (name, yaml) in rules {
        std::fs::write(rules_dir.join(name), yaml).unwrap();
    }
    rules_dir
}

/// The `_alerts` rows of the lake that `sql` selects, as JSON objects
/// without the partition columns.
pub fn alert_rows(lake: &str, sql: &str) -> Vec<Value> {
    let out = ok(seclake()
        .args(["query", "--lake", lake, "--format", "json", sql])
        .output()
        .unwrap());
    text(&out.stdout)
        .lines()
        .map(|l| {
            let mut row: Value = serde_json::from_str(l).unwrap();
            for partition in ["year", "month", "day", "hour"] {
                row.as_object_mut().unwrap().remove(partition);
            }
            row
        })
        .collect()
}

/// `id` of [`TRAIL`].
pub const TRAIL_ID: &str = "5b0a2f4e-3c39-4a53-9d0e-4f7c1d9e2a10";
/// `id` of [`CONSOLE`].
pub const CONSOLE_ID: &str = "0f6c1f0a-7d8e-4a43-8f5e-2b1d9a6c3e21";

/// A trail stopped or deleted, unless by terraform.
pub const TRAIL: &str = "title: Trail stopped
id: 5b0a2f4e-3c39-4a53-9d0e-4f7c1d9e2a10
level: high
tags:
  - attack.defense-evasion
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName:
      - StopLogging
      - DeleteTrail
  automation:
    userAgent|startswith: terraform
  condition: selection and not automation
";

/// A console login without MFA.
pub const CONSOLE: &str = "title: Console login without MFA
id: 0f6c1f0a-7d8e-4a43-8f5e-2b1d9a6c3e21
level: medium
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: ConsoleLogin
    additionalEventData.MFAUsed: 'No'
    responseElements.ConsoleLogin: Success
  condition: selection
";
