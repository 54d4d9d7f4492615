//! Juniper.Security: WebApp Secure's security alerts (`mws-security-alert`):
//! `Sep 30 14:01:12 wasp01 [INFO][mws-security-alert][traffic-info]
//! MKS_Category="Security Incident" MKS_Type="Directory Traversal" ...`.
//! The `MKS_Key="value"` pairs (backslash escapes inside values) map to the
//! columns by key, whatever the category: Security Incident, New Profile,
//! New Counter Response. Dates are `YYYY-MM-DD HH:MM:SS.f` in UTC and the
//! literal `null` means absent. A key that is not a column is left out,
//! not a reason to lose the row.

use std::borrow::Cow;

use seclake_core::time::parse_i64;
use seclake_core::{
    columns, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature, Timestamp,
    Value,
};

use crate::prefix;

columns! {
    Timestamp = "timestamp", "timestamp", required, [], "Log entry timestamp";
    Hostname = "hostname", "string", required, [Host], "The hostname of the appliance";
    LogLevel = "log_level", "string", optional, [], "The importance level of a log entry. Can be TRACE, DEBUG, INFO, WARN, or ERROR.";
    Service = "service", "string", optional, [], "The WebApp Secure service that triggered the security log entry.";
    Category = "category", "string", optional, [], "Log entry category";
    ProfileId = "profile_id", "string", optional, [], "The numerical ID assigned to the Profile that caused the security alert, or the profile ID that received a Response.";
    ProfileName = "profile_name", "string", optional, [], "The friendly name assigned to the Profile that caused the security alert, or the Profile that received a Response.";
    Pubkey = "pubkey", "string", optional, [], "The Public ID that can be used in conjunction with the Support_Processor to unblock Profiles.";
    Incident = "incident", "string", optional, [], "The name of the incident that triggered this security alert.";
    Severity = "severity", "smallint", optional, [], "The numerical severity of the incident that triggered this security alert. This can be a number from 0 to 4, inclusive.";
    SourceIp = "source_ip", "string", optional, [Ip], "The IP the request that generated this alert originated from.";
    UserAgent = "user_agent", "string", optional, [], "The client's user agent string that generated this alert.";
    Url = "url", "string", optional, [Url], "The request URL that generated this alert.";
    Count = "count", "int", optional, [], "The number of times the profile triggered this incident. This is used for certain incidents to decide whether or not to elevate the severity.";
    FakeResponse = "fake_response", "boolean", optional, [], "Whether or not (true or false) the response sent back to the client was a fake one created by WebApp Secure.";
    ResponseCode = "response_code", "string", optional, [], "The numerical code for the response issued.";
    ResponseName = "response_name", "string", optional, [], "The friendly name for the response issued on the profile indicated in the alert.";
    CreatedDate = "created_date", "timestamp", optional, [], "The date and time the response was created.";
    DelayDate = "delay_date", "timestamp", optional, [], "The date and time the response is set to be delayed until.";
    ExpirationDate = "expiration_date", "timestamp", optional, [], "The date and time the response is set to expire.";
    ResponseConfig = "response_config", "string", optional, [], "The configuration used in this response. Displayed as an XML-like node.";
    SilentRunning = "silent_running", "boolean", optional, [], "Whether or not this Counter Response was set to be silent with the Silent Running service at the time of activation.";
    SenderIp = seclake_core::parser::SENDER_COLUMN, "string", optional, [Ip], seclake_core::parser::SENDER_DESCRIPTION;
}

