//! Where progress markers are kept, as configured (`DEDUP`).

use crate::object_ref::split_s3_uri;
use crate::vars::ValueError;

/// The de-duplication mode: `off`, `tags`, or `s3://bucket/prefix/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DedupMode {
    Off,
    Tags,
    Markers { bucket: String, prefix: String },
}

impl std::str::FromStr for DedupMode {
    type Err = ValueError;

    fn from_str(text: &str) -> Result<DedupMode, ValueError> {
        match text.trim() {
            "off" => Ok(DedupMode::Off),
            "tags" => Ok(DedupMode::Tags),
            s => {
                let Some((bucket, prefix)) = split_s3_uri(s) else {
                    return Err(ValueError::new(
                        s,
                        "is not a de-duplication mode: use `tags`, `off` or `s3://bucket/prefix/`",
                    ));
                };
                if bucket.is_empty() {
                    return Err(ValueError::new(s, "names no bucket"));
                }
                let mut prefix = prefix.to_owned();
                if !prefix.is_empty() && !prefix.ends_with('/') {
                    prefix.push('/');
                }
                Ok(DedupMode::Markers {
                    bucket: bucket.to_owned(),
                    prefix,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn dedup_modes() {
        assert_eq!(DedupMode::from_str("off"), Ok(DedupMode::Off));
        assert_eq!(DedupMode::from_str(" tags "), Ok(DedupMode::Tags));
        assert_eq!(
            DedupMode::from_str("s3://state/trailwatch"),
            Ok(DedupMode::Markers {
                bucket: "state".into(),
                prefix: "trailwatch/".into()
            })
        );
        assert_eq!(
            DedupMode::from_str("s3://state"),
            Ok(DedupMode::Markers {
                bucket: "state".into(),
                prefix: String::new()
            })
        );
        assert!(DedupMode::from_str("s3:///x")
            .unwrap_err()
            .to_string()
            .contains("no bucket"));
        assert!(DedupMode::from_str("dynamo")
            .unwrap_err()
            .to_string()
            .contains("`tags`, `off`"));
    }
}
