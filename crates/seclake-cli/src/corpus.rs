//! Generated benchmark corpora: realistic, varied records of a log type,
//! streamed to a file so that generating 1 GB costs no memory.

use std::io::{self, Write};

/// A small deterministic generator (xorshift64*), so corpora are the same
/// on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn hex(&mut self, out: &mut String, digits: usize) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut v = self.next();
        for i in 0..digits {
            if i % 16 == 15 {
                v = self.next();
            }
            out.push(HEX[(v & 15) as usize] as char);
            v >>= 4;
        }
    }
}

/// The corpora the bench can generate: a log type, or a log type and a
/// shape (`AWS.CloudTrail.ndjson`: one record a line instead of a
/// `{"Records":[...]}` file; `AWS.VPCFlow.hours`: 10,000 lines, each in
/// another hour).
pub const GENERATED: &[&str] = &[
    "AWS.VPCFlow",
    "AWS.ALB",
    "AWS.CloudTrail",
    "AWS.CloudTrail.ndjson",
    "AWS.VPCFlow.hours",
    "Syslog.RFC5424",
    "Syslog.RFC3164",
    "Juniper.SSR",
    "CEF",
    "LEEF",
    "Imperva.CloudWAF",
    "Imperva.CloudWAF.file",
];

/// The log type of a corpus.
pub fn corpus_log_type(corpus: &str) -> &str {
    corpus
        .strip_suffix(".ndjson")
        .or_else(|| corpus.strip_suffix(".hours"))
        .or_else(|| corpus.strip_suffix(".file"))
        .unwrap_or(corpus)
}

/// Writes about `bytes` bytes of the corpus; returns the record count.
pub fn generate(corpus: &str, bytes: u64, out: &mut dyn Write) -> io::Result<u64> {
    let ndjson = corpus.ends_with(".ndjson");
    let hours = corpus.ends_with(".hours");
    let log_type = corpus_log_type(corpus);
    let mut rng = Rng::new(0x5ec1a4e);
    let mut written = 0u64;
    let mut records = 0u64;
    let mut line = String::with_capacity(4096);
    let base = 1_700_000_000u64;
    if log_type == "AWS.VPCFlow" {
        let header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n";
        out.write_all(header.as_bytes())?;
        written += header.len() as u64;
    }
    if log_type == "AWS.CloudTrail" && !ndjson {
        out.write_all(b"{\"Records\":[")?;
        written += 12;
    }
    // The spread corpus is one line in each of 10,000 hours, whatever the
    // size asked for: the point is the number of partitions, not volume.
    let cap = if hours { 10_000 } else { u64::MAX };
    while written < bytes && records < cap {
        line.clear();
        let t = if hours {
            base + (records % 10_000) * 3600
        } else {
            base + records / 50
        };
        match log_type {
            "AWS.VPCFlow" => vpc_flow(&mut rng, t, &mut line),
            "AWS.ALB" => alb(&mut rng, t, &mut line),
            "Syslog.RFC5424" => syslog_5424(&mut rng, t, &mut line),
            "Syslog.RFC3164" => syslog_3164(&mut rng, t, &mut line),
            "Juniper.SSR" => ssr(&mut rng, t, &mut line),
            "CEF" => cef(&mut rng, t, &mut line),
            "LEEF" => leef(&mut rng, t, &mut line),
            "Imperva.CloudWAF" => imperva(&mut rng, t, &mut line),
            "AWS.CloudTrail" => {
                if records > 0 && !ndjson {
                    line.push(',');
                }
                cloudtrail(&mut rng, t, &mut line);
                if ndjson {
                    line.push('\n');
                }
            }
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("no generator for {other}"),
                ))
            }
        }
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
        records += 1;
    }
    if log_type == "AWS.CloudTrail" && !ndjson {
        out.write_all(b"]}\n")?;
    }
    Ok(records)
}

fn ipv4(rng: &mut Rng, out: &mut String, prefix: &str) {
    use std::fmt::Write;
    let _ = write!(out, "{prefix}{}.{}", rng.below(256), rng.below(254) + 1);
}

/// `YYYY-MM-DDThh:mm:ss.fffZ` of second `t`, random milliseconds.
fn rfc3339_ms(rng: &mut Rng, t: u64, out: &mut String) {
    use std::fmt::Write;
    let (y, mo, d, h, mi, s, _) = seclake_core::Timestamp(t as i64 * 1_000_000).to_civil();
    let _ = write!(
        out,
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z",
        rng.below(1000)
    );
}

