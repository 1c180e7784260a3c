//! A CloudTrail digest file in an invocation: checked against the markers, what is missing published,
//! each finding logged by name and counted in the health metrics.

use lambda_runtime::tracing;
use trailwatch::object_ref::ObjectRef;
use trailwatch::publish::{Attempt, MetricSink, ObjectSource, ProgressStore, Publisher};
use trailwatch::verify::{DigestReport, Tally, Verifier, VerifyError};

use crate::health::Health;

/// How digests are checked (`VERIFY_DIGESTS`, `DIGEST_GRACE_SECONDS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestCheck {
    pub grace_seconds: i64,
}

/// A digest that could not be checked, in whole or in part.
#[derive(Debug, thiserror::Error)]
pub enum DigestFailure {
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// Some listed files or the chain could not be checked now (throttling, network): the digest is
    /// tried again, and what was settled the first time is found settled.
    #[error("digest {digest}: {unchecked} checks could not be made now, the first: {first}")]
    Unchecked {
        digest: String,
        unchecked: u64,
        first: String,
    },
}

impl DigestFailure {
    pub fn retryable(&self) -> bool {
        match self {
            DigestFailure::Verify(e) => e.retryable(),
            DigestFailure::Unchecked { .. } => true,
        }
    }

    pub fn error_type(&self) -> &'static str {
        match self {
            DigestFailure::Verify(e) => e.error_type(),
            DigestFailure::Unchecked { .. } => "Retryable.DigestUnchecked",
        }
    }
}

impl DigestCheck {
    /// Checks one digest, repairing what is missing; returns the invocation's summary line for it.
    pub async fn run<S: ObjectSource, M: MetricSink, P: ProgressStore>(
        &self,
        publisher: &Publisher<S, M, P>,
        digest: &ObjectRef,
        attempt: &Attempt,
        health: &mut Health,
    ) -> Result<String, DigestFailure> {
        let verifier = Verifier {
            publisher,
            grace_seconds: self.grace_seconds,
            repair: true,
            // The functions do not build the RSA check: `trailwatch verify --signatures` does it.
            signatures: None,
        };
        let report = verifier.verify(digest, attempt).await.inspect_err(|e| {
            tracing::error!(digest = %digest, error = %e, error_type = e.error_type(), "digest not checked");
        })?;
        let mut tally = Tally::default();
        tally.add(&report);
        health.add_digest(&tally, (publisher.now)().0 - report.end.0);
        log(&report, &tally);
        let unchecked = tally.files_unchecked + tally.chains_unchecked;
        if report.retry_may_help() {
            return Err(DigestFailure::Unchecked {
                digest: digest.to_string(),
                unchecked,
                first: report
                    .findings()
                    .into_iter()
                    .find(|f| f.contains("UNCHECKED"))
                    .unwrap_or_default(),
            });
        }
        Ok(format!("{digest}: digest, {tally}"))
    }
}

/// One log line per finding, as an error when it is a loss or an alteration; one summary line.
fn log(report: &DigestReport, tally: &Tally) {
    for finding in report.findings() {
        if finding.contains("RECOVERED") || finding.contains("CHAIN START") {
            tracing::warn!(finding, "digest check");
        } else {
            tracing::error!(finding, "digest check");
        }
    }
    tracing::info!(
        digest = %report.digest,
        start = %report.start,
        end = %report.end,
        listed = tally.files_listed,
        published = tally.files_published + tally.files_unhashed,
        recovered = tally.files_recovered,
        late = tally.files_late,
        tampered = tally.files_tampered,
        missing = tally.files_missing,
        digests_missing = tally.digests_missing,
        "digest checked"
    );
}
