//! Evidence lines read back from CloudWatch Logs (FilterLogEvents).

use crate::alarms::evidence::{EvidenceSearch, LogPage, LogSearch};
use crate::aws::classify;
use crate::error::CallError;

/// trail-metrics' log group, searched with FilterLogEvents.
#[derive(Debug, Clone)]
pub struct CloudWatchLogs {
    pub client: aws_sdk_cloudwatchlogs::Client,
}

impl LogSearch for CloudWatchLogs {
    async fn filter(
        &self,
        search: &EvidenceSearch,
        next: Option<String>,
    ) -> Result<LogPage, CallError> {
        let answer = self
            .client
            .filter_log_events()
            .log_group_name(&search.log_group)
            .start_time(search.logged_from_ms)
            .end_time(search.logged_to_ms)
            .filter_pattern(search.filter_pattern())
            .set_next_token(next)
            .send()
            .await
            .map_err(|e| classify("FilterLogEvents", e))?;
        Ok(LogPage {
            messages: answer
                .events
                .unwrap_or_default()
                .into_iter()
                .filter_map(|e| e.message)
                .collect(),
            next: answer.next_token,
        })
    }
}
