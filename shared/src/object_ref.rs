//! One S3 object, as triggers name it and every part of the pipeline refers to it.

/// One S3 object a trigger names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub bucket: String,
    /// The key as stored (decoded).
    pub key: String,
    pub version_id: Option<String>,
    /// Without quotes.
    pub etag: Option<String>,
    pub size: Option<u64>,
}

impl ObjectRef {
    /// An object named by bucket and key alone: no version, ETag or size known.
    pub fn new(bucket: impl Into<String>, key: impl Into<String>) -> ObjectRef {
        ObjectRef {
            bucket: bucket.into(),
            key: key.into(),
            version_id: None,
            etag: None,
            size: None,
        }
    }
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)?;
        if let Some(v) = &self.version_id {
            write!(f, " (version {v})")?;
        }
        Ok(())
    }
}

/// An ETag without its quotes.
pub fn etag_unquote(s: &str) -> String {
    s.trim_matches('"').to_owned()
}

/// `s3://bucket/rest` as (bucket, rest), or `None` when the text is not an `s3://` URI. Either part may be
/// empty: each caller says what it needs.
pub fn split_s3_uri(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("s3://")?;
    Some(rest.split_once('/').unwrap_or((rest, "")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_uris_split_at_the_first_slash() {
        assert_eq!(split_s3_uri("s3://b/a/k"), Some(("b", "a/k")));
        assert_eq!(split_s3_uri("s3://b"), Some(("b", "")));
        assert_eq!(split_s3_uri("s3:///k"), Some(("", "k")));
        assert_eq!(split_s3_uri("b/k"), None);
        assert_eq!(etag_unquote("\"e1\""), "e1");
    }
}
