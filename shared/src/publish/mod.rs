//! One S3 object in, its metrics published exactly once: read the object as a stream, run the engine,
//! and send the engine's PutMetricData batches, recording progress in a marker so that no delivery,
//! retry or re-run counts an object twice and no retry re-sends a batch that was accepted.
//!
//! The protocol, per object (see [`Progress`]):
//! 1. Load the object's marker. If it says every batch of this object version (ETag) was published,
//!    stop: already done (with whatever rules were in use then).
//! 2. Read the object and run the engine (nothing is published from a file that fails part-way).
//! 3. Claim the object: write the marker with `done` batches so far, the total, and a lease that ends
//!    when this invocation must end. The write is conditional on the marker being unchanged since step
//!    1 (S3 conditional writes), so two invocations cannot both claim it; one that finds a live lease of
//!    another owner backs off with a retryable error.
//! 4. For each batch from `done` on: PutMetricData, then advance `done` in the marker (conditionally).
//!
//! The one gap: a crash between PutMetricData returning and the marker write re-sends that one batch on
//! retry, and so does an ambiguous failure of the request itself (a connection reset after CloudWatch
//! accepted it, which the SDK retries). PutMetricData has no idempotency key, so no design that calls it
//! can close that gap; this one narrows it to a single request, and retries the marker write before
//! giving up.

mod dedup;
mod dry_run;
mod error;
mod many;
mod outcome;
mod ports;
mod progress;

pub use dedup::DedupMode;
pub use dry_run::{CollectSink, NoProgress, ReadOnly};
pub use error::{PublishError, PublishErrorKind};
pub use many::publish_all;
pub use outcome::{Attempt, Lease, Outcome, Published};
pub use ports::{MetricSink, ObjectSource, Opened, ProgressStore, SaveError, Stored};
pub use progress::{Progress, ProgressError, MAX_EARLIER_ETAGS, MAX_OWNER_CHARS};

use std::ops::Range;
use std::sync::Arc;

use tokio::io::AsyncRead;

use crate::cloudtrail::{classify_key, ContentHash, KeyKind, ReadError};
use crate::engine::{Engine, FileError, FileKind};
use crate::error::CallError;
use crate::metrics::{request_batches, MetricDatum};
use crate::object_ref::ObjectRef;
use crate::rules::ruleset::Evidence;
use crate::time::UnixSeconds;

/// Attempts at a marker write before giving up on it.
const MARKER_WRITE_ATTEMPTS: u32 = 4;

/// Receives the evidence of one object's security-rule matches (the function logs it).
pub type EvidenceSink = dyn Fn(&ObjectRef, &[Evidence]) + Send + Sync;

/// The engine plus where objects come from, where datums go and where progress is kept.
pub struct Publisher<S, M, P> {
    pub engine: Arc<Engine>,
    pub source: S,
    pub sink: M,
    pub store: P,
    /// Clock, replaceable in tests.
    pub now: fn() -> UnixSeconds,
    /// Where evidence goes, before anything is published; `None` to drop it.
    pub evidence: Option<Arc<EvidenceSink>>,
}

impl<S: ObjectSource, M: MetricSink, P: ProgressStore> Publisher<S, M, P> {
    /// Processes one object: see the module documentation.
    pub async fn publish_object(
        &self,
        object: &ObjectRef,
        attempt: &Attempt,
    ) -> Result<Outcome, PublishError> {
        let kind = classify_key(&object.key);
        if kind != KeyKind::Log {
            return Ok(Outcome::SkippedKey(kind));
        }
        self.publish_log(object, None, attempt)
            .await
            .map_err(|kind| PublishError {
                object: object.to_string(),
                kind,
            })
    }

