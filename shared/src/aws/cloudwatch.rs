//! PutMetricData.

use aws_sdk_cloudwatch::types as cw;

use crate::aws::classify;
use crate::error::CallError;
use crate::metrics::MetricDatum;
use crate::publish::MetricSink;

/// PutMetricData, one request per call.
#[derive(Debug, Clone)]
pub struct CloudWatchSink {
    pub client: aws_sdk_cloudwatch::Client,
}

/// A datum in the SDK's types.
pub fn sdk_datum(d: &MetricDatum) -> cw::MetricDatum {
    let s = &d.statistics;
    cw::MetricDatum::builder()
        .metric_name(&*d.metric_name)
        .set_dimensions(Some(
            d.dimensions
                .iter()
                .map(|(name, value)| cw::Dimension::builder().name(&**name).value(value).build())
                .collect(),
        ))
        .timestamp(aws_smithy_types::DateTime::from_secs(d.timestamp.0))
        .statistic_values(
            cw::StatisticSet::builder()
                .sample_count(s.sample_count)
                .sum(s.sum)
                .minimum(s.minimum)
                .maximum(s.maximum)
                .build(),
        )
        .unit(cw::StandardUnit::from(d.unit))
        .build()
}

impl MetricSink for CloudWatchSink {
    async fn put(&self, namespace: &str, datums: &[MetricDatum]) -> Result<(), CallError> {
        self.client
            .put_metric_data()
            .namespace(namespace)
            .set_metric_data(Some(datums.iter().map(sdk_datum).collect()))
            .send()
            .await
            .map_err(|e| classify("PutMetricData", e))?;
        Ok(())
    }
}
