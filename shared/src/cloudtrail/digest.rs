//! CloudTrail's digest files: with log file validation on, CloudTrail delivers one per account and
//! region about every hour, listing each log file it delivered in that hour with the SHA-256 of its
//! decompressed content, and naming the digest before it. They are how trailwatch knows which log files
//! exist, whatever notifications arrived.
//!
//! Format: <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html>.

use std::io::Read;

use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use super::content_hash::ContentHash;
use crate::object_ref::ObjectRef;
use crate::time::UnixSeconds;

/// A digest is a few KB per hundred log files; this bounds a hostile one.
pub const MAX_DIGEST_BYTES: u64 = 64 << 20;

/// One digest file, as CloudTrail delivered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub account: String,
    /// The delivery times it covers: every log file delivered in `[start, end]` is listed (or, when
    /// delivered late, in a backfill digest).
    pub start: UnixSeconds,
    pub end: UnixSeconds,
    /// `digestEndTime` as written: the signature covers the text, not the instant.
    pub end_text: String,
    /// Where CloudTrail says it put this digest (`digestS3Bucket`, `digestS3Object`).
    pub location: ObjectRef,
    /// The digest before it in the chain; `None` in a starting digest (validation or logging was
    /// (re)started, so no digest covers the time before `start`).
    pub previous: Option<PreviousDigest>,
    pub log_files: Vec<ListedLogFile>,
    /// SHA-256 of this digest's decompressed bytes: what the next digest's `previousDigestHashValue`
    /// must be.
    pub content_hash: ContentHash,
    /// `digestPublicKeyFingerprint`: which of CloudTrail's public keys (of the digest's region)
    /// verifies its signature.
    pub key_fingerprint: Option<String>,
    /// `digestSignatureAlgorithm` (`SHA256withRSA`).
    pub signature_algorithm: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousDigest {
    pub object: ObjectRef,
    /// SHA-256 of its decompressed bytes.
    pub hash: ContentHash,
    /// Its signature (hex), as its own S3 metadata held it: `previousDigestSignature`.
    pub signature: Option<String>,
}

/// A log file a digest lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedLogFile {
    pub object: ObjectRef,
    /// SHA-256 of its decompressed content.
    pub hash: ContentHash,
    /// `None` for a log file with no events.
    pub newest_event: Option<UnixSeconds>,
}

