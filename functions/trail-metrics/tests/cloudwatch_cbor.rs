//! The current aws-sdk-cloudwatch speaks Smithy RPC v2 CBOR, which moto does not serve: the emulator
//! translates (scripts/testing/cbor_cloudwatch.py). Every CloudWatch operation the project calls goes
//! through it here: PutMetricData with StatisticValues, large enough to be gzipped; GetMetricStatistics
//! and GetMetricData reading it back; a refusal, and an injected throttling answer, each with the error
//! code the SDK must see.
#![cfg(feature = "emulator-tests")]

use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricDatum, MetricStat, StandardUnit, Statistic,
    StatisticSet,
};
use serde_json::json;
use trailwatch_testkit::*;

const NAMESPACE: &str = "CborCheck";

/// 400 datums, one per user, each a statistic set of 3 samples summing to `i`: over the SDK's 10 KB,
/// so the request is gzipped.
fn datums(minute: i64) -> Vec<MetricDatum> {
    (0..400)
        .map(|i| {
            MetricDatum::builder()
                .metric_name("Calls")
                .dimensions(
                    Dimension::builder()
                        .name("UserName")
                        .value(format!("user-{i:04}"))
                        .build(),
                )
                .timestamp(DateTime::from_secs(minute))
                .statistic_values(
                    StatisticSet::builder()
                        .sample_count(3.0)
                        .sum(i as f64)
                        .minimum(0.0)
                        .maximum(i as f64)
                        .build(),
                )
                .unit(StandardUnit::Count)
                .build()
        })
        .collect()
}

/// PutMetricData of [`datums`] at `minute`.
async fn put(
    cw: &aws_sdk_cloudwatch::Client,
    minute: i64,
) -> Result<
    aws_sdk_cloudwatch::operation::put_metric_data::PutMetricDataOutput,
    aws_sdk_cloudwatch::error::SdkError<
        aws_sdk_cloudwatch::operation::put_metric_data::PutMetricDataError,
    >,
> {
    cw.put_metric_data()
        .namespace(NAMESPACE)
        .set_metric_data(Some(datums(minute)))
        .send()
        .await
}

#[tokio::test]
async fn every_cloudwatch_call_the_project_makes_speaks_cbor_through_the_emulator() {
    let (_, cw) = clients().await;
    let minute = (now() - 86_400) / 60 * 60;
    put(&cw, minute).await.unwrap();
    let user = Dimension::builder()
        .name("UserName")
        .value("user-0007")
        .build();
    let stats = cw
        .get_metric_statistics()
        .namespace(NAMESPACE)
        .metric_name("Calls")
        .dimensions(user.clone())
        .start_time(DateTime::from_secs(minute - 60))
        .end_time(DateTime::from_secs(minute + 60))
        .period(60)
        .statistics(Statistic::Sum)
        .statistics(Statistic::SampleCount)
        .statistics(Statistic::Maximum)
        .send()
        .await
        .unwrap();
    let points = stats.datapoints();
    assert_eq!(points.len(), 1, "{points:?}");
    assert_eq!(points[0].sum(), Some(7.0));
    assert_eq!(points[0].sample_count(), Some(3.0));
    assert_eq!(points[0].maximum(), Some(7.0));
    assert_eq!(points[0].timestamp().map(|t| t.secs()), Some(minute));
    let data = cw
        .get_metric_data()
        .metric_data_queries(
            MetricDataQuery::builder()
                .id("q")
                .metric_stat(
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .namespace(NAMESPACE)
                                .metric_name("Calls")
                                .dimensions(user)
                                .build(),
                        )
                        .period(60)
                        .stat("Sum")
                        .build(),
                )
                .build(),
        )
        .start_time(DateTime::from_secs(minute - 60))
        .end_time(DateTime::from_secs(minute + 60))
        .send()
        .await
        .unwrap();
    let result = &data.metric_data_results()[0];
    assert_eq!(result.values(), [7.0]);
    assert_eq!(
        result
            .timestamps()
            .iter()
            .map(|t| t.secs())
            .collect::<Vec<_>>(),
        [minute]
    );
    // A refusal keeps CloudWatch's own code.
    let refused = cw
        .get_metric_statistics()
        .namespace(NAMESPACE)
        .metric_name("Calls")
        .start_time(DateTime::from_secs(minute - 60))
        .end_time(DateTime::from_secs(minute + 60))
        .period(60)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        Some("InvalidParameterCombination"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_throttled_put_is_retried_by_the_sdk_and_a_server_error_keeps_its_code() {
    let config = sdk_config().await;
    let through_proxy = aws_sdk_cloudwatch::config::Builder::from(&config)
        .endpoint_url(&emulator().proxy)
        .build();
    let cw = aws_sdk_cloudwatch::Client::from_conf(through_proxy);
    let minute = (now() - 2 * 86_400) / 60 * 60;
    // One throttling answer: the SDK classifies it and tries again.
    set_faults(json!([{"action": "PutMetricData", "pass": 0, "fail": 1, "status": 400}]));
    put(&cw, minute).await.unwrap();
    let seen = faults();
    assert_eq!(seen[0]["failed"], 1, "{seen}");
    assert_eq!(seen[0]["seen"], 2, "{seen}");
    // Server errors beyond the SDK's attempts come back as InternalFailure.
    set_faults(json!([{"action": "PutMetricData", "pass": 0, "fail": 100, "status": 503}]));
    let failed = put(&cw, minute).await.unwrap_err();
    set_faults(json!([]));
    assert_eq!(failed.code(), Some("InternalFailure"), "{failed:?}");
}
