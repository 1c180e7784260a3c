//! `trailwatch backfill`: the log files already in S3, through the function's exactly-once markers.

use std::process::ExitCode;
use std::sync::Arc;

use indicatif::ProgressBar;
use trailwatch::aws::{self, CloudWatchSink, ProgressStores, S3Source};
use trailwatch::cloudtrail::ReadLimits;
use trailwatch::engine::Engine;
use trailwatch::metrics::{MetricDatum, MAX_AGE_SECONDS};
use trailwatch::object_ref::ObjectRef;
use trailwatch::publish::{
    publish_all, Attempt, CollectSink, Lease, Outcome, PublishError, Publisher, ReadOnly,
    MAX_OWNER_CHARS,
};
use trailwatch::time::UnixSeconds;

use crate::args::{BackfillArgs, Date, S3Uri};
use crate::commands::rules::load_rules;
use crate::output::{print_datums, progress_bar, Fatal};

/// `trailwatch backfill`.
pub async fn run(args: BackfillArgs) -> Result<ExitCode, Fatal> {
    let S3Uri { bucket, prefix } = &args.uri;
    let since = args.since.map(Date::start);
    let until = args.until.map(Date::end);
    let rules = load_rules(&args.rules)?;
    let limits = ReadLimits {
        max_decompressed_bytes: args.datums.max_decompressed_bytes,
        ..ReadLimits::default()
    };
    let now = UnixSeconds::now();
    if since.is_none_or(|s| s.0 < now.0 - MAX_AGE_SECONDS) {
        eprintln!(
            "note: CloudWatch accepts data up to 14 days old: events before {} give no datums",
            UnixSeconds(now.0 - MAX_AGE_SECONDS)
        );
    }
    let endpoint = std::env::var_os("AWS_ENDPOINT_URL").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    let (s3, cloudwatch) = aws::clients(endpoint, 5).await;
    let listing = aws::list_logs(&s3, bucket, prefix, since, until).await?;
    eprintln!(
        "{}: {} log files to process ({} list requests; {} other keys and {} files outside the dates left out)",
        args.uri, listing.objects.len(), listing.list_requests, listing.not_logs, listing.outside_range
    );
    // On a terminal only; each skip and failure is printed either way.
    let bar = progress_bar(
        listing.objects.len() as u64,
        "{bar:40} {pos}/{len} files {per_sec} eta {eta} {msg}",
    );
    let mut tally = Tally::default();
    let mut on_done = |object: ObjectRef, result| {
        tally.add(&object, result, &bar);
        bar.inc(1);
    };
    let files = Files {
        objects: listing.objects,
        concurrency: usize::from(args.concurrency),
        // Markers written by --publish keep the content hash, as the function's do.
        engine: Arc::new(Engine::new(rules, limits).with_content_hash(args.publish)),
        store: ProgressStores::for_mode(&args.dedup, &s3),
        source: S3Source { client: s3 },
    };
    let collected = if args.publish {
        files
            .publish(CloudWatchSink { client: cloudwatch }, &mut on_done)
            .await;
        None
    } else {
        Some(files.dry_run(&mut on_done).await?)
    };
    bar.finish_and_clear();
    if let Some(datums) = &collected {
        print_datums(datums, args.datums.format, args.datums.zeros, now)?;
    }
    eprint!("{}", tally.summary(collected.as_deref()));
    Ok(if tally.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// How long a claim of the CLI's lasts after each marker write. It must outlive any one AWS call in
/// flight, or another process could take the file while a PutMetricData of ours may still land: the
/// SDK gives a call up after [`aws::CALL_TIMEOUT`], all attempts included.
pub const LEASE_SECONDS: i64 = 120;

/// Who holds markers for this process: unique across hosts and processes (two laptops, or two
/// containers with the same pid, must not take each other's leases for their own), and short enough
/// for a marker ([`MAX_OWNER_CHARS`]).
pub fn owner() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_default();
    let host: String = host
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
        .take(24)
        .collect();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let owner = format!("trailwatch-cli-{host}-{}-{nanos:08x}", std::process::id());
    owner.chars().take(MAX_OWNER_CHARS).collect()
}

/// The files a backfill processes, and what it processes them with.
struct Files {
    objects: Vec<ObjectRef>,
    concurrency: usize,
    engine: Arc<Engine>,
    store: ProgressStores,
    source: S3Source,
}

type OnDone<'a> = &'a mut (dyn FnMut(ObjectRef, Result<Outcome, PublishError>) + Send);

impl Files {
    /// Who holds the markers: renewed at each write, so a backfill that is stopped frees its files
    /// two minutes later.
    fn attempt() -> Attempt {
        Attempt {
            owner: owner(),
            lease: Lease::Seconds(LEASE_SECONDS),
        }
    }

    /// Publishes every file not yet published, through the function's markers.
    async fn publish(self, sink: CloudWatchSink, on_done: OnDone<'_>) {
        let publisher = Publisher {
            engine: self.engine,
            source: self.source,
            sink,
            store: self.store,
            now: UnixSeconds::now,
            evidence: None,
        };
        let (objects, concurrency) = (self.objects, self.concurrency);
        publish_all(
            Arc::new(publisher),
            objects,
            concurrency,
            Files::attempt(),
            on_done,
        )
        .await;
    }

    /// What publishing would send, as CloudWatch would add it up; reads the markers, writes none.
    async fn dry_run(self, on_done: OnDone<'_>) -> Result<Vec<MetricDatum>, Fatal> {
        let publisher = Arc::new(Publisher {
            engine: self.engine,
            source: self.source,
            sink: CollectSink::default(),
            store: ReadOnly(self.store),
            now: UnixSeconds::now,
            evidence: None,
        });
        let (objects, concurrency) = (self.objects, self.concurrency);
        publish_all(
            Arc::clone(&publisher),
            objects,
            concurrency,
            Files::attempt(),
            on_done,
        )
        .await;
        let aggregation = std::mem::take(
            &mut *publisher
                .sink
                .aggregation
                .lock()
                .map_err(|_| "a backfill task panicked")?,
        );
        Ok(aggregation.into_datums())
    }
}

/// What a backfill did, file by file.
#[derive(Default)]
struct Tally {
    published: u64,
    already: u64,
    skipped: u64,
    failed: u64,
    events: u64,
    datums: u64,
    requests: u64,
    out_of_window: u64,
}

impl Tally {
    fn add(
        &mut self,
        object: &ObjectRef,
        result: Result<Outcome, PublishError>,
        bar: &ProgressBar,
    ) {
        match result {
            Ok(Outcome::Published(p)) => {
                self.published += 1;
                self.events += p.events;
                self.datums += p.datums as u64;
                self.requests += p.requests_sent as u64;
                self.out_of_window += p.out_of_window as u64;
            }
            Ok(Outcome::AlreadyPublished { .. }) => self.already += 1,
            Ok(skipped @ (Outcome::SkippedKey(_) | Outcome::SkippedContent(_))) => {
                self.skipped += 1;
                let reason = skipped.skip_reason().unwrap_or("");
                say(bar, format!("{object}: skipped, {reason}"));
            }
            Err(e) => {
                self.failed += 1;
                let hint = if e.retryable() {
                    " (temporary: run the backfill again)"
                } else {
                    ""
                };
                say(bar, format!("trailwatch: {e}{hint}"));
            }
        }
    }

    /// The closing lines; `collected` is a dry run's datums, as the table above shows them.
    fn summary(&self, collected: Option<&[MetricDatum]>) -> String {
        let verb = if collected.is_none() {
            "published"
        } else {
            "would publish"
        };
        let mut text = format!(
            "{verb}: {} files, {} events, {} datums in {} PutMetricData requests\n\
             already published (skipped): {}; not log files: {}; failed: {}\n",
            self.published,
            self.events,
            self.datums - self.out_of_window,
            self.requests,
            self.already,
            self.skipped,
            self.failed
        );
        if self.out_of_window > 0 {
            text.push_str(&format!(
                "{} datums older than 14 days (or over 2 hours ahead) left out: CloudWatch refuses them\n",
                self.out_of_window
            ));
        }
        if let Some(datums) = collected {
            if datums.len() as u64 != self.datums - self.out_of_window {
                // Files that count in the same minute add up to one datum of the table.
                text.push_str(&format!(
                    "CloudWatch adds them up to the table's {} datums (one per series and minute)\n",
                    datums.len()
                ));
            }
            text.push_str(
                "dry run: nothing was published and no marker written; add --publish to publish\n",
            );
        }
        text
    }
}

/// A line on stderr above the progress bar, or alone when there is none (stderr is not a terminal):
/// every skip and failure is printed, wherever stderr goes.
fn say(bar: &ProgressBar, line: String) {
    bar.suspend(|| eprintln!("{line}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_outlives_any_call_in_flight_twice_over() {
        assert!(LEASE_SECONDS as u64 >= 2 * aws::CALL_TIMEOUT.as_secs());
    }

    #[test]
    fn the_owner_names_host_and_process_and_fits_a_marker() {
        let a = owner();
        assert!(a.starts_with("trailwatch-cli-"), "{a}");
        assert!(a.contains(&format!("-{}-", std::process::id())), "{a}");
        assert!(a.len() <= MAX_OWNER_CHARS, "{a}");
        assert!(a.bytes().all(|b| b.is_ascii_graphic()), "{a}");
    }
}
