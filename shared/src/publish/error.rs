//! Why publishing an object failed, and whether trying again can help.

use crate::cloudtrail::{ContentHash, ReadError};
use crate::error::CallError;
use crate::publish::SaveError;
use crate::time::UnixSeconds;

/// Why processing an object failed, and whether trying again can help.
#[derive(Debug, thiserror::Error)]
pub enum PublishErrorKind {
    #[error("reading the object: {0}")]
    Read(CallError),
    #[error("corrupt log file, nothing published{}: {error}", if *.gzip { " (offsets in the decompressed data)" } else { "" })]
    Corrupt { gzip: bool, error: ReadError },
    /// The object's bytes are not those CloudTrail's digest listed: overwritten or altered since it
    /// was delivered. Nothing from it is published.
    #[error("its content is not what CloudTrail delivered: the digest lists SHA-256 {listed}, the object now hashes to {found}; nothing published (overwritten or tampered with)")]
    Tampered {
        listed: ContentHash,
        found: ContentHash,
    },
    /// The object was overwritten after the notification: the version it announced is gone.
    #[error("it was overwritten after its notification (ETag {notified} announced, another found): nothing counted; the new content comes with its own notification, and the trail's digest says whether it is CloudTrail's")]
    Superseded { notified: String },
    #[error("another invocation ({owner}) is publishing it, lease until {until}: try again later")]
    InProgress { owner: String, until: UnixSeconds },
    #[error("{0}")]
    Marker(SaveError),
    #[error("reading its progress marker: {0}")]
    MarkerLoad(CallError),
    #[error("its progress marker says {done} of {total} requests were published with rules {rules}, but the current rules ({current}) make {now_total} requests: finishing with them would mix two rule sets. Deploy the rules with fingerprint {rules} again to finish it, or delete the marker to publish it in full with the current rules, which counts what its first {done} requests held twice")]
    RulesChanged {
        done: usize,
        total: usize,
        rules: String,
        current: String,
        now_total: usize,
    },
    #[error("PutMetricData request {index} of {total} ({done} published before it): {error}")]
    Publish {
        index: usize,
        total: usize,
        done: usize,
        error: CallError,
    },
    /// A task of ours ended without an answer (it panicked or was cancelled).
    #[error("internal error: {what} failed: {error}")]
    Internal {
        what: &'static str,
        #[source]
        error: tokio::task::JoinError,
    },
}

/// A failure on one object; the message names it.
#[derive(Debug, thiserror::Error)]
#[error("{object}: {kind}")]
pub struct PublishError {
    pub object: String,
    pub kind: PublishErrorKind,
}

impl PublishError {
    /// Whether a later attempt may succeed: throttling, 5xx, network, a lease held by another
    /// invocation. A corrupt file, a missing object or denied access will fail the same way again.
    pub fn retryable(&self) -> bool {
        match &self.kind {
            PublishErrorKind::Read(e) | PublishErrorKind::MarkerLoad(e) => e.retryable,
            PublishErrorKind::Publish { error, .. } => error.retryable,
            PublishErrorKind::Marker(SaveError::Call(e)) => e.retryable,
            PublishErrorKind::Marker(SaveError::Conflict) | PublishErrorKind::InProgress { .. } => {
                true
            }
            PublishErrorKind::Corrupt { .. }
            | PublishErrorKind::RulesChanged { .. }
            | PublishErrorKind::Tampered { .. }
            | PublishErrorKind::Superseded { .. } => false,
            PublishErrorKind::Internal { .. } => true,
        }
    }

    /// A short type name for Lambda's `errorType`.
    pub fn error_type(&self) -> &'static str {
        match (&self.kind, self.retryable()) {
            (PublishErrorKind::Corrupt { .. }, _) => "Permanent.CorruptObject",
            (PublishErrorKind::RulesChanged { .. }, _) => "Permanent.RulesChanged",
            (PublishErrorKind::Tampered { .. }, _) => "Permanent.Tampered",
            (PublishErrorKind::Superseded { .. }, _) => "Permanent.Superseded",
            (
                PublishErrorKind::InProgress { .. } | PublishErrorKind::Marker(SaveError::Conflict),
                _,
            ) => "Retryable.InProgress",
            (_, true) => "Retryable.Aws",
            (_, false) => "Permanent.Aws",
        }
    }
}
