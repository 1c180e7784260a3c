//! What an alarm's ARN says: partition, region, account, name.

/// (partition, region, account) from `arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>`.
/// A region that is not a region code (`REGION`, blank) is `None`; the partition defaults to `aws`.
pub(super) fn arn_parts(arn: Option<&str>) -> (String, Option<String>, Option<String>) {
    let Some(arn) = arn else {
        return ("aws".into(), None, None);
    };
    let parts: Vec<&str> = arn.splitn(7, ':').map(str::trim).collect();
    if parts.len() < 6 || parts[0] != "arn" {
        return ("aws".into(), None, None);
    }
    let partition = if parts[1].starts_with("aws") {
        parts[1]
    } else {
        "aws"
    };
    let region = Some(parts[3])
        .filter(|r| is_region_code(r))
        .map(str::to_owned);
    let account = Some(parts[4])
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned);
    (partition.to_owned(), region, account)
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`…
pub fn is_region_code(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

pub(super) fn alarm_name_from_arn(arn: &str) -> &str {
    arn.split_once(":alarm:").map_or(arn, |(_, name)| name)
}
