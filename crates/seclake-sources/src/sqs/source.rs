//! `type = "sqs"`: a queue of S3 notifications (`mode = "notifications"`,
//! the default), or of log data itself (`mode = "messages"`).
//!
//! Delivery rules (at least once, nothing lost):
//! - A message is deleted only after every input it announced was
//!   acknowledged: every row of its objects committed to the lake. A
//!   message announcing nothing to ingest (`s3:TestEvent`, deletions,
//!   folder keys) is deleted at once.
//! - On any failure (an object missing or unreadable, a failed write, a
//!   message that is not a notification) the message is left alone: it
//!   comes back after its visibility timeout, and once the queue's
//!   redrive policy has seen it `maxReceiveCount` times it goes to the
//!   dead-letter queue. The other messages of the batch flow on.
//! - While a batch is processed its messages are kept hidden: their
//!   visibility is extended every half timeout, so a long object is never
//!   processed twice at once because the timeout ran out.
//! - Re-processing an object (after a crash, before the delete) gives the
//!   same row ids: the object's URI and ETag or version, or the message id
//!   for message data. `seclake compact` removes the copies.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use object_store::path::Path as ObjectPath;
use object_store::ObjectStore;

use super::client::{Message, SqsClient};
use super::notifications::{objects, Nothing};
use crate::inputs::Input;

/// Messages taken into one pipeline run, at most.
pub const BATCH: usize = 100;

/// What a queue holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Notifications,
    Messages,
}

pub struct SqsSource {
    pub client: Arc<SqsClient>,
    mode: Mode,
    /// Seconds a received message stays hidden, extended while it is
    /// processed.
    visibility: u32,
    stores: HashMap<String, Arc<dyn ObjectStore>>,
}

/// A batch of messages and the inputs they announce.
pub struct Batch {
    pub messages: Vec<Message>,
    pub inputs: Vec<Input>,
    /// The message of each input.
    owner: Vec<usize>,
    /// Messages with nothing to ingest (deleted at once).
    nothing: Vec<usize>,
    /// Messages that could not be read, with why (left for redelivery).
    pub unreadable: Vec<(usize, String)>,
}

impl SqsSource {
    pub fn new(queue_url: &str, mode: Mode, visibility: u32) -> Result<SqsSource, String> {
        Ok(SqsSource {
            client: Arc::new(SqsClient::new(queue_url)?),
            mode,
            visibility: visibility.max(1),
            stores: HashMap::new(),
        })
    }

    /// Receives a batch: up to [`BATCH`] messages, asking ten at a time
    /// (SQS's most) while full answers come back; the first ask waits up
    /// to `wait` seconds. One pipeline run and one commit per batch, not
    /// per ten messages.
    pub async fn receive(&mut self, wait: u32) -> Result<Batch, String> {
        let mut messages = self.client.receive(10, wait, self.visibility).await?;
        while messages.len() % 10 == 0 && !messages.is_empty() && messages.len() < BATCH {
            let more = self.client.receive(10, 0, self.visibility).await?;
            if more.is_empty() {
                break;
            }
            messages.extend(more);
        }
        let mut batch = Batch {
            inputs: Vec::new(),
            owner: Vec::new(),
            nothing: Vec::new(),
            unreadable: Vec::new(),
            messages: Vec::new(),
        };
        for (i, m) in messages.iter().enumerate() {
            match self.mode {
                Mode::Messages => {
                    batch.inputs.push(Input::Memory {
                        name: format!("{}#{}", self.client.queue_url, m.id),
                        identity: format!("sqs:{}#{}", self.client.queue_url, m.id),
                        bytes: Arc::from(m.body.as_bytes()),
                    });
                    batch.owner.push(i);
                }
                Mode::Notifications => match objects(&m.body) {
                    Ok(Ok(refs)) => {
                        for r in refs {
                            let store = match self.store(&r.bucket) {
                                Ok(s) => s,
                                Err(e) => {
                                    batch.unreadable.push((i, e));
                                    continue;
                                }
                            };
                            batch.inputs.push(Input::Object {
                                store,
                                uri: format!("s3://{}/{}", r.bucket, r.key),
                                path: ObjectPath::from(r.key.as_str()),
                                size: r.size.unwrap_or(0),
                                version: r.version,
                            });
                            batch.owner.push(i);
                        }
                    }
                    Ok(Err(Nothing::TestEvent | Nothing::OtherEvent(_))) => batch.nothing.push(i),
                    Err(e) => batch.unreadable.push((i, e.0)),
                },
            }
        }
        batch.messages = messages;
        Ok(batch)
    }

    fn store(&mut self, bucket: &str) -> Result<Arc<dyn ObjectStore>, String> {
        if let Some(s) = self.stores.get(bucket) {
            return Ok(s.clone());
        }
        let s = seclake_lake::store::s3_store(bucket).map_err(|e| format!("s3://{bucket}: {e}"))?;
        self.stores.insert(bucket.to_string(), s.clone());
        Ok(s)
    }

    /// Keeps the batch's messages hidden until `done` is set: their
    /// visibility is extended every half timeout.
    pub fn keep_hidden(
        &self,
        batch: &Batch,
        done: Arc<AtomicBool>,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let client = self.client.clone();
        let receipts: Vec<String> = batch.messages.iter().map(|m| m.receipt.clone()).collect();
        let visibility = self.visibility;
        async move {
            let step = std::time::Duration::from_secs(u64::from(visibility / 2).max(1));
            let tick = std::time::Duration::from_millis(100);
            let mut waited = std::time::Duration::ZERO;
            while !done.load(Ordering::Relaxed) {
                tokio::time::sleep(tick).await;
                waited += tick;
                if waited >= step {
                    waited = std::time::Duration::ZERO;
                    for r in &receipts {
                        let _ = client.extend(r, visibility).await;
                    }
                }
            }
        }
    }

    /// Deletes the messages whose inputs were all acknowledged (`acked`,
    /// by input) and those with nothing to ingest; returns how many.
    pub async fn finish(&self, batch: &Batch, acked: &[bool]) -> Result<usize, String> {
        let mut ok = vec![true; batch.messages.len()];
        for (i, _) in &batch.unreadable {
            ok[*i] = false;
        }
        for (input, owner) in batch.owner.iter().enumerate() {
            if !acked.get(input).copied().unwrap_or(false) {
                ok[*owner] = false;
            }
        }
        let mut deleted = 0;
        for (i, m) in batch.messages.iter().enumerate() {
            let announced = batch.owner.contains(&i) || batch.nothing.contains(&i);
            if ok[i] && announced {
                self.client.delete(&m.receipt).await?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }
}
