//! Completeness: every log file CloudTrail delivered was published, checked against CloudTrail's own
//! digest files rather than trusted to notifications.
//!
//! For one digest:
//! 1. Read it, and check it sits where it says it was delivered.
//! 2. For each log file it lists, read the file's progress marker. A complete marker with the listed
//!    content hash is a published file. A complete marker with another hash is a file whose counted
//!    bytes are not CloudTrail's (overwritten, tampered with).
//! 3. A listed file with no complete marker is published now, through the publisher's exactly-once
//!    path, refusing bytes that do not hash to the listed value ([`Publisher::publish_listed`]).
//!    Delivered within the grace period, it was merely early for its notification (`late`); before
//!    it, a notification was lost (`recovered`).
//! 4. Follow the chain one link back: the previous digest must exist, hash to what this one says, and
//!    end where this one starts. A starting digest (validation or logging was restarted) has no link.
//! 5. When asked, check CloudTrail's signature on the digest ([`SignatureChecker`]). The signature
//!    covers the digest's bytes, and through `previousDigestHashValue` the previous digest's: a valid
//!    signature and unbroken hash links prove every digest back to the chain's start CloudTrail's.

mod report;
#[cfg(feature = "signatures")]
mod signatures;

pub use report::{
    silent_chains, ChainCheck, DigestReport, FileCheck, SignatureCheck, Tally, SILENCE_SECONDS,
};
#[cfg(feature = "signatures")]
pub use signatures::PublicKeys;

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::cloudtrail::{Digest, DigestError, ListedLogFile, MAX_DIGEST_BYTES};
use crate::error::CallError;
use crate::object_ref::ObjectRef;
use crate::publish::{
    Attempt, MetricSink, ObjectSource, Outcome, ProgressStore, PublishErrorKind, Publisher,
};
use crate::time::UnixSeconds;

/// A digest ends this long after the previous one at most and still counts as following it: its
/// hour is measured from when CloudTrail wrote the last one, which drifts by seconds.
const CHAIN_SLACK_SECONDS: i64 = 300;

/// Default grace: a listed file delivered less than this long ago may still have its notification
/// in flight.
pub const DEFAULT_GRACE_SECONDS: i64 = 900;

/// Checks digests against the markers of a publisher's store, and publishes what is missing.
pub struct Verifier<'p, S, M, P> {
    pub publisher: &'p Publisher<S, M, P>,
    /// Seconds after its delivery during which an unpublished file is late, not lost.
    pub grace_seconds: i64,
    /// Publish listed files that are not published. Off, they are only reported.
    pub repair: bool,
    /// Checks CloudTrail's signature on each digest; `None` leaves it unchecked.
    pub signatures: Option<&'p dyn SignatureChecker>,
}

/// Checks CloudTrail's signature on a digest, given the signature its object carries (`None` when it
/// carries none). `PublicKeys` (feature `signatures`) checks it with CloudTrail's public keys.
pub trait SignatureChecker: Send + Sync {
    fn check(&self, digest: &Digest, signature: Option<&str>) -> SignatureCheck;
}

/// A digest that could not be checked at all.
#[derive(Debug, thiserror::Error)]
#[error("digest {digest}: {kind}")]
pub struct VerifyError {
    pub digest: String,
    pub kind: VerifyErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyErrorKind {
    #[error("reading it: {0}")]
    Read(CallError),
    #[error(transparent)]
    Digest(DigestError),
    #[error("the progress store keeps no markers ({0}): a digest cannot be checked against it")]
    NoMarkers(String),
}

impl VerifyError {
    /// Whether a later attempt may succeed (throttling, 5xx, network).
    pub fn retryable(&self) -> bool {
        match &self.kind {
            VerifyErrorKind::Read(e) => e.retryable,
            VerifyErrorKind::Digest(DigestError::Io(_)) => true,
            VerifyErrorKind::Digest(_) | VerifyErrorKind::NoMarkers(_) => false,
        }
    }

    pub fn error_type(&self) -> &'static str {
        match (&self.kind, self.retryable()) {
            (_, true) => "Retryable.Aws",
            (VerifyErrorKind::Read(_), false) => "Permanent.Aws",
            (VerifyErrorKind::Digest(_), false) => "Permanent.InvalidDigest",
            (VerifyErrorKind::NoMarkers(_), false) => "Permanent.NoMarkers",
        }
    }
}

