//! `seclake gaps` on a lake ingested from numbered deliveries: Imperva log
//! files named `1234_<seq>.log` built as Imperva builds them, and Edgecast
//! files in the three formats (JSON Lines and JSON Array numbered by their
//! name, JSON documents by their own `seq_num`). The gaps reported are
//! exactly the numbers left out, and the exit status says whether there
//! are any.

mod common;

use std::io::Write;
use std::path::Path;

use common::{ok, seclake, text};
use seclake_core::Timestamp;
use seclake_imperva::build::{log_file, Body};

/// An Imperva log file whose one event happened `now_ms`.
fn imperva_file(dir: &Path, seq: u32, now_ms: i64) {
    let event = format!(
        "CEF:0|Incapsula|SIEMintegration|1|1|Normal|0| fileId={seq} src=198.51.100.{seq} start={now_ms} request=shop.example.com/ act=REQ_PASSED\n"
    );
    let file = log_file("CEF", event.as_bytes(), Body::Zlib, None, None);
    std::fs::write(dir.join(format!("1234_{seq}.log")), file).unwrap();
}

fn gzip(dir: &Path, name: &str, body: &str) {
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(body.as_bytes()).unwrap();
    std::fs::write(dir.join(name), z.finish().unwrap()).unwrap();
}

fn edgecast_entry(seconds: i64, ip: &str) -> String {
    format!(
        r#"{{"timestamp":{seconds}.5,"client_ip":"{ip}","waf_profile_name":"Site 1","action_type":"BLOCK_REQUEST"}}"#
    )
}

fn edgecast_document(agent: &str, day: &str, seq: u32, entry: &str) -> String {
    format!(
        r#"{{"agent_id":"{agent}","seq_num":{seq},"service":"waf","account_number":"0001","profile_id":1337,"datestamp":"{day}","logs":[{entry}]}}"#
    )
}

fn ingest(lake: &str, dir: &Path) {
    ok(seclake()
        .args(["ingest", "--lake", lake])
        .arg(dir)
        .output()
        .unwrap());
}

fn gaps(lake: &str, format: &str) -> (Option<i32>, String, String) {
    let out = seclake()
        .args(["gaps", "--lake", lake, "--since", "7d", "--format", format])
        .output()
        .unwrap();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn gaps_lists_the_missing_imperva_and_edgecast_sequence_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let lake = tmp.path().join("lake");
    let lake = lake.to_str().unwrap();
    let now = Timestamp::now();
    let (now_ms, now_s) = (now.0 / 1000 - 3_600_000, now.0 / 1_000_000 - 3600);
    let day: String = now.to_rfc3339()[..10].replace('-', "");

    // Files 1 and 2 only: nothing is missing yet.
    let first = tmp.path().join("first");
    std::fs::create_dir(&first).unwrap();
    for seq in [1, 2] {
        imperva_file(&first, seq, now_ms);
    }
    ingest(lake, &first);
    let (code, out, _) = gaps(lake, "text");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with("no gaps since "), "{out}");

    // Then 4 and 7 (3, 5 and 6 lost); Edgecast agent A delivers 0 (JSON
    // Lines), 1 (JSON Array) and 3 (a JSON document), agent B only 1.
    let second = tmp.path().join("second");
    std::fs::create_dir(&second).unwrap();
    for seq in [4, 7] {
        imperva_file(&second, seq, now_ms);
    }
    let a = |seq: u32, format: &str| format!("rtld-waf_0001_1337_{day}_AGENTA_{seq}.{format}.gz");
    let entry = |n: i64| edgecast_entry(now_s + n, &format!("203.0.113.{n}"));
    gzip(
        &second,
        &a(0, "json_lines"),
        &format!("{}\n{}\n", entry(1), entry(2)),
    );
    gzip(&second, &a(1, "json_array"), &format!("[{}]", entry(3)));
    gzip(
        &second,
        &a(3, "json"),
        &edgecast_document("AGENTA", &day, 3, &entry(4)),
    );
    gzip(
        &second,
        "agent-b.json.gz",
        &edgecast_document("AGENTB", &day, 1, &entry(5)),
    );
    // A day before the window is not looked at, whatever its events' times.
    gzip(
        &second,
        "agent-c.json.gz",
        &edgecast_document("AGENTC", "20200101", 5, &entry(6)),
    );
    ingest(lake, &second);

    let (code, out, err) = gaps(lake, "json");
    assert_eq!(code, Some(3), "{out}{err}");
    let got: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let gap = |source: &str, key: &str, from: i64, to: i64| serde_json::json!({"source": source, "key": key, "from": from, "to": to, "count": to - from + 1});
    assert_eq!(
        got,
        [
            gap("Imperva.CloudWAF", "1234", 3, 3),
            gap("Imperva.CloudWAF", "1234", 5, 6),
            gap("Edgecast.WAF", &format!("AGENTA/{day}"), 2, 2),
            gap("Edgecast.WAF", &format!("AGENTB/{day}"), 0, 0),
        ]
    );
    assert!(
        err.starts_with("4 gaps, 5 sequence numbers missing since "),
        "{err}"
    );

    let (code, out, _) = gaps(lake, "text");
    assert_eq!(code, Some(3));
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0], ["SOURCE", "KEY", "FROM", "TO", "MISSING"]);
    assert_eq!(lines[1], ["Imperva.CloudWAF", "1234", "3", "3", "1"]);
    assert_eq!(lines[2], ["Imperva.CloudWAF", "1234", "5", "6", "2"]);
    let agent_a = format!("AGENTA/{day}");
    assert_eq!(lines[3], ["Edgecast.WAF", agent_a.as_str(), "2", "2", "1"]);
    assert!(out.contains("4 gaps, 5 sequence numbers missing"), "{out}");

    // The rows carry the numbers the gaps were computed from.
    let rows = text(
        &ok(seclake()
            .args(["query", "--lake", lake, "--format", "csv"])
            .arg("SELECT agent_id, seq_num, datestamp FROM edgecast_waf ORDER BY seq_num, agent_id")
            .output()
            .unwrap())
        .stdout,
    );
    let want = format!(
        "agent_id,seq_num,datestamp\nAGENTA,0,{day}\nAGENTA,0,{day}\nAGENTA,1,{day}\nAGENTB,1,{day}\nAGENTA,3,{day}\nAGENTC,5,20200101\n"
    );
    assert_eq!(rows, want);
}

#[test]
fn a_lake_without_numbered_tables_has_no_gaps() {
    let tmp = tempfile::tempdir().unwrap();
    let lake = tmp.path().join("lake");
    let lake = lake.to_str().unwrap();
    let dir = tmp.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    // Imperva events forwarded by syslog: no file name, no sequence.
    std::fs::write(
        dir.join("forwarded.log"),
        "CEF:0|Incapsula|SIEMintegration|1|1|Normal|0| fileId=1 src=198.51.100.1 start=1453290121336 act=REQ_PASSED\n",
    )
    .unwrap();
    ingest(lake, &dir);
    let (code, out, err) = gaps(lake, "json");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "");
    assert!(err.starts_with("no gaps since "), "{err}");
}
