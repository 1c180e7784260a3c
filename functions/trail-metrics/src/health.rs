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
    /// Now − newest eventTime, the largest over the files read.
    pub delivery_lag: Option<i64>,
}

impl Health {
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
        ];
        if let Some(lag) = self.delivery_lag {
            metrics.push(("DeliveryLag", "Seconds", lag as f64));
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
