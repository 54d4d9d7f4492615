//! What an SQS message says was created in S3. Four producers, four
//! shapes, any of them wrapped in an SNS `Notification` envelope:
//!
//! - S3 event notifications: `{"Records":[{"eventSource":"aws:s3",
//!   "eventName":"ObjectCreated:Put","s3":{"bucket":{"name":..},
//!   "object":{"key":..,"size":..,"eTag":..,"versionId":..}}}]}`. The key
//!   is URL-encoded (`+` for a space, `%3D` for `=`).
//! - EventBridge: `{"detail-type":"Object Created","source":"aws.s3",
//!   "detail":{"bucket":{"name":..},"object":{"key":..,"size":..}}}`; the
//!   key is as stored.
//! - CloudTrail's own notifications: `{"s3Bucket":..,"s3ObjectKey":[..]}`.
//! - `s3:TestEvent` (sent when notifications are set up) and any other
//!   event (deletions, restores): nothing to ingest, acknowledged as such.
//!
//! Zero-byte objects and folder keys (`dir/`) are not objects to ingest.

use serde_json::Value;

/// One object a message announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub bucket: String,
    /// The key as stored (decoded).
    pub key: String,
    pub size: Option<u64>,
    /// The version id or ETag the event gives, when it gives one.
    pub version: Option<String>,
}

/// Why a message announces no object to ingest: not an error, the
/// message is acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Nothing {
    /// `s3:TestEvent`.
    TestEvent,
    /// An event of another kind (`ObjectRemoved:*`, ...), named.
    OtherEvent(String),
}

/// Why a message could not be read as a notification: it stays in the
/// queue (and reaches the dead-letter queue if it keeps failing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotANotification(pub String);

/// The objects a message body announces.
pub fn objects(body: &str) -> Result<Result<Vec<ObjectRef>, Nothing>, NotANotification> {
    let v: Value =
        serde_json::from_str(body).map_err(|e| NotANotification(format!("not JSON: {e}")))?;
    from_value(&v, 0)
}

fn from_value(
    v: &Value,
    depth: usize,
) -> Result<Result<Vec<ObjectRef>, Nothing>, NotANotification> {
    // SNS envelope: the notification is the `Message` string.
    if v["Type"] == "Notification" && depth < 2 {
        let inner = v["Message"]
            .as_str()
            .ok_or_else(|| NotANotification("an SNS notification without a Message".into()))?;
        let inner: Value = serde_json::from_str(inner)
            .map_err(|e| NotANotification(format!("SNS Message is not JSON: {e}")))?;
        return from_value(&inner, depth + 1);
    }
    if v["Event"] == "s3:TestEvent" {
        return Ok(Err(Nothing::TestEvent));
    }
    if let Some(records) = v["Records"].as_array() {
        let mut out = Vec::new();
        let mut other = None;
        for r in records {
            let name = r["eventName"].as_str().unwrap_or_default();
            if !name.starts_with("ObjectCreated:") && !name.starts_with("s3:ObjectCreated:") {
                other = Some(name.to_string());
                continue;
            }
            let bucket = r["s3"]["bucket"]["name"].as_str();
            let key = r["s3"]["object"]["key"].as_str();
            let (Some(bucket), Some(key)) = (bucket, key) else {
                return Err(NotANotification(
                    "an S3 event record without bucket or key".into(),
                ));
            };
            let object = &r["s3"]["object"];
            out.push(ObjectRef {
                bucket: bucket.to_string(),
                key: url_decode(key),
                size: object["size"].as_u64(),
                version: object["versionId"]
                    .as_str()
                    .or_else(|| object["eTag"].as_str())
                    .map(str::to_string),
            });
        }
        return Ok(keep_objects(out, other));
    }
    if v["source"] == "aws.s3" && v.get("detail-type").is_some() {
        let kind = v["detail-type"].as_str().unwrap_or_default();
        if kind != "Object Created" {
            return Ok(Err(Nothing::OtherEvent(kind.to_string())));
        }
        let d = &v["detail"];
        let (Some(bucket), Some(key)) = (d["bucket"]["name"].as_str(), d["object"]["key"].as_str())
        else {
            return Err(NotANotification(
                "an EventBridge S3 event without bucket or key".into(),
            ));
        };
        let object = ObjectRef {
            bucket: bucket.to_string(),
            key: key.to_string(),
            size: d["object"]["size"].as_u64(),
            version: d["object"]["version-id"]
                .as_str()
                .or_else(|| d["object"]["etag"].as_str())
                .map(str::to_string),
        };
        return Ok(keep_objects(vec![object], None));
    }
    if let (Some(bucket), Some(keys)) = (v["s3Bucket"].as_str(), v["s3ObjectKey"].as_array()) {
        let out = keys
            .iter()
            .filter_map(Value::as_str)
            .map(|k| ObjectRef {
                bucket: bucket.to_string(),
                key: k.to_string(),
                size: None,
                version: None,
            })
            .collect();
        return Ok(keep_objects(out, None));
    }
    Err(NotANotification(
        "neither an S3, EventBridge nor CloudTrail notification".into(),
    ))
}