    /// Publishes a log file a CloudTrail digest lists with its content hash, whatever its key: the
    /// same protocol as [`Publisher::publish_object`], but a file whose bytes do not hash to `listed`
    /// is refused ([`PublishErrorKind::Tampered`]) before anything is claimed or published.
    pub async fn publish_listed(
        &self,
        object: &ObjectRef,
        listed: ContentHash,
        attempt: &Attempt,
    ) -> Result<Outcome, PublishError> {
        self.publish_log(object, Some(listed), attempt)
            .await
            .map_err(|kind| PublishError {
                object: object.to_string(),
                kind,
            })
    }

    /// Load the marker, read the object, claim it, publish its batches.
    async fn publish_log(
        &self,
        object: &ObjectRef,
        listed: Option<ContentHash>,
        attempt: &Attempt,
    ) -> Result<Outcome, PublishErrorKind> {
        let stored = self
            .store
            .load(object)
            .await
            .map_err(PublishErrorKind::MarkerLoad)?;
        // A duplicate notification that carries the ETag is settled without reading the object.
        if let (Some(s), Some(etag)) = (&stored, &object.etag) {
            if s.progress.published(etag) {
                return Ok(Outcome::AlreadyPublished {
                    requests: if s.progress.etag == *etag {
                        s.progress.total
                    } else {
                        0
                    },
                });
            }
        }
        let opened =
            self.source
                .open(object)
                .await
                .map_err(|e| match (&object.etag, e.code.as_str()) {
                    (Some(notified), "PreconditionFailed") => PublishErrorKind::Superseded {
                        notified: notified.clone(),
                    },
                    _ => PublishErrorKind::Read(e),
                })?;
        let etag = opened.etag.clone();
        let delivered = opened.last_modified;
        if let Err(outcome) = self.check(stored.as_ref(), &etag, attempt) {
            return *outcome;
        }
        let report = self.read(object, opened.body).await?;
        if let (Some(listed), Some(found)) = (listed, report.content_hash) {
            if listed != found {
                return Err(PublishErrorKind::Tampered { listed, found });
            }
        }
        if report.kind != FileKind::Events {
            return Ok(Outcome::SkippedContent(report.kind));
        }
        let datums = report.aggregation.into_datums();
        let batches = request_batches(&datums);
        let mut published = Published {
            records: report.counts.records,
            events: report.counts.events,
            datums: datums.len(),
            requests: batches.len(),
            newest_event: report.newest_event,
            delivered,
            evidence_dropped: report.evidence_dropped,
            dimension_values_encoded: report.counts.encoded_dimension_value,
            dimension_values_folded: report.counts.folded_dimension_value,
            matches_dropped: report.counts.no_metric_value + report.counts.no_dimension_value,
            records_unusable: report.counts.skipped_not_object
                + report.counts.skipped_no_event_time,
            ..Published::default()
        };
        // A file with nothing to publish gets a marker too: a digest check then finds it published.
        let read = Read {
            etag,
            content: report.content_hash,
            total: batches.len(),
        };
        let claimed = match self.claim(object, stored, read, attempt).await? {
            Claim::Claimed(claimed) => claimed,
            Claim::Settled(outcome) => return Ok(outcome),
        };
        published.resumed_at = claimed.progress.done;
        if claimed.progress.done == 0 {
            // Before publishing, so that a failure part-way loses no evidence; a retry from request 0
            // logs it again, a retry from further on does not.
            self.log_evidence(object, &report.evidence, &mut published);
        }
        self.publish_batches(object, &datums, &batches, claimed, attempt, &mut published)
            .await?;
        Ok(Outcome::Published(published))
    }

    /// Hands one object's evidence to the evidence sink, if there is one.
    fn log_evidence(&self, object: &ObjectRef, evidence: &[Evidence], published: &mut Published) {
        if let Some(sink) = &self.evidence {
            sink(object, evidence);
            published.evidence = evidence.len();
        }
    }

