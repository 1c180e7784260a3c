//! SDK errors to [`CallError`]: transient (throttling, 5xx, network, timeouts) or not, decided here once.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::error::{error_chain, CallError};

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

/// A marker (progress or delivery) that is not what we write.
pub(crate) fn bad_marker(operation: &'static str, message: String) -> CallError {
    CallError {
        operation,
        code: "BadMarker".into(),
        message,
        retryable: false,
    }
}
