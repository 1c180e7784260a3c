//! Aggregation per (namespace, metric, dimensions, minute) into CloudWatch `MetricDatum`s, and their
//! grouping into PutMetricData requests.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;

use crate::time::UnixSeconds;

/// PutMetricData accepts at most this many datums per request.
pub const MAX_DATUMS_PER_REQUEST: usize = 1000;
/// PutMetricData accepts requests up to 1 MB; this leaves room for the request's own fields.
pub const MAX_REQUEST_BYTES: usize = 1_000_000 - 16_384;
/// CloudWatch refuses datums older than two weeks…
pub const MAX_AGE_SECONDS: i64 = 14 * 86_400;
/// …or more than two hours ahead.
pub const MAX_AHEAD_SECONDS: i64 = 2 * 3_600;

/// SampleCount, Sum, Minimum and Maximum of the values in one series and minute: what CloudWatch would
/// have stored had it received one datum per matching event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatisticSet {
    pub sample_count: f64,
    pub sum: f64,
    pub minimum: f64,
    pub maximum: f64,
}

impl StatisticSet {
    pub fn of(value: f64) -> StatisticSet {
        StatisticSet {
            sample_count: 1.0,
            sum: value,
            minimum: value,
            maximum: value,
        }
    }

    pub fn add(&mut self, other: &StatisticSet) {
        self.sample_count += other.sample_count;
        self.sum += other.sum;
        self.minimum = self.minimum.min(other.minimum);
        self.maximum = self.maximum.max(other.maximum);
    }
}

/// One series-minute, ready for PutMetricData.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricDatum {
    pub namespace: Arc<str>,
    pub metric_name: Arc<str>,
    pub dimensions: Vec<(Arc<str>, String)>,
    pub timestamp: UnixSeconds,
    pub statistics: StatisticSet,
    pub unit: &'static str,
}

impl MetricDatum {
    /// The datum in the AWS API / CLI shape (`aws cloudwatch put-metric-data --metric-data`), plus its
    /// namespace.
    pub fn to_json(&self) -> serde_json::Value {
        let s = &self.statistics;
        json!({
            "Namespace": &*self.namespace,
            "MetricName": &*self.metric_name,
            "Dimensions": self.dimensions.iter().map(|(n, v)| json!({"Name": &**n, "Value": v})).collect::<Vec<_>>(),
            "Timestamp": self.timestamp.to_string(),
            "StatisticValues": {
                "SampleCount": s.sample_count,
                "Sum": s.sum,
                "Minimum": s.minimum,
                "Maximum": s.maximum,
            },
            "Unit": self.unit,
        })
    }

    /// Whether CloudWatch accepts this timestamp at `now`: at most 14 days old, 2 hours ahead.
    pub fn is_publishable_at(&self, now: UnixSeconds) -> bool {
        self.timestamp.0 >= now.0 - MAX_AGE_SECONDS && self.timestamp.0 <= now.0 + MAX_AHEAD_SECONDS
    }

    /// An upper bound on the bytes this datum adds to a PutMetricData request body (query encoding,
    /// every value percent-encoded in the worst case).
    pub fn estimated_request_bytes(&self) -> usize {
        const FIELD: usize = 48; // "MetricData.member.1000.StatisticValues.SampleCount=" and '&'
        let numbers = 4 * 24 + 20; // four statistics and the timestamp
        let mut bytes = 7 * FIELD + numbers + 3 * (self.metric_name.len() + self.unit.len());
        for (name, value) in &self.dimensions {
            bytes += 2 * (FIELD + 12) + 3 * (name.len() + value.len());
        }
        bytes
    }
}

/// Identifies one series-minute.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    pub namespace: Arc<str>,
    pub metric_name: Arc<str>,
    pub dimensions: Vec<(Arc<str>, String)>,
    pub minute: UnixSeconds,
}

/// Statistics per series-minute for one file or many.
#[derive(Debug, Default)]
pub struct Aggregation {
    series: HashMap<SeriesKey, (StatisticSet, &'static str)>,
}

impl Aggregation {
    pub fn add(&mut self, key: SeriesKey, value: StatisticSet, unit: &'static str) {
        self.series
            .entry(key)
            .and_modify(|(s, _)| s.add(&value))
            .or_insert((value, unit));
    }

    pub fn merge(&mut self, other: Aggregation) {
        if self.series.is_empty() {
            self.series = other.series;
            return;
        }
        for (key, (stats, unit)) in other.series {
            self.add(key, stats, unit);
        }
    }