    /// Claims the object for this attempt: a marker, written on the condition that it is unchanged
    /// since `stored`, that says how many of its `total` requests are done and that this attempt holds
    /// the lease.
    async fn claim(
        &self,
        object: &ObjectRef,
        stored: Option<Stored>,
        read: Read,
        attempt: &Attempt,
    ) -> Result<Claim, PublishErrorKind> {
        let Read {
            etag,
            content,
            total,
        } = read;
        // Reading took a while: a store without compare-and-swap looks again just before claiming,
        // which narrows a race with another invocation to the moment between this read and the write.
        let stored = if self.store.is_atomic() {
            stored
        } else {
            let again = self
                .store
                .load(object)
                .await
                .map_err(PublishErrorKind::MarkerLoad)?;
            if let Err(outcome) = self.check(again.as_ref(), &etag, attempt) {
                return (*outcome).map(Claim::Settled);
            }
            again
        };
        let rules = self.engine.rules().fingerprint();
        let prior = stored
            .as_ref()
            .map(|s| &s.progress)
            .filter(|p| p.etag == etag);
        let done = match prior {
            Some(p) if p.done > 0 && (p.rules != rules || p.total != total) => {
                return Err(PublishErrorKind::RulesChanged {
                    done: p.done,
                    total: p.total,
                    rules: p.rules.clone(),
                    current: rules,
                    now_total: total,
                });
            }
            Some(p) => p.done,
            None => 0,
        };
        let earlier = earlier_versions(stored.as_ref().map(|s| &s.progress), &etag);
        let progress = Progress {
            etag,
            rules,
            done,
            total,
            // Nothing to publish: complete as soon as it is written, held by nobody.
            lease: if done >= total {
                0
            } else {
                attempt.lease_at((self.now)())
            },
            owner: attempt.owner.clone(),
            content,
            earlier,
        };
        let token = self
            .store
            .save(object, &progress, stored.as_ref())
            .await
            .map_err(PublishErrorKind::Marker)?;
        Ok(Claim::Claimed(Stored { progress, token }))
    }

    /// Sends the batches from the claimed marker's `done` on, advancing the marker after each, and
    /// leaves datums CloudWatch would refuse out.
    async fn publish_batches(
        &self,
        object: &ObjectRef,
        datums: &[MetricDatum],
        batches: &[Range<usize>],
        mut current: Stored,
        attempt: &Attempt,
        published: &mut Published,
    ) -> Result<(), PublishErrorKind> {
        let mut progress = current.progress.clone();
        for index in progress.done..batches.len() {
            let now = (self.now)();
            let batch: Vec<MetricDatum> = datums[batches[index].clone()]
                .iter()
                .filter(|d| d.is_publishable_at(now))
                .cloned()
                .collect();
            published.out_of_window += batches[index].len() - batch.len();
            if let Some(first) = batch.first() {
                if let Err(error) = self.sink.put(&first.namespace, &batch).await {
                    self.release(object, &progress, &current).await;
                    return Err(PublishErrorKind::Publish {
                        index: index + 1,
                        total: batches.len(),
                        done: index,
                        error,
                    });
                }
                published.requests_sent += 1;
            }
            progress.done = index + 1;
            progress.lease = if progress.is_complete() {
                0
            } else {
                attempt.lease_at((self.now)())
            };
            match self.save_with_retries(object, &progress, &current).await {
                Ok(token) => {
                    current = Stored {
                        progress: progress.clone(),
                        token,
                    };
                }
                Err(e) => {
                    if !matches!(e, SaveError::Conflict) {
                        self.release(object, &progress, &current).await;
                    }
                    return Err(PublishErrorKind::Marker(e));
                }
            }
        }
        Ok(())
    }

