//! AWS.CloudTrailDigest: a CloudTrail digest file, the hourly, signed list
//! of the log files a trail delivered (with their SHA-256 hashes) that
//! CloudTrail log file integrity validation checks against. A digest file
//! is one JSON document and one row.
//!
//! Indicators: the hashes of the listed log files and of the previous
//! digest are SHA-256 indicators. The public key fingerprint identifies a
//! key, not content, and the S3 bucket names are not domains, so neither
//! is an indicator.
//!
//! Classification: `awsAccountId`, `digestStartTime` and `digestEndTime`
//! must be present; no other AWS record has them.

use std::sync::LazyLock;

use seclake_core::json::record::top_level_member;
use seclake_core::json::JsonRecord;
use seclake_core::{
    columns, IndicatorKind, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row,
    Signature, Timestamp,
};

use crate::fields::{each_element, nested_string, scalar_text};

columns! {
    AwsAccountId = "awsAccountId", "string", required, [AwsAccountId], "The AWS account ID for which the digest file has been delivered.";
    DigestStartTime = "digestStartTime", "timestamp", required, [], "The starting UTC time range that the digest file covers, taking as a reference the time in which log files have been delivered by CloudTrail.";
    DigestEndTime = "digestEndTime", "timestamp", required, [], "The ending UTC time range that the digest file covers, taking as a reference the time in which log files have been delivered by CloudTrail.";
    DigestS3Bucket = "digestS3Bucket", "string", optional, [], "The name of the Amazon S3 bucket to which the current digest file has been delivered.";
    DigestS3Object = "digestS3Object", "string", optional, [], "The Amazon S3 object key (that is, the Amazon S3 bucket location) of the current digest file.";
    NewestEventTime = "newestEventTime", "timestamp", optional, [], "The UTC time of the most recent event among all of the events in the log files in the digest.";
    OldestEventTime = "oldestEventTime", "timestamp", optional, [], "The UTC time of the oldest event among all of the events in the log files in the digest.";
    PreviousDigestS3Bucket = "previousDigestS3Bucket", "string", optional, [], "The Amazon S3 bucket to which the previous digest file was delivered.";
    PreviousDigestS3Object = "previousDigestS3Object", "string", optional, [], "The Amazon S3 object key (that is, the Amazon S3 bucket location) of the previous digest file.";
    PreviousDigestHashValue = "previousDigestHashValue", "string", optional, [Sha256], "The hexadecimal encoded hash value of the uncompressed contents of the previous digest file.";
    PreviousDigestHashAlgorithm = "previousDigestHashAlgorithm", "string", optional, [], "The name of the hash algorithm that was used to hash the previous digest file.";
    PreviousDigestSignature = "previousDigestSignature", "string", optional, [], "The hexadecimal encoded signature of the previous digest file.";
    DigestPublicKeyFingerprint = "digestPublicKeyFingerprint", "string", optional, [], "The hexadecimal encoded fingerprint of the public key that matches the private key used to sign this digest file.";
    DigestSignatureAlgorithm = "digestSignatureAlgorithm", "string", optional, [], "The algorithm used to sign the digest file.";
    LogFiles = "logFiles", "[{ \"s3Bucket\":string, \"s3Object\":string, \"hashValue\":string, \"hashAlgorithm\":string, \"newestEventTime\":timestamp, \"oldestEventTime\":timestamp }]", optional, [], "Log files delivered in this digest";
}

