//! The error every port returns, and the one way an error chain is written out.

/// A failed call to a service (an AWS API, a webhook's secret store, anything behind a port), classified:
/// the one error every port returns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation}: {code}: {message}")]
pub struct CallError {
    pub operation: &'static str,
    /// The service's error code (`AccessDenied`, `Throttling`…), or `Timeout`, `Network`…
    pub code: String,
    pub message: String,
    /// Whether the same call may succeed later (throttling, 5xx, network).
    pub retryable: bool,
}

impl CallError {
    pub fn is(&self, code: &str) -> bool {
        self.code == code
    }
}

/// An error and its sources, `: `-separated: the one way an error chain is written.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}