pub const DEF: LogTypeDef = LogTypeDef {
    name: "Juniper.Security",
    description: "Juniper WebApp Secure security alerts: incidents, new profiles and counter responses.",
    reference: "https://www.juniper.net/documentation/en_US/webapp5.6/topics/reference/w-a-s-log-format.html",
    columns: COLUMNS,
    signature: Signature::Any,
    event_time: Some("timestamp"),
    examples: &[
        "Sep 30 14:01:12 wasp01 [INFO][mws-security-alert][traffic-info] MKS_Category=\"Security Incident\" MKS_Type=\"Directory Traversal\" MKS_Severity=\"3\" MKS_ProfileName=\"Carol 1204\" MKS_SrcIP=\"203.0.113.9\" MKS_pubkey=\"Qm9yZWFsaXNFeGFtcGxl\" MKS_useragent=\"curl/8.4.0\" MKS_url=\"http://shop.example.org:80/../../etc/passwd\" MKS_count=\"2\" MKS_fakeresponse=\"false\"",
        "Sep 30 14:01:12 wasp01 [INFO][mws-security-alert][traffic-info] MKS_Category=\"New Profile\" MKS_ProfileId=\"9021\" MKS_ProfileName=\"Carol 1204\" MKS_PubKey=\"Qm9yZWFsaXNFeGFtcGxl\"",
        "Sep 30 14:02:40 wasp01 [INFO][mws-security-alert][auto-response] MKS_Category=\"New Counter Response\" MKS_ResponseCode=\"BL\" MKS_ResponseName=\"Block User\" MKS_ProfileId=\"9021\" MKS_ProfileName=\"Carol 1204\" MKS_ResponseCreated=\"2025-09-30 14:02:39.0\" MKS_ResponseDelayed=\"2025-09-30 14:02:39.0\" MKS_ResponseExpires=\"null\" MKS_ResponseConfig=\"<config />\" MKS_SilentRunning=\"false\"",
    ],
    new_parser: || Box::new(SecurityParser),
    sigma: seclake_core::SigmaDef::NONE,
};

const SERVICE: &str = "[mws-security-alert]";

struct SecurityParser;

impl RecordParser for SecurityParser {
    fn parse<'a>(
        &mut self,
        line: &'a str,
        ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        if !line.contains(SERVICE) {
            return Err(ParseError::mismatch(
                "not a security alert: no [mws-security-alert]",
            ));
        }
        let Some(prefix) = prefix::parse(line, ctx) else {
            return Err(ParseError::mismatch("no Mmm d hh:mm:ss time at the start"));
        };
        let (t, host, rest) = prefix?;
        prefix::set(row, t, host);
        let (level, service, rest) = prefix::tags(rest, SERVICE).unwrap_or((None, None, rest));
        row.set(C::LogLevel, level.map_or(Value::Null, Value::str));
        row.set(C::Service, service.map_or(Value::Null, Value::dash_null));
        let mut pairs = rest.trim_start();
        while !pairs.is_empty() {
            let Some(eq) = pairs.find("=\"") else {
                return Err(
                    ParseError::invalid("security alert: expected MKS_Key=\"value\"")
                        .with_detail(pairs.chars().take(40).collect::<String>()),
                );
            };
            let key = pairs[..eq].trim();
            let (value, after) = quoted(&pairs[eq + 2..])?;
            set(row, key, value)?;
            pairs = after.trim_start();
        }
        Ok(Parsed::Row)
    }
}

/// A value after its opening quote (backslash escapes undone) and the text
/// after the closing quote.
fn quoted(s: &str) -> Result<(Cow<'_, str>, &str), ParseError> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => {
                let raw = &s[..i];
                let v = if raw.contains('\\') {
                    let mut out = String::with_capacity(raw.len());
                    let mut chars = raw.chars();
                    while let Some(c) = chars.next() {
                        match c {
                            '\\' => out.extend(chars.next()),
                            c => out.push(c),
                        }
                    }
                    Cow::Owned(out)
                } else {
                    Cow::Borrowed(raw)
                };
                return Ok((v, &s[i + 1..]));
            }
            _ => i += 1,
        }
    }
    Err(ParseError::invalid("security alert: unterminated value"))
}

