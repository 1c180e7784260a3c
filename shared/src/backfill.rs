//! Backfill: the trail-metrics pipeline over the log files already in S3, with the same exactly-once
//! markers as the function, bounded concurrency, and a dry run that publishes nothing.

use crate::aws::classify;
use crate::cloudtrail::{classify_key, day_folders, key_time, KeyKind};
use crate::error::CallError;
use crate::object_ref::ObjectRef;
use crate::time::UnixSeconds;

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
) -> Result<Listing, CallError> {
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
            let days = day_folders(since, end);
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
) -> Result<Vec<String>, CallError> {
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