pub const DEF: LogTypeDef = LogTypeDef {
    name: "AWS.CloudTrailDigest",
    description: "AWS CloudTrail digest files: the hourly signed list of delivered log files and their hashes, for log file integrity validation.",
    reference: "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html",
    columns: COLUMNS,
    signature: Signature::QuotedTokens(MARKERS),
    event_time: Some("digestEndTime"),
    examples: &[
        r#"{"awsAccountId":"123456789123","digestStartTime":"2020-09-11T18:36:49Z","digestEndTime":"2020-09-11T19:36:49Z","digestS3Bucket":"alice-bucket","digestS3Object":"AWSLogs/123456789123/CloudTrail-Digest/us-west-2/2020/09/11/123456789123_CloudTrail-Digest_us-west-2_leh-ct-test_us-west-2_20200911T193649Z.json.gz","digestPublicKeyFingerprint":"47aaa19f7eec22e9bd0b5e58cfade8cb","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"2020-09-11T19:26:24Z","oldestEventTime":"2020-09-11T18:32:04Z","previousDigestS3Bucket":"alice-bucket","previousDigestS3Object":"AWSLogs/123456789123/CloudTrail-Digest/us-west-2/2020/09/11/123456789123_CloudTrail-Digest_us-west-2_leh-ct-test_us-west-2_20200911T183649Z.json.gz","previousDigestHashValue":"531914fcfa0dbacf0c9dd1475a1fdcb5dea6e85921409f3c3ec0ba39063c860","previousDigestHashAlgorithm":"SHA-256","previousDigestSignature":"10e0872f32fa1d299d0cc98e94d4c88a6a2eada9d9fc3ae6d53dfe8d54c7caf807072f1e1eec47efdeecfcc22483887f8fddfc954ae587fba43e7676b5547f432fa8722ba1c5baa6b233bcb528ce7c01e3748aab8f28c16c024de79da820128b4c9e5ce65e98a9c4e631687ecc89c224a11bb3df06ce441ff740e4ac9fbd41159e77f5863550118284121f193e357866fbd0463faffb56e194af196e35a7675c3bbd0a398f43159343c3f59129d6339a281a8fdb3192f3fffea9bd21dbb0a705ebfae1921f2133aab0ad29522aea6df0828c1780d3f3ed6b8270ab3ba24459916b0fbbe82fba6ff9677bafe7306e0f5edcc0f1508cdb4e36f3e3b30e653e9987","logFiles":[{"s3Bucket":"alice-bucket","s3Object":"AWSLogs/123456789123/CloudTrail/us-west-2/2020/09/11/123456789123_CloudTrail_us-west-2_20200911T1930Z_l2pGqVS53QcGdAkp.json.gz","hashValue":"420784a5bbc12e9ac442451e8ec1356744fdeabf4fee0d2222508db6d448139c","hashAlgorithm":"SHA-256","newestEventTime":"2020-09-11T19:26:24Z","oldestEventTime":"2020-09-11T19:26:24Z"}]}"#,
        r#"{
  "awsAccountId": "111122223333",
  "digestStartTime": "2015-08-20T17:01:31Z",
  "digestEndTime": "2015-08-20T18:01:31Z",
  "digestS3Bucket": "example-bucket-name",
  "digestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/20/111122223333_CloudTrail-Digest_us-east-2_example-trail-name_us-east-2_20150820T180131Z.json.gz",
  "digestPublicKeyFingerprint": "31e8b5433410dfb61a9dc45cc65b22ff",
  "digestSignatureAlgorithm": "SHA256withRSA",
  "newestEventTime": null,
  "oldestEventTime": null,
  "previousDigestS3Bucket": "example-bucket-name",
  "previousDigestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/20/111122223333_CloudTrail-Digest_us-east-2_example-trail-name_us-east-2_20150820T170131Z.json.gz",
  "previousDigestHashValue": "ed96c4bac9eaa8fe9716ca0e515da51938be651b1db31d781956416a9d05cdfa",
  "previousDigestHashAlgorithm": "SHA-256",
  "previousDigestSignature": "82705525fb0fe7f919f9434e5b7138cb41793c776c7414f3520c0242902daa8cc8286b29263d2627f2f259471c745b1654af76e2073264b2510fd45236b3aea4d80c0e8e6455223d7bd54ff80af0edf22a5f14fa856626daec919f0591479aa4f213787ba1e1076328dcf8ff624e03a977fa5612dcf58594c590fd8c1c5b48bddf43fc84ecc00b41bedd0ff7f293c3e2de8dcdc78f98b03e17577f5822ba842399d69eb79921c0429773509520e08c8b518702d987dfbb3a4e5d8c5f17673ce1f989dfff82d4becf24e452f20d3bcac94ad50131f93e57f10155536acb54c60efbe9d57228c2b930bc6082b2318e3ccd36834a8e835b8d112dbf32145f445c11",
  "logFiles": []
}"#,
    ],
    new_parser: || Box::new(DigestParser),
    sigma: seclake_core::SigmaDef::NONE,
};

struct DigestParser;

const MARKERS: &[&str] = &["awsAccountId", "digestStartTime", "digestEndTime"];

static JSON: LazyLock<JsonRecord> = LazyLock::new(|| {
    JsonRecord::new(COLUMNS, MARKERS).expect("CloudTrail digest columns are valid")
});

