//! Backfill: the trail-metrics pipeline over the log files already in S3, with the same exactly-once
//! markers as the function, bounded concurrency, and a dry run that publishes nothing.

use std::sync::{Arc, Mutex};

use crate::aws::classify;
use crate::ingest::{
    Attempt, AwsError, Ingest, IngestError, IngestErrorKind, MetricSink, ObjectSource, Outcome,
    Progress, ProgressStore, SaveError, Stored,
};
use crate::metrics::{Aggregation, MetricDatum, SeriesKey};
use crate::timestamp::UnixSeconds;
use crate::trigger::{classify_key, KeyKind, ObjectRef};

/// `s3://bucket/prefix` → (bucket, prefix).
pub fn parse_s3_uri(uri: &str) -> Result<(String, String), String> {
    let rest = uri
        .strip_prefix("s3://")
        .ok_or_else(|| format!("{uri:?} is not an s3://bucket/prefix URI"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(format!("{uri:?} names no bucket"));
    }
    Ok((bucket.to_owned(), prefix.to_owned()))
}

/// `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time. `end_of_day` moves a bare date to the next
/// midnight, so that `--until 2026-11-20` includes the 20th.
pub fn parse_date(text: &str, end_of_day: bool) -> Result<UnixSeconds, String> {
    if let Some(t) = UnixSeconds::parse_rfc3339(text) {
        return Ok(t);
    }
    let t = UnixSeconds::parse_rfc3339(&format!("{text}T00:00:00Z"))
        .ok_or_else(|| format!("{text:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"))?;
    Ok(if end_of_day {
        UnixSeconds(t.0 + 86_400)
    } else {
        t
    })
}

/// The time in a CloudTrail log file's name (`…_20261125T0905Z_….json.gz`): the end of the delivery
/// period it covers.
pub fn key_time(key: &str) -> Option<UnixSeconds> {
    let name = key.rsplit('/').next()?;
    name.split('_').find_map(|part| {
        let b = part.as_bytes();
        if b.len() == 14
            && b[8] == b'T'
            && b[13] == b'Z'
            && part[..8]
                .bytes()
                .chain(part[9..13].bytes())
                .all(|c| c.is_ascii_digit())
        {
            UnixSeconds::parse_rfc3339(&format!(
                "{}-{}-{}T{}:{}:00Z",
                &part[0..4],
                &part[4..6],
                &part[6..8],
                &part[9..11],
                &part[11..13]
            ))
        } else {
            None
        }
    })
}

/// The listing calls a backfill made, for its report.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Listing {
    pub objects: Vec<ObjectRef>,
    /// Keys under the prefix that are not log files (digests, Insights, others).
    pub not_logs: u64,
    /// Log files outside --since/--until.
    pub outside_range: u64,
    pub list_requests: u64,
}

/// Lists the log files under `prefix` whose names fall in [since, until). When the prefix ends at a
/// trail's `CloudTrail/` folder (or a region in it) and a start date is given, only the day folders
/// in range are listed (`<region>/YYYY/MM/DD/`), not the trail's whole history.
pub async fn list_logs(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    since: Option<UnixSeconds>,
    until: Option<UnixSeconds>,
) -> Result<Listing, AwsError> {
    let mut listing = Listing::default();
    let segments: Vec<&str> = prefix.trim_end_matches('/').split('/').collect();
    let last = segments.last().copied().unwrap_or("");
    let second_last = segments.iter().rev().nth(1).copied().unwrap_or("");
    let prefixes = match since {
        Some(since) if last == "CloudTrail" || second_last == "CloudTrail" => {
            let base = format!("{}/", prefix.trim_end_matches('/'));
            let regions = if last == "CloudTrail" {
                list_common_prefixes(s3, bucket, &base, &mut listing).await?
            } else {
                vec![base]
            };
            let end = until.unwrap_or(UnixSeconds(UnixSeconds::now().0 + 86_400));
            let mut day = since.0.div_euclid(86_400) * 86_400;
            let mut days = Vec::new();
            while day < end.0 {
                let date = UnixSeconds(day).to_string();
                days.push(format!("{}/{}/{}/", &date[0..4], &date[5..7], &date[8..10]));
                day += 86_400;
            }
            regions
                .iter()
                .flat_map(|r| days.iter().map(move |d| format!("{r}{d}")))
                .collect()
        }
        _ => vec![prefix.to_owned()],
    };
    for p in prefixes {
        let mut token = None;
        loop {
            let page = s3
                .list_objects_v2()
                .bucket(bucket)
                .prefix(&p)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| classify("ListObjectsV2", e))?;
            listing.list_requests += 1;
            for o in page.contents() {
                let Some(key) = o.key() else { continue };
                if classify_key(key) != KeyKind::Log {
                    listing.not_logs += 1;
                    continue;
                }
                let t = key_time(key);
                let inside =
                    t.is_none_or(|t| since.is_none_or(|s| t >= s) && until.is_none_or(|u| t < u));
                if !inside {
                    listing.outside_range += 1;
                    continue;
                }
                listing.objects.push(ObjectRef {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                    version_id: None,
                    etag: o.e_tag().map(|e| e.trim_matches('"').to_owned()),
                    size: o.size().and_then(|s| u64::try_from(s).ok()),
                });
            }
            token = page.next_continuation_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(listing)
}

async fn list_common_prefixes(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    listing: &mut Listing,
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .delimiter("/")
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| classify("ListObjectsV2", e))?;
        listing.list_requests += 1;
        out.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_owned)),
        );
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// A sink that adds up what it is given, as CloudWatch would store it (several files may add to one
/// series-minute): the dry run's "what would be published", in memory bounded by series × minutes.
#[derive(Debug, Default)]
pub struct CollectSink {
    pub aggregation: Mutex<Aggregation>,
}

