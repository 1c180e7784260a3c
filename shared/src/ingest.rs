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

use std::future::Future;
use std::sync::Arc;

use tokio::io::AsyncRead;

use crate::cloudtrail::ReadError;
use crate::engine::{Engine, FileError, FileKind};
use crate::metrics::{request_batches, MetricDatum};
use crate::rules::ruleset::Evidence;
use crate::timestamp::UnixSeconds;
use crate::trigger::{classify_key, KeyKind, ObjectRef};

/// A failed call to an AWS API, classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation}: {code}: {message}")]
pub struct AwsError {
    pub operation: &'static str,
    /// The service's error code (`AccessDenied`, `Throttling`…), or `Timeout`, `Network`…
    pub code: String,
    pub message: String,
    /// Whether the same call may succeed later (throttling, 5xx, network).
    pub retryable: bool,
}

impl AwsError {
    pub fn is(&self, code: &str) -> bool {
        self.code == code
    }
}

/// An object opened for reading.
pub struct Opened<B> {
    pub body: B,
    /// Without quotes.
    pub etag: String,
}

/// Where log objects are read from (S3).
pub trait ObjectSource: Send + Sync {
    type Body: AsyncRead + Send + Unpin + 'static;
    fn open(
        &self,
        object: &ObjectRef,
    ) -> impl Future<Output = Result<Opened<Self::Body>, AwsError>> + Send;
}

/// Where datums go (CloudWatch PutMetricData). One call is one request: every datum has `namespace`.
pub trait MetricSink: Send + Sync {
    fn put(
        &self,
        namespace: &str,
        datums: &[MetricDatum],
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
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
    Aws(#[from] AwsError),
}

/// Where progress markers live: object tags, marker objects, or nowhere.
pub trait ProgressStore: Send + Sync {
    /// What this store is, for logs: `tags`, `s3://bucket/prefix/`, `off`.
    fn describe(&self) -> String;
    /// Whether `save` is a compare-and-swap (it refuses a marker that changed since `previous`).
    fn is_atomic(&self) -> bool;
    fn load(
        &self,
        object: &ObjectRef,
    ) -> impl Future<Output = Result<Option<Stored>, AwsError>> + Send;
    /// Replaces the marker if it is still `previous` (or absent, for `None`); returns the new token.
    fn save(
        &self,
        object: &ObjectRef,
        progress: &Progress,
        previous: Option<&Stored>,
    ) -> impl Future<Output = Result<Option<String>, SaveError>> + Send;
}

/// How far publishing an object has gone. Stored as one line of text (it fits an S3 tag value):
/// `v1 etag=… rules=… done=2 total=5 lease=1764059700 owner=…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The object version this is about.
    pub etag: String,
    /// [`crate::rules::ruleset::RuleSet::fingerprint`] of the rules that made the batches.
    pub rules: String,
    /// Batches accepted by PutMetricData, in order.
    pub done: usize,
    pub total: usize,
    /// Until when (Unix seconds) the owner may still be publishing; 0 when nobody is.
    pub lease: i64,
    /// Who holds the lease: a Lambda request ID, or `trailwatch-backfill-…`.
    pub owner: String,
}

impl Progress {
    pub fn is_complete(&self) -> bool {
        self.done >= self.total
    }

    pub fn encode(&self) -> String {
        format!(
            "v1 etag={} rules={} done={} total={} lease={} owner={}",
            self.etag, self.rules, self.done, self.total, self.lease, self.owner
        )
    }

