//! The function's own health, as Embedded Metric Format: CloudWatch Logs turns it into metrics, no API
//! call needed.

use serde_json::Value;

/// Counts for one invocation: its health metrics.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Health {
    pub files_processed: u64,
    pub files_skipped: u64,
    pub files_duplicate: u64,
    pub files_failed: u64,
    pub records: u64,
    pub datums: u64,
    pub requests: u64,
    pub out_of_window: u64,
    pub evidence: u64,
    pub dimension_values_encoded: u64,
    pub dimension_values_folded: u64,
    /// Matches that gave no datum, and records that are no usable event ([`trailwatch::publish::Published`]).
    pub matches_dropped: u64,
    pub records_unusable: u64,
    /// Now − newest eventTime, the largest over the files read.
    pub delivery_lag: Option<i64>,
    /// Digest checks ([`trailwatch::verify`]): log files listed, and what was found of them.
    pub digests_checked: u64,
    pub log_files_listed: u64,
    pub log_files_recovered: u64,
    pub log_files_late: u64,
    pub log_files_missing: u64,
    pub log_files_tampered: u64,
    /// Digests gone or not covering their hours (a broken chain), and digests altered or moved.
    pub digests_missing: u64,
    pub digests_altered: u64,
    /// Now − the digest's end, the largest over the digests checked.
    pub digest_lag: Option<i64>,
}

impl Health {
    /// Adds what one digest check found.
    pub fn add_digest(&mut self, tally: &trailwatch::verify::Tally, lag: i64) {
        self.digests_checked += tally.digests;
        self.log_files_listed += tally.files_listed;
        self.log_files_recovered += tally.files_recovered;
        self.log_files_late += tally.files_late;
        // Not published and not publishable are the same loss to whoever watches the alarm.
        self.log_files_missing += tally.files_missing + tally.files_unpublished;
        self.log_files_tampered += tally.files_tampered;
        self.digests_missing += tally.digests_missing;
        self.digests_altered += tally.digests_altered;
        let lag = lag.max(0);
        self.digest_lag = Some(self.digest_lag.map_or(lag, |l| l.max(lag)));
    }

    /// One Embedded Metric Format line: CloudWatch Logs turns it into metrics, no API call needed.
    pub fn emf(&self, namespace: &str, function: &str, now_ms: i64) -> Value {
        let mut metrics = vec![
            ("FilesProcessed", "Count", self.files_processed as f64),
            ("FilesSkipped", "Count", self.files_skipped as f64),
            ("FilesDuplicate", "Count", self.files_duplicate as f64),
            ("FilesFailed", "Count", self.files_failed as f64),
            ("Records", "Count", self.records as f64),
            ("Datums", "Count", self.datums as f64),
            ("PutMetricDataRequests", "Count", self.requests as f64),
            ("DatumsOutOfWindow", "Count", self.out_of_window as f64),
            ("EvidenceLines", "Count", self.evidence as f64),
            (
                "DimensionValuesEncoded",
                "Count",
                self.dimension_values_encoded as f64,
            ),
            (
                "DimensionValuesFolded",
                "Count",
                self.dimension_values_folded as f64,
            ),
            ("MatchesDropped", "Count", self.matches_dropped as f64),
            ("RecordsUnusable", "Count", self.records_unusable as f64),
        ];
        if let Some(lag) = self.delivery_lag {
            metrics.push(("DeliveryLag", "Seconds", lag as f64));
        }
        // Zeros too, on every invocation: an alarm on them sees data, and a missing-file alarm
        // that reads 0 is a statement, not a gap.
        metrics.extend([
            ("DigestsChecked", "Count", self.digests_checked as f64),
            ("LogFilesListed", "Count", self.log_files_listed as f64),
            (
                "LogFilesRecovered",
                "Count",
                self.log_files_recovered as f64,
            ),
            ("LogFilesLate", "Count", self.log_files_late as f64),
            ("LogFilesMissing", "Count", self.log_files_missing as f64),
            ("LogFilesTampered", "Count", self.log_files_tampered as f64),
            ("DigestsMissing", "Count", self.digests_missing as f64),
            ("DigestsAltered", "Count", self.digests_altered as f64),
        ]);
        if let Some(lag) = self.digest_lag {
            metrics.push(("DigestLag", "Seconds", lag as f64));
        }
        trailwatch::lambda::emf_line(namespace, function, now_ms, &metrics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn health_is_embedded_metric_format() {
        let h = Health {
            files_processed: 2,
            delivery_lag: Some(300),
            ..Health::default()
        };
        let line = h.emf("Trailwatch", "trail-metrics", 1_764_060_000_000);
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "Trailwatch"
        );
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["FunctionName"]])
        );
        assert_eq!(line["FilesProcessed"], 2.0);
        assert_eq!(line["DeliveryLag"], 300.0);
        let names: Vec<&str> = line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert!(
            names.iter().all(|n| line.get(n).is_some()),
            "every metric has a value"
        );
        let no_lag = Health::default().emf("T", "f", 0);
        assert!(no_lag.get("DeliveryLag").is_none());
    }
}
