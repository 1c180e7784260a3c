//! alarm-notifier: turns CloudWatch alarm state changes into notifications.
//!
//! Setup only, once per container: configuration from the environment (failing fast with a message
//! that names the variable, never a webhook URL), SDK clients, the rule set, the delivery log.
//! Everything else is `trailwatch::alarm_notifier`.

use std::sync::Arc;
use std::time::Duration;

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;
use trailwatch::alarm_notifier::{
    DeliveryLog, Handled, MemoryLog, NoLog, Notifier, Publish, Resolve, Target,
};
use trailwatch::aws::{self, AwsSecrets, NotifierClients, S3DeliveryLog, SnsTopic};
use trailwatch::http::{HttpClient, Post};
use trailwatch::lambda::invocation_deadline_ms;
use trailwatch::notifier::{DeliveryLogMode, NotifierConfig};
use trailwatch::time::UnixSeconds;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = NotifierConfig::from_vars(|name| std::env::var(name).ok()).map_err(|e| {
        lambda_runtime::tracing::error!(error = %e, "bad configuration");
        e
    })?;
    let clients = NotifierClients::new(config.path_style, config.max_attempts).await;
    let rules = aws::load_rules(&config.rules, &config.namespace, &clients.s3)
        .await
        .map_err(|e| {
            lambda_runtime::tracing::error!(error = %e, "could not load the rules");
            e
        })?;
    let http = HttpClient::new().map_err(|e| {
        lambda_runtime::tracing::error!(error = %e, "no TLS roots");
        e
    })?;
    match config.delivery_log.clone() {
        DeliveryLogMode::Off => run(config, rules, clients, http, NoLog).await,
        DeliveryLogMode::Memory => run(config, rules, clients, http, MemoryLog::default()).await,
        DeliveryLogMode::S3 { bucket, prefix } => {
            let log = S3DeliveryLog {
                client: clients.s3.clone(),
                bucket,
                prefix,
            };
            run(config, rules, clients, http, log).await
        }
    }
}

async fn run<L: DeliveryLog + 'static>(
    config: NotifierConfig,
    rules: trailwatch::rules::ruleset::RuleSet,
    clients: NotifierClients,
    http: HttpClient,
    log: L,
) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::info!(
        destinations = ?config.destinations.iter().map(|d| d.kind().label()).collect::<Vec<_>>(),
        transitions = ?config.transitions,
        delivery_log = log.describe(),
        rules = rules.rules().len(),
        "alarm-notifier ready"
    );
    let function =
        std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "alarm-notifier".into());
    let health_namespace = config.health_namespace.clone();
    let app = Arc::new(Notifier {
        targets: config.destinations.into_iter().map(Target::new).collect(),
        transitions: config.transitions,
        namespace: config.namespace,
        rules: Some(rules),
        evidence_log_group: config.evidence_log_group,
        http,
        topic: SnsTopic {
            client: clients.sns,
        },
        secrets: AwsSecrets {
            ssm: clients.ssm,
            secrets_manager: clients.secrets_manager,
        },
        log,
        policy: config.policy,
        now: UnixSeconds::now,
    });
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let app = Arc::clone(&app);
        let function = function.clone();
        let health_namespace = health_namespace.clone();
        async move { invocation(&app, event, &function, &health_namespace).await }
    }))
    .await
}

async fn invocation<H: Post, P: Publish, R: Resolve, L: DeliveryLog>(
    app: &Notifier<H, P, R, L>,
    event: LambdaEvent<Value>,
    function: &str,
    health_namespace: &str,
) -> Result<Value, Diagnostic> {
    // The context's deadline is in epoch milliseconds; the notifier works in monotonic time.
    let now_ms = UnixSeconds::now_ms();
    let deadline_ms = invocation_deadline_ms(event.context.deadline, now_ms);
    // No invocation lasts more than Lambda's 15 minutes, whatever the header says.
    let left = Duration::from_millis(u64::try_from(deadline_ms - now_ms).unwrap_or(0))
        .min(Duration::from_secs(900));
    let deadline = tokio::time::Instant::now() + left;
    let Handled { response, health } = app.handle(&event.payload, deadline).await;
    println!(
        "{}",
        health.emf(health_namespace, function, UnixSeconds::now_ms())
    );
    response.map_err(|e| Diagnostic {
        error_type: e.error_type().into(),
        error_message: e.to_string(),
    })
}
