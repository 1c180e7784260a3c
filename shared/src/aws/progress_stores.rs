//! Progress markers in object tags or in marker objects written with S3 conditional writes.

use aws_sdk_s3::primitives::ByteStream;

use crate::aws::classify::{bad_marker, classify};
use crate::aws::s3::read_if_exists;
use crate::error::CallError;
use crate::object_ref::{etag_unquote, ObjectRef};
use crate::publish::{DedupMode, NoProgress, Progress, ProgressStore, SaveError, Stored};

/// The tag that holds progress in [`TagStore`].
pub const PROGRESS_TAG: &str = "trailwatch-progress";

/// Progress in a tag on the log object itself. No extra bucket, but S3 tagging has no conditional
/// write: the ingest looks at the tag again just before claiming, and two invocations that both look
/// in the moment before either writes are not told apart.
#[derive(Debug, Clone)]
pub struct TagStore {
    pub client: aws_sdk_s3::Client,
}

impl TagStore {
    async fn tags(&self, object: &ObjectRef) -> Result<Vec<aws_sdk_s3::types::Tag>, CallError> {
        let response = self
            .client
            .get_object_tagging()
            .bucket(&object.bucket)
            .key(&object.key)
            .set_version_id(object.version_id.clone())
            .send()
            .await
            .map_err(|e| classify("GetObjectTagging", e))?;
        Ok(response.tag_set)
    }
}

impl ProgressStore for TagStore {
    fn describe(&self) -> String {
        format!("tags ({PROGRESS_TAG} on each log object)")
    }

    fn is_atomic(&self) -> bool {
        false
    }

    async fn load(&self, object: &ObjectRef) -> Result<Option<Stored>, CallError> {
        let tags = self.tags(object).await?;
        let Some(tag) = tags.iter().find(|t| t.key == PROGRESS_TAG) else {
            return Ok(None);
        };
        let progress = Progress::parse(&tag.value)
            .map_err(|e| bad_marker("GetObjectTagging", e.to_string()))?;
        Ok(Some(Stored {
            progress,
            token: None,
        }))
    }

    async fn save(
        &self,
        object: &ObjectRef,
        progress: &Progress,
        _previous: Option<&Stored>,
    ) -> Result<Option<String>, SaveError> {
        // PutObjectTagging replaces the whole set: keep the object's other tags.
        let mut tags: Vec<_> = self
            .tags(object)
            .await?
            .into_iter()
            .filter(|t| t.key != PROGRESS_TAG)
            .collect();
        // A tag value holds 256 characters: the oldest earlier versions go first. (Tags are per
        // version in a versioned bucket, and an overwrite in one that is not drops them anyway.)
        let mut fitted = progress.clone();
        while fitted.encode().len() > 256 && !fitted.earlier.is_empty() {
            fitted.earlier.remove(0);
        }
        let tag = aws_sdk_s3::types::Tag::builder()
            .key(PROGRESS_TAG)
            .value(fitted.encode())
            .build()
            .map_err(|e| bad_marker("PutObjectTagging", e.to_string()))?;
        tags.push(tag);
        let tagging = aws_sdk_s3::types::Tagging::builder()
            .set_tag_set(Some(tags))
            .build()
            .map_err(|e| bad_marker("PutObjectTagging", e.to_string()))?;
        self.client
            .put_object_tagging()
            .bucket(&object.bucket)
            .key(&object.key)
            .set_version_id(object.version_id.clone())
            .tagging(tagging)
            .send()
            .await
            .map_err(|e| classify("PutObjectTagging", e))?;
        Ok(None)
    }
}

/// Progress in small marker objects under `s3://bucket/prefix`, one per log object
/// (`prefix` + source bucket + `/` + key), written with S3 conditional writes (`If-None-Match: *` to
/// create, `If-Match: <etag>` to replace): a compare-and-swap, so only one invocation can claim an
/// object. Needs read access only to the trail bucket.
#[derive(Debug, Clone)]
pub struct MarkerStore {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
    pub prefix: String,
}