/// Why a digest file could not be read. The caller names the object.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error("reading it: {0}")]
    Io(#[from] std::io::Error),
    #[error("it is over {} MiB decompressed", MAX_DIGEST_BYTES >> 20)]
    TooLarge,
    #[error("not a CloudTrail digest file: {0}")]
    NotADigest(#[source] serde_json::Error),
    #[error("{field} is {value:?}, not a UTC time")]
    BadTime { field: &'static str, value: String },
    #[error("{field} is {value:?}, not a SHA-256 in hexadecimal")]
    BadHash { field: &'static str, value: String },
    #[error("{field} is {value:?}: only SHA-256 is known")]
    UnknownHashAlgorithm { field: &'static str, value: String },
    #[error("previousDigestS3Object is set but previousDigestS3Bucket or previousDigestHashValue is not")]
    IncompletePrevious,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    aws_account_id: String,
    digest_start_time: String,
    digest_end_time: String,
    #[serde(rename = "digestS3Bucket")]
    digest_s3_bucket: String,
    #[serde(rename = "digestS3Object")]
    digest_s3_object: String,
    #[serde(rename = "previousDigestS3Bucket")]
    previous_digest_s3_bucket: Option<String>,
    #[serde(rename = "previousDigestS3Object")]
    previous_digest_s3_object: Option<String>,
    previous_digest_hash_value: Option<String>,
    previous_digest_hash_algorithm: Option<String>,
    previous_digest_signature: Option<String>,
    digest_public_key_fingerprint: Option<String>,
    digest_signature_algorithm: Option<String>,
    log_files: Vec<RawLogFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogFile {
    s3_bucket: String,
    s3_object: String,
    hash_value: String,
    hash_algorithm: String,
    newest_event_time: Option<String>,
}

impl Digest {
    /// Reads a digest file, gzip-compressed as CloudTrail delivers it or plain.
    pub fn read(mut source: impl Read) -> Result<Digest, DigestError> {
        let mut head = Vec::with_capacity(2);
        (&mut source).take(2).read_to_end(&mut head)?;
        let mut data = Vec::new();
        let rest = std::io::Cursor::new(head.clone()).chain(source);
        let limit = MAX_DIGEST_BYTES + 1;
        if head == [0x1f, 0x8b] {
            flate2::read::MultiGzDecoder::new(rest)
                .take(limit)
                .read_to_end(&mut data)?;
        } else {
            rest.take(limit).read_to_end(&mut data)?;
        }
        if data.len() as u64 > MAX_DIGEST_BYTES {
            return Err(DigestError::TooLarge);
        }
        Digest::parse(&data)
    }

    /// Parses a digest file's decompressed bytes.
    pub fn parse(data: &[u8]) -> Result<Digest, DigestError> {
        let raw: Raw = serde_json::from_slice(data).map_err(DigestError::NotADigest)?;
        let previous = match (
            raw.previous_digest_s3_object,
            raw.previous_digest_s3_bucket,
            raw.previous_digest_hash_value,
        ) {
            (None, _, _) => None,
            (Some(key), Some(bucket), Some(hash)) => {
                sha256_named(
                    "previousDigestHashAlgorithm",
                    raw.previous_digest_hash_algorithm,
                )?;
                Some(PreviousDigest {
                    object: ObjectRef::new(bucket, key),
                    hash: hash_field("previousDigestHashValue", &hash)?,
                    signature: raw.previous_digest_signature.clone(),
                })
            }
            _ => return Err(DigestError::IncompletePrevious),
        };
        let log_files = raw
            .log_files
            .into_iter()
            .map(|f| {
                sha256_named("logFiles[].hashAlgorithm", Some(f.hash_algorithm))?;
                Ok(ListedLogFile {
                    hash: hash_field("logFiles[].hashValue", &f.hash_value)?,
                    newest_event: f
                        .newest_event_time
                        .map(|t| time_field("logFiles[].newestEventTime", &t))
                        .transpose()?,
                    object: ObjectRef::new(f.s3_bucket, f.s3_object),
                })
            })
            .collect::<Result<_, DigestError>>()?;
        Ok(Digest {
            account: raw.aws_account_id,
            start: time_field("digestStartTime", &raw.digest_start_time)?,
            end: time_field("digestEndTime", &raw.digest_end_time)?,
            end_text: raw.digest_end_time.clone(),
            location: ObjectRef::new(raw.digest_s3_bucket, raw.digest_s3_object),
            previous,
            log_files,
            content_hash: ContentHash(Sha256::digest(data).into()),
            key_fingerprint: raw.digest_public_key_fingerprint,
            signature_algorithm: raw.digest_signature_algorithm,
        })
    }
}

fn time_field(field: &'static str, value: &str) -> Result<UnixSeconds, DigestError> {
    UnixSeconds::parse_rfc3339(value).ok_or_else(|| DigestError::BadTime {
        field,
        value: value.to_owned(),
    })
}

fn hash_field(field: &'static str, value: &str) -> Result<ContentHash, DigestError> {
    ContentHash::from_hex(value).ok_or_else(|| DigestError::BadHash {
        field,
        value: value.to_owned(),
    })
}

/// CloudTrail writes `SHA-256`; a digest that says otherwise cannot be checked with SHA-256.
fn sha256_named(field: &'static str, value: Option<String>) -> Result<(), DigestError> {
    match value.as_deref() {
        None | Some("SHA-256") => Ok(()),
        Some(other) => Err(DigestError::UnknownHashAlgorithm {
            field,
            value: other.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// The example in AWS's digest file documentation, verbatim but for the bucket's name.
    const DOCUMENTED: &str = include_str!("../../../tests/data/digest/documented-example.json");

    #[test]
    fn the_documented_example_reads_whole() {
        let d = Digest::parse(DOCUMENTED.as_bytes()).unwrap();
        assert_eq!(d.account, "111122223333");
        assert_eq!(
            d.start,
            UnixSeconds::parse_rfc3339("2015-08-17T14:01:31Z").unwrap()
        );
        assert_eq!(d.end.0 - d.start.0, 3600);
        assert_eq!(d.location.bucket, "amzn-s3-demo-bucket");
        assert!(d
            .location
            .key
            .ends_with("_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz"));
        let previous = d.previous.as_ref().unwrap();
        assert!(previous.object.key.ends_with("_20150817T140131Z.json.gz"));
        assert_eq!(
            previous.hash.to_string(),
            "97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d"
        );
        assert_eq!(d.log_files.len(), 1);
        let f = &d.log_files[0];
        assert_eq!(
            f.object.to_string(),
            "s3://amzn-s3-demo-bucket/AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz"
        );
        assert_eq!(
            f.hash.to_string(),
            "9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6"
        );
        assert_eq!(
            f.newest_event,
            UnixSeconds::parse_rfc3339("2015-08-17T14:52:27Z")
        );
        assert_eq!(
            d.content_hash,
            ContentHash(Sha256::digest(DOCUMENTED.as_bytes()).into())
        );
    }

    #[test]
    fn gzip_or_plain_read_the_same_and_hash_the_decompressed_bytes() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(DOCUMENTED.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let plain = Digest::read(DOCUMENTED.as_bytes()).unwrap();
        assert_eq!(Digest::read(&gz[..]).unwrap(), plain);
        assert_eq!(plain, Digest::parse(DOCUMENTED.as_bytes()).unwrap());
    }

    /// A starting digest (validation or logging (re)started) and a quiet hour, as documented: the
    /// previous digest's fields and the event times are null, `logFiles` is empty.
    #[test]
    fn a_starting_digest_of_a_quiet_hour() {
        let mut v: serde_json::Value = serde_json::from_str(DOCUMENTED).unwrap();
        for field in [
            "previousDigestS3Bucket",
            "previousDigestS3Object",
            "previousDigestHashValue",
            "previousDigestHashAlgorithm",
            "previousDigestSignature",
            "newestEventTime",
            "oldestEventTime",
        ] {
            v[field] = serde_json::Value::Null;
        }
        v["logFiles"] = serde_json::json!([]);
        let d = Digest::parse(v.to_string().as_bytes()).unwrap();
        assert_eq!(d.previous, None);
        assert!(d.log_files.is_empty());
    }

    #[test]
    fn what_is_not_a_digest_is_refused_by_field() {
        let cases: &[(&str, serde_json::Value, &str)] = &[
            (
                "digestEndTime",
                "yesterday".into(),
                "digestEndTime is \"yesterday\", not a UTC time",
            ),
            (
                "previousDigestHashValue",
                "abc".into(),
                "previousDigestHashValue is \"abc\", not a SHA-256",
            ),
            (
                "previousDigestHashAlgorithm",
                "MD5".into(),
                "previousDigestHashAlgorithm is \"MD5\": only SHA-256",
            ),
            (
                "previousDigestS3Bucket",
                serde_json::Value::Null,
                "previousDigestS3Bucket or previousDigestHashValue is not",
            ),
            (
                "logFiles",
                serde_json::json!({}),
                "not a CloudTrail digest file",
            ),
            (
                "digestS3Object",
                serde_json::Value::Null,
                "not a CloudTrail digest file",
            ),
        ];
        for (field, value, message) in cases {
            let mut v: serde_json::Value = serde_json::from_str(DOCUMENTED).unwrap();
            v[field] = value.clone();
            let err = Digest::parse(v.to_string().as_bytes()).unwrap_err();
            assert!(err.to_string().contains(message), "{field}: {err}");
        }
        let mut v: serde_json::Value = serde_json::from_str(DOCUMENTED).unwrap();
        v["logFiles"][0]["hashValue"] = "9bb6".into();
        let err = Digest::parse(v.to_string().as_bytes()).unwrap_err();
        assert!(
            err.to_string().contains("logFiles[].hashValue is \"9bb6\""),
            "{err}"
        );
        v["logFiles"][0]["hashValue"] = DOCUMENTED_LOG_HASH.into();
        v["logFiles"][0]["hashAlgorithm"] = "SHA-1".into();
        assert!(matches!(
            Digest::parse(v.to_string().as_bytes()),
            Err(DigestError::UnknownHashAlgorithm {
                field: "logFiles[].hashAlgorithm",
                ..
            })
        ));
        // A log file of CloudTrail's, not a digest.
        assert!(matches!(
            Digest::parse(br#"{"Records":[]}"#),
            Err(DigestError::NotADigest(_))
        ));
    }

    const DOCUMENTED_LOG_HASH: &str =
        "9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6";

    #[test]
    fn a_digest_over_the_cap_is_refused() {
        let zeros = std::io::repeat(b' ').take(MAX_DIGEST_BYTES + 1);
        assert!(matches!(Digest::read(zeros), Err(DigestError::TooLarge)));
        // At the cap exactly, the size is not what refuses it.
        let spaces = std::io::repeat(b' ').take(MAX_DIGEST_BYTES);
        assert!(matches!(
            Digest::read(spaces),
            Err(DigestError::NotADigest(_))
        ));
    }
}
