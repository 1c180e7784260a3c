//! The function's own health, as Embedded Metric Format: CloudWatch Logs turns it into metrics.

use serde_json::Value;

/// Counts for one invocation: its health metrics.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Health {
    pub alarms: u64,
    pub filtered: u64,
    /// Changes CloudWatch muted or suppressed, not notified.
    pub silenced: u64,
    pub unreadable: u64,
    pub delivered: u64,
    pub duplicates: u64,
    pub failed: u64,
    /// HTTP attempts beyond the first.
    pub retries: u64,
    /// Alarms on security metrics sent without their CloudTrail events: the search failed or ran out
    /// of time.
    pub evidence_unavailable: u64,
    /// CloudTrail events from EventBridge (the real-time path), and the rule matches among them.
    pub realtime_events: u64,
    pub realtime_matches: u64,
}

impl Health {
    /// One Embedded Metric Format line.
    pub fn emf(&self, namespace: &str, function: &str, now_ms: i64) -> Value {
        trailwatch::lambda::emf_line(
            namespace,
            function,
            now_ms,
            &[
                ("AlarmsReceived", "Count", self.alarms as f64),
                ("AlarmsFiltered", "Count", self.filtered as f64),
                ("AlarmsSilenced", "Count", self.silenced as f64),
                ("MessagesUnreadable", "Count", self.unreadable as f64),
                ("Deliveries", "Count", self.delivered as f64),
                ("DeliveriesDuplicate", "Count", self.duplicates as f64),
                ("DeliveriesFailed", "Count", self.failed as f64),
                ("DeliveryRetries", "Count", self.retries as f64),
                (
                    "EvidenceUnavailable",
                    "Count",
                    self.evidence_unavailable as f64,
                ),
                ("RealtimeEvents", "Count", self.realtime_events as f64),
                ("RealtimeMatches", "Count", self.realtime_matches as f64),
            ],
        )
    }
}