    pub fn parse(text: &str) -> Result<Progress, String> {
        let mut fields = text.split(' ');
        if fields.next() != Some("v1") {
            return Err(format!("unknown progress marker format {text:?}"));
        }
        let mut p = Progress {
            etag: String::new(),
            rules: String::new(),
            done: 0,
            total: 0,
            lease: 0,
            owner: String::new(),
        };
        let mut seen = 0;
        for field in fields {
            let (k, v) = field
                .split_once('=')
                .ok_or_else(|| format!("progress marker field {field:?} has no `=`"))?;
            let number = |v: &str| {
                v.parse::<i64>()
                    .map_err(|_| format!("progress marker: {k}={v:?} is not a number"))
            };
            match k {
                "etag" => p.etag = v.to_owned(),
                "rules" => p.rules = v.to_owned(),
                "done" => {
                    p.done = number(v)?
                        .try_into()
                        .map_err(|_| "progress marker: negative done")?
                }
                "total" => {
                    p.total = number(v)?
                        .try_into()
                        .map_err(|_| "progress marker: negative total")?
                }
                "lease" => p.lease = number(v)?,
                "owner" => p.owner = v.to_owned(),
                _ => continue,
            }
            seen += 1;
        }
        if seen < 6 || p.done > p.total {
            return Err(format!("incomplete progress marker {text:?}"));
        }
        Ok(p)
    }
}

/// Why processing an object failed, and whether trying again can help.
#[derive(Debug, thiserror::Error)]
pub enum IngestErrorKind {
    #[error("reading the object: {0}")]
    Read(AwsError),
    #[error("corrupt log file, nothing published{}: {error}", if *.gzip { " (offsets in the decompressed data)" } else { "" })]
    Corrupt { gzip: bool, error: ReadError },
    #[error("another invocation ({owner}) is publishing it, lease until {until}: try again later")]
    InProgress { owner: String, until: UnixSeconds },
    #[error("{0}")]
    Marker(SaveError),
    #[error("reading its progress marker: {0}")]
    MarkerLoad(AwsError),
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
        error: AwsError,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

/// A failure on one object; the message names it.
#[derive(Debug, thiserror::Error)]
#[error("{object}: {kind}")]
pub struct IngestError {
    pub object: String,
    pub kind: IngestErrorKind,
}

impl IngestError {
    /// Whether a later attempt may succeed: throttling, 5xx, network, a lease held by another
    /// invocation. A corrupt file, a missing object or denied access will fail the same way again.
    pub fn retryable(&self) -> bool {
        match &self.kind {
            IngestErrorKind::Read(e) | IngestErrorKind::MarkerLoad(e) => e.retryable,
            IngestErrorKind::Publish { error, .. } => error.retryable,
            IngestErrorKind::Marker(SaveError::Aws(e)) => e.retryable,
            IngestErrorKind::Marker(SaveError::Conflict) | IngestErrorKind::InProgress { .. } => {
                true
            }
            IngestErrorKind::Corrupt { .. } | IngestErrorKind::RulesChanged { .. } => false,
            IngestErrorKind::Internal(_) => true,
        }
    }

    /// A short type name for Lambda's `errorType`.
    pub fn error_type(&self) -> &'static str {
        match (&self.kind, self.retryable()) {
            (IngestErrorKind::Corrupt { .. }, _) => "Permanent.CorruptObject",
            (IngestErrorKind::RulesChanged { .. }, _) => "Permanent.RulesChanged",
            (
                IngestErrorKind::InProgress { .. } | IngestErrorKind::Marker(SaveError::Conflict),
                _,
            ) => "Retryable.InProgress",
            (_, true) => "Retryable.Aws",
            (_, false) => "Permanent.Aws",
        }
    }
}

/// What happened to one object.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Not a log file, by its key.
    SkippedKey(KeyKind),
    /// Not a log file, by its content (a digest, LookupEvents output, empty).
    SkippedContent(FileKind),
    /// Its marker says it was published in full before.
    AlreadyPublished {
        requests: usize,
    },
    Published(Published),
}

/// What publishing one object did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Published {
    pub records: u64,
    pub events: u64,
    pub datums: usize,
    /// PutMetricData requests this file makes in all, and how many this attempt sent.
    pub requests: usize,
    pub requests_sent: usize,
    /// Requests found published by an earlier attempt.
    pub resumed_at: usize,
    /// Datums CloudWatch would refuse (older than 14 days, more than 2 hours ahead): not sent.
    pub out_of_window: usize,
    pub newest_event: Option<UnixSeconds>,
    /// Evidence lines handed to [`Ingest::evidence`] (on the first attempt at an object only), and
    /// matches beyond the engine's per-file limit.
    pub evidence: usize,
    pub evidence_dropped: u64,
    /// Dimension values published percent-encoded, and matches folded past a rule's cardinality
    /// guard ([`crate::engine::RecordCounts`]).
    pub dimension_values_encoded: u64,
    pub dimension_values_folded: u64,
}

/// Who is processing objects, and how long a claim lasts.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub owner: String,
    pub lease: Lease,
}

/// How long a claim on an object holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// Until a fixed time: a Lambda invocation's deadline, after which it cannot be running.
    Until(UnixSeconds),
    /// For this many seconds from each marker write (a backfill): renewed as publishing goes on.
    Seconds(i64),
}

impl Attempt {
    fn lease_at(&self, now: UnixSeconds) -> i64 {
        match self.lease {
            Lease::Until(t) => t.0,
            Lease::Seconds(s) => now.0 + s,
        }
    }
}

/// Attempts at a marker write before giving up on it.
const MARKER_WRITE_ATTEMPTS: u32 = 4;

/// Receives the evidence of one object's security-rule matches (the function logs it).
pub type EvidenceSink = dyn Fn(&ObjectRef, &[Evidence]) + Send + Sync;

/// The engine plus where objects come from, where datums go and where progress is kept.
pub struct Ingest<S, M, P> {
    pub engine: Arc<Engine>,
    pub source: S,
    pub sink: M,
    pub store: P,
    /// Clock, replaceable in tests.
    pub now: fn() -> UnixSeconds,
    /// Where evidence goes, before anything is published; `None` to drop it.
    pub evidence: Option<Arc<EvidenceSink>>,
}

