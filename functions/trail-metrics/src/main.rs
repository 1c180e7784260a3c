//! trail-metrics: publishes CloudTrail metrics when a log file lands in S3.
//!
//! Wiring only. This version loads the rule set once per container (failing fast on a bad one) and
//! refuses events with a clear error: the S3/SNS/SQS/EventBridge triggers and publishing arrive with
//! the trail-metrics issue.

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;
use trailwatch::rules::ruleset::{RuleSet, DEFAULT_NAMESPACE};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let namespace =
        std::env::var("METRIC_NAMESPACE").unwrap_or_else(|_| DEFAULT_NAMESPACE.to_owned());
    let rules = RuleSet::builtin(&namespace)?;
    lambda_runtime::tracing::info!(
        rules = rules.rules().len(),
        namespace,
        "trail-metrics ready"
    );
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| handler(event))).await
}

async fn handler(_event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    Err(Diagnostic {
        error_type: "NotImplemented".into(),
        error_message:
            "trail-metrics does not handle events yet: triggers and publishing are still to come"
                .into(),
    })
}