    /// What the marker says before anything is read or claimed: `Err` ends the attempt (already
    /// published, or held by another invocation).
    fn check(
        &self,
        stored: Option<&Stored>,
        etag: &str,
        attempt: &Attempt,
    ) -> Result<(), Box<Result<Outcome, PublishErrorKind>>> {
        if let Some(p) = stored.map(|s| &s.progress) {
            if p.etag != etag && p.published(etag) {
                // An earlier version, published in full before the object changed.
                return Err(Box::new(Ok(Outcome::AlreadyPublished { requests: 0 })));
            }
        }
        let Some(p) = stored.map(|s| &s.progress).filter(|p| p.etag == etag) else {
            return Ok(());
        };
        if p.is_complete() {
            return Err(Box::new(Ok(Outcome::AlreadyPublished {
                requests: p.total,
            })));
        }
        if p.lease > (self.now)().0 && p.owner != attempt.owner {
            return Err(Box::new(Err(PublishErrorKind::InProgress {
                owner: p.owner.clone(),
                until: UnixSeconds(p.lease),
            })));
        }
        Ok(())
    }

    /// Best effort, after a failure: end this attempt's lease so that the next one need not wait.
    async fn release(&self, object: &ObjectRef, progress: &Progress, current: &Stored) {
        let released = Progress {
            lease: 0,
            done: current.progress.done,
            ..progress.clone()
        };
        let _ = self.store.save(object, &released, Some(current)).await;
    }

    /// Runs the engine over the body on a blocking thread, reading the stream as it arrives.
    async fn read<B: AsyncRead + Send + Unpin + 'static>(
        &self,
        object: &ObjectRef,
        body: B,
    ) -> Result<crate::engine::FileReport, PublishErrorKind> {
        let engine = Arc::clone(&self.engine);
        let name = object.to_string();
        let reader = tokio_util::io::SyncIoBridge::new(body);
        let result = tokio::task::spawn_blocking(move || engine.process(&name, reader))
            .await
            .map_err(|error| PublishErrorKind::Internal {
                what: "the engine task",
                error,
            })?;
        result.map_err(|FileError { gzip, error, .. }| match error {
            // An I/O error while streaming is S3's or the network's, not the file's.
            ReadError::Io(e) => PublishErrorKind::Read(CallError {
                operation: "GetObject",
                code: "Network".into(),
                message: format!("the object's body stopped: {e}"),
                retryable: true,
            }),
            error => PublishErrorKind::Corrupt { gzip, error },
        })
    }

    /// Writes the marker, retrying transient failures. A conflict whose marker already holds what was
    /// written is success: the SDK retried a write that had gone through.
    async fn save_with_retries(
        &self,
        object: &ObjectRef,
        progress: &Progress,
        current: &Stored,
    ) -> Result<Option<String>, SaveError> {
        let mut delay = std::time::Duration::from_millis(100);
        let mut attempt = 1;
        loop {
            match self.store.save(object, progress, Some(current)).await {
                Err(SaveError::Call(e)) if e.retryable && attempt < MARKER_WRITE_ATTEMPTS => {
                    tokio::time::sleep(delay).await;
                    delay *= 3;
                    attempt += 1;
                }
                Err(SaveError::Conflict) => {
                    return match self.store.load(object).await {
                        Ok(Some(now)) if now.progress == *progress => Ok(now.token),
                        _ => Err(SaveError::Conflict),
                    };
                }
                other => return other,
            }
        }
    }
}

/// The earlier versions a new marker for `etag` remembers: those the stored marker remembers, and the
/// version it was for when that was published in full.
fn earlier_versions(stored: Option<&Progress>, etag: &str) -> Vec<String> {
    let Some(p) = stored else {
        return Vec::new();
    };
    let mut earlier = p.earlier.clone();
    if p.etag != etag && p.is_complete() && !earlier.contains(&p.etag) {
        earlier.push(p.etag.clone());
    }
    let excess = earlier.len().saturating_sub(MAX_EARLIER_ETAGS);
    earlier.drain(..excess);
    earlier
}

/// What the read of an object found, for its marker.
struct Read {
    etag: String,
    content: Option<ContentHash>,
    /// PutMetricData requests it makes.
    total: usize,
}

/// What claiming an object came to.
enum Claim {
    /// This attempt holds the marker, as written.
    Claimed(Stored),
    /// Another look at the marker settled it (published meanwhile, or held by another invocation).
    Settled(Outcome),
}

#[cfg(test)]
mod tests;