impl<S: ObjectSource, M: MetricSink, P: ProgressStore> Verifier<'_, S, M, P> {
    /// Checks one digest: see the module documentation.
    pub async fn verify(
        &self,
        digest_object: &ObjectRef,
        attempt: &Attempt,
    ) -> Result<DigestReport, VerifyError> {
        let fail = |kind| VerifyError {
            digest: digest_object.to_string(),
            kind,
        };
        if !self.publisher.store.keeps_markers() {
            return Err(fail(VerifyErrorKind::NoMarkers(
                self.publisher.store.describe(),
            )));
        }
        let (digest, signature) = self.read_digest(digest_object).await.map_err(fail)?;
        let now = (self.publisher.now)();
        let mut files = Vec::with_capacity(digest.log_files.len());
        for listed in &digest.log_files {
            let check = self.check_file(listed, &digest, now, attempt).await;
            files.push((listed.object.clone(), check));
        }
        let chain = self.check_chain(&digest).await;
        let signature = self.signatures.map_or(SignatureCheck::NotChecked, |keys| {
            keys.check(&digest, signature.as_deref())
        });
        let moved = digest.location.bucket != digest_object.bucket
            || digest.location.key != digest_object.key;
        Ok(DigestReport {
            digest: digest_object.clone(),
            moved_from: moved.then(|| digest.location.clone()),
            start: digest.start,
            end: digest.end,
            files,
            chain,
            signature,
        })
    }

    /// The digest, and the signature its object carries.
    async fn read_digest(
        &self,
        object: &ObjectRef,
    ) -> Result<(Digest, Option<String>), VerifyErrorKind> {
        let opened = self
            .publisher
            .source
            .open(object)
            .await
            .map_err(VerifyErrorKind::Read)?;
        let bytes = read_capped(opened.body)
            .await
            .map_err(|e| VerifyErrorKind::Digest(DigestError::Io(e)))?;
        let digest = Digest::read(&bytes[..]).map_err(VerifyErrorKind::Digest)?;
        Ok((digest, opened.signature))
    }

    /// What one listed file's marker says, and what publishing it now did when it said nothing.
    async fn check_file(
        &self,
        listed: &ListedLogFile,
        digest: &Digest,
        now: UnixSeconds,
        attempt: &Attempt,
    ) -> FileCheck {
        let object = ObjectRef::new(&listed.object.bucket, &listed.object.key);
        let stored = match self.publisher.store.load(&object).await {
            Ok(stored) => stored,
            Err(error) => {
                return FileCheck::Unchecked {
                    retryable: error.retryable,
                    error: format!("its progress marker: {error}"),
                }
            }
        };
        if let Some(p) = stored.as_ref().map(|s| &s.progress) {
            if p.is_complete() {
                return match p.content {
                    Some(found) if found == listed.hash => FileCheck::Published,
                    Some(found) => FileCheck::Tampered {
                        found,
                        counted: true,
                    },
                    None => FileCheck::PublishedUnhashed,
                };
            }
            if p.lease > now.0 && p.owner != attempt.owner {
                return FileCheck::InProgress;
            }
        }
        if !self.repair {
            return FileCheck::Unpublished;
        }
        match self
            .publisher
            .publish_listed(&object, listed.hash, attempt)
            .await
        {
            Ok(Outcome::Published(p)) => {
                let delivered = p.delivered.unwrap_or(digest.end);
                FileCheck::Recovered {
                    late: now.0 - delivered.0 < self.grace_seconds,
                    requests: p.requests_sent,
                }
            }
            Ok(Outcome::AlreadyPublished { .. }) => FileCheck::Published,
            Ok(other) => FileCheck::Missing(format!(
                "not a log file by its content: {}",
                other.skip_reason().unwrap_or("skipped")
            )),
            Err(e) => match e.kind {
                PublishErrorKind::Tampered { found, .. } => FileCheck::Tampered {
                    found,
                    counted: false,
                },
                PublishErrorKind::InProgress { .. }
                | PublishErrorKind::Marker(crate::publish::SaveError::Conflict) => {
                    FileCheck::InProgress
                }
                _ if e.retryable() => FileCheck::Unchecked {
                    error: e.kind.to_string(),
                    retryable: true,
                },
                kind => FileCheck::Missing(kind.to_string()),
            },
        }
    }

    /// One link back: the previous digest exists, hashes to what this one lists, and ends where
    /// this one starts.
    async fn check_chain(&self, digest: &Digest) -> ChainCheck {
        let Some(previous) = &digest.previous else {
            return ChainCheck::Start;
        };
        let read = match self.read_digest(&previous.object).await {
            Ok((d, _)) => d,
            Err(VerifyErrorKind::Read(e)) if e.code == "NoSuchKey" => {
                return ChainCheck::PreviousMissing(previous.object.clone())
            }
            Err(e) => {
                return ChainCheck::Unchecked {
                    previous: previous.object.clone(),
                    retryable: matches!(&e, VerifyErrorKind::Read(c) if c.retryable),
                    error: e.to_string(),
                }
            }
        };
        if read.content_hash != previous.hash {
            return ChainCheck::PreviousAltered {
                previous: previous.object.clone(),
                found: read.content_hash,
            };
        }
        if digest.start.0 - read.end.0 > CHAIN_SLACK_SECONDS {
            return ChainCheck::Gap {
                previous: previous.object.clone(),
                from: read.end,
                to: digest.start,
            };
        }
        ChainCheck::Linked
    }
}

/// Reads a digest's body whole, refusing more than a digest can hold (compressed, it is smaller).
async fn read_capped<B: AsyncRead + Unpin>(body: B) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    body.take(MAX_DIGEST_BYTES + 1)
        .read_to_end(&mut bytes)
        .await?;
    Ok(bytes)
}

#[cfg(test)]
mod tests;
