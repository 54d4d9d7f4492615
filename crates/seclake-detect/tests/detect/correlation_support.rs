//! What the correlation tests share: the fixture correlations
//! (`tests/correlations`), compiled with edits; CloudTrail records made
//! to order; and a temporary lake to write them to and correlate over.

use std::collections::HashMap;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_schema::DataType;
use seclake_core::{RowIdentity, StandardFields, Timestamp};
use seclake_detect::alert_log::append_table;
use seclake_detect::correlation::{AlertCorrelation, Correlated, Group, Op, RuleSet};
use seclake_detect::scheduled::{Evaluator, Window};
use seclake_detect::{load_dir_documents, Correlation, Document};
use seclake_engine::batch::TableBatch;

pub const BRUTE_FORCE: &str = "Console sign-in failures for one user";
pub const SPRAWL: &str = "Bucket listing from many addresses";
pub const ORDERED: &str = "Reconnaissance, then the trail stopped";
pub const TEMPORAL: &str = "Reconnaissance and the trail stopped";
pub const ALIASED: &str = "Access key created for a user who just listed the buckets";

pub fn fixtures() -> Vec<Document> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/correlations"));
    load_dir_documents(dir)
        .into_iter()
        .map(|(path, d)| d.unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

/// The fixture correlation titled `title`, with `edit` applied to its
/// YAML-loaded form, compiled against the fixture rules.
pub fn correlation(title: &str, edit: impl FnOnce(&mut Correlation)) -> AlertCorrelation {
    let docs = fixtures();
    let mut c = docs
        .iter()
        .find_map(|d| match d {
            Document::Correlation(c) if c.title == title => Some(c.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no correlation {title}"));
    edit(&mut c);
    AlertCorrelation::new(RuleSet::new(&docs).compile(&c).unwrap()).unwrap()
}

pub fn at(hm: &str) -> Timestamp {
    Timestamp::parse_rfc3339(&format!("2024-03-01T{hm}:00Z")).unwrap()
}

pub fn window(since: &str, until: &str) -> Window {
    Window {
        since: at(since),
        until: at(until),
    }
}

/// A CloudTrail record: `id` at `hm` (on 2024-03-01), `name` called by
/// `user` from `ip`, with `extra` JSON members.
pub fn event(id: &str, hm: &str, name: &str, user: &str, ip: &str, extra: &str) -> String {
    let source = match name {
        "ConsoleLogin" => "signin",
        "ListBuckets" => "s3",
        "CreateAccessKey" => "iam",
        _ => "cloudtrail",
    };
    format!(
        r#"{{"eventVersion":"1.09","eventTime":"2024-03-01T{hm}:00Z","eventSource":"{source}.amazonaws.com","eventName":"{name}","awsRegion":"us-east-1","eventID":"{id}","recipientAccountId":"111122223333","userIdentity":{{"type":"IAMUser","principalId":"AIDA{user}","arn":"arn:aws:iam::111122223333:user/{user}","accountId":"111122223333","userName":"{user}"}},"sourceIPAddress":"{ip}","userAgent":"aws-cli/2.15.0","eventType":"AwsApiCall"{extra}}}"#
    )
}

/// A failed console sign-in.
pub fn failure(id: &str, hm: &str, user: &str, ip: &str) -> String {
    let extra = r#","responseElements":{"ConsoleLogin":"Failure"}"#;
    event(id, hm, "ConsoleLogin", user, ip, extra)
}

/// A lake with `events` in its `aws_cloudtrail` table.
pub struct TestLake {
    _dir: tempfile::TempDir,
    pub lake: seclake_lake::Lake,
    pub uri: String,
}

impl TestLake {
    pub async fn new() -> TestLake {
        let dir = tempfile::tempdir().unwrap();
        let uri = dir.path().to_str().unwrap().to_string();
        let lake = seclake_lake::Lake::open(&uri).unwrap();
        TestLake {
            _dir: dir,
            lake,
            uri,
        }
    }

    /// Appends `events` as one input named `object` (its row ids are
    /// fixed by the name and the line: writing it again duplicates rows,
    /// as a redelivery before compaction does).
    pub async fn write(&self, object: &str, events: &[String]) {
        let lt = seclake_registry::find("AWS.CloudTrail").unwrap();
        let mut table = TableBatch::new(&lt.schema);
        for (i, line) in events.iter().enumerate() {
            let row = seclake_core::testing::parse(&lt.def, line).unwrap();
            let mut row_id = [0u8; 32];
            RowIdentity {
                source_id: "",
                object,
                offset: i as u64,
                index: 0,
            }
            .row_id(&mut row_id);
            let std = StandardFields {
                log_type: lt.name(),
                row_id,
                parse_time: Timestamp(0),
                source_id: None,
                source_label: None,
            };
            table.append(&row, &std, row.event_time.unwrap());
        }
        let batch = table.finish().unwrap();
        append_table(&self.lake, "aws_cloudtrail", &batch.schema(), &[batch])
            .await
            .unwrap();
    }

    pub async fn with(events: &[String]) -> TestLake {
        let lake = TestLake::new().await;
        lake.write("events.jsonl", events).await;
        lake
    }

    pub async fn eval(&self) -> Evaluator {
        Evaluator::open(&self.uri).await.unwrap()
    }

    /// `p_row_id` by `eventID`.
    pub async fn row_ids(&self) -> HashMap<String, String> {
        let sql = "SELECT eventID, CAST(p_row_id AS VARCHAR) FROM aws_cloudtrail";
        let df = self.eval().await.engine().plan(sql).await.unwrap();
        let mut out = HashMap::new();
        for b in df.collect().await.unwrap() {
            let ids = arrow_cast::cast(b.column(0), &DataType::Utf8).unwrap();
            let rows = arrow_cast::cast(b.column(1), &DataType::Utf8).unwrap();
            for (id, row) in ids.as_string::<i32>().iter().zip(rows.as_string::<i32>()) {
                out.insert(id.unwrap().to_string(), row.unwrap().to_string());
            }
        }
        out
    }

    pub async fn groups(&self, c: &AlertCorrelation, w: Window) -> Vec<Group> {
        match self.eval().await.correlate(&c.compiled, &w).await.unwrap() {
            Correlated::Groups(g) => g,
            Correlated::NoTable => panic!("no table"),
        }
    }
}

/// Each group as `bucket start, values, count`.
pub fn summary(groups: &[Group]) -> Vec<(String, Vec<String>, i64)> {
    groups
        .iter()
        .map(|g| {
            let start = g.bucket.since.to_rfc3339()[11..16].to_string();
            let values = g.values.iter().map(|(f, v)| format!("{f}={v}")).collect();
            (start, values, g.count)
        })
        .collect()
}

pub fn fired(start: &str, values: &[&str], count: i64) -> (String, Vec<String>, i64) {
    let values = values.iter().map(|v| v.to_string()).collect();
    (start.to_string(), values, count)
}

pub fn alice_and_bob_failures() -> Vec<String> {
    vec![
        failure("a1", "05:05", "alice", "203.0.113.1"),
        failure("b1", "05:10", "bob", "198.51.100.9"),
        failure("a2", "05:20", "alice", "203.0.113.2"),
        failure("b2", "05:30", "bob", "198.51.100.9"),
        failure("a3", "05:40", "alice", "203.0.113.1"),
        // A success is not a failure.
        event("a4", "05:45", "ConsoleLogin", "alice", "203.0.113.1", ""),
    ]
}

pub fn ops(tests: &[(&str, i64)]) -> Vec<(Op, i64)> {
    tests
        .iter()
        .map(|(name, n)| {
            (
                Op::ALL.into_iter().find(|o| o.as_str() == *name).unwrap(),
                *n,
            )
        })
        .collect()
}
