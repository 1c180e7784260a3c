//! What delivery needs from the world, as the deliverer calls it: a webhook client, an SNS topic, a
//! secret store and a delivery log. The adapters implement them (`webhook_client`, `aws`); tests use fakes.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::error::CallError;
use crate::notify::{Mark, SecretRef};

/// What a webhook answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    /// `Retry-After`, as seconds or an HTTP date, relative to when the answer arrived.
    pub retry_after: Option<Duration>,
    /// The start of the body (Slack answers `no_service`, `invalid_payload`, …), with the URL's path and
    /// query removed should the server echo them.
    pub body: String,
}

/// Why no answer arrived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Failed(String),
}

/// A JSON POST to a webhook, or to an API that takes a bearer token.
pub trait WebhookClient: Send + Sync {
    fn post(
        &self,
        url: &str,
        body: Vec<u8>,
        timeout: Duration,
    ) -> impl std::future::Future<Output = Result<Reply, PostError>> + Send;

    /// A JSON POST with `Authorization: Bearer <token>` (Slack's Web API), whose answer is read
    /// whole, success or not: an API answers in its body. [`Reply::body`] holds all of it (up to a
    /// bound), with the URL's path and query removed should the server echo them.
    fn call(
        &self,
        url: &str,
        body: Vec<u8>,
        token: &str,
        timeout: Duration,
    ) -> impl std::future::Future<Output = Result<Reply, PostError>> + Send;
}

/// Publishes to an SNS topic (e-mail and SMS subscribers).
pub trait TopicPublisher: Send + Sync {
    fn publish(
        &self,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> impl Future<Output = Result<(), CallError>> + Send;
}

/// Reads a secret reference (`ssm:` or `secretsmanager:`).
pub trait SecretResolver: Send + Sync {
    fn resolve(&self, secret: &SecretRef)
        -> impl Future<Output = Result<String, CallError>> + Send;
}

/// Where deliveries are remembered, by `message key/destination`.
pub trait DeliveryLog: Send + Sync {
    fn describe(&self) -> String;
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Mark>, CallError>> + Send;
    fn put(&self, key: &str, mark: &Mark) -> impl Future<Output = Result<(), CallError>> + Send;
}

/// A shared log is a log: tests keep a handle to look inside it.
impl<L: DeliveryLog> DeliveryLog for Arc<L> {
    fn describe(&self) -> String {
        self.as_ref().describe()
    }

    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Mark>, CallError>> + Send {
        self.as_ref().get(key)
    }

    fn put(&self, key: &str, mark: &Mark) -> impl Future<Output = Result<(), CallError>> + Send {
        self.as_ref().put(key, mark)
    }
}
