//! Juniper.Access: WebApp Secure's access log (`mws-access`), one record
//! per HTTP message the Security Engine handles:
//! `Apr 2 09:15:07 wasp01 [INFO][mws-access][se-request-41]
//! key:KEY,PHASE_RESPONSE_POST_PROCESS,127.0.0.1,http://shop.example.org:80/cart`
//! (`PHASE_<TYPE>_<STAGE>_PROCESS`; the URL is the rest of the line and may
//! hold commas).
//!
//! After a record the appliance may dump the HTTP message it logged:
//! request line, headers, a blank line, a body. Those lines belong to the
//! record above and produce neither rows nor rejects: once the parser has
//! met a record in a stream, a line without the `MMM D HH:MM:SS HOST`
//! prefix is such a continuation ([`Parsed::Skip`]). A stream split into
//! chunks replays its first record into each chunk's parser, so a chunk
//! that starts inside a dump knows it is one. A prefix-less line before
//! any record is a reject.

use seclake_core::{
    columns, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature, Value,
};
use seclake_core::{SigmaDef, SigmaLogSource};

use crate::prefix;

columns! {
    Timestamp = "timestamp", "timestamp", required, [], "Log entry timestamp";
    Hostname = "hostname", "string", required, [Host], "The hostname of the appliance";
    LogLevel = "log_level", "string", optional, [], "The importance level of a log entry. Can be TRACE, DEBUG, INFO, WARN, or ERROR.";
    Thread = "thread", "string", optional, [], "The specific thread that is handling the request or response.";
    UniqueRequestKey = "unique_request_key", "string", optional, [], "This is a key used to uniquely identify requests.";
    Type = "type", "string", optional, [], "Whether the HTTP packet is a client request, or a server response (REQUEST,RESPONSE).";
    Stage = "stage", "string", optional, [], "Whether the HTTP packet is being logged before or after Security Engine processes it (and potentially manipulates it).";
    ProxyClientIp = "proxy_client_ip", "string", optional, [Ip], "The incoming client IP. Since WebApp Secure works around a Nginx proxy, the client IP will most-likely be '127.0.0.1'.";
    Url = "url", "string", optional, [Url], "The full request or response URL.";
    SenderIp = seclake_core::parser::SENDER_COLUMN, "string", optional, [Ip], seclake_core::parser::SENDER_DESCRIPTION;
}

pub const DEF: LogTypeDef = LogTypeDef {
    name: "Juniper.Access",
    description: "Juniper WebApp Secure access log: the HTTP requests and responses the Security Engine handles.",
    reference: "https://www.juniper.net/documentation/en_US/webapp5.6/topics/reference/w-a-s-access-log.html",
    columns: COLUMNS,
    signature: Signature::Any,
    event_time: Some("timestamp"),
    examples: &[
        "Apr 2 09:15:07 wasp01 [INFO][mws-access][se-request-41] key:0f4c2a9e-5b1d-4c3e-9a77-3e2b1c0d9f10,PHASE_RESPONSE_POST_PROCESS,127.0.0.1,http://shop.example.org:80/cart",
        "Apr 2 09:15:06 wasp01 [INFO][mws-access][se-request-41] key:0f4c2a9e-5b1d-4c3e-9a77-3e2b1c0d9f10,PHASE_REQUEST_PRE_PROCESS,127.0.0.1,http://shop.example.org:80/search?q=a,b",
    ],
    new_parser: || Box::new(AccessParser::default()),
    sigma: SIGMA,
};

/// Sigma: the type answers `category: webserver` rules, whose fields are
/// named by Sigma's web server taxonomy (W3C extended log fields).
/// The URL is logged with its query, so the URI fields all read it.
const SIGMA: SigmaDef = SigmaDef {
    logsources: &[
        SigmaLogSource::category("webserver"),
        SigmaLogSource::service("juniper", "webapp_secure"),
    ],
    fields: &[
        ("c-ip", "proxy_client_ip"),
        ("cs-uri", "url"),
        ("cs-uri-stem", "url"),
        ("cs-uri-query", "url"),
    ],
    json_columns: &[],
    keyword_fields: &["url"],
    dns_names: &[],
};

const SERVICE: &str = "[mws-access]";

#[derive(Default)]
struct AccessParser {
    /// A record was met in this stream: prefix-less lines continue it.
    after_record: bool,
}

