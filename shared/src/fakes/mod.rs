//! One fake per port, for unit tests here and in the function crates (feature `fakes`): in memory,
//! scriptable, and recording what they were asked. None does I/O.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::alarms::evidence::{EvidenceSearch, LogPage, LogSearch};
use crate::error::CallError;
use crate::metrics::MetricDatum;
use crate::notify::{PostError, Reply, SecretRef, SecretResolver, TopicPublisher, WebhookClient};
use crate::object_ref::ObjectRef;
use crate::publish::{
    MetricSink, ObjectSource, Opened, Progress, ProgressStore, SaveError, Stored,
};

/// A lock that a panicking test thread cannot poison for the others.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Objects by key, each with its ETag; a missing key is `NoSuchKey`.
#[derive(Debug, Default)]
pub struct MemorySource(pub HashMap<String, (Vec<u8>, String)>);

impl MemorySource {
    /// One object per `(key, bytes)`, with the ETag `etag-<key>`.
    pub fn of(files: &[(&str, Vec<u8>)]) -> MemorySource {
        MemorySource(
            files
                .iter()
                .map(|(k, b)| (k.to_string(), (b.clone(), format!("etag-{k}"))))
                .collect(),
        )
    }
}

impl ObjectSource for MemorySource {
    type Body = std::io::Cursor<Vec<u8>>;

    async fn open(&self, o: &ObjectRef) -> Result<Opened<Self::Body>, CallError> {
        match self.0.get(&o.key) {
            // As S3 answers a GetObject with If-Match on another ETag.
            Some((_, etag)) if o.etag.as_ref().is_some_and(|e| e != etag) => Err(CallError {
                operation: "GetObject",
                code: "PreconditionFailed".into(),
                message: "At least one of the pre-conditions you specified did not hold".into(),
                retryable: false,
            }),
            Some((bytes, etag)) => Ok(Opened {
                body: std::io::Cursor::new(bytes.clone()),
                etag: etag.clone(),
                last_modified: None,
                signature: None,
            }),
            None => Err(CallError {
                operation: "GetObject",
                code: "NoSuchKey".into(),
                message: "gone".into(),
                retryable: false,
            }),
        }
    }
}

/// Records every accepted request; fails the calls whose numbers (1-based) are in `fail`, as
/// throttling, or every call with `fail_with`.
#[derive(Debug, Default)]
pub struct RecordingSink {
    pub accepted: Mutex<Vec<Vec<MetricDatum>>>,
    pub calls: Mutex<usize>,
    pub fail: Vec<usize>,
    pub fail_with: Option<CallError>,
}

impl RecordingSink {
    pub fn accepted(&self) -> Vec<Vec<MetricDatum>> {
        lock(&self.accepted).clone()
    }
}

impl MetricSink for RecordingSink {
    async fn put(&self, _ns: &str, datums: &[MetricDatum]) -> Result<(), CallError> {
        let mut calls = lock(&self.calls);
        *calls += 1;
        if let Some(e) = &self.fail_with {
            return Err(e.clone());
        }
        if self.fail.contains(&calls) {
            return Err(CallError {
                operation: "PutMetricData",
                code: "Throttling".into(),
                message: "slow down".into(),
                retryable: true,
            });
        }
        lock(&self.accepted).push(datums.to_vec());
        Ok(())
    }
}

/// Runs after [`CasStore`] has read a marker, given the store, the object and which load this is (from
/// 1): it may change the markers (another invocation writing meanwhile) or return another answer.
pub type LoadHook = Box<
    dyn Fn(&CasStore, &ObjectRef, usize) -> Option<Result<Option<Stored>, CallError>> + Send + Sync,
>;

/// Runs after [`CasStore`] has written a marker, with what was written and the write's result; returns
/// the result the caller sees.
pub type SaveHook = Box<
    dyn Fn(&Progress, Result<Option<String>, SaveError>) -> Result<Option<String>, SaveError>
        + Send
        + Sync,
>;

/// Progress markers with compare-and-swap, as S3 conditional writes give them; or, with `atomic` off, a
/// store that only claims to look before it writes, as object tags do. The hooks play other
/// invocations and lost answers.
pub struct CasStore {
    pub markers: Mutex<HashMap<String, (Progress, u32)>>,
    pub writes: Mutex<usize>,
    pub loads: AtomicUsize,
    pub atomic: bool,
    pub after_load: Option<LoadHook>,
    pub after_save: Option<SaveHook>,
}