/// A Junos-style session record with structured data, as SRX firewalls
/// send them.
fn syslog_5424(rng: &mut Rng, t: u64, out: &mut String) {
    use std::fmt::Write;
    out.push_str("<14>1 ");
    rfc3339_ms(rng, t, out);
    let _ = write!(
        out,
        " srx-{} RT_FLOW - RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.129 source-address=\"",
        rng.below(20)
    );
    ipv4(rng, out, "10.0.");
    let _ = write!(
        out,
        "\" source-port=\"{}\" destination-address=\"",
        1024 + rng.below(60000)
    );
    ipv4(rng, out, "198.51.");
    let _ = writeln!(
        out,
        "\" destination-port=\"443\" service-name=\"junos-https\" nat-source-address=\"203.0.113.{}\" nat-source-port=\"{}\" protocol-id=\"6\" policy-name=\"allow-web\" source-zone-name=\"trust\" destination-zone-name=\"untrust\" session-id-32=\"{}\" username=\"N/A\" application=\"SSL\"] session created",
        rng.below(254) + 1,
        rng.below(65535),
        rng.below(1 << 30)
    );
}

/// An SSR SESSION_CREATE event, as the SSR documentation shows it.
fn ssr(rng: &mut Rng, t: u64, out: &mut String) {
    use std::fmt::Write;
    out.push_str("<134>1 ");
    rfc3339_ms(rng, t, out);
    let _ = write!(
        out,
        " node{}.router SSR 128 SESSION_CREATE [ssr@2636.1.0.0 session-id=\"{:08x}-ffff-4fff-8fff-{:012x}\" source-address=\"",
        rng.below(4),
        rng.below(1 << 32),
        rng.below(1 << 40)
    );
    ipv4(rng, out, "10.1.");
    let _ = write!(
        out,
        "\" source-port=\"{}\" destination-address=\"",
        1024 + rng.below(60000)
    );
    ipv4(rng, out, "198.51.");
    let _ = writeln!(
        out,
        "\" destination-port=\"443\" protocol-id=\"6\" protocol=\"tcp\" ingress-interface=\"lan-intf\" tenant=\"corp-lan\" service=\"web\" policy=\"-\" session-source=\"PUBLIC\" application=\"Facebook\" category=\"SocialMedia\" sub-category=\"SocialWeb-Facebook\" next-hop-type=\"PUBLIC\" next-hop-interface=\"wan-intf\" source-nat-address=\"203.0.113.{}\" source-nat-port=\"{}\" source-nat-protocol-id=\"6\" source-nat-protocol=\"tcp\" peer-name=\"-\" destination-nat-address=\"-\" destination-nat-port=\"-\" dscp=\"-\" time-to-live=\"60\"]",
        rng.below(254) + 1,
        rng.below(65535)
    );
}

/// A BSD syslog line from sshd.
fn syslog_3164(rng: &mut Rng, t: u64, out: &mut String) {
    use std::fmt::Write;
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (_, mo, d, h, mi, s, _) = seclake_core::Timestamp(t as i64 * 1_000_000).to_civil();
    let _ = write!(
        out,
        "<38>{} {d:2} {h:02}:{mi:02}:{s:02} host{} sshd[{}]: Accepted publickey for deploy from ",
        MONTHS[mo as usize - 1],
        rng.below(50),
        rng.below(60000)
    );
    ipv4(rng, out, "192.168.");
    let _ = writeln!(
        out,
        " port {} ssh2: ED25519 SHA256:{}",
        1024 + rng.below(60000),
        rng.below(1 << 40)
    );
}

fn vpc_flow(rng: &mut Rng, t: u64, out: &mut String) {
    use std::fmt::Write;
    // A flow log file covers a VPC's interfaces: a few hundred of them,
    // not a new one per line.
    out.push_str("2 123456789012 eni-");
    let mut eni = Rng::new(1 + rng.below(500));
    eni.hex(out, 17);
    out.push(' ');
    ipv4(rng, out, "10.0.");
    out.push(' ');
    ipv4(rng, out, "172.31.");
    let action = if rng.below(10) == 0 {
        "REJECT"
    } else {
        "ACCEPT"
    };
    let _ = writeln!(
        out,
        " {} {} 6 {} {} {} {} {action} OK",
        rng.below(64_000) + 1024,
        [443, 80, 22, 5432, 3306][rng.below(5) as usize],
        rng.below(500) + 1,
        rng.below(1_000_000) + 40,
        t,
        t + 60
    );
}

