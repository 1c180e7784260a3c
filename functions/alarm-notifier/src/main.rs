//! alarm-notifier: turns CloudWatch alarm state changes into notifications.
//!
//! Wiring only. This version starts the runtime and refuses events with a clear error: alarm parsing,
//! rendering and delivery arrive with the alarm-notifier issue.

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| handler(event))).await
}

async fn handler(_event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    Err(Diagnostic {
        error_type: "NotImplemented".into(),
        error_message: "alarm-notifier does not handle events yet: alarm rendering and delivery are still to come".into(),
    })
}
