//! A small SQS client: ReceiveMessage, DeleteMessage and
//! ChangeMessageVisibility over AWS's JSON protocol (`X-Amz-Target:
//! AmazonSQS.*`), signed with SigV4. Credentials come from the same chain
//! as the S3 store (environment, web identity, container and instance
//! metadata); the endpoint from `AWS_ENDPOINT_URL_SQS`, else
//! `AWS_ENDPOINT_URL` (S3/SQS-compatible servers), else the queue URL's
//! own host.

use object_store::aws::{AmazonS3Builder, AwsCredentialProvider};
use serde_json::{json, Value};

use super::sigv4;

/// A message received.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: String,
    pub receipt: String,
    pub body: String,
    /// How many times it was received (this time included).
    pub receive_count: u32,
    /// When it was sent, in epoch milliseconds.
    pub sent_ms: Option<u64>,
}

pub struct SqsClient {
    http: reqwest::Client,
    /// Where requests go, e.g. `https://sqs.us-east-1.amazonaws.com/`.
    endpoint: reqwest::Url,
    region: String,
    creds: AwsCredentialProvider,
    pub queue_url: String,
}

impl SqsClient {
    pub fn new(queue_url: &str) -> Result<SqsClient, String> {
        let url =
            reqwest::Url::parse(queue_url).map_err(|e| format!("queue_url {queue_url:?}: {e}"))?;
        let host = url.host_str().unwrap_or_default();
        // `sqs.<region>.amazonaws.com`, else the environment's region.
        let region = host
            .strip_prefix("sqs.")
            .and_then(|h| h.split('.').next())
            .filter(|r| r.contains('-'))
            .map(str::to_string)
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
            .unwrap_or_else(|| "us-east-1".to_string());
        let endpoint = std::env::var("AWS_ENDPOINT_URL_SQS")
            .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|_| format!("{}://{}/", url.scheme(), url.authority()));
        let endpoint = reqwest::Url::parse(&endpoint)
            .map_err(|e| format!("SQS endpoint {endpoint:?}: {e}"))?;
        // The S3 builder resolves the standard credential chain.
        let s3 = AmazonS3Builder::from_env()
            .with_bucket_name("seclake-sqs-credentials")
            .with_region(&region)
            .build()
            .map_err(|e| format!("AWS credentials: {e}"))?;
        Ok(SqsClient {
            http: reqwest::Client::new(),
            endpoint,
            region,
            creds: s3.credentials().clone(),
            queue_url: queue_url.to_string(),
        })
    }

    async fn call(&self, action: &str, body: Value) -> Result<Value, String> {
        let body = body.to_string().into_bytes();
        let cred = self
            .creds
            .get_credential()
            .await
            .map_err(|e| format!("AWS credentials: {e}"))?;
        let host = match self.endpoint.port() {
            Some(p) => format!("{}:{p}", self.endpoint.host_str().unwrap_or_default()),
            None => self.endpoint.host_str().unwrap_or_default().to_string(),
        };
        let target = format!("AmazonSQS.{action}");
        let content_type = "application/x-amz-json-1.0";
        let signed = sigv4::sign(
            &sigv4::Credentials {
                key_id: &cred.key_id,
                secret: &cred.secret_key,
                token: cred.token.as_deref(),
            },
            &self.region,
            "sqs",
            &host,
            self.endpoint.path(),
            &[("content-type", content_type), ("x-amz-target", &target)],
            &body,
            &sigv4::amz_date_now(),
        );
        let mut req = self
            .http
            .post(self.endpoint.clone())
            .header("content-type", content_type)
            .header("x-amz-target", &target)
            .body(body);
        for (k, v) in signed {
            req = req.header(k, v);
        }
        let resp = req.send().await.map_err(|e| format!("SQS {action}: {e}"))?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| format!("SQS {action}: {e}"))?;
        if !status.is_success() {
            return Err(format!(
                "SQS {action}: {status}: {}",
                text.chars().take(300).collect::<String>()
            ));
        }
        serde_json::from_str(&text).map_err(|e| format!("SQS {action}: not JSON: {e}"))
    }

    /// Up to `max` messages, waiting up to `wait` seconds (long polling),
    /// hidden from other receivers for `visibility` seconds.
    pub async fn receive(
        &self,
        max: u32,
        wait: u32,
        visibility: u32,
    ) -> Result<Vec<Message>, String> {
        let v = self
            .call(
                "ReceiveMessage",
                json!({
                    "QueueUrl": self.queue_url,
                    "MaxNumberOfMessages": max.clamp(1, 10),
                    "WaitTimeSeconds": wait.min(20),
                    "VisibilityTimeout": visibility,
                    "MessageSystemAttributeNames": ["ApproximateReceiveCount", "SentTimestamp"],
                    "AttributeNames": ["ApproximateReceiveCount", "SentTimestamp"],
                }),
            )
            .await?;
        Ok(v["Messages"]
            .as_array()
            .map(|ms| {
                ms.iter()
                    .filter_map(|m| {
                        Some(Message {
                            id: m["MessageId"].as_str()?.to_string(),
                            receipt: m["ReceiptHandle"].as_str()?.to_string(),
                            body: m["Body"].as_str().unwrap_or_default().to_string(),
                            receive_count: m["Attributes"]["ApproximateReceiveCount"]
                                .as_str()
                                .and_then(|c| c.parse().ok())
                                .unwrap_or(1),
                            sent_ms: m["Attributes"]["SentTimestamp"]
                                .as_str()
                                .and_then(|c| c.parse().ok()),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Deletes a message: it was handled.
    pub async fn delete(&self, receipt: &str) -> Result<(), String> {
        self.call(
            "DeleteMessage",
            json!({"QueueUrl": self.queue_url, "ReceiptHandle": receipt}),
        )
        .await
        .map(|_| ())
    }

    /// Keeps a message hidden for `secs` more seconds (0: visible again).
    pub async fn extend(&self, receipt: &str, secs: u32) -> Result<(), String> {
        self.call(
            "ChangeMessageVisibility",
            json!({"QueueUrl": self.queue_url, "ReceiptHandle": receipt, "VisibilityTimeout": secs}),
        )
        .await
        .map(|_| ())
    }
}
