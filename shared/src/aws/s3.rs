//! Log objects as streams, small text objects, and the listing a backfill makes.

use std::pin::Pin;

use tokio::io::AsyncRead;

use crate::aws::classify::{bad_marker, classify};
use crate::cloudtrail::{classify_key, day_folders, key_time, KeyKind};
use crate::error::CallError;
use crate::object_ref::{etag_unquote, ObjectRef};
use crate::publish::{ObjectSource, Opened};
use crate::time::UnixSeconds;

/// Log objects read from S3 as a stream.
#[derive(Debug, Clone)]
pub struct S3Source {
    pub client: aws_sdk_s3::Client,
}

impl ObjectSource for S3Source {
    type Body = Pin<Box<dyn AsyncRead + Send>>;

    async fn open(&self, object: &ObjectRef) -> Result<Opened<Self::Body>, CallError> {
        // Pinned to what the notification announced: its version, or else its ETag (If-Match), so
        // that an object overwritten since is refused (412), not counted as the bytes found now.
        let response = self
            .client
            .get_object()
            .bucket(&object.bucket)
            .key(&object.key)
            .set_version_id(object.version_id.clone())
            .set_if_match(
                object
                    .etag
                    .as_ref()
                    .filter(|_| object.version_id.is_none())
                    .map(|e| format!("\"{e}\"")),
            )
            .send()
            .await
            .map_err(|e| classify("GetObject", e))?;
        let etag = etag_unquote(response.e_tag().unwrap_or_default());
        let last_modified = response.last_modified().map(|t| UnixSeconds(t.secs()));
        let signature = response
            .metadata()
            .and_then(|m| m.get("signature"))
            .cloned();
        Ok(Opened {
            body: Box::pin(response.body.into_async_read()),
            etag,
            last_modified,
            signature,
        })
    }
}

/// Reads a whole small object (a rule file) as text.
pub async fn read_text(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<String, CallError> {
    let response = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| classify("GetObject", e))?;
    let bytes = response.body.collect().await.map_err(|e| CallError {
        operation: "GetObject",
        code: "Network".into(),
        message: e.to_string(),
        retryable: true,
    })?;
    String::from_utf8(bytes.to_vec()).map_err(|_| CallError {
        operation: "GetObject",
        code: "NotUtf8".into(),
        message: format!("s3://{bucket}/{key} is not UTF-8 text"),
        retryable: false,
    })
}

/// A small text object and its ETag, or `None` when there is no such key.
pub(crate) async fn read_if_exists(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    operation: &'static str,
) -> Result<Option<(String, String)>, CallError> {
    let response = match client.get_object().bucket(bucket).key(key).send().await {
        Ok(r) => r,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
        Err(e) => return Err(classify(operation, e)),
    };
    let token = etag_unquote(response.e_tag().unwrap_or_default());
    let bytes = response.body.collect().await.map_err(|e| CallError {
        operation,
        code: "Network".into(),
        message: e.to_string(),
        retryable: true,
    })?;
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| bad_marker(operation, format!("s3://{bucket}/{key} is not UTF-8")))?;
    Ok(Some((text, token)))
}

/// The listing calls a backfill made, for its report.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Listing {
    pub objects: Vec<ObjectRef>,
    /// Keys under the prefix of other kinds (for log files: digests, Insights, others).
    pub not_logs: u64,
    /// Files outside --since/--until.
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
    list_keys(s3, bucket, prefix, (since, until), KeyKind::Log).await
}

/// [`list_logs`] for files of another kind: digest files, under `CloudTrail-Digest/`.
pub async fn list_keys(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    (since, until): (Option<UnixSeconds>, Option<UnixSeconds>),
    want: KeyKind,
) -> Result<Listing, CallError> {
    let mut listing = Listing::default();
    let folder = match want {
        KeyKind::Digest => "CloudTrail-Digest",
        _ => "CloudTrail",
    };
    let prefixes =
        prefixes_to_list(s3, bucket, prefix, folder, (since, until), &mut listing).await?;
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
                if classify_key(key) != want {
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

/// The prefixes to list: only the day folders in range when the prefix is a trail's `folder`
/// (`CloudTrail/`, `CloudTrail-Digest/`, or a region in it) and a start date is given, else the prefix
/// itself.
async fn prefixes_to_list(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    folder: &str,
    (since, until): (Option<UnixSeconds>, Option<UnixSeconds>),
    listing: &mut Listing,
) -> Result<Vec<String>, CallError> {
    let segments: Vec<&str> = prefix.trim_end_matches('/').split('/').collect();
    let last = segments.last().copied().unwrap_or("");
    let second_last = segments.iter().rev().nth(1).copied().unwrap_or("");
    Ok(match since {
        Some(since) if last == folder || second_last == folder => {
            let base = format!("{}/", prefix.trim_end_matches('/'));
            let regions = if last == folder {
                list_common_prefixes(s3, bucket, &base, listing).await?
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
    })
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