impl Default for CasStore {
    fn default() -> Self {
        CasStore {
            markers: Mutex::default(),
            writes: Mutex::default(),
            loads: AtomicUsize::new(0),
            atomic: true,
            after_load: None,
            after_save: None,
        }
    }
}

impl CasStore {
    /// Writes a marker as another invocation would, behind the caller's back.
    pub fn put_marker(&self, key: &str, progress: Progress, version: u32) {
        lock(&self.markers).insert(key.to_owned(), (progress, version));
    }

    fn read(&self, o: &ObjectRef) -> Option<Stored> {
        lock(&self.markers).get(&o.key).map(|(p, v)| Stored {
            progress: p.clone(),
            token: Some(v.to_string()),
        })
    }

    fn write(
        &self,
        o: &ObjectRef,
        p: &Progress,
        previous: Option<&Stored>,
    ) -> Result<Option<String>, SaveError> {
        let mut markers = lock(&self.markers);
        let current = markers.get(&o.key).map(|(_, v)| v.to_string());
        if current.as_deref() != previous.and_then(|p| p.token.as_deref()) {
            return Err(SaveError::Conflict);
        }
        let version = markers.get(&o.key).map_or(1, |(_, v)| v + 1);
        markers.insert(o.key.clone(), (p.clone(), version));
        *lock(&self.writes) += 1;
        Ok(Some(version.to_string()))
    }
}

impl ProgressStore for CasStore {
    fn describe(&self) -> String {
        "fake".into()
    }

    fn is_atomic(&self) -> bool {
        self.atomic
    }

    async fn load(&self, o: &ObjectRef) -> Result<Option<Stored>, CallError> {
        let n = self.loads.fetch_add(1, Ordering::SeqCst) + 1;
        let seen = self.read(o);
        match self.after_load.as_ref().and_then(|hook| hook(self, o, n)) {
            Some(answer) => answer,
            None => Ok(seen),
        }
    }

    async fn save(
        &self,
        o: &ObjectRef,
        p: &Progress,
        previous: Option<&Stored>,
    ) -> Result<Option<String>, SaveError> {
        let result = self.write(o, p, previous);
        match &self.after_save {
            Some(hook) => hook(p, result),
            None => result,
        }
    }
}

type Answers = HashMap<String, VecDeque<Result<Reply, PostError>>>;

/// Webhooks that answer from a script per URL (then 200), and every call made, with its JSON body.
/// A scripted timeout takes the whole time the caller allowed.
#[derive(Debug, Default, Clone)]
pub struct ScriptedWebhook {
    script: Arc<Mutex<Answers>>,
    calls: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
    /// The bearer tokens of API calls, in order.
    tokens: Arc<Mutex<Vec<String>>>,
}

impl ScriptedWebhook {
    /// The next answers of `url`, in order.
    pub fn answer(&self, url: &str, answers: Vec<Result<Reply, PostError>>) {
        lock(&self.script).insert(url.to_owned(), answers.into());
    }

    /// The bodies posted to `url`.
    pub fn calls_to(&self, url: &str) -> Vec<serde_json::Value> {
        lock(&self.calls)
            .iter()
            .filter(|(u, _)| u == url)
            .map(|(_, b)| b.clone())
            .collect()
    }

    /// The bearer tokens API calls were made with.
    pub fn tokens(&self) -> Vec<String> {
        lock(&self.tokens).clone()
    }

    /// An answer with this status, `Retry-After` (seconds) and body.
    pub fn status(status: u16, retry_after: Option<u64>, body: &str) -> Result<Reply, PostError> {
        Ok(Reply {
            status,
            retry_after: retry_after.map(Duration::from_secs),
            body: body.into(),
        })
    }
}

impl WebhookClient for ScriptedWebhook {
    async fn post(&self, url: &str, body: Vec<u8>, timeout: Duration) -> Result<Reply, PostError> {
        self.answer_next(url, &body, timeout, || {
            ScriptedWebhook::status(200, None, "ok")
        })
        .await
    }

