//! trail-metrics: publishes CloudTrail metrics when a log file lands in S3.
//!
//! Wiring only, once per container: configuration from the environment (failing fast with a message
//! that names the variable), SDK clients, the rule set. The invocation itself is `handler`.

mod config;
mod digests;
mod evidence;
mod handler;
mod health;

use std::sync::Arc;

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;
use trailwatch::aws::{self, CloudWatchSink, ProgressStores, S3Source};
use trailwatch::engine::Engine;
use trailwatch::lambda::invocation_deadline_ms;
use trailwatch::publish::{Attempt, DedupMode, Lease, ProgressStore, Publisher};
use trailwatch::time::UnixSeconds;

use crate::config::Config;
use crate::digests::DigestCheck;
use crate::handler::Handler;

/// Keeps glibc from growing the heap invocation after invocation. Each file is read through buffers of
/// 256 KiB to 1 MiB that live for one invocation. glibc serves blocks that large with mmap, but raises its
/// mmap threshold each time one is freed, after which they come from the heap, where other allocations
/// pin them and fragment it: in the soak run (scripts/soak.sh) RSS went from 14.5 to 57.5 MiB over 2,500
/// invocations. With the threshold fixed at glibc's default they are mapped and returned every time.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_large_buffers_mapped() {
    // SAFETY: mallopt only sets an allocator parameter; it takes glibc's own locks.
    let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024) };
    if set != 1 {
        lambda_runtime::tracing::warn!("mallopt(M_MMAP_THRESHOLD) was refused");
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_large_buffers_mapped() {}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    keep_large_buffers_mapped();
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_vars(|name| std::env::var(name).ok()).map_err(|e| {
        lambda_runtime::tracing::error!(error = %e, "bad configuration");
        e
    })?;
    let (s3, cloudwatch) = aws::clients(config.path_style, config.max_attempts).await;
    let rules = aws::load_rules(&config.rules, &config.namespace, &s3)
        .await
        .map_err(|e| {
            lambda_runtime::tracing::error!(error = %e, "could not load the rules");
            e
        })?;
    let store = ProgressStores::for_mode(&config.dedup, &s3);
    let store_description = store.describe();
    lambda_runtime::tracing::info!(
        rules = rules.rules().len(),
        rules_fingerprint = rules.fingerprint(),
        namespace = config.namespace,
        dedup = store_description,
        verify_digests = config.verify_digests && config.dedup != DedupMode::Off,
        "trail-metrics ready"
    );
    let function = config.function_name.clone();
    let app = Arc::new(Handler {
        publisher: Publisher {
            // Markers keep each file's content hash, which CloudTrail's digests are checked against.
            engine: Arc::new(
                Engine::new(rules, config.limits())
                    .with_evidence(config.evidence)
                    .with_content_hash(config.dedup != DedupMode::Off),
            ),
            source: S3Source { client: s3 },
            sink: CloudWatchSink { client: cloudwatch },
            store,
            now: UnixSeconds::now,
            evidence: config.evidence.then(evidence::evidence_to_stdout),
        },
        digests: digest_check(&config, &store_description),
    });
    let health_namespace = config.health_namespace.clone();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let app = Arc::clone(&app);
        let function = function.clone();
        let health_namespace = health_namespace.clone();
        async move {
            let deadline_ms = invocation_deadline_ms(event.context.deadline, UnixSeconds::now_ms());
            let attempt = Attempt {
                owner: event.context.request_id.clone(),
                lease: Lease::Until(UnixSeconds(deadline_ms.div_euclid(1000) + 1)),
            };
            let handled = app.handle(&event.payload, &attempt).await;
            let now_ms = UnixSeconds::now_ms();
            println!(
                "{}",
                handled.health.emf(&health_namespace, &function, now_ms)
            );
            handled.response.map_err(Diagnostic::from)
        }
    }))
    .await
}

/// Digests are checked against markers: with de-duplication off there are none, and digests are
/// skipped, as the log says once here.
fn digest_check(config: &Config, store: &str) -> Option<DigestCheck> {
    if !config.verify_digests {
        return None;
    }
    if config.dedup == DedupMode::Off {
        lambda_runtime::tracing::warn!(
            dedup = store,
            "VERIFY_DIGESTS is on but DEDUP=off keeps no progress markers: digest files are skipped, and no lost log file is found"
        );
        return None;
    }
    Some(DigestCheck {
        grace_seconds: i64::try_from(config.digest_grace_seconds).unwrap_or(i64::MAX),
    })
}
