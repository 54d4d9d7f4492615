//! A CloudTrail `{"Records":[...]}` file far larger than anything buffered
//! is parsed record by record: peak memory does not grow with its size.

use std::io::{self, Read};

use seclake_core::{LogType, Row, StandardFields, Timestamp};
use seclake_engine::{parse_stream, Options, Reject, RowSink, StreamName};

/// Streams `{"Records":[r,r,...]}` of about `total` bytes without holding it.
struct RecordsFile {
    total: u64,
    produced: u64,
    pending: Vec<u8>,
    pos: usize,
    n: u64,
    closed: bool,
}

impl RecordsFile {
    fn new(total: u64) -> Self {
        RecordsFile {
            total,
            produced: 0,
            pending: b"{\"Records\":[".to_vec(),
            pos: 0,
            n: 0,
            closed: false,
        }
    }

    fn refill(&mut self) {
        self.pending.clear();
        self.pos = 0;
        if self.produced >= self.total {
            if !self.closed {
                self.pending.extend_from_slice(b"]}\n");
                self.closed = true;
            }
            return;
        }
        if self.n > 0 {
            self.pending.push(b',');
        }
        self.n += 1;
        let record = format!(
            r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/u{n}","accountId":"123456789012"}},"eventTime":"2024-01-01T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1","sourceIPAddress":"10.0.{a}.{b}","requestParameters":{{"instanceType":"t3.micro","padding":"{pad}"}},"responseElements":null,"eventID":"{n}","eventType":"AwsApiCall","recipientAccountId":"123456789012"}}"#,
            n = self.n,
            a = self.n % 250,
            b = self.n % 200,
            pad = "p".repeat(400)
        );
        self.pending.extend_from_slice(record.as_bytes());
    }
}

impl Read for RecordsFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.pending.len() {
            self.refill();
        }
        let n = (self.pending.len() - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        self.produced += n as u64;
        Ok(n)
    }
}

#[derive(Default)]
struct Count {
    rows: u64,
    rejects: u64,
}

impl RowSink for Count {
    fn row(
        &mut self,
        _: &LogType,
        _: &Row<'_>,
        _: &StandardFields<'_>,
        _: Timestamp,
    ) -> io::Result<()> {
        self.rows += 1;
        Ok(())
    }
    fn reject(&mut self, r: &Reject<'_>) -> io::Result<()> {
        eprintln!("{}: {}", r.line, r.reason);
        self.rejects += 1;
        Ok(())
    }
}

fn vm_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_huge_records_file_streams_in_flat_memory() {
    let ct = seclake_registry::find("AWS.CloudTrail").unwrap();
    let size: u64 = 1 << 30;
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = vm_kb("VmRSS:");
    let mut sink = Count::default();
    let stats = parse_stream(
        RecordsFile::new(size),
        StreamName::same("huge.json"),
        &[ct],
        &Options::default(),
        &mut sink,
    )
    .unwrap();
    let peak = vm_kb("VmHWM:");
    assert_eq!(sink.rejects, 0);
    assert!(sink.rows > 1_000_000, "only {} rows", sink.rows);
    assert_eq!(stats.rows, sink.rows);
    assert!(stats.decoded_bytes >= size);
    // 1 GiB went through; the pipeline holds a few MB at most.
    if before > 0 {
        assert!(
            peak < before + 48 * 1024,
            "peak RSS grew from {before} kB to {peak} kB"
        );
    }
}