    /// Unscripted, Slack's success: `{"ok":true,"ts":…}`, a new `ts` each call.
    async fn call(
        &self,
        url: &str,
        body: Vec<u8>,
        token: &str,
        timeout: Duration,
    ) -> Result<Reply, PostError> {
        lock(&self.tokens).push(token.to_owned());
        let n = lock(&self.calls).len();
        self.answer_next(url, &body, timeout, || {
            let ts = format!("1764062000.{n:06}");
            ScriptedWebhook::status(
                200,
                None,
                &format!(r#"{{"ok":true,"channel":"C1","ts":"{ts}"}}"#),
            )
        })
        .await
    }
}

impl ScriptedWebhook {
    async fn answer_next(
        &self,
        url: &str,
        body: &[u8],
        timeout: Duration,
        otherwise: impl FnOnce() -> Result<Reply, PostError>,
    ) -> Result<Reply, PostError> {
        let json = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
        lock(&self.calls).push((url.to_owned(), json));
        let next = lock(&self.script)
            .get_mut(url)
            .and_then(VecDeque::pop_front);
        match next {
            Some(Err(PostError::Timeout(_))) => {
                tokio::time::sleep(timeout).await;
                Err(PostError::Timeout(timeout))
            }
            Some(answer) => answer,
            None => otherwise(),
        }
    }
}

/// An SNS topic that records what it is sent: (topic, subject, message). `fail` fails the next call.
#[derive(Debug, Default, Clone)]
pub struct RecordingTopic {
    pub sent: Arc<Mutex<Vec<(String, String, String)>>>,
    pub fail: Arc<Mutex<Option<CallError>>>,
}

impl RecordingTopic {
    pub fn sent(&self) -> Vec<(String, String, String)> {
        lock(&self.sent).clone()
    }

    pub fn fail_next(&self, error: CallError) {
        *lock(&self.fail) = Some(error);
    }
}

impl TopicPublisher for RecordingTopic {
    async fn publish(&self, topic: &str, subject: &str, message: &str) -> Result<(), CallError> {
        if let Some(e) = lock(&self.fail).take() {
            return Err(e);
        }
        lock(&self.sent).push((topic.into(), subject.into(), message.into()));
        Ok(())
    }
}

/// An SNS topic that never answers.
#[derive(Debug, Default, Clone)]
pub struct StuckTopic;

impl TopicPublisher for StuckTopic {
    async fn publish(&self, _: &str, _: &str, _: &str) -> Result<(), CallError> {
        std::future::pending().await
    }
}

/// Secrets by reference (`ssm:/name`), counting the reads; an unknown one is `ParameterNotFound`.
#[derive(Debug, Default, Clone)]
pub struct MapSecrets {
    pub reads: Arc<AtomicUsize>,
    pub values: HashMap<String, String>,
}

impl MapSecrets {
    pub fn of(values: &[(&str, &str)]) -> MapSecrets {
        MapSecrets {
            values: values
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..MapSecrets::default()
        }
    }

    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

impl SecretResolver for MapSecrets {
    async fn resolve(&self, secret: &SecretRef) -> Result<String, CallError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let name = secret.to_string();
        self.values.get(&name).cloned().ok_or(CallError {
            operation: "ssm:GetParameter",
            code: "ParameterNotFound".into(),
            message: format!("{name} does not exist"),
            retryable: false,
        })
    }
}

/// A search made, with the page token it asked for.
pub type Searched = (EvidenceSearch, Option<String>);

/// Log search answers from a script, page by page (then an empty last page), each after `delay`; the
/// searches made are kept.
#[derive(Debug, Default, Clone)]
pub struct ScriptedLogs {
    pub pages: Arc<Mutex<VecDeque<Result<LogPage, CallError>>>>,
    pub delay: Duration,
    pub searches: Arc<Mutex<Vec<Searched>>>,
}

impl ScriptedLogs {
    /// These pages, in order, each after `delay`.
    pub fn pages(pages: Vec<Result<LogPage, CallError>>, delay: Duration) -> ScriptedLogs {
        ScriptedLogs {
            pages: Arc::new(Mutex::new(pages.into())),
            delay,
            ..ScriptedLogs::default()
        }
    }

    /// A page of these messages, with a next token when `more`.
    pub fn page(messages: &[String], more: bool) -> Result<LogPage, CallError> {
        Ok(LogPage {
            messages: messages.to_vec(),
            next: more.then(|| "next".to_owned()),
        })
    }

    pub fn searches(&self) -> Vec<Searched> {
        lock(&self.searches).clone()
    }

    pub fn left(&self) -> usize {
        lock(&self.pages).len()
    }
}

impl LogSearch for ScriptedLogs {
    async fn filter(
        &self,
        search: &EvidenceSearch,
        next: Option<String>,
    ) -> Result<LogPage, CallError> {
        lock(&self.searches).push((search.clone(), next));
        tokio::time::sleep(self.delay).await;
        let page = lock(&self.pages).pop_front();
        page.unwrap_or_else(|| Ok(LogPage::default()))
    }
}
