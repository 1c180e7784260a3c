//! The only user of the AWS SDK: clients, error classification, and the adapters that implement the
//! library's ports (S3 objects and markers, PutMetricData, SNS, SSM and Secrets Manager, FilterLogEvents).

mod classify;
mod cloudwatch;
mod delivery_log;
mod logs;
mod progress_stores;
#[cfg(feature = "signatures")]
mod public_keys;
mod rules;
mod s3;
mod secrets;
mod sns;

pub use classify::{classify, HasStatus};
pub use cloudwatch::{sdk_datum, CloudWatchSink};
pub use delivery_log::{DeliveryLogs, S3DeliveryLog};
pub use logs::CloudWatchLogs;
pub use progress_stores::{MarkerStore, ProgressStores, TagStore, PROGRESS_TAG};
#[cfg(feature = "signatures")]
pub use public_keys::{public_keys, PublicKeysError};
pub use rules::load_rules;
pub use s3::{list_keys, list_logs, read_text, Listing, S3Source};
pub use secrets::AwsSecrets;
pub use sns::SnsTopic;

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

/// How long one attempt at an AWS call may take before the SDK gives it up and retries: a call that
/// hangs (a connection that accepts and never answers) must end well inside an invocation's deadline
/// and a backfill's lease. A streamed body (GetObject) is read after the attempt, so this does not
/// bound reading a large log file.
pub const ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// All attempts at one call, backoff included.
pub const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(45);
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// The SDK configuration from the standard chain, with the standard retry mode at `max_attempts` and
/// the timeouts above.
pub async fn sdk_config(max_attempts: u32) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(max_attempts))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(CALL_TIMEOUT)
                .build(),
        )
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

/// alarm-notifier's SDK clients, from one configuration.
#[derive(Debug, Clone)]
pub struct NotifierClients {
    pub s3: aws_sdk_s3::Client,
    pub sns: aws_sdk_sns::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub secrets_manager: aws_sdk_secretsmanager::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

impl NotifierClients {
    pub async fn new(path_style: bool, max_attempts: u32) -> NotifierClients {
        let config = sdk_config(max_attempts).await;
        NotifierClients {
            s3: s3_client(&config, path_style),
            sns: aws_sdk_sns::Client::new(&config),
            ssm: aws_sdk_ssm::Client::new(&config),
            secrets_manager: aws_sdk_secretsmanager::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
        }
    }
}