impl<S: ObjectSource, M: MetricSink, P: ProgressStore> Ingest<S, M, P> {
    /// Processes one object: see the module documentation.
    pub async fn object(
        &self,
        object: &ObjectRef,
        attempt: &Attempt,
    ) -> Result<Outcome, IngestError> {
        let kind = classify_key(&object.key);
        if kind != KeyKind::Log {
            return Ok(Outcome::SkippedKey(kind));
        }
        let fail = |kind| IngestError {
            object: object.to_string(),
            kind,
        };
        let stored = self
            .store
            .load(object)
            .await
            .map_err(|e| fail(IngestErrorKind::MarkerLoad(e)))?;
        // A duplicate notification that carries the ETag is settled without reading the object.
        if let (Some(s), Some(etag)) = (&stored, &object.etag) {
            if s.progress.etag == *etag && s.progress.is_complete() {
                return Ok(Outcome::AlreadyPublished {
                    requests: s.progress.total,
                });
            }
        }
        let opened = self
            .source
            .open(object)
            .await
            .map_err(|e| fail(IngestErrorKind::Read(e)))?;
        let etag = opened.etag.clone();
        if let Err(outcome) = self.check(stored.as_ref(), &etag, attempt) {
            return outcome.map_err(fail);
        }

        let report = self.read(object, opened.body).await.map_err(fail)?;
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
            evidence_dropped: report.evidence_dropped,
            dimension_values_encoded: report.counts.encoded_dimension_value,
            dimension_values_folded: report.counts.folded_dimension_value,
            ..Published::default()
        };
        let log_evidence = |published: &mut Published| {
            if let Some(sink) = &self.evidence {
                sink(object, &report.evidence);
                published.evidence = report.evidence.len();
            }
        };
        if batches.is_empty() {
            // Nothing to count twice: no marker needed.
            log_evidence(&mut published);
            return Ok(Outcome::Published(published));
        }

        // Reading took a while: a store without compare-and-swap looks again just before claiming,
        // which narrows a race with another invocation to the moment between this read and the write.
        let stored = if self.store.is_atomic() {
            stored
        } else {
            let again = self
                .store
                .load(object)
                .await
                .map_err(|e| fail(IngestErrorKind::MarkerLoad(e)))?;
            if let Err(outcome) = self.check(again.as_ref(), &etag, attempt) {
                return outcome.map_err(fail);
            }
            again
        };
        let rules = self.engine.rules().fingerprint();
        let prior = stored
            .as_ref()
            .map(|s| &s.progress)
            .filter(|p| p.etag == etag);
        let done = match prior {
            Some(p) if p.done > 0 && (p.rules != rules || p.total != batches.len()) => {
                return Err(fail(IngestErrorKind::RulesChanged {
                    done: p.done,
                    total: p.total,
                    rules: p.rules.clone(),
                    current: rules,
                    now_total: batches.len(),
                }));
            }
            Some(p) => p.done,
            None => 0,
        };
        published.resumed_at = done;

        // Claim.
        let mut progress = Progress {
            etag,
            rules,
            done,
            total: batches.len(),
            lease: attempt.lease_at((self.now)()),
            owner: attempt.owner.clone(),
        };
        let token = self
            .store
            .save(object, &progress, stored.as_ref())
            .await
            .map_err(|e| fail(IngestErrorKind::Marker(e)))?;
        let mut current = Stored {
            progress: progress.clone(),
            token,
        };
        if done == 0 {
            // Before publishing, so that a failure part-way loses no evidence; a retry from request 0
            // logs it again, a retry from further on does not.
            log_evidence(&mut published);
        }