impl RecordParser for AccessParser {
    fn parse<'a>(
        &mut self,
        line: &'a str,
        ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        let Some(prefix) = prefix::parse(line, ctx) else {
            if self.after_record {
                return Ok(Parsed::Skip);
            }
            return Err(ParseError::mismatch("no Mmm d hh:mm:ss time at the start"));
        };
        if !line.contains(SERVICE) {
            return Err(ParseError::mismatch("not an access line: no [mws-access]"));
        }
        let (t, host, rest) = prefix?;
        prefix::set(row, t, host);
        let (level, thread, rest) = prefix::tags(rest, SERVICE).unwrap_or((None, None, rest));
        row.set(C::LogLevel, level.map_or(Value::Null, Value::str));
        row.set(C::Thread, thread.map_or(Value::Null, Value::dash_null));
        let Some(fields) = rest.trim_start().strip_prefix("key:") else {
            return Err(ParseError::invalid("access record without key:"));
        };
        let mut parts = fields.splitn(4, ',');
        let (Some(key), Some(phase), Some(ip), Some(url)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ParseError::invalid(
                "access record: expected key:KEY,PHASE,CLIENT_IP,URL",
            ));
        };
        let Some((kind, stage)) = phase
            .strip_prefix("PHASE_")
            .and_then(|p| p.strip_suffix("_PROCESS"))
            .and_then(|p| p.split_once('_'))
        else {
            return Err(ParseError::field(
                "phase",
                "expected PHASE_<TYPE>_<STAGE>_PROCESS",
                phase,
            ));
        };
        row.set(C::UniqueRequestKey, Value::dash_null(key));
        row.set(C::Type, Value::str(kind));
        row.set(C::Stage, Value::str(stage));
        row.set(C::ProxyClientIp, Value::dash_null(ip));
        row.set(C::Url, Value::dash_null(url.trim_end()));
        self.after_record = true;
        Ok(Parsed::Row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seclake_core::testing::{indicators, parse, parse_all};
    use seclake_core::Indicator;

    #[test]
    fn a_record() {
        let row = parse(&DEF, DEF.examples[0]).unwrap();
        assert_eq!(row.get(C::LogLevel), &Value::str("INFO"));
        assert_eq!(row.get(C::Thread), &Value::str("se-request-41"));
        assert_eq!(row.get(C::Type), &Value::str("RESPONSE"));
        assert_eq!(row.get(C::Stage), &Value::str("POST"));
        assert_eq!(
            row.get(C::Url),
            &Value::str("http://shop.example.org:80/cart")
        );
        assert_eq!(indicators(&row, Indicator::IpAddress), vec!["127.0.0.1"]);
        let row = parse(&DEF, DEF.examples[1]).unwrap();
        assert_eq!(
            row.get(C::Url),
            &Value::str("http://shop.example.org:80/search?q=a,b"),
            "commas stay in the URL"
        );
    }

    #[test]
    fn the_http_dump_after_a_record_is_skipped() {
        let out = parse_all(
            &DEF,
            &[
                DEF.examples[1],
                "GET /search?q=a,b HTTP/1.1",
                "Host: shop.example.org",
                "",
                "body, any text",
                DEF.examples[0],
            ],
        );
        let kinds: Vec<_> = out
            .iter()
            .map(|r| r.as_ref().map(|(p, _)| *p).ok())
            .collect();
        assert_eq!(
            kinds,
            [
                Some(Parsed::Row),
                Some(Parsed::Skip),
                Some(Parsed::Skip),
                Some(Parsed::Skip),
                Some(Parsed::Skip),
                Some(Parsed::Row)
            ]
        );
    }

    #[test]
    fn a_dump_line_before_any_record_and_other_lines_are_not_access() {
        for other in [
            "GET / HTTP/1.1",
            "Jun 11 08:02:44 wasp01 [mws-audit][INFO] [alice] Logged in",
            "Jul 9 03:00:00 wasp01 [INFO][mws-cluster-services][db-cleanup] done",
        ] {
            assert!(parse(&DEF, other).unwrap_err().is_mismatch(), "{other}");
        }
        let e = parse(
            &DEF,
            "Apr 2 09:15:07 wasp01 [INFO][mws-access][t] key:k,PHASE_X,1.2.3.4,u",
        )
        .unwrap_err();
        assert!(!e.is_mismatch(), "{e}");
    }
}
