//! Stores and sinks that publish nothing: de-duplication off, and the CLI's dry runs.

use std::sync::{Arc, Mutex};

use crate::error::CallError;
use crate::metrics::{Aggregation, MetricDatum, SeriesKey};
use crate::object_ref::ObjectRef;
use crate::publish::{MetricSink, Progress, ProgressStore, SaveError, Stored};

/// A store that keeps nothing: every delivery is counted (de-duplication off).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl ProgressStore for NoProgress {
    fn describe(&self) -> String {
        "off".into()
    }

    fn is_atomic(&self) -> bool {
        true
    }

    fn keeps_markers(&self) -> bool {
        false
    }

    async fn load(&self, _object: &ObjectRef) -> Result<Option<Stored>, CallError> {
        Ok(None)
    }

    async fn save(
        &self,
        _object: &ObjectRef,
        _progress: &Progress,
        _previous: Option<&Stored>,
    ) -> Result<Option<String>, SaveError> {
        Ok(None)
    }
}

/// A sink that adds up what it is given, as CloudWatch would store it (several files may add to one
/// series-minute): the dry run's "what would be published", in memory bounded by series × minutes.
#[derive(Debug, Default)]
pub struct CollectSink {
    pub aggregation: Mutex<Aggregation>,
}

impl MetricSink for CollectSink {
    async fn put(&self, _namespace: &str, datums: &[MetricDatum]) -> Result<(), CallError> {
        if let Ok(mut all) = self.aggregation.lock() {
            for d in datums {
                let key = SeriesKey {
                    namespace: Arc::clone(&d.namespace),
                    metric_name: Arc::clone(&d.metric_name),
                    dimensions: d.dimensions.clone(),
                    minute: d.timestamp,
                };
                all.add(key, d.statistics, d.unit);
            }
        }
        Ok(())
    }
}

/// A store that reads markers but never writes them: a dry run skips what was published and changes
/// nothing.
#[derive(Debug, Clone)]
pub struct ReadOnly<P>(pub P);

impl<P: ProgressStore> ProgressStore for ReadOnly<P> {
    fn describe(&self) -> String {
        format!("{} (read only)", self.0.describe())
    }

    fn is_atomic(&self) -> bool {
        true
    }

    fn keeps_markers(&self) -> bool {
        self.0.keeps_markers()
    }

    async fn load(&self, object: &ObjectRef) -> Result<Option<Stored>, CallError> {
        self.0.load(object).await
    }

    async fn save(
        &self,
        _object: &ObjectRef,
        _progress: &Progress,
        _previous: Option<&Stored>,
    ) -> Result<Option<String>, SaveError> {
        Ok(None)
    }
}
