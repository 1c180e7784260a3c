//! Argument values with their own syntax: parsed by clap through `FromStr`, so a bad one is refused
//! before anything runs, with a message that names the argument.

use std::fmt;
use std::str::FromStr;

use trailwatch::time::UnixSeconds;
use trailwatch::vars::ValueError;

/// `s3://bucket/prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Uri {
    pub bucket: String,
    pub prefix: String,
}

impl FromStr for S3Uri {
    type Err = ValueError;

    fn from_str(uri: &str) -> Result<S3Uri, ValueError> {
        let rest = uri
            .strip_prefix("s3://")
            .ok_or_else(|| ValueError::new(uri, "is not an s3://bucket/prefix URI"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(ValueError::new(uri, "names no bucket"));
        }
        Ok(S3Uri {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }
}

impl fmt::Display for S3Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// `YYYY-MM-DD` (a whole day, UTC) or an RFC 3339 time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    at: UnixSeconds,
    whole_day: bool,
}

impl Date {
    /// When it starts: midnight for a bare date.
    pub fn start(self) -> UnixSeconds {
        self.at
    }

    /// When it ends: the next midnight for a bare date, so that `--until 2026-11-20` includes the 20th.
    pub fn end(self) -> UnixSeconds {
        if self.whole_day {
            UnixSeconds(self.at.0 + 86_400)
        } else {
            self.at
        }
    }
}

impl FromStr for Date {
    type Err = ValueError;

    fn from_str(text: &str) -> Result<Date, ValueError> {
        if let Some(at) = UnixSeconds::parse_rfc3339(text) {
            return Ok(Date {
                at,
                whole_day: false,
            });
        }
        UnixSeconds::parse_rfc3339(&format!("{text}T00:00:00Z"))
            .map(|at| Date {
                at,
                whole_day: true,
            })
            .ok_or_else(|| ValueError::new(text, "is not a date (YYYY-MM-DD) or an RFC 3339 time"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(text: &str) -> Result<(String, String), ValueError> {
        text.parse::<S3Uri>().map(|u| (u.bucket, u.prefix))
    }

    #[test]
    fn s3_uris_name_a_bucket_and_a_prefix() {
        assert_eq!(
            uri("s3://b/AWSLogs/1/"),
            Ok(("b".into(), "AWSLogs/1/".into()))
        );
        assert_eq!(uri("s3://b"), Ok(("b".into(), String::new())));
        assert_eq!(
            uri("b/x").unwrap_err().to_string(),
            r#""b/x" is not an s3://bucket/prefix URI"#
        );
        assert_eq!(
            uri("s3:///x").unwrap_err().to_string(),
            r#""s3:///x" names no bucket"#
        );
    }

    #[test]
    fn a_bare_date_is_a_whole_day_and_a_time_is_an_instant() {
        let day: Date = "2026-11-20".parse().unwrap();
        assert_eq!(day.start().to_string(), "2026-11-20T00:00:00Z");
        assert_eq!(day.end().to_string(), "2026-11-21T00:00:00Z");
        let time: Date = "2026-11-20T10:30:00Z".parse().unwrap();
        assert_eq!(time.start().to_string(), "2026-11-20T10:30:00Z");
        assert_eq!(time.end().to_string(), "2026-11-20T10:30:00Z");
        assert!("20-11-2026"
            .parse::<Date>()
            .unwrap_err()
            .to_string()
            .contains("YYYY-MM-DD"));
    }
}
