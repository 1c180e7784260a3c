//! The AWS side of [`crate::ingest`]: S3 objects as streams, PutMetricData, and progress markers in object
//! tags or in marker objects, on the AWS SDK. Errors are classified retryable or not here, once.

use std::pin::Pin;

use aws_sdk_cloudwatch::types as cw;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use tokio::io::AsyncRead;

use crate::error::{error_chain, CallError};
use crate::metrics::MetricDatum;
use crate::notify::{
    DeliveryLog, DeliveryLogMode, Mark, MemoryLog, NoLog, SecretRef, SecretResolver, TopicPublisher,
};
use crate::object_ref::{etag_unquote, ObjectRef};
use crate::publish::{
    DedupMode, MetricSink, NoProgress, ObjectSource, Opened, Progress, ProgressStore, SaveError,
    Stored,
};
use crate::rules::ruleset::RuleSet;
use crate::rules::{RulesError, RulesSource};

/// SDK clients for S3 and CloudWatch from the standard configuration chain (environment, profile,
/// container or instance role), with the SDK's standard retry mode (exponential backoff with jitter on
/// throttling, 5xx and network errors) at `max_attempts`. `path_style` addresses S3 as
/// `endpoint/bucket/key`, which emulators need.
pub async fn clients(
    path_style: bool,
    max_attempts: u32,
) -> (aws_sdk_s3::Client, aws_sdk_cloudwatch::Client) {
    let config = sdk_config(max_attempts).await;
    (
        s3_client(&config, path_style),
        aws_sdk_cloudwatch::Client::new(&config),
    )
}

/// The SDK configuration from the standard chain, with the standard retry mode at `max_attempts`.
pub async fn sdk_config(max_attempts: u32) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(max_attempts))
        .load()
        .await
}

fn s3_client(config: &aws_config::SdkConfig, path_style: bool) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(path_style)
            .build(),
    )
}

/// Throttling and transient codes across S3, CloudWatch, SNS, SSM and Secrets Manager.
const THROTTLING: &[&str] = &[
    "Throttling",
    "Throttled",
    "KMSThrottling",
    "KMSThrottlingException",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "SlowDown",
    "RequestLimitExceeded",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
];

/// Classifies an SDK error: transient (throttling, 5xx, network, timeouts) or not.
pub fn classify<E, R>(operation: &'static str, err: SdkError<E, R>) -> CallError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + HasStatus,
{
    let (code, message, retryable) = match &err {
        SdkError::TimeoutError(_) => (
            "Timeout".to_owned(),
            "the request timed out".to_owned(),
            true,
        ),
        SdkError::DispatchFailure(d) => (
            "Network".to_owned(),
            format!("the request could not be sent: {}", error_chain(&err)).replace(
                "dispatch failure",
                if d.is_timeout() {
                    "timeout"
                } else {
                    "dispatch failure"
                },
            ),
            true,
        ),
        SdkError::ResponseError(_) => (
            "BadResponse".to_owned(),
            format!("the response could not be read: {}", error_chain(&err)),
            true,
        ),
        SdkError::ServiceError(s) => {
            let status = s.raw().status();
            let code = s
                .err()
                .code()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("HTTP {status}"));
            let message = s
                .err()
                .message()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("HTTP status {status}"));
            let retryable = status >= 500 || status == 429 || THROTTLING.contains(&code.as_str());
            (code, message, retryable)
        }
        _ => ("Client".to_owned(), error_chain(&err), false),
    };
    CallError {
        operation,
        code,
        message,
        retryable,
    }
}

/// A response's HTTP status.
pub trait HasStatus {
    fn status(&self) -> u16;
}

impl HasStatus for aws_smithy_runtime_api::http::Response {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

/// Log objects read from S3 as a stream.
#[derive(Debug, Clone)]
pub struct S3Source {
    pub client: aws_sdk_s3::Client,
}

impl ObjectSource for S3Source {
    type Body = Pin<Box<dyn AsyncRead + Send>>;

