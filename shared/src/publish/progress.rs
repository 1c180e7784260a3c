//! The progress marker: how far publishing one object has gone, as one line of text.

use crate::cloudtrail::ContentHash;

/// The longest owner a marker holds and still fits an S3 tag value with every other field at its
/// longest (a multipart ETag, 10,000 requests, a lease in 2286, the content hash).
pub const MAX_OWNER_CHARS: usize = 64;

/// How far publishing an object has gone. Stored as one line of text (it fits an S3 tag value):
/// `v1 etag=… rules=… done=2 total=5 lease=1764059700 owner=… sha256=…`. `sha256` is absent from
/// markers written before it existed, and where the engine did not hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The object version this is about.
    pub etag: String,
    /// [`crate::rules::ruleset::RuleSet::fingerprint`] of the rules that made the batches.
    pub rules: String,
    /// Batches accepted by PutMetricData, in order.
    pub done: usize,
    pub total: usize,
    /// Until when (Unix seconds) the owner may still be publishing; 0 when nobody is.
    pub lease: i64,
    /// Who holds the lease: a Lambda request ID, or `trailwatch-cli-<host>-<pid>-<nonce>`; at most
    /// [`MAX_OWNER_CHARS`], so that a marker fits an S3 tag value (256 characters).
    pub owner: String,
    /// What was read: the decompressed content's SHA-256, which CloudTrail's digest files list.
    pub content: Option<ContentHash>,
    /// ETags of earlier versions of the object that were published in full, oldest first (at most
    /// [`MAX_EARLIER_ETAGS`]): a late notification for one of them is a duplicate, even when a
    /// versioned bucket still serves that version.
    pub earlier: Vec<String>,
}

/// Earlier versions a marker remembers.
pub const MAX_EARLIER_ETAGS: usize = 8;

impl Progress {
    pub fn is_complete(&self) -> bool {
        self.done >= self.total
    }

    /// Whether the version with `etag` was published in full: the current one, or an earlier one.
    pub fn published(&self, etag: &str) -> bool {
        (self.etag == etag && self.is_complete()) || self.earlier.iter().any(|e| e == etag)
    }

    pub fn encode(&self) -> String {
        let mut text = format!(
            "v1 etag={} rules={} done={} total={} lease={} owner={}",
            self.etag, self.rules, self.done, self.total, self.lease, self.owner
        );
        if let Some(hash) = self.content {
            text.push_str(&format!(" sha256={hash}"));
        }
        if !self.earlier.is_empty() {
            // `:`, not `,`: S3 tag values allow letters, digits, spaces and `_.:/=+-@` only.
            text.push_str(&format!(" earlier={}", self.earlier.join(":")));
        }
        text
    }

    pub fn parse(text: &str) -> Result<Progress, ProgressError> {
        let mut fields = text.split(' ');
        if fields.next() != Some("v1") {
            return Err(ProgressError::UnknownFormat(text.to_owned()));
        }
        let mut p = Progress {
            etag: String::new(),
            rules: String::new(),
            done: 0,
            total: 0,
            lease: 0,
            owner: String::new(),
            content: None,
            earlier: Vec::new(),
        };
        let mut seen = 0;
        for field in fields {
            let (k, v) = field
                .split_once('=')
                .ok_or_else(|| ProgressError::NoEquals(field.to_owned()))?;
            let number = |v: &str| {
                v.parse::<i64>().map_err(|_| ProgressError::NotANumber {
                    field: k.to_owned(),
                    value: v.to_owned(),
                })
            };
            match k {
                "etag" => p.etag = v.to_owned(),
                "rules" => p.rules = v.to_owned(),
                "done" => {
                    p.done = number(v)?
                        .try_into()
                        .map_err(|_| ProgressError::Negative("done"))?
                }
                "total" => {
                    p.total = number(v)?
                        .try_into()
                        .map_err(|_| ProgressError::Negative("total"))?
                }
                "lease" => p.lease = number(v)?,
                "owner" => p.owner = v.to_owned(),
                "earlier" => {
                    p.earlier = v
                        .split(':')
                        .filter(|e| !e.is_empty())
                        .map(str::to_owned)
                        .collect();
                    continue;
                }
                "sha256" => {
                    p.content = Some(
                        ContentHash::from_hex(v)
                            .ok_or_else(|| ProgressError::NotAHash(v.to_owned()))?,
                    );
                    continue;
                }
                _ => continue,
            }
            seen += 1;
        }
        if seen < 6 || p.done > p.total {
            return Err(ProgressError::Incomplete(text.to_owned()));
        }
        Ok(p)
    }
}

/// A marker that is not one trailwatch writes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgressError {
    #[error("unknown progress marker format {0:?}")]
    UnknownFormat(String),
    #[error("progress marker field {0:?} has no `=`")]
    NoEquals(String),
    #[error("progress marker: {field}={value:?} is not a number")]
    NotANumber { field: String, value: String },
    #[error("progress marker: sha256={0:?} is not 64 hexadecimal digits")]
    NotAHash(String),
    #[error("progress marker: negative {0}")]
    Negative(&'static str),
    #[error("incomplete progress marker {0:?}")]
    Incomplete(String),
}