fn set<'a>(row: &mut Row<'a>, key: &str, v: Cow<'a, str>) -> Result<(), ParseError> {
    let Some(name) = key.strip_prefix("MKS_") else {
        return Ok(());
    };
    let c = match name.to_ascii_lowercase().as_str() {
        "category" => C::Category,
        "type" => C::Incident,
        "severity" => C::Severity,
        "profileid" => C::ProfileId,
        "profilename" => C::ProfileName,
        "pubkey" => C::Pubkey,
        "srcip" => C::SourceIp,
        "useragent" => C::UserAgent,
        "url" => C::Url,
        "count" => C::Count,
        "fakeresponse" => C::FakeResponse,
        "responsecode" => C::ResponseCode,
        "responsename" => C::ResponseName,
        "responsecreated" => C::CreatedDate,
        "responsedelayed" => C::DelayDate,
        "responseexpires" => C::ExpirationDate,
        "responseconfig" => C::ResponseConfig,
        "silentrunning" => C::SilentRunning,
        _ => return Ok(()),
    };
    if v.is_empty() || v == "null" {
        return Ok(());
    }
    let value = match COLUMNS[c as usize].ty {
        "smallint" | "int" => parse_i64(&v)
            .map(Value::Int)
            .ok_or_else(|| ParseError::field(key, "not an integer", &v))?,
        "boolean" => match v.as_ref() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(ParseError::field(key, "expected true or false", &v)),
        },
        "timestamp" => Timestamp::parse_rfc3339(&format!("{}Z", v.replacen(' ', "T", 1)))
            .map(Value::Time)
            .ok_or_else(|| ParseError::field(key, "expected YYYY-MM-DD HH:MM:SS", &v))?,
        _ => Value::Str(v),
    };
    row.set(c, value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use seclake_core::testing::{indicators, parse};
    use seclake_core::Indicator;

    #[test]
    fn an_incident() {
        let row = parse(&DEF, DEF.examples[0]).unwrap();
        assert_eq!(row.get(C::LogLevel), &Value::str("INFO"));
        assert_eq!(row.get(C::Service), &Value::str("traffic-info"));
        assert_eq!(row.get(C::Category), &Value::str("Security Incident"));
        assert_eq!(row.get(C::Incident), &Value::str("Directory Traversal"));
        assert_eq!(row.get(C::Severity), &Value::Int(3));
        assert_eq!(row.get(C::FakeResponse), &Value::Bool(false));
        assert_eq!(row.get(C::Count), &Value::Int(2));
        assert_eq!(indicators(&row, Indicator::IpAddress), vec!["203.0.113.9"]);
        // The URL's host, and the appliance's.
        assert_eq!(
            indicators(&row, Indicator::DomainName),
            vec!["shop.example.org", "wasp01"]
        );
    }

    #[test]
    fn profiles_and_counter_responses() {
        let row = parse(&DEF, DEF.examples[1]).unwrap();
        assert_eq!(row.get(C::ProfileId), &Value::str("9021"));
        assert_eq!(row.get(C::Pubkey), &Value::str("Qm9yZWFsaXNFeGFtcGxl"));
        let row = parse(&DEF, DEF.examples[2]).unwrap();
        assert_eq!(
            row.get(C::CreatedDate),
            &Value::Time(Timestamp::parse_rfc3339("2025-09-30T14:02:39Z").unwrap())
        );
        assert_eq!(row.get(C::ExpirationDate), &Value::Null);
        assert_eq!(row.get(C::ResponseConfig), &Value::str("<config />"));
        assert_eq!(row.get(C::SilentRunning), &Value::Bool(false));
    }

    #[test]
    fn escapes_unknown_keys_and_broken_values() {
        let row = parse(
            &DEF,
            "Sep 30 14:01:12 wasp01 [INFO][mws-security-alert][traffic-info] MKS_Category=\"Security Incident\" MKS_useragent=\"say \\\"hi\\\"\" MKS_Future=\"x\"",
        )
        .unwrap();
        assert_eq!(row.get(C::UserAgent), &Value::str("say \"hi\""));
        for broken in [
            "Sep 30 14:01:12 wasp01 [INFO][mws-security-alert][x] MKS_Severity=\"high\"",
            "Sep 30 14:01:12 wasp01 [INFO][mws-security-alert][x] MKS_Category=\"open",
        ] {
            assert!(!parse(&DEF, broken).unwrap_err().is_mismatch(), "{broken}");
        }
        assert!(parse(&DEF, "Jun 11 08:02:44 wasp01 [mws-audit][INFO] x")
            .unwrap_err()
            .is_mismatch());
    }
}