    async fn open(&self, object: &ObjectRef) -> Result<Opened<Self::Body>, CallError> {
        let response = self
            .client
            .get_object()
            .bucket(&object.bucket)
            .key(&object.key)
            .set_version_id(object.version_id.clone())
            .send()
            .await
            .map_err(|e| classify("GetObject", e))?;
        let etag = etag_unquote(response.e_tag().unwrap_or_default());
        Ok(Opened {
            body: Box::pin(response.body.into_async_read()),
            etag,
        })
    }
}

/// PutMetricData, one request per call.
#[derive(Debug, Clone)]
pub struct CloudWatchSink {
    pub client: aws_sdk_cloudwatch::Client,
}

/// A datum in the SDK's types.
pub fn sdk_datum(d: &MetricDatum) -> cw::MetricDatum {
    let s = &d.statistics;
    cw::MetricDatum::builder()
        .metric_name(&*d.metric_name)
        .set_dimensions(Some(
            d.dimensions
                .iter()
                .map(|(name, value)| cw::Dimension::builder().name(&**name).value(value).build())
                .collect(),
        ))
        .timestamp(aws_smithy_types::DateTime::from_secs(d.timestamp.0))
        .statistic_values(
            cw::StatisticSet::builder()
                .sample_count(s.sample_count)
                .sum(s.sum)
                .minimum(s.minimum)
                .maximum(s.maximum)
                .build(),
        )
        .unit(cw::StandardUnit::from(d.unit))
        .build()
}

impl MetricSink for CloudWatchSink {
    async fn put(&self, namespace: &str, datums: &[MetricDatum]) -> Result<(), CallError> {
        self.client
            .put_metric_data()
            .namespace(namespace)
            .set_metric_data(Some(datums.iter().map(sdk_datum).collect()))
            .send()
            .await
            .map_err(|e| classify("PutMetricData", e))?;
        Ok(())
    }
}

/// The tag that holds progress in [`TagStore`].
pub const PROGRESS_TAG: &str = "trailwatch-progress";

/// Progress in a tag on the log object itself. No extra bucket, but S3 tagging has no conditional
/// write: the ingest looks at the tag again just before claiming, and two invocations that both look
/// in the moment before either writes are not told apart.
#[derive(Debug, Clone)]
pub struct TagStore {
    pub client: aws_sdk_s3::Client,
}

impl TagStore {
    async fn tags(&self, object: &ObjectRef) -> Result<Vec<aws_sdk_s3::types::Tag>, CallError> {
        let response = self
            .client
            .get_object_tagging()
            .bucket(&object.bucket)
            .key(&object.key)
            .set_version_id(object.version_id.clone())
            .send()
            .await
            .map_err(|e| classify("GetObjectTagging", e))?;
        Ok(response.tag_set)
    }
}

fn bad_marker(operation: &'static str, message: String) -> CallError {
    CallError {
        operation,
        code: "BadMarker".into(),
        message,
        retryable: false,
    }
}

impl ProgressStore for TagStore {
    fn describe(&self) -> String {
        format!("tags ({PROGRESS_TAG} on each log object)")
    }

    fn is_atomic(&self) -> bool {
        false
    }

    async fn load(&self, object: &ObjectRef) -> Result<Option<Stored>, CallError> {
        let tags = self.tags(object).await?;
        let Some(tag) = tags.iter().find(|t| t.key == PROGRESS_TAG) else {
            return Ok(None);
        };
        let progress =
            Progress::parse(&tag.value).map_err(|m| bad_marker("GetObjectTagging", m))?;
        Ok(Some(Stored {
            progress,
            token: None,
        }))
    }

