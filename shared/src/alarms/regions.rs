//! AWS regions by the names people read: CloudWatch's SNS notifications name the region
//! (`"Region": "EU (Ireland)"`), and old ones carry no alarm ARN to take the code from.
//!
//! The names are the regions' descriptions in the AWS SDKs' partition data
//! (`@aws-sdk/util-endpoints`, `lib/aws/partitions.json`, version 1.1). Europe's regions were named
//! `EU (…)` before 2020, and notifications written then still arrive that way.

const NAMES: [(&str, &str); 41] = [
    ("af-south-1", "Africa (Cape Town)"),
    ("ap-east-1", "Asia Pacific (Hong Kong)"),
    ("ap-east-2", "Asia Pacific (Taipei)"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ("ap-northeast-2", "Asia Pacific (Seoul)"),
    ("ap-northeast-3", "Asia Pacific (Osaka)"),
    ("ap-south-1", "Asia Pacific (Mumbai)"),
    ("ap-south-2", "Asia Pacific (Hyderabad)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"),
    ("ap-southeast-2", "Asia Pacific (Sydney)"),
    ("ap-southeast-3", "Asia Pacific (Jakarta)"),
    ("ap-southeast-4", "Asia Pacific (Melbourne)"),
    ("ap-southeast-5", "Asia Pacific (Malaysia)"),
    ("ap-southeast-6", "Asia Pacific (New Zealand)"),
    ("ap-southeast-7", "Asia Pacific (Thailand)"),
    ("ca-central-1", "Canada (Central)"),
    ("ca-west-1", "Canada West (Calgary)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-central-2", "Europe (Zurich)"),
    ("eu-north-1", "Europe (Stockholm)"),
    ("eu-south-1", "Europe (Milan)"),
    ("eu-south-2", "Europe (Spain)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("eu-west-2", "Europe (London)"),
    ("eu-west-3", "Europe (Paris)"),
    ("il-central-1", "Israel (Tel Aviv)"),
    ("me-central-1", "Middle East (UAE)"),
    ("me-south-1", "Middle East (Bahrain)"),
    ("mx-central-1", "Mexico (Central)"),
    ("sa-east-1", "South America (Sao Paulo)"),
    ("us-east-1", "US East (N. Virginia)"),
    ("us-east-2", "US East (Ohio)"),
    ("us-west-1", "US West (N. California)"),
    ("us-west-2", "US West (Oregon)"),
    ("cn-north-1", "China (Beijing)"),
    ("cn-northwest-1", "China (Ningxia)"),
    ("us-gov-east-1", "AWS GovCloud (US-East)"),
    ("us-gov-west-1", "AWS GovCloud (US-West)"),
    ("eusc-de-east-1", "EU (Germany)"),
    // Older names still seen in notifications.
    ("us-gov-west-1", "AWS GovCloud (US)"),
    ("sa-east-1", "South America (São Paulo)"),
];

/// The region code a notification's region name stands for: `"EU (Ireland)"` and
/// `"Europe (Ireland)"` are `eu-west-1`. Case and spacing do not matter; an unknown name is `None`.
pub fn region_code(name: &str) -> Option<&'static str> {
    let wanted = normalise(name);
    if wanted.is_empty() {
        return None;
    }
    let europe = wanted
        .strip_prefix("eu (")
        .map(|rest| format!("europe ({rest}"));
    NAMES
        .iter()
        .find(|(_, n)| {
            let n = normalise(n);
            n == wanted || europe.as_deref() == Some(n.as_str())
        })
        .map(|(code, _)| *code)
}

fn normalise(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_old_and_new_give_the_code() {
        assert_eq!(region_code("EU (Ireland)"), Some("eu-west-1"));
        assert_eq!(region_code("Europe (Ireland)"), Some("eu-west-1"));
        assert_eq!(region_code("  us east  (n. virginia) "), Some("us-east-1"));
        assert_eq!(region_code("EU (Frankfurt)"), Some("eu-central-1"));
        assert_eq!(
            region_code("EU (Germany)"),
            Some("eusc-de-east-1"),
            "not Europe's"
        );
        assert_eq!(region_code("South America (São Paulo)"), Some("sa-east-1"));
        assert_eq!(region_code("AWS GovCloud (US)"), Some("us-gov-west-1"));
        assert_eq!(region_code("Atlantis (Central)"), None);
        assert_eq!(region_code(""), None);
    }

    #[test]
    fn every_code_is_a_region_code_and_every_name_is_one_regions() {
        for (code, name) in NAMES {
            assert!(super::super::is_region_code(code), "{code}");
            assert_eq!(region_code(name), Some(code), "{name}");
        }
    }
}
