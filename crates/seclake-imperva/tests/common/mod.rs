//! Events for the file tests; the files are built by
//! `seclake_imperva::build`, the way Imperva does.

#![allow(dead_code)]

pub use seclake_imperva::build::{Body, Customer};

/// A log file of `events`; see [`seclake_imperva::build::log_file`].
pub fn log_file(
    format: &str,
    events: &str,
    body: Body,
    customer: Option<&Customer>,
    checksum: Option<&str>,
) -> Vec<u8> {
    seclake_imperva::build::log_file(format, events.as_bytes(), body, customer, checksum)
}

pub const CEF_EVENTS: &str = "CEF:0|Incapsula|SIEMintegration|1|1|Normal|0| fileId=1001 sourceServiceName=shop.example.com siteid=42 suid=50005477 requestClientApplication=curl/8.0 deviceFacility=mia src=198.51.100.7 cn1=200 start=1705705619206 request=shop.example.com/cart requestMethod=GET act=REQ_PASSED cpt=51515\nCEF:0|Incapsula|SIEMintegration|1|1|SQL Injection|0| fileId=1002 sourceServiceName=shop.example.com siteid=42 src=203.0.113.9 cn1=403 start=1705705620000 request=shop.example.com/search qstr=q\\=1' or 1\\=1 act=REQ_BLOCKED cs9=SQL Injection cs9Label=Rule name\n";

pub const LEEF_EVENTS: &str = "LEEF:0|Incapsula|SIEMintegration|0|Normal| fileId=2001 sourceServiceName=shop.example.com siteid=42 src=198.51.100.8 cn1=200 start=1705705619300 url=shop.example.com/ requestMethod=GET cat=REQ_PASSED dst=192.0.2.10 dstPort=443 srcPort=50000\n";

pub const W3C_EVENTS: &str = "#Software: SIEMintegration\n#Version: 1.0\n#Fields: cs-sessionid c-ip cs(User-Agent) cs-start cs-uri sc-status sc-action s-computername cs-severity x-unknown\n\"3001\" 198.51.100.9 \"Mozilla/5.0 (X11; Linux x86_64)\" 1705705619400 shop.example.com/login 200 REQ_PASSED shop.example.com 0 extra-value\n\"3002\" 203.0.113.10 - 1705705619500 shop.example.com/admin 403 REQ_BLOCKED_ACL shop.example.com -1 -\n";