    async fn save(
        &self,
        object: &ObjectRef,
        progress: &Progress,
        _previous: Option<&Stored>,
    ) -> Result<Option<String>, SaveError> {
        // PutObjectTagging replaces the whole set: keep the object's other tags.
        let mut tags: Vec<_> = self
            .tags(object)
            .await?
            .into_iter()
            .filter(|t| t.key != PROGRESS_TAG)
            .collect();
        let tag = aws_sdk_s3::types::Tag::builder()
            .key(PROGRESS_TAG)
            .value(progress.encode())
            .build()
            .map_err(|e| bad_marker("PutObjectTagging", e.to_string()))?;
        tags.push(tag);
        let tagging = aws_sdk_s3::types::Tagging::builder()
            .set_tag_set(Some(tags))
            .build()
            .map_err(|e| bad_marker("PutObjectTagging", e.to_string()))?;
        self.client
            .put_object_tagging()
            .bucket(&object.bucket)
            .key(&object.key)
            .set_version_id(object.version_id.clone())
            .tagging(tagging)
            .send()
            .await
            .map_err(|e| classify("PutObjectTagging", e))?;
        Ok(None)
    }
}

/// Progress in small marker objects under `s3://bucket/prefix`, one per log object
/// (`prefix` + source bucket + `/` + key), written with S3 conditional writes (`If-None-Match: *` to
/// create, `If-Match: <etag>` to replace): a compare-and-swap, so only one invocation can claim an
/// object. Needs read access only to the trail bucket.
#[derive(Debug, Clone)]
pub struct MarkerStore {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
    pub prefix: String,
}

impl MarkerStore {
    pub fn marker_key(&self, object: &ObjectRef) -> String {
        format!("{}{}/{}", self.prefix, object.bucket, object.key)
    }
}

impl ProgressStore for MarkerStore {
    fn describe(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    fn is_atomic(&self) -> bool {
        true
    }

    async fn load(&self, object: &ObjectRef) -> Result<Option<Stored>, CallError> {
        const OPERATION: &str = "GetObject (progress marker)";
        let Some((text, token)) = read_if_exists(
            &self.client,
            &self.bucket,
            &self.marker_key(object),
            OPERATION,
        )
        .await?
        else {
            return Ok(None);
        };
        let progress = Progress::parse(text.trim()).map_err(|m| bad_marker(OPERATION, m))?;
        Ok(Some(Stored {
            progress,
            token: Some(token),
        }))
    }

    async fn save(
        &self,
        object: &ObjectRef,
        progress: &Progress,
        previous: Option<&Stored>,
    ) -> Result<Option<String>, SaveError> {
        let mut request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.marker_key(object))
            .content_type("text/plain")
            .body(ByteStream::from(progress.encode().into_bytes()));
        request = match previous.and_then(|p| p.token.as_deref()) {
            Some(token) => request.if_match(format!("\"{token}\"")),
            None => request.if_none_match("*"),
        };
        match request.send().await {
            Ok(r) => Ok(Some(etag_unquote(r.e_tag().unwrap_or_default()))),
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                if matches!(status, Some(412 | 409)) {
                    Err(SaveError::Conflict)
                } else {
                    Err(SaveError::Call(classify("PutObject (progress marker)", e)))
                }
            }
        }
    }
}

/// The configured store.
#[derive(Debug, Clone)]
pub enum ProgressStores {
    Off(NoProgress),
    Tags(TagStore),
    Markers(MarkerStore),
}

impl ProgressStores {
    /// The store a de-duplication mode names.
    pub fn for_mode(mode: &DedupMode, client: &aws_sdk_s3::Client) -> ProgressStores {
        match mode {
            DedupMode::Off => ProgressStores::Off(NoProgress),
            DedupMode::Tags => ProgressStores::Tags(TagStore {
                client: client.clone(),
            }),
            DedupMode::Markers { bucket, prefix } => ProgressStores::Markers(MarkerStore {
                client: client.clone(),
                bucket: bucket.clone(),
                prefix: prefix.clone(),
            }),
        }
    }
}

impl ProgressStore for ProgressStores {
    fn describe(&self) -> String {
        match self {
            ProgressStores::Off(s) => s.describe(),
            ProgressStores::Tags(s) => s.describe(),
            ProgressStores::Markers(s) => s.describe(),
        }
    }

    fn is_atomic(&self) -> bool {
        match self {
            ProgressStores::Off(s) => s.is_atomic(),
            ProgressStores::Tags(s) => s.is_atomic(),
            ProgressStores::Markers(s) => s.is_atomic(),
        }
    }

    async fn load(&self, object: &ObjectRef) -> Result<Option<Stored>, CallError> {
        match self {
            ProgressStores::Off(s) => s.load(object).await,
            ProgressStores::Tags(s) => s.load(object).await,
            ProgressStores::Markers(s) => s.load(object).await,
        }
    }

    async fn save(
        &self,
        object: &ObjectRef,
        progress: &Progress,
        previous: Option<&Stored>,
    ) -> Result<Option<String>, SaveError> {
        match self {
            ProgressStores::Off(s) => s.save(object, progress, previous).await,
            ProgressStores::Tags(s) => s.save(object, progress, previous).await,
            ProgressStores::Markers(s) => s.save(object, progress, previous).await,
        }
    }
}