impl MarkerStore {
    pub fn marker_key(&self, object: &ObjectRef) -> String {
        format!("{}{}/{}", self.prefix, object.bucket, object.key)
    }
}

impl ProgressStore for MarkerStore {
    fn describe(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    fn is_atomic(&self) -> bool {
        true
    }

    async fn load(&self, object: &ObjectRef) -> Result<Option<Stored>, CallError> {
        const OPERATION: &str = "GetObject (progress marker)";
        let Some((text, token)) = read_if_exists(
            &self.client,
            &self.bucket,
            &self.marker_key(object),
            OPERATION,
        )
        .await?
        else {
            return Ok(None);
        };
        let progress =
            Progress::parse(text.trim()).map_err(|e| bad_marker(OPERATION, e.to_string()))?;
        Ok(Some(Stored {
            progress,
            token: Some(token),
        }))
    }

    async fn save(
        &self,
        object: &ObjectRef,
        progress: &Progress,
        previous: Option<&Stored>,
    ) -> Result<Option<String>, SaveError> {
        let mut request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.marker_key(object))
            .content_type("text/plain")
            .body(ByteStream::from(progress.encode().into_bytes()));
        request = match previous.and_then(|p| p.token.as_deref()) {
            Some(token) => request.if_match(format!("\"{token}\"")),
            None => request.if_none_match("*"),
        };
        match request.send().await {
            Ok(r) => Ok(Some(etag_unquote(r.e_tag().unwrap_or_default()))),
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                if matches!(status, Some(412 | 409)) {
                    Err(SaveError::Conflict)
                } else {
                    Err(SaveError::Call(classify("PutObject (progress marker)", e)))
                }
            }
        }
    }
}

/// The configured store.
#[derive(Debug, Clone)]
pub enum ProgressStores {
    Off(NoProgress),
    Tags(TagStore),
    Markers(MarkerStore),
}

impl ProgressStores {
    /// The store a de-duplication mode names.
    pub fn for_mode(mode: &DedupMode, client: &aws_sdk_s3::Client) -> ProgressStores {
        match mode {
            DedupMode::Off => ProgressStores::Off(NoProgress),
            DedupMode::Tags => ProgressStores::Tags(TagStore {
                client: client.clone(),
            }),
            DedupMode::Markers { bucket, prefix } => ProgressStores::Markers(MarkerStore {
                client: client.clone(),
                bucket: bucket.clone(),
                prefix: prefix.clone(),
            }),
        }
    }
}

impl ProgressStore for ProgressStores {
    fn describe(&self) -> String {
        match self {
            ProgressStores::Off(s) => s.describe(),
            ProgressStores::Tags(s) => s.describe(),
            ProgressStores::Markers(s) => s.describe(),
        }
    }

    fn keeps_markers(&self) -> bool {
        !matches!(self, ProgressStores::Off(_))
    }

    fn is_atomic(&self) -> bool {
        match self {
            ProgressStores::Off(s) => s.is_atomic(),
            ProgressStores::Tags(s) => s.is_atomic(),
            ProgressStores::Markers(s) => s.is_atomic(),
        }
    }

    async fn load(&self, object: &ObjectRef) -> Result<Option<Stored>, CallError> {
        match self {
            ProgressStores::Off(s) => s.load(object).await,
            ProgressStores::Tags(s) => s.load(object).await,
            ProgressStores::Markers(s) => s.load(object).await,
        }
    }

    async fn save(
        &self,
        object: &ObjectRef,
        progress: &Progress,
        previous: Option<&Stored>,
    ) -> Result<Option<String>, SaveError> {
        match self {
            ProgressStores::Off(s) => s.save(object, progress, previous).await,
            ProgressStores::Tags(s) => s.save(object, progress, previous).await,
            ProgressStores::Markers(s) => s.save(object, progress, previous).await,
        }
    }
}
