//! What a log bucket's keys say: which of CloudTrail's folders an object is in, and the time in a log
//! file's name.

use crate::time::UnixSeconds;

/// What a key says the object is, by CloudTrail's naming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// `…/CloudTrail/<region>/YYYY/MM/DD/…_CloudTrail_….json.gz`: a log file.
    Log,
    /// `…/CloudTrail-Digest/…`: hashes for log-file validation, no events.
    Digest,
    /// `…/CloudTrail-Insight/…`: Insights events, not management or data events.
    Insight,
    /// Anything else in the bucket.
    Other,
}

impl KeyKind {
    pub fn skip_reason(self) -> Option<&'static str> {
        match self {
            KeyKind::Log => None,
            KeyKind::Digest => Some("a CloudTrail digest file (CloudTrail-Digest/)"),
            KeyKind::Insight => Some("a CloudTrail Insights file (CloudTrail-Insight/)"),
            KeyKind::Other => {
                Some("not a CloudTrail log file (no CloudTrail/ folder or not .json.gz)")
            }
        }
    }

    /// Short name for counts and logs.
    pub fn label(self) -> &'static str {
        match self {
            KeyKind::Log => "log",
            KeyKind::Digest => "digest",
            KeyKind::Insight => "insight",
            KeyKind::Other => "other",
        }
    }
}

/// Classifies a key by CloudTrail's layout: `[prefix/]AWSLogs/[o-org/]<account>/<folder>/<region>/…`,
/// where the folder is `CloudTrail`, `CloudTrail-Digest` or `CloudTrail-Insight`. Any custom prefix and
/// organization trails work: only the folder segment and the file name decide.
pub fn classify_key(key: &str) -> KeyKind {
    let mut segments = key.split('/');
    let name = segments.next_back().unwrap_or_default();
    let mut kind = KeyKind::Other;
    for segment in segments {
        match segment {
            "CloudTrail-Digest" => return KeyKind::Digest,
            "CloudTrail-Insight" => return KeyKind::Insight,
            "CloudTrail" => kind = KeyKind::Log,
            _ => {}
        }
    }
    if kind == KeyKind::Log && name.ends_with(".json.gz") {
        KeyKind::Log
    } else {
        KeyKind::Other
    }
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

/// The day folders (`YYYY/MM/DD/`) from `since`'s day up to `until`: CloudTrail's layout below a region.
pub fn day_folders(since: UnixSeconds, until: UnixSeconds) -> Vec<String> {
    let mut day = since.0.div_euclid(86_400) * 86_400;
    let mut days = Vec::new();
    while day < until.0 {
        let date = UnixSeconds(day).to_string();
        days.push(format!("{}/{}/{}/", &date[0..4], &date[5..7], &date[8..10]));
        day += 86_400;
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/123456789012_CloudTrail_us-east-1_20261125T0835Z_abc.json.gz";

    #[test]
    fn classifies_keys_by_cloudtrail_folder() {
        assert_eq!(classify_key(KEY), KeyKind::Log);
        assert_eq!(classify_key(&format!("custom/prefix/{KEY}")), KeyKind::Log);
        assert_eq!(
            classify_key(
                "AWSLogs/o-abc123defg/123456789012/CloudTrail/eu-west-1/2026/11/25/x.json.gz"
            ),
            KeyKind::Log
        );
        assert_eq!(
            classify_key("AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2026/11/25/x.json.gz"),
            KeyKind::Digest
        );
        assert_eq!(
            classify_key("AWSLogs/123456789012/CloudTrail-Insight/us-east-1/2026/11/25/x.json.gz"),
            KeyKind::Insight
        );
        assert_eq!(
            classify_key("AWSLogs/123456789012/CloudTrail/us-east-1/x.json"),
            KeyKind::Other
        );
        assert_eq!(
            classify_key("AWSLogs/123456789012/Config/x.json.gz"),
            KeyKind::Other
        );
        assert_eq!(classify_key("CloudTrail.json.gz"), KeyKind::Other);
    }

    #[test]
    fn key_times() {
        let k = "AWSLogs/1/CloudTrail/us-east-1/2026/11/25/123456789012_CloudTrail_us-east-1_20261125T0905Z_abc.json.gz";
        assert_eq!(key_time(k).unwrap().to_string(), "2026-11-25T09:05:00Z");
        assert_eq!(key_time("AWSLogs/x/other.json.gz"), None);
        assert_eq!(key_time("a_20261125X0905Z_b.json.gz"), None);
    }

    #[test]
    fn day_folders_cover_every_day_the_range_touches() {
        let at = |t: &str| UnixSeconds::parse_rfc3339(t).unwrap();
        assert_eq!(
            day_folders(at("2026-02-27T10:00:00Z"), at("2026-03-01T00:00:01Z")),
            ["2026/02/27/", "2026/02/28/", "2026/03/01/"]
        );
        assert_eq!(
            day_folders(at("2026-02-27T10:00:00Z"), at("2026-02-28T00:00:00Z")),
            ["2026/02/27/"]
        );
        assert!(day_folders(at("2026-02-27T00:00:00Z"), at("2026-02-27T00:00:00Z")).is_empty());
    }
}
