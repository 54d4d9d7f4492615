//! `seclake rules check`: a line per rule file, a count, and an exit
//! status a rule repository's CI can use.

mod common;

use common::{seclake, text};

const GOOD: &str = "title: Trail stopped
level: high
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: StopLogging
    userIdentity.type: IAMUser
    requestParameters.name|contains: trail/
  condition: selection
";

const UNKNOWN_FIELD: &str = "title: A field CloudTrail does not have
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    CommandLine|contains: whoami
  condition: selection
";

const OTHER_PRODUCT: &str = "title: Process creation
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    Image|endswith: '\\whoami.exe'
  condition: selection
";

#[test]
fn check_reports_each_rule_and_fails_when_one_does_not_compile() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("more")).unwrap();
    std::fs::write(dir.path().join("trail_stopped.yml"), GOOD).unwrap();
    std::fs::write(dir.path().join("more/command_line.yml"), UNKNOWN_FIELD).unwrap();
    std::fs::write(dir.path().join("more/whoami.yaml"), OTHER_PRODUCT).unwrap();
    std::fs::write(dir.path().join("README.md"), "not a rule").unwrap();
    let root = dir.path().display().to_string();

    let out = seclake().args(["rules", "check", &root]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!(
            "{root}/more/command_line.yml: field `CommandLine`: AWS.CloudTrail has no column `CommandLine`\n\
             {root}/more/whoami.yaml: no seclake log type for logsource product: windows, category: process_creation (known: category dns, firewall, proxy, webserver; product aws (alb, cloudtrail, eventbridge, guardduty, route53, s3, vpcflow, waf), edgecast, imperva, juniper (firewall, ssr, webapp_secure), linux (auth, clamav, cron, guacamole, sshd, sudo, syslog, vsftpd))\n\
             {root}/trail_stopped.yml: ok (aws_cloudtrail)\n\
             1 of 3 rules compile\n"
        )
    );

    let good = format!("{root}/trail_stopped.yml");
    let out = seclake().args(["rules", "check", &good]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("{good}: ok (aws_cloudtrail)\n1 of 1 rules compile\n")
    );
}

#[test]
fn check_refuses_a_path_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing-here").display().to_string();
    let out = seclake()
        .args(["rules", "check", &missing])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!("seclake: error: {missing}: no such file or directory\n")
    );
    assert!(out.stdout.is_empty());
}
