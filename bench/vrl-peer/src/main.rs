//! `vrl-peer <vpc|alb|syslog|cef> <FILE>`: runs VRL's `parse_aws_vpc_flow_log`,
//! `parse_aws_alb_log`, `parse_syslog` or `parse_cef` on every line of FILE, the way Vector's `remap`
//! transform would, and prints one line of JSON with what it measured:
//!
//! ```text
//! {"events": N, "errors": E, "bytes": INPUT_BYTES, "secs": S, "cpu": C, "rss": BYTES, "json_bytes": J}
//! ```
//!
//! - `events`: lines the program parsed; `errors`: lines it failed on
//!   (blank lines are neither);
//! - `bytes`: the size of FILE;
//! - `secs`: wall time of the loop that reads, parses and serializes;
//! - `cpu`: user + system CPU seconds the process spent in that loop;
//! - `rss`: peak resident set size in bytes (VmHWM), reset right before
//!   the loop, so the compiled program and the runtime count but not what
//!   was freed before;
//! - `json_bytes`: the total size of the results serialized as JSON.
//!
//! `seclake bench --mode parse` runs it on its generated corpus and prints
//! the numbers beside seclake's own.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::process::ExitCode;
use std::time::Instant;

use vrl::compiler::runtime::{Runtime, Terminate};
use vrl::compiler::{Program, TargetValue, TimeZone};
use vrl::diagnostic::Formatter;
use vrl::value::{ObjectMap, Secrets, Value};

const USAGE: &str = "usage: vrl-peer <vpc|alb|syslog|cef> <FILE>";

/// Which of VRL's parsers to measure.
#[derive(Clone, Copy, Debug)]
enum Parser {
    /// `parse_aws_vpc_flow_log`, with the file's header as its format.
    Vpc,
    /// `parse_aws_alb_log`, in its default (strict) mode.
    Alb,
    /// `parse_syslog` (RFC 5424 and RFC 3164).
    Syslog,
    /// `parse_cef` (a syslog header before `CEF:` is skipped).
    Cef,
}

/// What one run measured; printed as the report line.
#[derive(Debug, Default)]
struct Report {
    events: u64,
    errors: u64,
    bytes: u64,
    secs: f64,
    cpu: f64,
    rss: u64,
    json_bytes: u64,
}

impl Report {
    /// The report as one line of JSON, keys in the documented order.
    fn to_json(&self) -> String {
        // Every value is a finite number, so plain formatting is valid JSON.
        format!(
            r#"{{"events": {}, "errors": {}, "bytes": {}, "secs": {}, "cpu": {}, "rss": {}, "json_bytes": {}}}"#,
            self.events, self.errors, self.bytes, self.secs, self.cpu, self.rss, self.json_bytes
        )
    }
}