impl RecordParser for DigestParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        _ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        JSON.decode(record, row, |m, row| {
            if m.key == "logFiles" {
                check_log_files(m.raw, row)?;
            }
            Ok(None)
        })?;
        Ok(Parsed::Row)
    }
}

/// The listed log files' hashes are indicators, and their times are
/// checked here: the batch builder would silently null a bad one, and a
/// digest with bad times is not one integrity validation can trust.
fn check_log_files<'a>(raw: &'a str, row: &mut Row<'a>) -> Result<(), ParseError> {
    let bad = || ParseError::field("logFiles", "expected an array of log files", raw);
    each_element(raw, |file| {
        if !file.starts_with('{') {
            return Err(bad());
        }
        for name in ["newestEventTime", "oldestEventTime"] {
            let Some(t) = top_level_member(file, name).filter(|t| !matches!(*t, "null" | "\"\""))
            else {
                continue;
            };
            let text = scalar_text(t);
            if !t.starts_with('"') || Timestamp::parse_rfc3339(&text).is_none() {
                return Err(ParseError::field(
                    &format!("logFiles.{name}"),
                    "not an RFC 3339 timestamp",
                    &text,
                ));
            }
        }
        if let Some(h) = nested_string(file, "hashValue", "logFiles.hashValue")? {
            row.indicators.extract(IndicatorKind::Sha256, h);
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use seclake_core::testing::parse;
    use seclake_core::{Indicator, Value};
    use std::borrow::Cow;

    #[test]
    fn hashes_are_sha256_indicators() {
        let row = parse(&DEF, DEF.examples[1]).unwrap();
        assert_eq!(
            row.event_time,
            Timestamp::parse_rfc3339("2015-08-20T18:01:31Z")
        );
        assert_eq!(row.get(C::NewestEventTime), &Value::Null);
        assert_eq!(row.get(C::LogFiles), &Value::Json(Cow::Borrowed("[]")));
        let hashes: Vec<&str> = row.indicator_values(Indicator::Sha256).collect();
        assert_eq!(
            hashes,
            vec!["ed96c4bac9eaa8fe9716ca0e515da51938be651b1db31d781956416a9d05cdfa"]
        );
        assert!(
            row.indicator_values(Indicator::Md5).next().is_none(),
            "the key fingerprint is not a hash"
        );
        assert!(row.indicator_values(Indicator::DomainName).next().is_none());
        let accounts: Vec<&str> = row.indicator_values(Indicator::AwsAccountId).collect();
        assert_eq!(accounts, vec!["111122223333"]);

        let row = parse(&DEF, DEF.examples[0]).unwrap();
        let hashes: Vec<&str> = row.indicator_values(Indicator::Sha256).collect();
        // The previous digest hash in this sample has 63 digits: not a SHA-256.
        assert_eq!(
            hashes,
            vec!["420784a5bbc12e9ac442451e8ec1356744fdeabf4fee0d2222508db6d448139c"]
        );
    }

    #[test]
    fn broken_digests_are_invalid() {
        for rec in [
            r#"{"awsAccountId":"111122223333","digestStartTime":"2015-08-20T17:01:31Z","digestEndTime":"later"}"#,
            r#"{"awsAccountId":"111122223333","digestStartTime":"2015-08-20T17:01:31Z","digestEndTime":"2015-08-20T18:01:31Z","logFiles":{"s3Bucket":"b"}}"#,
            r#"{"awsAccountId":"111122223333","digestStartTime":"2015-08-20T17:01:31Z","digestEndTime":"2015-08-20T18:01:31Z","logFiles":[{"newestEventTime":"x"}]}"#,
            r#"{"awsAccountId":"111122223333","digestStartTime":"2015-08-20T17:01:31Z","digestEndTime":"#,
        ] {
            let e = parse(&DEF, rec).unwrap_err();
            assert!(!e.is_mismatch(), "{rec}: {e}");
        }
    }

    #[test]
    fn other_types_are_mismatches() {
        for rec in [
            r#"{"eventVersion":"1.0","eventTime":"2014-03-06T21:22:54Z","eventSource":"ec2.amazonaws.com","eventName":"StartInstances"}"#,
            r#"{"awsAccountId":"111122223333","digestStartTime":"2015-08-20T17:01:31Z"}"#,
            r#"{"Records":[]}"#,
            "{}",
            "garbage",
        ] {
            let e = parse(&DEF, rec).unwrap_err();
            assert!(e.is_mismatch(), "{rec}: {e}");
        }
    }
}
