//! `Retry-After`, as delay-seconds or an HTTP date, capped.

use std::time::Duration;

/// `Retry-After` values are capped: no server gets to park a notification for longer.
const RETRY_AFTER_CAP: Duration = Duration::from_secs(86_400);

/// `Retry-After`: delay-seconds or an HTTP date.
pub fn retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds).min(RETRY_AFTER_CAP));
    }
    // Some servers (Discord's body, a few proxies) send fractions.
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds >= 0.0).then(|| {
            Duration::try_from_secs_f64(seconds).map_or(RETRY_AFTER_CAP, |d| d.min(RETRY_AFTER_CAP))
        });
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(RETRY_AFTER_CAP),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_fractions_and_dates() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(" 1.5 ", now), Some(Duration::from_millis(1500)));
        // RFC 9110's example date is 784111777.
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-1", now), None);
    }

    #[test]
    fn huge_or_odd_retry_after_values_are_capped_not_a_panic() {
        let now = std::time::SystemTime::now();
        for v in ["1e30", "18446744073709551616", "inf", "1e308"] {
            assert_eq!(retry_after(v, now), Some(RETRY_AFTER_CAP), "{v}");
        }
        assert_eq!(retry_after("NaN", now), None);
        assert_eq!(retry_after("-0.5", now), None);
    }
}
