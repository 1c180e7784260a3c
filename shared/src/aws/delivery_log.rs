//! Deliveries remembered in S3, and the configured delivery log.

use aws_sdk_s3::primitives::ByteStream;

use crate::aws::classify::{bad_marker, classify};
use crate::aws::s3::read_if_exists;
use crate::error::CallError;
use crate::notify::{DeliveryLog, DeliveryLogMode, Mark, MemoryLog, NoLog};

/// Deliveries remembered in S3: one small object per message and destination, under a prefix
/// (give it a lifecycle rule; a day is plenty).
#[derive(Debug, Clone)]
pub struct S3DeliveryLog {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
    pub prefix: String,
}

impl DeliveryLog for S3DeliveryLog {
    fn describe(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    async fn get(&self, key: &str) -> Result<Option<Mark>, CallError> {
        const OPERATION: &str = "GetObject (delivery marker)";
        let key = format!("{}{key}", self.prefix);
        match read_if_exists(&self.client, &self.bucket, &key, OPERATION).await? {
            None => Ok(None),
            Some((text, _)) => Mark::parse(&text).map(Some).ok_or_else(|| {
                bad_marker(OPERATION, format!("s3://{}/{key}: {text:?}", self.bucket))
            }),
        }
    }

    async fn put(&self, key: &str, mark: &Mark) -> Result<(), CallError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(format!("{}{key}", self.prefix))
            .content_type("text/plain")
            .body(ByteStream::from(mark.encode().into_bytes()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("PutObject (delivery marker)", e))
    }
}

/// The configured delivery log.
#[derive(Debug)]
pub enum DeliveryLogs {
    Off(NoLog),
    Memory(MemoryLog),
    S3(S3DeliveryLog),
}

impl DeliveryLogs {
    /// The log a delivery-log mode names.
    pub fn for_mode(mode: &DeliveryLogMode, client: &aws_sdk_s3::Client) -> DeliveryLogs {
        match mode {
            DeliveryLogMode::Off => DeliveryLogs::Off(NoLog),
            DeliveryLogMode::Memory => DeliveryLogs::Memory(MemoryLog::default()),
            DeliveryLogMode::S3 { bucket, prefix } => DeliveryLogs::S3(S3DeliveryLog {
                client: client.clone(),
                bucket: bucket.clone(),
                prefix: prefix.clone(),
            }),
        }
    }
}

impl DeliveryLog for DeliveryLogs {
    fn describe(&self) -> String {
        match self {
            DeliveryLogs::Off(l) => l.describe(),
            DeliveryLogs::Memory(l) => l.describe(),
            DeliveryLogs::S3(l) => l.describe(),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Mark>, CallError> {
        match self {
            DeliveryLogs::Off(l) => l.get(key).await,
            DeliveryLogs::Memory(l) => l.get(key).await,
            DeliveryLogs::S3(l) => l.get(key).await,
        }
    }

    async fn put(&self, key: &str, mark: &Mark) -> Result<(), CallError> {
        match self {
            DeliveryLogs::Off(l) => l.put(key, mark).await,
            DeliveryLogs::Memory(l) => l.put(key, mark).await,
            DeliveryLogs::S3(l) => l.put(key, mark).await,
        }
    }
}
