//! alarm-notifier: turns CloudWatch alarm state changes into notifications.
//!
//! Wiring only, once per container: configuration from the environment (failing fast with a message
//! that names the variable, never a webhook URL), SDK clients, the rule set, the delivery log. The
//! invocation itself is `handler`.

mod config;
mod handler;
mod health;

use std::sync::Arc;

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;
use trailwatch::alarms::evidence::EvidenceReader;
use trailwatch::aws::{self, AwsSecrets, CloudWatchLogs, DeliveryLogs, NotifierClients, SnsTopic};
use trailwatch::notify::{Deliverer, DeliveryLog, Target};
use trailwatch::time::UnixSeconds;
use trailwatch::webhook_client::HttpClient;

use crate::config::Config;
use crate::handler::Handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_vars(|name| std::env::var(name).ok()).map_err(|e| {
        lambda_runtime::tracing::error!(error = %e, "bad configuration");
        e
    })?;
    let clients = NotifierClients::new(config.path_style, config.max_attempts).await;
    let mut rules = aws::load_rules(&config.rules, &config.namespace, &clients.s3)
        .await
        .map_err(|e| {
            lambda_runtime::tracing::error!(error = %e, "could not load the rules");
            e
        })?;
    // An event notification quotes the fields an evidence line would.
    rules.intern_evidence_fields();
    let webhooks = HttpClient::new().map_err(|e| {
        lambda_runtime::tracing::error!(error = %e, "no TLS roots");
        e
    })?;
    let log = DeliveryLogs::for_mode(&config.delivery_log, &clients.s3);
    lambda_runtime::tracing::info!(
        destinations = ?config.destinations.iter().map(|d| d.channel().label()).collect::<Vec<_>>(),
        transitions = ?config.transitions,
        delivery_log = log.describe(),
        rules = rules.rules().len(),
        realtime_rules = rules.rules().iter().filter(|r| r.realtime).count(),
        "alarm-notifier ready"
    );
    let handler = Arc::new(Handler {
        deliverer: Deliverer {
            targets: config.destinations.into_iter().map(Target::new).collect(),
            webhooks,
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
        },
        transitions: config.transitions,
        notify_silenced: config.notify_silenced,
        namespace: config.namespace,
        rules: Some(rules),
        evidence: config
            .evidence_log_group
            .clone()
            .filter(|_| config.evidence_shown > 0)
            .map(|log_group| EvidenceReader {
                logs: CloudWatchLogs {
                    client: clients.logs.clone(),
                },
                log_group,
                shown: config.evidence_shown,
                budget: config.evidence_budget,
            }),
        evidence_log_group: config.evidence_log_group,
    });
    let function = config.function_name;
    let health_namespace = config.health_namespace;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let handler = Arc::clone(&handler);
        let function = function.clone();
        let health_namespace = health_namespace.clone();
        async move { handler::invocation(&handler, event, &function, &health_namespace).await }
    }))
    .await
}