/// Reads a whole small object (a rule file) as text.
pub async fn read_text(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<String, CallError> {
    let response = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| classify("GetObject", e))?;
    let bytes = response.body.collect().await.map_err(|e| CallError {
        operation: "GetObject",
        code: "Network".into(),
        message: e.to_string(),
        retryable: true,
    })?;
    String::from_utf8(bytes.to_vec()).map_err(|_| CallError {
        operation: "GetObject",
        code: "NotUtf8".into(),
        message: format!("s3://{bucket}/{key} is not UTF-8 text"),
        retryable: false,
    })
}

/// A small text object and its ETag, or `None` when there is no such key.
async fn read_if_exists(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    operation: &'static str,
) -> Result<Option<(String, String)>, CallError> {
    let response = match client.get_object().bucket(bucket).key(key).send().await {
        Ok(r) => r,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
        Err(e) => return Err(classify(operation, e)),
    };
    let token = etag_unquote(response.e_tag().unwrap_or_default());
    let bytes = response.body.collect().await.map_err(|e| CallError {
        operation,
        code: "Network".into(),
        message: e.to_string(),
        retryable: true,
    })?;
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| bad_marker(operation, format!("s3://{bucket}/{key} is not UTF-8")))?;
    Ok(Some((text, token)))
}

/// alarm-notifier's SDK clients, from one configuration.
#[derive(Debug, Clone)]
pub struct NotifierClients {
    pub s3: aws_sdk_s3::Client,
    pub sns: aws_sdk_sns::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub secrets_manager: aws_sdk_secretsmanager::Client,
}

impl NotifierClients {
    pub async fn new(path_style: bool, max_attempts: u32) -> NotifierClients {
        let config = sdk_config(max_attempts).await;
        NotifierClients {
            s3: s3_client(&config, path_style),
            sns: aws_sdk_sns::Client::new(&config),
            ssm: aws_sdk_ssm::Client::new(&config),
            secrets_manager: aws_sdk_secretsmanager::Client::new(&config),
        }
    }
}

/// E-mail and SMS through an SNS topic.
#[derive(Debug, Clone)]
pub struct SnsTopic {
    pub client: aws_sdk_sns::Client,
}

impl TopicPublisher for SnsTopic {
    async fn publish(
        &self,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<(), CallError> {
        self.client
            .publish()
            .topic_arn(topic_arn)
            .subject(subject)
            .message(message)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("Publish", e))
    }
}

/// `ssm:` (a SecureString, decrypted) and `secretsmanager:` references. A Secrets Manager secret holds
/// the URL itself, or a JSON object with a `url` key.
#[derive(Debug, Clone)]
pub struct AwsSecrets {
    pub ssm: aws_sdk_ssm::Client,
    pub secrets_manager: aws_sdk_secretsmanager::Client,
}

impl SecretResolver for AwsSecrets {
    async fn resolve(&self, secret: &SecretRef) -> Result<String, CallError> {
        let missing = |operation: &'static str| CallError {
            operation,
            code: "NoValue".into(),
            message: "it holds no string value".into(),
            retryable: false,
        };
        match secret {
            SecretRef::Value(v) => Ok(v.clone()),
            SecretRef::Ssm(name) => self
                .ssm
                .get_parameter()
                .name(name)
                .with_decryption(true)
                .send()
                .await
                .map_err(|e| classify("ssm:GetParameter", e))?
                .parameter
                .and_then(|p| p.value)
                .ok_or_else(|| missing("ssm:GetParameter")),
            SecretRef::SecretsManager(id) => {
                let text = self
                    .secrets_manager
                    .get_secret_value()
                    .secret_id(id)
                    .send()
                    .await
                    .map_err(|e| classify("secretsmanager:GetSecretValue", e))?
                    .secret_string
                    .ok_or_else(|| missing("secretsmanager:GetSecretValue"))?;
                match serde_json::from_str::<serde_json::Value>(&text) {
                    Ok(serde_json::Value::Object(o)) => o
                        .get("url")
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_owned)
                        .ok_or_else(|| CallError {
                            operation: "secretsmanager:GetSecretValue",
                            code: "NoUrl".into(),
                            message: "the secret is a JSON object without a \"url\" string".into(),
                            retryable: false,
                        }),
                    _ => Ok(text),
                }
            }
        }
    }
}

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

/// Loads the rule set from where `source` says, reading S3 through `s3`.
pub async fn load_rules(
    source: &RulesSource,
    namespace: &str,
    s3: &aws_sdk_s3::Client,
) -> Result<RuleSet, RulesError> {
    source
        .load(namespace, |bucket, key| async move {
            read_text(s3, &bucket, &key).await
        })
        .await
}