fn alb(rng: &mut Rng, t: u64, out: &mut String) {
    use std::fmt::Write;
    let ts = seclake_core::Timestamp::from_secs(t as i64).unwrap_or(seclake_core::Timestamp(0));
    let kind = ["http", "https", "h2"][rng.below(3) as usize];
    let _ = write!(
        out,
        "{kind} {}.{:06}Z app/my-loadbalancer/50dc6c495c0c9188 ",
        &ts.to_rfc3339()[..19],
        rng.below(1_000_000)
    );
    ipv4(rng, out, "192.168.");
    let _ = write!(out, ":{} ", rng.below(60_000) + 1024);
    ipv4(rng, out, "10.0.");
    let _ = write!(
        out,
        ":80 0.{:03} 0.{:03} 0.000 200 200 {} {} \"GET https://www.example.com:443/api/v1/items/{}?page={} HTTP/1.1\" \"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 \"Root=1-58337262-",
        rng.below(1000),
        rng.below(1000),
        rng.below(2000) + 100,
        rng.below(50_000) + 200,
        rng.below(100_000),
        rng.below(50)
    );
    rng.hex(out, 24);
    let _ = writeln!(
        out,
        "\" \"www.example.com\" \"arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012\" 0 {}.000000Z \"waf,forward\" \"-\" \"-\" \"10.0.0.1:80\" \"200\" \"-\" \"-\" TID_",
        &ts.to_rfc3339()[..19]
    );
    out.pop();
    rng.hex(out, 32);
    out.push('\n');
}

fn cloudtrail(rng: &mut Rng, t: u64, out: &mut String) {
    use std::fmt::Write;
    let ts = seclake_core::Timestamp::from_secs(t as i64)
        .unwrap_or(seclake_core::Timestamp(0))
        .to_rfc3339();
    let (source, name) = [
        ("ec2.amazonaws.com", "RunInstances"),
        ("s3.amazonaws.com", "GetObject"),
        ("iam.amazonaws.com", "CreateUser"),
        ("sts.amazonaws.com", "AssumeRole"),
    ][rng.below(4) as usize];
    let mut id = String::new();
    rng.hex(&mut id, 32);
    let mut inst = String::new();
    rng.hex(&mut inst, 17);
    let _ = write!(
        out,
        "{{\"eventVersion\":\"1.08\",\"userIdentity\":{{\"type\":\"AssumedRole\",\"principalId\":\"AROAEXAMPLE:alice\",\"arn\":\"arn:aws:sts::123456789012:assumed-role/Admin/alice\",\"accountId\":\"123456789012\",\"accessKeyId\":\"ASIAEXAMPLE{:09}\",\"sessionContext\":{{\"sessionIssuer\":{{\"type\":\"Role\",\"principalId\":\"AROAEXAMPLE\",\"arn\":\"arn:aws:iam::123456789012:role/Admin\",\"accountId\":\"123456789012\",\"userName\":\"Admin\"}},\"attributes\":{{\"creationDate\":\"{ts}\",\"mfaAuthenticated\":\"false\"}}}}}},\"eventTime\":\"{ts}\",\"eventSource\":\"{source}\",\"eventName\":\"{name}\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"",
        rng.below(1_000_000_000)
    );
    ipv4(rng, out, "203.0.");
    let _ = write!(
        out,
        "\",\"userAgent\":\"aws-cli/2.13.0 Python/3.11.4 Linux/5.15 exe/x86_64.amzn.2 prompt/off command/ec2.run-instances\",\"requestParameters\":{{\"instancesSet\":{{\"items\":[{{\"imageId\":\"ami-0abcdef1234567890\",\"minCount\":1,\"maxCount\":1}}]}},\"instanceType\":\"t3.micro\",\"tagSpecificationSet\":{{\"items\":[{{\"resourceType\":\"instance\",\"tags\":[{{\"key\":\"Name\",\"value\":\"web-{}\"}}]}}]}}}},\"responseElements\":{{\"instancesSet\":{{\"items\":[{{\"instanceId\":\"i-{inst}\",\"privateIpAddress\":\"",
        rng.below(100)
    );
    ipv4(rng, out, "10.1.");
    let _ = write!(
        out,
        "\"}}]}}}},\"requestID\":\"{}-{}\",\"eventID\":\"{}-{}\",\"readOnly\":false,\"eventType\":\"AwsApiCall\",\"managementEvent\":true,\"recipientAccountId\":\"123456789012\",\"eventCategory\":\"Management\",\"tlsDetails\":{{\"tlsVersion\":\"TLSv1.2\",\"cipherSuite\":\"ECDHE-RSA-AES128-GCM-SHA256\",\"clientProvidedHostHeader\":\"ec2.us-east-1.amazonaws.com\"}}}}",
        &id[..8],
        &id[8..20],
        &id[12..20],
        &id[20..]
    );
}