        for index in done..batches.len() {
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
                    return Err(fail(IngestErrorKind::Publish {
                        index: index + 1,
                        total: batches.len(),
                        done: index,
                        error,
                    }));
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
                    return Err(fail(IngestErrorKind::Marker(e)));
                }
            }
        }
        Ok(Outcome::Published(published))
    }

    /// What the marker says before anything is read or claimed: `Err` ends the attempt (already
    /// published, or held by another invocation).
    fn check(
        &self,
        stored: Option<&Stored>,
        etag: &str,
        attempt: &Attempt,
    ) -> Result<(), Result<Outcome, IngestErrorKind>> {
        let Some(p) = stored.map(|s| &s.progress).filter(|p| p.etag == etag) else {
            return Ok(());
        };
        if p.is_complete() {
            return Err(Ok(Outcome::AlreadyPublished { requests: p.total }));
        }
        if p.lease > (self.now)().0 && p.owner != attempt.owner {
            return Err(Err(IngestErrorKind::InProgress {
                owner: p.owner.clone(),
                until: UnixSeconds(p.lease),
            }));
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
    ) -> Result<crate::engine::FileReport, IngestErrorKind> {
        let engine = Arc::clone(&self.engine);
        let name = object.to_string();
        let reader = tokio_util::io::SyncIoBridge::new(body);
        let result = tokio::task::spawn_blocking(move || engine.process(&name, reader))
            .await
            .map_err(|e| IngestErrorKind::Internal(format!("the engine task failed: {e}")))?;
        result.map_err(|FileError { gzip, error, .. }| match error {
            // An I/O error while streaming is S3's or the network's, not the file's.
            ReadError::Io(e) => IngestErrorKind::Read(AwsError {
                operation: "GetObject",
                code: "Network".into(),
                message: format!("the object's body stopped: {e}"),
                retryable: true,
            }),
            error => IngestErrorKind::Corrupt { gzip, error },
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
                Err(SaveError::Aws(e)) if e.retryable && attempt < MARKER_WRITE_ATTEMPTS => {
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

/// A store that keeps nothing: every delivery is counted (de-duplication off).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl ProgressStore for NoProgress {
    fn describe(&self) -> String {
        "off".into()
    }

    fn is_atomic(&self) -> bool {
        true
    }

    async fn load(&self, _object: &ObjectRef) -> Result<Option<Stored>, AwsError> {
        Ok(None)
    }

    async fn save(
        &self,
        _object: &ObjectRef,
        _progress: &Progress,
        _previous: Option<&Stored>,
    ) -> Result<Option<String>, SaveError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudtrail::ReadLimits;
    use crate::rules::ruleset::{RuleSet, DEFAULT_MAX_DIMENSION_VALUES_PER_HOUR};
    use std::collections::HashMap;
    use std::sync::Mutex;

    const KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/25/111122223333_CloudTrail_us-east-1_20261125T0900Z_x.json.gz";

    fn now() -> UnixSeconds {
        UnixSeconds::parse_rfc3339("2026-11-25T09:00:00Z").unwrap()
    }

    /// A log with `users` StartInstances events, one per user, at `time`; past the built-in rules'
    /// 1,000 distinct users an hour, each further thousand is an hour later.
    fn log(users: usize, time: &str) -> Vec<u8> {
        let records: Vec<String> = (0..users)
            .map(|i| {
                let later = i / DEFAULT_MAX_DIMENSION_VALUES_PER_HOUR;
                let time = if later == 0 {
                    time.to_owned()
                } else {
                    // An hour on: "…T08:55:10Z" becomes "…T09:55:10Z", "…T10:55:10Z".
                    let hour: usize = time[11..13].parse().unwrap();
                    format!("{}{:02}{}", &time[..11], hour + later, &time[13..])
                };
                format!(
                    r#"{{"eventTime":"{time}","eventName":"StartInstances","eventSource":"ec2.amazonaws.com","eventID":"id-{i}","userIdentity":{{"type":"IAMUser","userName":"user{i}"}}}}"#
                )
            })
            .collect();
        format!(r#"{{"Records":[{}]}}"#, records.join(",")).into_bytes()
    }

    #[derive(Default)]
    struct Source(HashMap<String, (Vec<u8>, String)>);

    impl ObjectSource for Source {
        type Body = std::io::Cursor<Vec<u8>>;
        async fn open(&self, o: &ObjectRef) -> Result<Opened<Self::Body>, AwsError> {
            match self.0.get(&o.key) {
                Some((bytes, etag)) => Ok(Opened {
                    body: std::io::Cursor::new(bytes.clone()),
                    etag: etag.clone(),
                }),
                None => Err(AwsError {
                    operation: "GetObject",
                    code: "NoSuchKey".into(),
                    message: "gone".into(),
                    retryable: false,
                }),
            }
        }
    }

    /// Records every accepted request; fails the calls whose numbers (1-based) are in `fail`.
    #[derive(Default)]
    struct Sink {
        accepted: Mutex<Vec<Vec<MetricDatum>>>,
        calls: Mutex<usize>,
        fail: Vec<usize>,
    }

    impl MetricSink for Sink {
        async fn put(&self, _ns: &str, datums: &[MetricDatum]) -> Result<(), AwsError> {
            let mut calls = self.calls.lock().unwrap();
            *calls += 1;
            if self.fail.contains(&calls) {
                return Err(AwsError {
                    operation: "PutMetricData",
                    code: "Throttling".into(),
                    message: "slow down".into(),
                    retryable: true,
                });
            }
            self.accepted.lock().unwrap().push(datums.to_vec());
            Ok(())
        }
    }

    /// Compare-and-swap like S3 conditional writes.
    #[derive(Default)]
    struct Store {
        markers: Mutex<HashMap<String, (Progress, u32)>>,
        writes: Mutex<usize>,
    }

    impl ProgressStore for Store {
        fn describe(&self) -> String {
            "fake".into()
        }
        fn is_atomic(&self) -> bool {
            true
        }
        async fn load(&self, o: &ObjectRef) -> Result<Option<Stored>, AwsError> {
            Ok(self
                .markers
                .lock()
                .unwrap()
                .get(&o.key)
                .map(|(p, v)| Stored {
                    progress: p.clone(),
                    token: Some(v.to_string()),
                }))
        }
        async fn save(
            &self,
            o: &ObjectRef,
            p: &Progress,
            previous: Option<&Stored>,
        ) -> Result<Option<String>, SaveError> {
            let mut markers = self.markers.lock().unwrap();
            let current = markers.get(&o.key).map(|(_, v)| v.to_string());
            if current.as_deref() != previous.and_then(|p| p.token.as_deref()) {
                return Err(SaveError::Conflict);
            }
            let version = markers.get(&o.key).map_or(1, |(_, v)| v + 1);
            markers.insert(o.key.clone(), (p.clone(), version));
            *self.writes.lock().unwrap() += 1;
            Ok(Some(version.to_string()))
        }
    }

    fn ingest(files: &[(&str, Vec<u8>)], fail: Vec<usize>) -> Ingest<Source, Sink, Store> {
        let rules = RuleSet::builtin("CloudTrailMetrics").unwrap();
        Ingest {
            engine: Arc::new(Engine::new(rules, ReadLimits::default()).with_evidence(true)),
            source: Source(
                files
                    .iter()
                    .map(|(k, b)| (k.to_string(), (b.clone(), format!("etag-{k}"))))
                    .collect(),
            ),
            sink: Sink {
                fail,
                ..Sink::default()
            },
            store: Store::default(),
            now,
            evidence: None,
        }
    }

    type Logged = Arc<Mutex<Vec<Evidence>>>;

    /// The ingest with an evidence sink that keeps what it is given.
    fn logging<S, M, P>(mut ing: Ingest<S, M, P>) -> (Ingest<S, M, P>, Logged) {
        let logged: Logged = Arc::default();
        let sink = Arc::clone(&logged);
        ing.evidence = Some(Arc::new(move |_: &ObjectRef, e: &[Evidence]| {
            sink.lock().unwrap().extend_from_slice(e)
        }));
        (ing, logged)
    }

    /// A log of `n` failed (AccessDenied) calls, which the UnauthorizedAPICalls rule matches.
    fn denied(n: usize) -> String {
        (0..n)
            .map(|i| format!(r#",{{"eventTime":"2026-11-25T08:40:00Z","eventName":"GetObject","eventID":"denied-{i}","errorCode":"AccessDenied","userIdentity":{{"type":"IAMUser","userName":"mallory"}}}}"#))
            .collect()
    }

    fn object(key: &str) -> ObjectRef {
        ObjectRef {
            bucket: "trail".into(),
            key: key.into(),
            version_id: None,
            etag: None,
            size: None,
        }
    }

    fn attempt(owner: &str) -> Attempt {
        Attempt {
            owner: owner.into(),
            lease: Lease::Until(UnixSeconds(now().0 + 900)),
        }
    }

    /// StartInstances SampleCount per user over every accepted request.
    fn start_counts(sink: &Sink) -> HashMap<String, f64> {
        let mut counts = HashMap::new();
        for d in sink.accepted.lock().unwrap().iter().flatten() {
            if &*d.metric_name == "StartInstances" {
                *counts.entry(d.dimensions[0].1.clone()).or_default() += d.statistics.sample_count;
            }
        }
        counts
    }

    #[tokio::test]
    async fn publishes_once_and_skips_a_second_delivery() {
        let ing = ingest(&[(KEY, log(3, "2026-11-25T08:55:10Z"))], vec![]);
        let Outcome::Published(p) = ing.object(&object(KEY), &attempt("r1")).await.unwrap() else {
            panic!()
        };
        assert_eq!(
            (p.events, p.requests, p.requests_sent, p.resumed_at),
            (3, 1, 1, 0)
        );
        assert_eq!(
            p.newest_event,
            UnixSeconds::parse_rfc3339("2026-11-25T08:55:10Z")
        );
        let again = ing.object(&object(KEY), &attempt("r2")).await.unwrap();
        assert_eq!(again, Outcome::AlreadyPublished { requests: 1 });
        assert_eq!(*ing.sink.calls.lock().unwrap(), 1);
        assert_eq!(start_counts(&ing.sink).len(), 3);
        assert!(ing.store.markers.lock().unwrap()[KEY].0.is_complete());
    }

    #[tokio::test]
    async fn a_retry_after_a_failed_batch_sends_only_the_rest() {
        // 2,500 users: three requests of at most 1,000 datums. The second fails.
        let mut bytes = log(2500, "2026-11-25T08:55:10Z");
        bytes.truncate(bytes.len() - 2);
        bytes.extend_from_slice(format!("{}]}}", denied(3)).as_bytes());
        let (ing, logged) = logging(ingest(&[(KEY, bytes)], vec![2]));
        let err = ing.object(&object(KEY), &attempt("r1")).await.unwrap_err();
        assert_eq!(
            logged.lock().unwrap().len(),
            3,
            "evidence is logged before publishing"
        );
        assert!(err.retryable(), "{err}");
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("s3://trail/{KEY}: PutMetricData request 2 of 3")),
            "{text}"
        );
        let marker = ing.store.markers.lock().unwrap()[KEY].0.clone();
        assert_eq!(
            (marker.done, marker.total, marker.lease),
            (1, 3, 0),
            "lease released after the failure"
        );
        // Lambda's retry, with another request ID.
        let Outcome::Published(p) = ing.object(&object(KEY), &attempt("r2")).await.unwrap() else {
            panic!()
        };
        assert_eq!((p.requests_sent, p.resumed_at), (2, 1));
        assert_eq!(p.evidence, 0, "evidence was logged by the first attempt");
        assert_eq!(logged.lock().unwrap().len(), 3);
        let counts = start_counts(&ing.sink);
        assert_eq!(counts.len(), 2500);
        assert!(
            counts.values().all(|c| *c == 1.0),
            "every user counted exactly once"
        );
    }

    #[tokio::test]
    async fn a_live_lease_of_another_invocation_is_retryable() {
        let ing = ingest(&[(KEY, log(1, "2026-11-25T08:55:10Z"))], vec![]);
        let rules = ing.engine.rules().fingerprint();
        let p = Progress {
            etag: format!("etag-{KEY}"),
            rules,
            done: 0,
            total: 1,
            lease: now().0 + 60,
            owner: "other".into(),
        };
        ing.store
            .markers
            .lock()
            .unwrap()
            .insert(KEY.into(), (p.clone(), 1));
        let err = ing.object(&object(KEY), &attempt("r1")).await.unwrap_err();
        assert!(
            matches!(err.kind, IngestErrorKind::InProgress { .. }) && err.retryable(),
            "{err}"
        );
        assert_eq!(err.error_type(), "Retryable.InProgress");
        assert_eq!(*ing.sink.calls.lock().unwrap(), 0);
        // Once the lease has run out, the object is taken over.
        ing.store.markers.lock().unwrap().insert(
            KEY.into(),
            (
                Progress {
                    lease: now().0 - 1,
                    ..p
                },
                1,
            ),
        );
        assert!(matches!(
            ing.object(&object(KEY), &attempt("r1")).await.unwrap(),
            Outcome::Published(_)
        ));
    }

    #[tokio::test]
    async fn a_marker_changed_since_it_was_read_stops_the_claim() {
        struct Racing(Store);
        impl ProgressStore for Racing {
            fn describe(&self) -> String {
                "racing".into()
            }
            fn is_atomic(&self) -> bool {
                true
            }
            async fn load(&self, o: &ObjectRef) -> Result<Option<Stored>, AwsError> {
                let seen = self.0.load(o).await;
                // Another invocation writes right after this one read.
                let p = Progress {
                    etag: "x".into(),
                    rules: "r".into(),
                    done: 0,
                    total: 1,
                    lease: 0,
                    owner: "o".into(),
                };
                self.0.markers.lock().unwrap().insert(o.key.clone(), (p, 7));
                seen
            }
            async fn save(
                &self,
                o: &ObjectRef,
                p: &Progress,
                prev: Option<&Stored>,
            ) -> Result<Option<String>, SaveError> {
                self.0.save(o, p, prev).await
            }
        }
        let base = ingest(&[(KEY, log(1, "2026-11-25T08:55:10Z"))], vec![]);
        let ing = Ingest {
            engine: base.engine,
            source: base.source,
            sink: base.sink,
            store: Racing(Store::default()),
            now,
            evidence: None,
        };
        let err = ing.object(&object(KEY), &attempt("r1")).await.unwrap_err();
        assert!(
            matches!(err.kind, IngestErrorKind::Marker(SaveError::Conflict)) && err.retryable(),
            "{err}"
        );
        assert_eq!(*ing.sink.calls.lock().unwrap(), 0);
    }

    /// Like tags: no compare-and-swap. Another invocation claims the object while this one reads it.
    struct ClaimedWhileReading {
        inner: Store,
        loads: Mutex<usize>,
    }

    impl ProgressStore for ClaimedWhileReading {
        fn describe(&self) -> String {
            "tags-like".into()
        }
        fn is_atomic(&self) -> bool {
            false
        }
        async fn load(&self, o: &ObjectRef) -> Result<Option<Stored>, AwsError> {
            let second = {
                let mut loads = self.loads.lock().unwrap();
                *loads += 1;
                *loads == 2
            };
            if second {
                let p = Progress {
                    etag: format!("etag-{}", o.key),
                    rules: "r".into(),
                    done: 0,
                    total: 1,
                    lease: now().0 + 300,
                    owner: "other".into(),
                };
                return Ok(Some(Stored {
                    progress: p,
                    token: None,
                }));
            }
            self.inner.load(o).await
        }
        async fn save(
            &self,
            o: &ObjectRef,
            p: &Progress,
            prev: Option<&Stored>,
        ) -> Result<Option<String>, SaveError> {
            self.inner.save(o, p, prev).await
        }
    }

    #[tokio::test]
    async fn a_store_without_compare_and_swap_looks_again_before_claiming() {
        let base = ingest(&[(KEY, log(1, "2026-11-25T08:55:10Z"))], vec![]);
        let store = ClaimedWhileReading {
            inner: Store::default(),
            loads: Mutex::new(0),
        };
        let ing = Ingest {
            engine: base.engine,
            source: base.source,
            sink: base.sink,
            store,
            now,
            evidence: None,
        };
        let err = ing.object(&object(KEY), &attempt("r1")).await.unwrap_err();
        assert!(
            matches!(err.kind, IngestErrorKind::InProgress { .. }),
            "{err}"
        );
        assert_eq!(*ing.store.loads.lock().unwrap(), 2);
        assert_eq!(*ing.sink.calls.lock().unwrap(), 0);
    }

    /// A marker write that went through but answered "conflict", as when the SDK retries a
    /// conditional PUT whose first try succeeded.
    struct EchoingConflict(Store);

    impl ProgressStore for EchoingConflict {
        fn describe(&self) -> String {
            "echo".into()
        }
        fn is_atomic(&self) -> bool {
            true
        }
        async fn load(&self, o: &ObjectRef) -> Result<Option<Stored>, AwsError> {
            self.0.load(o).await
        }
        async fn save(
            &self,
            o: &ObjectRef,
            p: &Progress,
            prev: Option<&Stored>,
        ) -> Result<Option<String>, SaveError> {
            let token = self.0.save(o, p, prev).await?;
            if p.done > 0 {
                return Err(SaveError::Conflict);
            }
            Ok(token)
        }
    }

    #[tokio::test]
    async fn a_conflict_on_a_write_that_went_through_is_success() {
        let base = ingest(&[(KEY, log(1, "2026-11-25T08:55:10Z"))], vec![]);
        let ing = Ingest {
            engine: base.engine,
            source: base.source,
            sink: base.sink,
            store: EchoingConflict(Store::default()),
            now,
            evidence: None,
        };
        let outcome = ing.object(&object(KEY), &attempt("r1")).await.unwrap();
        assert!(matches!(outcome, Outcome::Published(_)), "{outcome:?}");
        assert!(ing.store.0.markers.lock().unwrap()[KEY].0.is_complete());
    }

    #[tokio::test]
    async fn a_duplicate_with_an_etag_is_settled_without_reading_the_object() {
        let ing = ingest(&[(KEY, log(1, "2026-11-25T08:55:10Z"))], vec![]);
        ing.object(&object(KEY), &attempt("r1")).await.unwrap();
        let mut again = object(KEY);
        again.etag = Some(format!("etag-{KEY}"));
        // Remove the object: only the marker can answer now.
        let ing = Ingest {
            source: Source::default(),
            ..ing
        };
        assert_eq!(
            ing.object(&again, &attempt("r2")).await.unwrap(),
            Outcome::AlreadyPublished { requests: 1 }
        );
    }

    #[tokio::test]
    async fn a_corrupt_object_publishes_nothing_and_is_permanent() {
        let mut bytes = log(3, "2026-11-25T08:55:10Z");
        bytes.truncate(bytes.len() - 40);
        let ing = ingest(&[(KEY, bytes)], vec![]);
        let err = ing.object(&object(KEY), &attempt("r1")).await.unwrap_err();
        assert!(!err.retryable());
        assert_eq!(err.error_type(), "Permanent.CorruptObject");
        assert!(
            err.to_string()
                .starts_with(&format!("s3://trail/{KEY}: corrupt log file")),
            "{err}"
        );
        assert_eq!(*ing.sink.calls.lock().unwrap(), 0);
        assert!(ing.store.markers.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn digests_are_skipped_by_key_and_by_content() {
        let digest_key = KEY.replace("/CloudTrail/", "/CloudTrail-Digest/");
        let digest = br#"{"awsAccountId":"1","digestStartTime":"2026-11-25T08:00:00Z","digestEndTime":"2026-11-25T09:00:00Z","logFiles":[]}"#.to_vec();
        let ing = ingest(&[(&digest_key, digest.clone()), (KEY, digest)], vec![]);
        assert_eq!(
            ing.object(&object(&digest_key), &attempt("r"))
                .await
                .unwrap(),
            Outcome::SkippedKey(KeyKind::Digest)
        );
        assert_eq!(
            ing.object(&object(KEY), &attempt("r")).await.unwrap(),
            Outcome::SkippedContent(FileKind::Digest)
        );
        assert_eq!(*ing.sink.calls.lock().unwrap(), 0);
    }

    #[tokio::test]
    async fn a_partial_publish_with_other_rules_is_refused() {
        let ing = ingest(&[(KEY, log(1, "2026-11-25T08:55:10Z"))], vec![]);
        let p = Progress {
            etag: format!("etag-{KEY}"),
            rules: "0000000000000000".into(),
            done: 1,
            total: 2,
            lease: 0,
            owner: "old".into(),
        };
        ing.store.markers.lock().unwrap().insert(KEY.into(), (p, 1));
        let err = ing.object(&object(KEY), &attempt("r1")).await.unwrap_err();
        assert!(
            !err.retryable()
                && err
                    .to_string()
                    .contains("Deploy the rules with fingerprint 0000000000000000 again"),
            "{err}"
        );
        assert_eq!(*ing.sink.calls.lock().unwrap(), 0);
    }

    #[tokio::test]
    async fn a_new_version_of_an_object_is_published_again() {
        let ing = ingest(&[(KEY, log(1, "2026-11-25T08:55:10Z"))], vec![]);
        let p = Progress {
            etag: "older".into(),
            rules: ing.engine.rules().fingerprint(),
            done: 1,
            total: 1,
            lease: 0,
            owner: "old".into(),
        };
        ing.store.markers.lock().unwrap().insert(KEY.into(), (p, 1));
        assert!(matches!(
            ing.object(&object(KEY), &attempt("r1")).await.unwrap(),
            Outcome::Published(_)
        ));
        assert_eq!(
            ing.store.markers.lock().unwrap()[KEY].0.etag,
            format!("etag-{KEY}")
        );
    }

    #[tokio::test]
    async fn datums_cloudwatch_would_refuse_are_counted_not_sent() {
        let ing = ingest(&[(KEY, log(2, "2026-11-01T08:00:00Z"))], vec![]);
        let Outcome::Published(p) = ing.object(&object(KEY), &attempt("r1")).await.unwrap() else {
            panic!()
        };
        assert!(p.out_of_window >= 2, "{p:?}");
        assert_eq!(p.requests_sent, 0);
        assert_eq!(*ing.sink.calls.lock().unwrap(), 0);
        assert!(ing.store.markers.lock().unwrap()[KEY].0.is_complete());
    }

    #[tokio::test]
    async fn evidence_names_the_rule_and_the_event() {
        let root = br#"{"Records":[{"eventTime":"2026-11-25T08:50:00Z","eventName":"ConsoleLogin","eventID":"e-1","eventType":"AwsConsoleSignIn","sourceIPAddress":"198.51.100.7","recipientAccountId":"111122223333","awsRegion":"us-east-1","userIdentity":{"type":"Root"}}]}"#.to_vec();
        let (ing, logged) = logging(ingest(&[(KEY, root)], vec![]));
        let Outcome::Published(p) = ing.object(&object(KEY), &attempt("r1")).await.unwrap() else {
            panic!()
        };
        let logged = logged.lock().unwrap();
        assert_eq!(p.evidence, logged.len());
        let e = logged
            .iter()
            .find(|e| e.rule == "RootAccountUsage")
            .expect("root usage evidence");
        assert_eq!(e.event_id.as_deref(), Some("e-1"));
        assert_eq!(e.principal.as_deref(), Some("root"));
        assert_eq!(e.source_ip.as_deref(), Some("198.51.100.7"));
        assert_eq!(
            (e.account.as_deref(), e.region.as_deref()),
            (Some("111122223333"), Some("us-east-1"))
        );
    }

    #[test]
    fn progress_round_trips_and_rejects_garbage() {
        let p = Progress {
            etag: "abc-2".into(),
            rules: "0123".into(),
            done: 2,
            total: 5,
            lease: 17,
            owner: "req-1".into(),
        };
        assert_eq!(Progress::parse(&p.encode()), Ok(p));
        assert!(Progress::parse("v2 x").is_err());
        assert!(Progress::parse("v1 etag=a").is_err());
        assert!(Progress::parse("v1 etag=a rules=b done=3 total=2 lease=0 owner=o").is_err());
        assert!(Progress::parse("v1 etag=a rules=b done=x total=2 lease=0 owner=o").is_err());
    }
}