impl MetricSink for CollectSink {
    async fn put(&self, _namespace: &str, datums: &[MetricDatum]) -> Result<(), AwsError> {
        if let Ok(mut all) = self.aggregation.lock() {
            for d in datums {
                let key = SeriesKey {
                    namespace: Arc::clone(&d.namespace),
                    metric_name: Arc::clone(&d.metric_name),
                    dimensions: d.dimensions.clone(),
                    minute: d.timestamp,
                };
                all.add(key, d.statistics, d.unit);
            }
        }
        Ok(())
    }
}

/// A store that reads markers but never writes them: a dry run skips what was published and changes
/// nothing.
#[derive(Debug, Clone)]
pub struct ReadOnly<P>(pub P);

impl<P: ProgressStore> ProgressStore for ReadOnly<P> {
    fn describe(&self) -> String {
        format!("{} (read only)", self.0.describe())
    }

    fn is_atomic(&self) -> bool {
        true
    }

    async fn load(&self, object: &ObjectRef) -> Result<Option<Stored>, AwsError> {
        self.0.load(object).await
    }

    async fn save(
        &self,
        _object: &ObjectRef,
        _progress: &Progress,
        _previous: Option<&Stored>,
    ) -> Result<Option<String>, SaveError> {
        Ok(None)
    }
}

/// Processes `objects` with at most `concurrency` in flight, calling `done` as each finishes (in
/// completion order).
pub async fn run<S, M, P>(
    ingest: Arc<Ingest<S, M, P>>,
    objects: Vec<ObjectRef>,
    concurrency: usize,
    attempt: Attempt,
    mut done: impl FnMut(ObjectRef, Result<Outcome, IngestError>),
) where
    S: ObjectSource + 'static,
    M: MetricSink + 'static,
    P: ProgressStore + 'static,
{
    let mut tasks = tokio::task::JoinSet::new();
    let mut running = std::collections::HashMap::new();
    let mut pending = objects.into_iter();
    loop {
        while tasks.len() < concurrency.max(1) {
            let Some(object) = pending.next() else { break };
            let ingest = Arc::clone(&ingest);
            let attempt = attempt.clone();
            let task_object = object.clone();
            let handle = tasks.spawn(async move { ingest.object(&task_object, &attempt).await });
            running.insert(handle.id(), object);
        }
        let Some(joined) = tasks.join_next_with_id().await else {
            break;
        };
        match joined {
            Ok((id, result)) => {
                if let Some(object) = running.remove(&id) {
                    done(object, result);
                }
            }
            Err(e) => {
                if let Some(object) = running.remove(&e.id()) {
                    let error = IngestError {
                        object: object.to_string(),
                        kind: IngestErrorKind::Internal(format!(
                            "the task processing it failed: {e}"
                        )),
                    };
                    done(object, Err(error));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_dates() {
        assert_eq!(
            parse_s3_uri("s3://b/AWSLogs/1/"),
            Ok(("b".into(), "AWSLogs/1/".into()))
        );
        assert_eq!(parse_s3_uri("s3://b"), Ok(("b".into(), String::new())));
        assert!(parse_s3_uri("b/x").is_err());
        assert!(parse_s3_uri("s3:///x").is_err());
        let d = parse_date("2026-11-20", false).unwrap();
        assert_eq!(d.to_string(), "2026-11-20T00:00:00Z");
        assert_eq!(
            parse_date("2026-11-20", true).unwrap().to_string(),
            "2026-11-21T00:00:00Z"
        );
        assert_eq!(
            parse_date("2026-11-20T10:30:00Z", true)
                .unwrap()
                .to_string(),
            "2026-11-20T10:30:00Z"
        );
        assert!(parse_date("20-11-2026", false)
            .unwrap_err()
            .contains("YYYY-MM-DD"));
    }

    #[test]
    fn key_times() {
        let k = "AWSLogs/1/CloudTrail/us-east-1/2026/11/25/123456789012_CloudTrail_us-east-1_20261125T0905Z_abc.json.gz";
        assert_eq!(key_time(k).unwrap().to_string(), "2026-11-25T09:05:00Z");
        assert_eq!(key_time("AWSLogs/x/other.json.gz"), None);
        assert_eq!(key_time("a_20261125X0905Z_b.json.gz"), None);
    }
}
