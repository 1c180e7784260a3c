//! `trailwatch verify`: CloudTrail's digest files over a range of hours, checked against the
//! function's exactly-once markers, as trail-metrics checks each digest it is sent.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use trailwatch::aws::{self, CloudWatchSink, ProgressStores, S3Source};
use trailwatch::cloudtrail::{digest_region, key_time, KeyKind, ReadLimits};
use trailwatch::engine::Engine;
use trailwatch::object_ref::ObjectRef;
use trailwatch::publish::{
    Attempt, CollectSink, Lease, MetricSink, ObjectSource, ProgressStore, Publisher, ReadOnly,
};
use trailwatch::time::UnixSeconds;
use trailwatch::verify::{
    silent_chains, DigestReport, PublicKeys, SignatureChecker, Tally, Verifier,
};

use crate::args::{Date, S3Uri, VerifyArgs};
use crate::commands::rules::load_rules;
use crate::output::{progress_bar, Fatal};

/// `trailwatch verify`.
pub async fn run(args: VerifyArgs) -> Result<ExitCode, Fatal> {
    let S3Uri { bucket, prefix } = &args.uri;
    let since = args.since.map(Date::start);
    let until = args.until.map(Date::end);
    let endpoint = std::env::var_os("AWS_ENDPOINT_URL").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    let (s3, cloudwatch) = aws::clients(endpoint, 5).await;
    let store = ProgressStores::for_mode(&args.dedup, &s3);
    if !store.keeps_markers() {
        return Err(
            "--dedup off keeps no markers: there is nothing to check digests against".into(),
        );
    }
    let listing = aws::list_keys(&s3, bucket, prefix, (since, until), KeyKind::Digest).await?;
    eprintln!(
        "{}: {} digest files to check ({} list requests; {} other keys and {} digests outside the dates left out)",
        args.uri, listing.objects.len(), listing.list_requests, listing.not_logs, listing.outside_range
    );
    let engine = Arc::new(
        Engine::new(load_rules(&args.rules)?, ReadLimits::default()).with_content_hash(true),
    );
    let keys = if args.signatures {
        Some(public_keys(&listing.objects).await?)
    } else {
        None
    };
    let check = Check {
        digests: listing.objects,
        concurrency: usize::from(args.concurrency),
        grace_seconds: i64::from(args.grace_seconds),
        signatures: keys.as_ref().map(|k| k as &dyn SignatureChecker),
    };
    let source = S3Source { client: s3 };
    let reports = if args.repair {
        let sink = CloudWatchSink { client: cloudwatch };
        check
            .run(&publisher(engine, source, sink, store), true)
            .await
    } else {
        let store = ReadOnly(store);
        check
            .run(
                &publisher(engine, source, CollectSink::default(), store),
                false,
            )
            .await
    };
    let until = until.map_or(UnixSeconds::now(), |u| u.min(UnixSeconds::now()));
    Ok(report(&reports, until)?)
}

/// CloudTrail's public keys for the regions and times of `digests`: from an hour before the oldest
/// begins (a digest covers the hour before its name's time) to two hours after the newest ends, as
/// `aws cloudtrail validate-logs` asks, so that a key rotated near an end is included.
async fn public_keys(digests: &[ObjectRef]) -> Result<PublicKeys, Fatal> {
    let regions: BTreeSet<&str> = digests
        .iter()
        .filter_map(|d| digest_region(&d.key))
        .collect();
    let times = || digests.iter().filter_map(|d| key_time(&d.key));
    let (Some(oldest), Some(newest)) = (times().min(), times().max()) else {
        return Ok(PublicKeys::default());
    };
    let range = (
        UnixSeconds(oldest.0 - 2 * 3600),
        UnixSeconds(newest.0 + 2 * 3600),
    );
    let config = aws::sdk_config(5).await;
    let keys = aws::public_keys(&config, regions.iter().copied(), range).await?;
    if keys.is_empty() {
        eprintln!(
            "CloudTrail gave no public keys for {} from {} to {}: no signature can be verified",
            regions.iter().copied().collect::<Vec<_>>().join(", "),
            range.0,
            range.1
        );
    }
    Ok(keys)
}

fn publisher<M: MetricSink, P: ProgressStore>(
    engine: Arc<Engine>,
    source: S3Source,
    sink: M,
    store: P,
) -> Publisher<S3Source, M, P> {
    Publisher {
        engine,
        source,
        sink,
        store,
        now: UnixSeconds::now,
        evidence: None,
    }
}

/// What was found of each digest: a report, or why it could not be read.
type Checked = Result<DigestReport, (ObjectRef, String)>;

struct Check<'k> {
    digests: Vec<ObjectRef>,
    concurrency: usize,
    grace_seconds: i64,
    signatures: Option<&'k dyn SignatureChecker>,
}

impl Check<'_> {
    async fn run<S: ObjectSource, M: MetricSink, P: ProgressStore>(
        self,
        publisher: &Publisher<S, M, P>,
        repair: bool,
    ) -> Vec<Checked> {
        let verifier = Verifier {
            publisher,
            grace_seconds: self.grace_seconds,
            repair,
            signatures: self.signatures,
        };
        let attempt = Attempt {
            owner: crate::commands::backfill::owner(),
            lease: Lease::Seconds(crate::commands::backfill::LEASE_SECONDS),
        };
        let bar = progress_bar(
            self.digests.len() as u64,
            "{bar:40} {pos}/{len} digests {per_sec} eta {eta}",
        );
        let mut checked = Vec::with_capacity(self.digests.len());
        for chunk in self.digests.chunks(self.concurrency.max(1)) {
            let results = futures_util::future::join_all(chunk.iter().map(|digest| {
                let (verifier, attempt) = (&verifier, &attempt);
                async move {
                    verifier
                        .verify(digest, attempt)
                        .await
                        .map_err(|e| (digest.clone(), e.to_string()))
                }
            }))
            .await;
            for result in results {
                // Findings as they come: a long check shows its first problems at once.
                bar.suspend(|| print_findings(&result));
                bar.inc(1);
                checked.push(result);
            }
        }
        bar.finish_and_clear();
        checked
    }
}

fn print_findings(result: &Checked) {
    let mut out = std::io::stdout().lock();
    let lines = match result {
        Ok(report) => report.findings(),
        Err((digest, error)) => vec![format!("{digest}: UNREADABLE DIGEST: {error}")],
    };
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
}

/// The summary, the chains that fell silent, and the exit status: 1 when anything is not accounted
/// for.
fn report(checked: &[Checked], until: UnixSeconds) -> std::io::Result<ExitCode> {
    let mut tally = Tally::default();
    let mut unreadable = 0;
    for c in checked {
        match c {
            Ok(r) => tally.add(r),
            Err(_) => unreadable += 1,
        }
    }
    let silent = silent_chains(checked.iter().filter_map(|c| c.as_ref().ok()), until);
    let mut out = std::io::stdout().lock();
    for line in &silent {
        writeln!(out, "{line}")?;
    }
    tally.digests_missing += silent.len() as u64;
    eprintln!("{tally}; {unreadable} digests unreadable");
    let complete =
        !tally.alarming() && unreadable == 0 && tally.files_unchecked + tally.chains_unchecked == 0;
    if tally.files_unpublished > 0 {
        eprintln!("add --repair to publish the files not published, through the same markers");
    }
    Ok(if complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
