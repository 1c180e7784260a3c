//! Console links: the alarm, and the Logs Insights query that lists the CloudTrail events behind it.

use crate::alarms::Alarm;
use crate::text::percent_encode;

/// The console page of the alarm, in its partition.
pub fn console_url(alarm: &Alarm) -> Option<String> {
    let region = alarm.region.as_deref()?;
    let host = console_host(&alarm.partition, region);
    Some(format!(
        "https://{host}/cloudwatch/home?region={region}#alarmsV2:alarm/{}",
        uri_component(&alarm.name)
    ))
}

pub(crate) fn console_host(partition: &str, region: &str) -> String {
    match partition {
        "aws-cn" => format!("{region}.console.amazonaws.cn"),
        "aws-us-gov" => "console.amazonaws-us-gov.com".to_owned(),
        _ => format!("{region}.console.aws.amazon.com"),
    }
}

/// `encodeURIComponent`.
fn uri_component(s: &str) -> String {
    percent_encode(s, b"-_.!~*'()")
}

/// JavaScript's `escape()`, which the console applies to its query object.
fn js_escape(s: &str) -> String {
    percent_encode(s, b"@*_+-./")
}

/// A Logs Insights console link with `query` over `log_group` between two RFC 3339 times. The console
/// reads a JSURL-like object: strings are `encodeURIComponent`ed with `*` for `%` and prefixed with
/// `'`, `{…}` is `~(…)`; the whole is `escape()`d, put after `?queryDetail=`, `encodeURIComponent`ed, and
/// `%` becomes `$`.
pub fn insights_url(
    partition: &str,
    region: &str,
    log_group: &str,
    query: &str,
    start: &str,
    end: &str,
) -> String {
    let s = |v: &str| format!("'{}", uri_component(v).replace('%', "*"));
    let object = format!(
        "~(end~{}~start~{}~timeType~'ABSOLUTE~tz~'UTC~editorString~{}~source~(~{}))",
        s(end),
        s(start),
        s(query),
        s(log_group)
    );
    let fragment = uri_component(&format!("?queryDetail={}", js_escape(&object))).replace('%', "$");
    format!(
        "https://{}/cloudwatch/home?region={region}#logsV2:logs-insights{fragment}",
        console_host(partition, region)
    )
}
