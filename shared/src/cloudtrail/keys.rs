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

/// The time in a CloudTrail file's name: a log file's `…_20261125T0905Z_….json.gz` (the end of the
/// delivery period it covers, to the minute) or a digest's `…_20261125T091031Z.json.gz` (its
/// `digestEndTime`, to the second).
pub fn key_time(key: &str) -> Option<UnixSeconds> {
    let name = key.rsplit('/').next()?;
    name.split('_').find_map(|part| {
        let part = part.strip_suffix(".json.gz").unwrap_or(part);
        let b = part.as_bytes();
        let seconds = match b.len() {
            14 => "00",
            16 => part.get(13..15)?,
            _ => return None,
        };
        let digits = |r: std::ops::Range<usize>| part[r].bytes().all(|c| c.is_ascii_digit());
        if b[8] != b'T' || b[b.len() - 1] != b'Z' || !digits(0..8) || !digits(9..b.len() - 1) {
            return None;
        }
        UnixSeconds::parse_rfc3339(&format!(
            "{}-{}-{}T{}:{}:{seconds}Z",
            &part[0..4],
            &part[4..6],
            &part[6..8],
            &part[9..11],
            &part[11..13]
        ))
    })
}

/// Which chain a digest file belongs to: its key without the date folders and the end time, so
/// every digest of one trail, account and region (standard or backfill) has the same. `None` for a
/// key that is not a digest's.
/// The region a digest key was delivered from (`…/CloudTrail-Digest/<region>/…`): CloudTrail signs
/// each region's digests with that region's key.
pub fn digest_region(key: &str) -> Option<&str> {
    if classify_key(key) != KeyKind::Digest {
        return None;
    }
    let (_, after) = key.split_once("/CloudTrail-Digest/")?;
    after.split('/').next().filter(|r| !r.is_empty())
}

pub fn digest_chain(key: &str) -> Option<String> {
    if classify_key(key) != KeyKind::Digest {
        return None;
    }
    let (dir, name) = key.rsplit_once('/')?;
    let stamp = name.split('_').find(|p| key_time(p).is_some())?;
    let (head, tail) = name.split_once(stamp)?;
    // `…/CloudTrail-Digest/<region>/YYYY/MM/DD`: keep up to the region.
    let dir = dir.rsplitn(4, '/').nth(3).unwrap_or(dir);
    let backfill = if tail.starts_with("_backfill") {
        " (backfill)"
    } else {
        ""
    };
    Some(format!("{dir}/{}{backfill}", head.trim_end_matches('_')))
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

    #[test]
    fn digest_names_carry_their_end_time_to_the_second() {
        let digest = "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz";
        assert_eq!(
            key_time(digest),
            UnixSeconds::parse_rfc3339("2015-08-17T15:01:31Z")
        );
        let backfill = digest.replace("Z.json.gz", "Z_backfill.json.gz");
        assert_eq!(
            key_time(&backfill),
            UnixSeconds::parse_rfc3339("2015-08-17T15:01:31Z")
        );
        assert_eq!(key_time(&digest.replace("T150131Z", "T150131X")), None);
        assert_eq!(key_time(&digest.replace("T150131Z", "T15013aZ")), None);
    }

    #[test]
    fn digests_of_one_trail_and_region_share_a_chain() {
        let at = |time: &str, day: &str| {
            format!("o/AWSLogs/o-a1/111122223333/CloudTrail-Digest/us-east-2/2026/11/{day}/111122223333_CloudTrail-Digest_us-east-2_main_us-east-1_{time}.json.gz")
        };
        let chain = digest_chain(&at("20261124T230131Z", "24")).unwrap();
        assert_eq!(
            chain,
            "o/AWSLogs/o-a1/111122223333/CloudTrail-Digest/us-east-2/111122223333_CloudTrail-Digest_us-east-2_main_us-east-1"
        );
        assert_eq!(
            digest_chain(&at("20261125T000131Z", "25")).as_ref(),
            Some(&chain)
        );
        let backfill = at("20261125T000131Z", "25").replace(".json.gz", "_backfill.json.gz");
        assert_eq!(digest_chain(&backfill), Some(format!("{chain} (backfill)")));
        let other_region = at("20261125T000131Z", "25").replace("us-east-2", "eu-west-1");
        assert_ne!(digest_chain(&other_region).as_ref(), Some(&chain));
        assert_eq!(digest_chain(KEY), None, "a log file is no digest");
        assert_eq!(digest_region(&backfill), Some("us-east-2"));
        assert_eq!(digest_region(&other_region), Some("eu-west-1"));
        assert_eq!(digest_region(KEY), None);
    }
}