/// Why a run could not be made, with the exit status for it.
enum Failure {
    Usage(String),
    Io(String),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(report) => {
            println!("{}", report.to_json());
            ExitCode::SUCCESS
        }
        Err(Failure::Usage(msg)) => {
            eprintln!("vrl-peer: {msg}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Io(msg)) => {
            eprintln!("vrl-peer: {msg}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &[String]) -> Result<Report, Failure> {
    let [kind, path] = args else {
        return Err(Failure::Usage("expected two arguments".into()));
    };
    let parser = match kind.as_str() {
        "vpc" => Parser::Vpc,
        "alb" => Parser::Alb,
        "syslog" => Parser::Syslog,
        "cef" => Parser::Cef,
        other => return Err(Failure::Usage(format!("unknown parser `{other}`"))),
    };

    let io_err = |e: std::io::Error| Failure::Io(format!("{path}: {e}"));
    let file = File::open(path).map_err(io_err)?;
    let bytes = file.metadata().map_err(io_err)?.len();
    let mut reader = BufReader::with_capacity(1 << 16, file);

    // The first line decides the VPC Flow format: a header names the
    // fields, otherwise the line is a record in the default format and is
    // parsed in the loop like every other.
    let mut first = Vec::new();
    reader.read_until(b'\n', &mut first).map_err(io_err)?;
    let mut format = None;
    if matches!(parser, Parser::Vpc) && first.starts_with(b"version") {
        format = Some(vpc_format(trim_eol(&first))?);
        first.clear();
    }

    let source = vrl_source(parser, format.as_deref());
    let program = compile(&source)?;

    let mut report = Report {
        bytes,
        ..Report::default()
    };
    // Vector's remap keeps one runtime per transform and clears it after
    // each event; the timezone is its default, the system's local one.
    let mut runtime = Runtime::default();
    let timezone = TimeZone::default();
    let mut line = first;

    reset_peak_rss();
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    loop {
        // `line` holds the first record still unparsed, or nothing.
        if line.is_empty() && reader.read_until(b'\n', &mut line).map_err(io_err)? == 0 {
            break;
        }
        let record = trim_eol(&line);
        if !record.is_empty() {
            match remap(&mut runtime, &program, &timezone, record) {
                Ok(event) => {
                    // Serialized as a sink would, then dropped; the running
                    // total keeps the work from being optimized away.
                    match serde_json::to_vec(&event) {
                        Ok(json) => {
                            report.json_bytes += json.len() as u64;
                            report.events += 1;
                        }
                        Err(_) => report.errors += 1,
                    }
                }
                Err(err) => {
                    // The first failure is shown, to tell a line shape VRL
                    // rejects from a broken file; the count says the rest.
                    if report.errors == 0 {
                        eprintln!("vrl-peer: first error, record {}: {err}", report.events + 1);
                    }
                    report.errors += 1;
                }
            }
        }
        line.clear();
    }
    report.secs = started.elapsed().as_secs_f64();
    report.cpu = cpu_seconds() - cpu_before;
    report.rss = peak_rss();
    Ok(report)
}

/// Runs `program` on an event made of `record`, as Vector's remap
/// transform does, and returns the event as the program left it.
fn remap(
    runtime: &mut Runtime,
    program: &Program,
    timezone: &TimeZone,
    record: &[u8],
) -> Result<Value, Terminate> {
    // The event as a source would hand it over: `.message` only.
    let mut event = ObjectMap::new();
    event.insert("message".into(), Value::from(record));
    let mut target = TargetValue {
        value: Value::Object(event),
        metadata: Value::Object(ObjectMap::new()),
        secrets: Secrets::default(),
    };
    let result = runtime.resolve(&mut target, program, timezone);
    // The runtime holds the program's variables; Vector clears it after
    // every event.
    runtime.clear();
    result.map(|_| target.value)
}

/// The one VRL program run on every event.
fn vrl_source(parser: Parser, format: Option<&str>) -> String {
    match (parser, format) {
        (Parser::Vpc, None) => ". = parse_aws_vpc_flow_log!(.message)".to_owned(),
        (Parser::Vpc, Some(f)) => format!(". = parse_aws_vpc_flow_log!(.message, format: \"{f}\")"),
        (Parser::Alb, _) => ". = parse_aws_alb_log!(.message)".to_owned(),
        (Parser::Syslog, _) => ". = parse_syslog!(.message)".to_owned(),
        (Parser::Cef, _) => ". = parse_cef!(.message)".to_owned(),
    }
}

/// Compiles `source` with VRL's standard library, or says why it did not.
fn compile(source: &str) -> Result<Program, Failure> {
    let functions = vrl::stdlib::all();
    match vrl::compiler::compile(source, &functions) {
        Ok(result) => Ok(result.program),
        Err(diagnostics) => Err(Failure::Usage(format!(
            "the VRL program does not compile:\n{}",
            Formatter::new(source, diagnostics)
        ))),
    }
}

/// VRL's `format` argument from a VPC Flow header line.
///
/// AWS writes the field names with hyphens (`account-id`, `log-status`);
/// VRL knows them with underscores (`account_id`, `log_status`) and splits
/// its format on single spaces.
fn vpc_format(header: &[u8]) -> Result<String, Failure> {
    let header = std::str::from_utf8(header)
        .map_err(|_| Failure::Usage("the VPC Flow header is not UTF-8".into()))?;
    let mut fields = Vec::new();
    for name in header.split_whitespace() {
        // Field names only: anything else could not be put into the VRL
        // string literal unescaped, and is no VPC Flow field anyway.
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Failure::Usage(format!(
                "`{name}` in the header is not a VPC Flow field name"
            )));
        }
        fields.push(name.replace('-', "_"));
    }
    Ok(fields.join(" "))
}

/// `line` without its trailing newline (`\n` or `\r\n`).
fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// User plus system CPU seconds of this process so far (all threads).
fn cpu_seconds() -> f64 {
    // /proc/self/stat fields 14 and 15 (utime, stime), in clock ticks of
    // 1/100 s on Linux; counted after the `)` closing the command name,
    // which may itself contain spaces.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Resets this process's peak RSS (VmHWM) to its current RSS.
fn reset_peak_rss() {
    // Linux only; elsewhere the peak is since the start of the process.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// VmHWM of this process, in bytes (0 where /proc is not available).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_becomes_vrl_format() {
        let header = b"version account-id interface-id srcaddr log-status";
        assert_eq!(
            vpc_format(header).ok().as_deref(),
            Some("version account_id interface_id srcaddr log_status")
        );
        assert!(vpc_format(b"version \"x").is_err());
    }

    #[test]
    fn programs_compile() {
        for (parser, format) in [
            (Parser::Vpc, None),
            (Parser::Vpc, Some("version srcaddr log_status")),
            (Parser::Alb, None),
        ] {
            assert!(compile(&vrl_source(parser, format)).is_ok());
        }
    }

    /// Runs the program for `parser` on one record.
    fn parse(parser: Parser, format: Option<&str>, record: &str) -> Result<Value, Terminate> {
        let program = compile(&vrl_source(parser, format)).ok().expect("compiles");
        let mut runtime = Runtime::default();
        remap(
            &mut runtime,
            &program,
            &TimeZone::default(),
            record.as_bytes(),
        )
    }

    #[test]
    fn vpc_with_and_without_header() {
        let record = "2 123456789012 eni-0a1b2c3d4e5f6a7b8 10.0.3.4 172.31.9.12 49761 443 6 20 4249 1700000000 1700000060 ACCEPT OK";
        let header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";
        let format = vpc_format(header.as_bytes()).ok().expect("a header");
        let with = parse(Parser::Vpc, Some(&format), record).expect("parses");
        let without = parse(Parser::Vpc, None, record).expect("parses");
        assert_eq!(with, without);
        let json = serde_json::to_value(&with).expect("serializes");
        assert_eq!(json["account_id"], "123456789012");
        assert_eq!(json["dstport"], 443);
        assert_eq!(json["log_status"], "OK");
        assert!(json.get("message").is_none());
        // A custom format with fewer fields rejects the 14-field record.
        assert!(parse(Parser::Vpc, Some("version srcaddr"), record).is_err());
    }

    #[test]
    fn alb() {
        let record = r#"https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_dc57cebed65b444ebc8177bb698fe166"#;
        let json = serde_json::to_value(parse(Parser::Alb, None, record).expect("parses"))
            .expect("serializes");
        assert_eq!(json["request_method"], "GET");
        assert_eq!(json["sent_bytes"], 57);
        assert_eq!(
            json["traceability_id"],
            "TID_dc57cebed65b444ebc8177bb698fe166"
        );
        // Records from before the target port and classification fields
        // were added end after `error_reason`; VRL rejects them.
        let old = record.split(r#" "10.0.0.1:80""#).next().expect("a prefix");
        assert!(parse(Parser::Alb, None, old).is_err());
    }

    #[test]
    fn line_endings() {
        assert_eq!(trim_eol(b"a b\r\n"), b"a b");
        assert_eq!(trim_eol(b"a b\n"), b"a b");
        assert_eq!(trim_eol(b"a b"), b"a b");
    }
}
