//! What publication needs from the world, as the publisher calls it: objects to read, a metric sink, a
//! progress store. The AWS adapters implement them; tests use fakes.

use std::future::Future;

use tokio::io::AsyncRead;

use crate::error::CallError;
use crate::metrics::MetricDatum;
use crate::object_ref::ObjectRef;
use crate::publish::Progress;
use crate::time::UnixSeconds;

/// An object opened for reading.
pub struct Opened<B> {
    pub body: B,
    /// Without quotes.
    pub etag: String,
    /// When the object was written (S3's `Last-Modified`): for a CloudTrail log file, when it was
    /// delivered. `None` where the source does not say.
    pub last_modified: Option<UnixSeconds>,
    /// The object's `signature` user metadata (`x-amz-meta-signature`): CloudTrail's signature on a
    /// digest file, in hex. `None` on log files, and where the source keeps no metadata.
    pub signature: Option<String>,
}

/// Where log objects are read from (S3).
pub trait ObjectSource: Send + Sync {
    type Body: AsyncRead + Send + Unpin + 'static;
    fn open(
        &self,
        object: &ObjectRef,
    ) -> impl Future<Output = Result<Opened<Self::Body>, CallError>> + Send;
}

/// Where datums go (CloudWatch PutMetricData). One call is one request: every datum has `namespace`.
pub trait MetricSink: Send + Sync {
    fn put(
        &self,
        namespace: &str,
        datums: &[MetricDatum],
    ) -> impl Future<Output = Result<(), CallError>> + Send;
}

/// A marker as stored, with the token a conditional write needs to replace it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub progress: Progress,
    /// The marker's own version (an S3 ETag), for compare-and-swap. `None` where the store has none.
    pub token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaveError {
    /// The marker changed since it was read: another invocation got there first.
    #[error("the progress marker changed since it was read (another invocation is processing the object)")]
    Conflict,
    #[error(transparent)]
    Call(#[from] CallError),
}

/// Where progress markers live: object tags, marker objects, or nowhere.
pub trait ProgressStore: Send + Sync {
    /// What this store is, for logs: `tags`, `s3://bucket/prefix/`, `off`.
    fn describe(&self) -> String;
    /// Whether `save` is a compare-and-swap (it refuses a marker that changed since `previous`).
    fn is_atomic(&self) -> bool;
    /// Whether markers are kept at all: without them nothing can be checked against a digest.
    fn keeps_markers(&self) -> bool {
        true
    }
    fn load(
        &self,
        object: &ObjectRef,
    ) -> impl Future<Output = Result<Option<Stored>, CallError>> + Send;
    /// Replaces the marker if it is still `previous` (or absent, for `None`); returns the new token.
    fn save(
        &self,
        object: &ObjectRef,
        progress: &Progress,
        previous: Option<&Stored>,
    ) -> impl Future<Output = Result<Option<String>, SaveError>> + Send;
}
