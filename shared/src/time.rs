//! RFC 3339 timestamps as CloudTrail writes them (`2023-07-10T11:45:02Z`), to and from Unix seconds.
//!
//! Hand-written because the engine parses one per record: a full date-time crate would cost more than
//! the few integer operations needed here.

use std::fmt;

/// Seconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixSeconds(pub i64);

impl UnixSeconds {
    /// The system clock.
    pub fn now() -> UnixSeconds {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        UnixSeconds(i64::try_from(since.as_secs()).unwrap_or(i64::MAX))
    }

    /// Milliseconds since the epoch, from the system clock.
    pub fn now_ms() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }

    /// The start of the minute this instant falls in: CloudWatch stores metric data per minute.
    pub fn minute_floor(self) -> UnixSeconds {
        UnixSeconds(self.0.div_euclid(60) * 60)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM|±HHMM]`; `None` for anything else.
    /// The fraction is dropped: metric data is stored per minute. Without an offset the time is UTC:
    /// CloudTrail writes UTC, and exports that drop the `Z` (Athena, spreadsheets) keep its digits.
    pub fn parse_rfc3339(text: &str) -> Option<UnixSeconds> {
        let b = text.as_bytes();
        if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let year = digits(&b[0..4])?;
        let month = digits(&b[5..7])?;
        let day = digits(&b[8..10])?;
        let hour = digits(&b[11..13])?;
        let minute = digits(&b[14..16])?;
        let second = digits(&b[17..19])?;
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        // 60 is a leap second; it is counted as the next second, as most systems do.
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let mut rest = &b[19..];
        if let Some((&b'.', fraction)) = rest.split_first() {
            let n = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            rest = &fraction[n..];
        }
        let offset = match rest {
            [] | [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2]
            | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
                let h = digits(&[*h1, *h2])?;
                let m = digits(&[*m1, *m2])?;
                if h > 23 || m > 59 {
                    return None;
                }
                let secs = (h * 3600 + m * 60) as i64;
                if *sign == b'+' {
                    secs
                } else {
                    -secs
                }
            }
            _ => return None,
        };
        let days = days_from_civil(year as i64, month, day);
        let secs = days * 86_400 + (hour * 3600 + minute * 60 + second) as i64 - offset;
        Some(UnixSeconds(secs))
    }
}

impl fmt::Display for UnixSeconds {
    /// `2023-07-10T11:45:00Z`, the form the AWS CLI accepts for a MetricDatum's Timestamp.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's civil-calendar algorithms (public domain), exact for the whole i64 day range used here.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cloudtrail_event_time() {
        assert_eq!(
            UnixSeconds::parse_rfc3339("2023-07-10T11:45:02Z"),
            Some(UnixSeconds(1_688_989_502))
        );
    }

    #[test]
    fn parses_fraction_and_offsets() {
        let z = UnixSeconds::parse_rfc3339("2022-02-07T22:23:37Z").unwrap();
        assert_eq!(
            UnixSeconds::parse_rfc3339("2022-02-08T09:23:37+11:00"),
            Some(z)
        );
        assert_eq!(
            UnixSeconds::parse_rfc3339("2022-02-07T22:23:37.123456Z"),
            Some(z)
        );
        assert_eq!(
            UnixSeconds::parse_rfc3339("2022-02-07T20:23:37-02:00"),
            Some(z)
        );
        // Exports: no offset (UTC, as CloudTrail writes it), an offset without a colon, a space.
        for same in [
            "2022-02-07T22:23:37",
            "2022-02-07T22:23:37.5",
            "2022-02-07 22:23:37",
            "2022-02-07T22:23:37+0000",
            "2022-02-08T00:23:37.000+0200",
            "2022-02-07t22:23:37z",
        ] {
            assert_eq!(UnixSeconds::parse_rfc3339(same), Some(z), "{same}");
        }
    }

    #[test]
    fn rejects_malformed_times() {
        for bad in [
            "",
            "2023-07-10",
            "2023-07-10T11:45",
            "2023-07-10T11:45Z",
            "20230710T114502Z",
            "2023-07-10T11:45:02+1100:",
            "2023-07-10T11:45:02+11",
            "2023-07-10T11:45:02 +11:00",
            "1688989502",
            "2023-13-10T11:45:02Z",
            "2023-02-29T11:45:02Z",
            "2023-07-10T24:45:02Z",
            "2023-07-10T11:45:02.Z",
            "2023-07-10T11:45:02Zjunk",
            "20x3-07-10T11:45:02Z",
        ] {
            assert_eq!(UnixSeconds::parse_rfc3339(bad), None, "{bad}");
        }
        assert!(UnixSeconds::parse_rfc3339("2024-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn formats_round_trip_through_minute_floor() {
        let t = UnixSeconds::parse_rfc3339("1999-12-31T23:59:59Z").unwrap();
        assert_eq!(t.minute_floor().to_string(), "1999-12-31T23:59:00Z");
        assert_eq!(UnixSeconds(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(UnixSeconds(-1).to_string(), "1969-12-31T23:59:59Z");
    }
}
