//! Many objects published at once, with bounded concurrency: a backfill.

use std::sync::Arc;

use crate::object_ref::ObjectRef;
use crate::publish::{
    Attempt, MetricSink, ObjectSource, Outcome, ProgressStore, PublishError, PublishErrorKind,
    Publisher,
};

/// Processes `objects` with at most `concurrency` in flight, calling `done` as each finishes (in
/// completion order).
pub async fn publish_all<S, M, P>(
    publisher: Arc<Publisher<S, M, P>>,
    objects: Vec<ObjectRef>,
    concurrency: usize,
    attempt: Attempt,
    mut done: impl FnMut(ObjectRef, Result<Outcome, PublishError>),
) where
    S: ObjectSource + 'static,
    M: MetricSink + 'static,
    P: ProgressStore + 'static,
{
    let mut tasks = tokio::task::JoinSet::new();
    let mut running = std::collections::HashMap::new();
    let mut pending = objects.into_iter();
    loop {
        while tasks.len() < concurrency.max(1) {
            let Some(object) = pending.next() else { break };
            let publisher = Arc::clone(&publisher);
            let attempt = attempt.clone();
            let task_object = object.clone();
            let handle =
                tasks.spawn(async move { publisher.publish_object(&task_object, &attempt).await });
            running.insert(handle.id(), object);
        }
        let Some(joined) = tasks.join_next_with_id().await else {
            break;
        };
        match joined {
            Ok((id, result)) => {
                if let Some(object) = running.remove(&id) {
                    done(object, result);
                }
            }
            Err(e) => {
                if let Some(object) = running.remove(&e.id()) {
                    let error = PublishError {
                        object: object.to_string(),
                        kind: PublishErrorKind::Internal {
                            what: "the task processing it",
                            error: e,
                        },
                    };
                    done(object, Err(error));
                }
            }
        }
    }
}