/// Drops zero-byte objects and folder keys; no object left is `Nothing`.
fn keep_objects(objects: Vec<ObjectRef>, other: Option<String>) -> Result<Vec<ObjectRef>, Nothing> {
    let kept: Vec<_> = objects
        .into_iter()
        .filter(|o| o.size != Some(0) && !o.key.ends_with('/'))
        .collect();
    if kept.is_empty() {
        Err(Nothing::OtherEvent(
            other.unwrap_or_else(|| "empty or folder objects only".into()),
        ))
    } else {
        Ok(kept)
    }
}

/// Decodes an S3 event key: `+` is a space, `%XX` a byte (UTF-8 as a
/// whole); a malformed escape is kept as it is.
pub fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b
                    .get(i + 1..i + 3)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(bucket: &str, key: &str, size: Option<u64>, version: Option<&str>) -> ObjectRef {
        ObjectRef {
            bucket: bucket.into(),
            key: key.into(),
            size,
            version: version.map(String::from),
        }
    }

    const S3_EVENT: &str = r#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"logs"},"object":{"key":"AWSLogs/dt%3D2024-01-01/a+b%2Bc.json.gz","size":1024,"eTag":"0123abc"}}},{"eventSource":"aws:s3","eventName":"ObjectCreated:CompleteMultipartUpload","s3":{"bucket":{"name":"logs"},"object":{"key":"x/","size":0}}}]}"#;

    #[test]
    fn s3_events_with_encoded_keys() {
        assert_eq!(
            objects(S3_EVENT).unwrap().unwrap(),
            [one(
                "logs",
                "AWSLogs/dt=2024-01-01/a b+c.json.gz",
                Some(1024),
                Some("0123abc")
            )]
        );
    }

    #[test]
    fn sns_wrapped_eventbridge_and_cloudtrail() {
        let sns =
            serde_json::json!({"Type": "Notification", "MessageId": "m", "Message": S3_EVENT})
                .to_string();
        assert_eq!(objects(&sns).unwrap().unwrap().len(), 1);
        let eb = r#"{"version":"0","detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{"key":"k a.log","size":5,"etag":"e1","version-id":"v1"}}}"#;
        assert_eq!(
            objects(eb).unwrap().unwrap(),
            [one("b", "k a.log", Some(5), Some("v1"))]
        );
        let ct = r#"{"s3Bucket":"trail","s3ObjectKey":["AWSLogs/1/CloudTrail/a.json.gz","AWSLogs/1/CloudTrail/b.json.gz"]}"#;
        let sns_ct = serde_json::json!({"Type": "Notification", "Message": ct}).to_string();
        assert_eq!(objects(&sns_ct).unwrap().unwrap().len(), 2);
    }

    #[test]
    fn nothing_to_ingest_is_not_an_error() {
        let test = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2024-01-01T00:00:00.000Z","Bucket":"logs"}"#;
        assert_eq!(objects(test).unwrap(), Err(Nothing::TestEvent));
        let removed = r#"{"Records":[{"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}"#;
        assert_eq!(
            objects(removed).unwrap(),
            Err(Nothing::OtherEvent("ObjectRemoved:Delete".into()))
        );
        let eb = r#"{"detail-type":"Object Deleted","source":"aws.s3","detail":{}}"#;
        assert!(objects(eb).unwrap().is_err());
    }

    #[test]
    fn other_messages_are_errors() {
        for bad in [
            "not json",
            "{}",
            r#"{"Type":"Notification","Message":"nope"}"#,
            r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{}}]}"#,
        ] {
            assert!(objects(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn url_decoding() {
        assert_eq!(url_decode("a+b%3Dc%2F%E2%9C%93"), "a b=c/✓");
        assert_eq!(url_decode("100%"), "100%");
        assert_eq!(url_decode("%zz%4"), "%zz%4");
        assert_eq!(url_decode("%+1"), "% 1");
    }
}