    pub fn len(&self) -> usize {
        self.series.len()
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// The datums in a deterministic order (namespace, metric, dimensions, time): the same input always
    /// yields the same requests, so a retry rebuilds the same batches.
    pub fn into_datums(self) -> Vec<MetricDatum> {
        let mut entries: Vec<_> = self.series.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries
            .into_iter()
            .map(|(key, (statistics, unit))| MetricDatum {
                namespace: key.namespace,
                metric_name: key.metric_name,
                dimensions: key.dimensions,
                timestamp: key.minute,
                statistics,
                unit,
            })
            .collect()
    }
}

/// Splits sorted datums into PutMetricData requests: one namespace each, at most 1000 datums and
/// under 1 MB. Returns index ranges into `datums`.
pub fn request_batches(datums: &[MetricDatum]) -> Vec<std::ops::Range<usize>> {
    let mut batches = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, d) in datums.iter().enumerate() {
        let size = d.estimated_request_bytes();
        let full = i - start == MAX_DATUMS_PER_REQUEST || bytes + size > MAX_REQUEST_BYTES;
        if i > start && (full || datums[start].namespace != d.namespace) {
            batches.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < datums.len() {
        batches.push(start..datums.len());
    }
    batches
}

/// Longest dimension value CloudWatch accepts, in characters.
pub const MAX_DIMENSION_VALUE: usize = 1024;

/// What an empty dimension value is published as. Encoded values never hold a `%` that is not
/// followed by two hex digits, so no value encodes to this.
pub const EMPTY_DIMENSION_VALUE: &str = "%empty";

/// What dimension values past a rule's cardinality guard are published as (`maxDimensionValuesPerHour`):
/// like [`EMPTY_DIMENSION_VALUE`], no value encodes to it.
pub const OVERFLOW_DIMENSION_VALUE: &str = "%other";

/// Marks a value cut to fit [`MAX_DIMENSION_VALUE`]; 16 hex digits of a hash of the whole value
/// follow, so values that differ only past the cut stay apart.
pub const CUT_DIMENSION_VALUE: &str = "%cut-";

/// The form in which `value` is published as a dimension value: as it is when CloudWatch accepts it
/// and it holds no `%`; otherwise percent-encoded, so no count is lost to a value CloudWatch refuses
/// (`Zoë` is published as `Zo%C3%AB`). Each UTF-8 byte outside printable ASCII (0x20-0x7E), and `%`
/// itself, becomes `%XX` in upper-case hex; a value of spaces only has its spaces encoded too.
/// Decoding gives the original back, except for the two forms that cannot: the empty value is
/// [`EMPTY_DIMENSION_VALUE`], and a value whose encoding is longer than 1024 characters keeps its first
/// part and ends in [`CUT_DIMENSION_VALUE`] and a hash.
pub fn published_dimension_value(value: &str) -> Cow<'_, str> {
    if is_valid_dimension_value(value) && !value.contains('%') {
        return Cow::Borrowed(value);
    }
    if value.is_empty() {
        return Cow::Borrowed(EMPTY_DIMENSION_VALUE);
    }
    let blank = value.bytes().all(|b| b == b' ');
    let mut out = String::with_capacity(value.len() + 8);
    for b in value.bytes() {
        if (0x20..=0x7e).contains(&b) && b != b'%' && !(blank && b == b' ') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    if out.len() > MAX_DIMENSION_VALUE {
        let suffix = format!("{CUT_DIMENSION_VALUE}{:016X}", fnv1a64(value.as_bytes()));
        let mut keep = MAX_DIMENSION_VALUE - suffix.len();
        // Never keep half of a `%XX`.
        if let Some(percent) = out[keep.saturating_sub(2)..keep].find('%') {
            keep = keep - 2 + percent;
        }
        out.truncate(keep);
        out.push_str(&suffix);
    }
    Cow::Owned(out)
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// FNV-1a, 64 bits: a stable hash (the same in every build and process) for cut values.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Whether CloudWatch accepts `value` as a dimension value: 1 to 1024 ASCII characters, not all
/// whitespace, no control characters.
pub fn is_valid_dimension_value(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 1024
        && value.bytes().all(|b| b.is_ascii() && !b.is_ascii_control())
        && !value.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(metric: &str, dims: &[(&str, &str)], minute: i64) -> SeriesKey {
        SeriesKey {
            namespace: "NS".into(),
            metric_name: metric.into(),
            dimensions: dims
                .iter()
                .map(|(n, v)| (Arc::from(*n), (*v).to_owned()))
                .collect(),
            minute: UnixSeconds(minute),
        }
    }

    #[test]
    fn statistics_equal_one_datum_per_event() {
        let mut agg = Aggregation::default();
        for v in [3.0, 1.0, 5.0] {
            agg.add(key("Bytes", &[], 60), StatisticSet::of(v), "Bytes");
        }
        let d = agg.into_datums();
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].statistics,
            StatisticSet {
                sample_count: 3.0,
                sum: 9.0,
                minimum: 1.0,
                maximum: 5.0
            }
        );
    }

    #[test]
    fn datums_are_ordered_by_series_then_time() {
        let mut agg = Aggregation::default();
        agg.add(key("B", &[], 0), StatisticSet::of(1.0), "Count");
        agg.add(key("A", &[("U", "z")], 120), StatisticSet::of(1.0), "Count");
        agg.add(key("A", &[("U", "z")], 60), StatisticSet::of(1.0), "Count");
        agg.add(key("A", &[("U", "a")], 180), StatisticSet::of(1.0), "Count");
        let order: Vec<_> = agg
            .into_datums()
            .iter()
            .map(|d| {
                format!(
                    "{}{:?}{}",
                    d.metric_name,
                    d.dimensions.first().map(|x| &x.1),
                    d.timestamp.0
                )
            })
            .collect();
        assert_eq!(
            order,
            [
                "ASome(\"a\")180",
                "ASome(\"z\")60",
                "ASome(\"z\")120",
                "BNone0"
            ]
        );
    }

    #[test]
    fn json_has_the_aws_cli_shape() {
        let mut agg = Aggregation::default();
        agg.add(
            key("StartInstances", &[("UserName", "alice")], 1_688_989_500),
            StatisticSet::of(1.0),
            "Count",
        );
        let line = agg.into_datums()[0].to_json().to_string();
        assert_eq!(
            line,
            r#"{"Dimensions":[{"Name":"UserName","Value":"alice"}],"MetricName":"StartInstances","Namespace":"NS","StatisticValues":{"Maximum":1.0,"Minimum":1.0,"SampleCount":1.0,"Sum":1.0},"Timestamp":"2023-07-10T11:45:00Z","Unit":"Count"}"#
        );
    }

    #[test]
    fn publishable_window_is_two_weeks_back_two_hours_ahead() {
        let now = UnixSeconds(1_000_000_000);
        let at = |t: i64| MetricDatum {
            namespace: "N".into(),
            metric_name: "M".into(),
            dimensions: vec![],
            timestamp: UnixSeconds(t),
            statistics: StatisticSet::of(1.0),
            unit: "None",
        };
        // CloudWatch's figures, written out: a test in terms of the constants could not catch a wrong
        // constant.
        assert!(at(now.0 - 14 * 24 * 3600).is_publishable_at(now));
        assert!(!at(now.0 - 14 * 24 * 3600 - 1).is_publishable_at(now));
        assert!(at(now.0 + 7200).is_publishable_at(now));
        assert!(!at(now.0 + 7201).is_publishable_at(now));
    }

    #[test]
    fn batches_respect_count_size_and_namespace() {
        let datum = |ns: &str, i: usize, value_len: usize| MetricDatum {
            namespace: ns.into(),
            metric_name: "M".into(),
            dimensions: vec![("D".into(), format!("{i:0>width$}", width = value_len))],
            timestamp: UnixSeconds(0),
            statistics: StatisticSet::of(1.0),
            unit: "Count",
        };
        let small: Vec<_> = (0..2500).map(|i| datum("A", i, 8)).collect();
        let sizes: Vec<_> = request_batches(&small).iter().map(|r| r.len()).collect();
        assert_eq!(sizes, [1000, 1000, 500]);

        let big: Vec<_> = (0..1000).map(|i| datum("A", i, 1000)).collect();
        let batches = request_batches(&big);
        assert!(batches.len() > 1);
        for b in &batches {
            assert!(
                big[b.clone()]
                    .iter()
                    .map(|d| d.estimated_request_bytes())
                    .sum::<usize>()
                    <= MAX_REQUEST_BYTES
            );
        }
        assert_eq!(batches.iter().map(|b| b.len()).sum::<usize>(), 1000);
        // Each request is as full as 1 MB less 16 KiB for the request's own fields allows.
        let bytes = |r: std::ops::Range<usize>| {
            big[r]
                .iter()
                .map(|d| d.estimated_request_bytes())
                .sum::<usize>()
        };
        for b in &batches[..batches.len() - 1] {
            assert!(bytes(b.clone()) <= 1_000_000 - 16 * 1024);
            assert!(bytes(b.start..b.end + 1) > 1_000_000 - 16 * 1024);
        }

        let mixed = vec![datum("A", 0, 1), datum("A", 1, 1), datum("B", 2, 1)];
        assert_eq!(request_batches(&mixed), vec![0..2, 2..3]);
        assert!(request_batches(&[]).is_empty());
    }

    #[test]
    fn dimension_values_cloudwatch_accepts() {
        assert!(is_valid_dimension_value("alice"));
        assert!(!is_valid_dimension_value(""));
        assert!(!is_valid_dimension_value("  "));
        assert!(!is_valid_dimension_value("josé"));
        assert!(!is_valid_dimension_value("a\nb"));
        assert!(!is_valid_dimension_value(&"a".repeat(1025)));
    }

    /// Percent-decoding, as a user of the published value would do it.
    fn decode(text: &str) -> Vec<u8> {
        let b = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        out
    }

    #[test]
    fn values_cloudwatch_refuses_are_published_percent_encoded_and_decode_back() {
        assert_eq!(published_dimension_value("alice"), "alice");
        assert!(matches!(
            published_dimension_value("alice"),
            Cow::Borrowed(_)
        ));
        assert_eq!(published_dimension_value("Zoë"), "Zo%C3%AB");
        assert_eq!(published_dimension_value("민수"), "%EB%AF%BC%EC%88%98");
        assert_eq!(published_dimension_value("50%"), "50%25");
        assert_eq!(published_dimension_value("a\tb\u{7f}"), "a%09b%7F");
        assert_eq!(published_dimension_value("  "), "%20%20");
        assert_eq!(published_dimension_value(" x "), " x ");
        assert_eq!(published_dimension_value("~ !"), "~ !");
        assert_eq!(published_dimension_value(""), EMPTY_DIMENSION_VALUE);
        for value in ["Zoë", "민수", "50%", "a\tb", "  ", "😀 %41 ü", "\u{0}"] {
            let published = published_dimension_value(value);
            assert!(
                is_valid_dimension_value(&published),
                "{value:?}: {published}"
            );
            assert_eq!(decode(&published), value.as_bytes(), "{value:?}");
        }
    }

    #[test]
    fn long_values_are_cut_to_1024_characters_and_stay_apart() {
        for len in [1024, 1025, 2000] {
            let plain = "a".repeat(len);
            let published = published_dimension_value(&plain);
            assert!(is_valid_dimension_value(&published), "{len}");
            assert_eq!(published.len() == len, len <= 1024, "{len}");
        }
        // Cut points that fall inside a `%XX` move back before it, at every alignment.
        for pad in 0..3 {
            let a = format!("{}{}", "x".repeat(pad), "é".repeat(400));
            let b = format!("{a}!");
            let (pa, pb) = (published_dimension_value(&a), published_dimension_value(&b));
            for p in [&pa, &pb] {
                assert!(p.len() <= 1024, "{pad}");
                assert!(is_valid_dimension_value(p), "{pad}");
                let head = p.split(CUT_DIMENSION_VALUE).next().unwrap();
                assert!(p.contains(CUT_DIMENSION_VALUE), "{pad}: {p}");
                decode(head); // whole %XX triples only
                assert!(a.as_bytes().starts_with(&decode(head)), "{pad}");
                assert!(p.len() >= 1020, "{pad}: {}", p.len());
            }
            assert_ne!(pa, pb, "values that differ past the cut");
        }
    }

    /// A datum in PutMetricData's query form at the last member index: each value byte other than
    /// the unreserved ones percent-encoded, numbers in shortest exponent form (as the SDK writes them).
    fn worst_case_query_bytes(d: &MetricDatum) -> usize {
        let field = |name: &str, value: &str| {
            let encoded: usize = value
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                        1
                    } else {
                        3
                    }
                })
                .sum();
            format!("MetricData.member.1000.{name}=").len() + encoded + 1
        };
        let s = &d.statistics;
        let number = |x: f64| format!("{x:e}");
        let mut bytes = field("MetricName", &d.metric_name)
            + field("Unit", d.unit)
            + field("Timestamp", &d.timestamp.to_string())
            + field("StatisticValues.SampleCount", &number(s.sample_count))
            + field("StatisticValues.Sum", &number(s.sum))
            + field("StatisticValues.Minimum", &number(s.minimum))
            + field("StatisticValues.Maximum", &number(s.maximum));
        for (name, value) in &d.dimensions {
            bytes += field("Dimensions.member.30.Name", name);
            bytes += field("Dimensions.member.30.Value", value);
        }
        bytes
    }

    #[test]
    fn the_request_size_estimate_bounds_the_real_encoding_closely() {
        let long = |n: usize| "é".repeat(n / 2);
        for (metric, unit, dims, value) in [
            ("M", "None", 0, 1.0),
            ("StartInstances", "Count", 1, 12.0),
            (
                &*long(255),
                "Bytes/Second",
                30,
                -1.234_567_890_123_456_7e-300,
            ),
        ] {
            let d = MetricDatum {
                namespace: "N".into(),
                metric_name: metric.into(),
                dimensions: (0..dims)
                    .map(|i| (Arc::from(long(255).as_str()), format!("{i}{}", long(1024))))
                    .collect(),
                timestamp: UnixSeconds(1_795_510_980),
                statistics: StatisticSet {
                    sample_count: 123_456_789.0,
                    sum: value,
                    minimum: value,
                    maximum: value,
                },
                unit,
            };
            let real = worst_case_query_bytes(&d);
            let estimate = d.estimated_request_bytes();
            assert!(estimate >= real, "{metric}: {estimate} < {real}");
            // Close enough that requests are not split for nothing.
            assert!(estimate <= real * 2, "{metric}: {estimate} vs {real}");
        }
    }

    #[test]
    fn merging_adds_every_series_of_both() {
        let mut a = Aggregation::default();
        a.add(
            key("M", &[("U", "alice")], 60),
            StatisticSet::of(1.0),
            "Count",
        );
        a.add(
            key("M", &[("U", "bob")], 60),
            StatisticSet::of(2.0),
            "Count",
        );
        let mut b = Aggregation::default();
        b.add(
            key("M", &[("U", "bob")], 60),
            StatisticSet::of(5.0),
            "Count",
        );
        b.add(
            key("M", &[("U", "carol")], 120),
            StatisticSet::of(1.0),
            "Count",
        );
        assert_eq!((a.len(), a.is_empty()), (2, false));
        a.merge(b);
        assert_eq!(a.len(), 3);
        let sums: Vec<(String, f64, f64)> = a
            .into_datums()
            .into_iter()
            .map(|d| {
                (
                    d.dimensions[0].1.clone(),
                    d.statistics.sum,
                    d.statistics.sample_count,
                )
            })
            .collect();
        assert_eq!(
            sums,
            [
                ("alice".to_owned(), 1.0, 1.0),
                ("bob".to_owned(), 7.0, 2.0),
                ("carol".to_owned(), 1.0, 1.0)
            ]
        );
        // Into an empty aggregation, and an empty one into a full one.
        let mut empty = Aggregation::default();
        assert_eq!((empty.len(), empty.is_empty()), (0, true));
        let mut one = Aggregation::default();
        one.add(key("M", &[], 60), StatisticSet::of(3.0), "Count");
        empty.merge(one);
        assert_eq!(empty.len(), 1);
        empty.merge(Aggregation::default());
        assert_eq!(empty.into_datums()[0].statistics.sum, 3.0);
    }

    #[test]
    fn a_request_may_fill_its_byte_budget_exactly() {
        // 327 datums of 3,008 estimated bytes are exactly 1 MB less 16 KiB: one request; one more
        // datum starts a second.
        let datum = |i: usize| MetricDatum {
            namespace: "N".into(),
            metric_name: "M".into(),
            dimensions: vec![("D".into(), format!("{i:0>805}"))],
            timestamp: UnixSeconds(0),
            statistics: StatisticSet::of(1.0),
            unit: "Count",
        };
        assert_eq!(datum(0).estimated_request_bytes(), 3008);
        assert_eq!(327 * 3008, 1_000_000 - 16 * 1024);
        let datums: Vec<_> = (0..328).map(datum).collect();
        assert_eq!(request_batches(&datums), vec![0..327, 327..328]);
    }

    #[test]
    fn spaces_stay_spaces_in_an_encoded_value_and_a_value_of_exactly_1024_is_whole() {
        assert_eq!(published_dimension_value("Zoë Smith"), "Zo%C3%AB Smith");
        // 170 × `%C3%A9` and four letters: exactly 1024 characters encoded, not cut.
        let value = format!("{}abcd", "é".repeat(170));
        let published = published_dimension_value(&value);
        assert_eq!(published.len(), 1024);
        assert!(!published.contains(CUT_DIMENSION_VALUE), "{published}");
        let longer = format!("{value}e");
        assert!(published_dimension_value(&longer).contains(CUT_DIMENSION_VALUE));
    }

    #[test]
    fn the_cut_hash_is_fnv_1a() {
        // FNV-1a's published 64-bit test vectors: the suffix is the same in every build and process.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