/// A firewall session event in CEF, bare (as VRL's `parse_cef` takes it).
fn cef(rng: &mut Rng, t: u64, out: &mut String) {
    use std::fmt::Write;
    let _ = write!(
        out,
        "CEF:0|Palo Alto Networks|PAN-OS|10.1.0|end|TRAFFIC|3|rt={} src=",
        t * 1000 + rng.below(1000)
    );
    ipv4(rng, out, "10.0.");
    out.push_str(" dst=");
    ipv4(rng, out, "198.51.");
    let _ = writeln!(
        out,
        " spt={} dpt=443 proto=TCP act=allow suser=corp\\\\user{} shost=ws-{}.corp.example.com dhost=api.example.com request=https://api.example.com/v1/items/{}?page\\={} requestMethod=GET in={} out={} cs1Label=Rule cs1=allow-web cs2Label=Source Zone cs2=trust cs3Label=Destination Zone cs3=untrust cn1Label=Session ID cn1={} deviceExternalId=0123456789 app=ssl msg=Session ended normally: tcp-fin",
        rng.below(60_000) + 1024,
        rng.below(500),
        rng.below(500),
        rng.below(100_000),
        rng.below(50),
        rng.below(100_000),
        rng.below(1_000_000),
        rng.below(1 << 30)
    );
}

/// A QRadar-style LEEF 1.0 event, tab-separated.
fn leef(rng: &mut Rng, t: u64, out: &mut String) {
    use std::fmt::Write;
    let _ = write!(
        out,
        "LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|devTime={}\tsrc=",
        t * 1000 + rng.below(1000)
    );
    ipv4(rng, out, "10.0.");
    out.push_str("\tdst=");
    ipv4(rng, out, "172.16.");
    let _ = writeln!(
        out,
        "\tsrcPort={}\tdstPort=25\tsev={}\tcat=anomaly\tusrName=user{}@corp.example.com\tproto=TCP\tidentHostName=mail{}.corp.example.com\tmsg=Message delivered to 3 recipients\tpolicy=default-inbound",
        rng.below(60_000) + 1024,
        rng.below(10),
        rng.below(5000),
        rng.below(20)
    );
}

/// An Imperva Cloud WAF access or security event in CEF.
fn imperva(rng: &mut Rng, t: u64, out: &mut String) {
    use std::fmt::Write;
    let attack = rng.below(8) == 0;
    let (name, severity) = if attack {
        ("SQL Injection", 0)
    } else {
        ("Normal", 0)
    };
    let _ = write!(
        out,
        "CEF:0|Incapsula|SIEMintegration|1|1|{name}|{severity}| fileId={} sourceServiceName=shop.example.com siteid=1509732 suid=50005477 requestClientApplication=Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 deviceFacility=mia cs2=true cs2Label=Javascript Support cs3=true cs3Label=CO Support src=",
        rng.below(1 << 40)
    );
    ipv4(rng, out, "198.51.");
    let _ = write!(
        out,
        " caIP=203.0.113.{} ccode=IL tag=www.example.com cn1={} in={} xff=",
        rng.below(254) + 1,
        if attack { 403 } else { 200 },
        rng.below(5000)
    );
    ipv4(rng, out, "10.2.");
    let _ = write!(
        out,
        " cs1=NOT_SUPPORTED cs1Label=Cap Support cs4={:08x}-0e8a-4dd8-b13b-3da246af3ab2 cs4Label=VID dproc=Browser cs6=Chrome cs6Label=clapp cicode=Rehovot cs7=31.8969 cs7Label=latitude cs8=34.8186 cs8Label=longitude Customer=shop start={} request=shop.example.com/items/{} requestMethod=GET qstr=p\\={} app=HTTPS act={} deviceExternalId={} cpt={} ver=TLSv1.3 TLS_AES_128_GCM_SHA256 end={}",
        rng.below(1 << 32),
        t * 1000,
        rng.below(100_000),
        rng.below(100),
        if attack { "REQ_BLOCKED" } else { "REQ_PASSED" },
        rng.below(1 << 50),
        rng.below(60_000) + 1024,
        t * 1000 + 150
    );
    if attack {
        out.push_str(
            " fileType=30037,1001, filePermission=2,1, cs9=SQL Injection, cs9Label=Rule name",
        );
    }
    out.push('\n');
}
