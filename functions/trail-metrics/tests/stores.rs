//! The progress stores against the S3 API of the emulator: what exactly-once rests on.
#![cfg(feature = "emulator-tests")]

use trailwatch::aws::{MarkerStore, ProgressStores, TagStore, PROGRESS_TAG};
use trailwatch::object_ref::ObjectRef;
use trailwatch::publish::{DedupMode, Progress, ProgressStore, SaveError};
use trailwatch_testkit::*;

fn object(bucket: &str, key: &str) -> ObjectRef {
    ObjectRef {
        bucket: bucket.into(),
        key: key.into(),
        version_id: None,
        etag: None,
        size: None,
    }
}

fn progress(done: usize, owner: &str) -> Progress {
    Progress {
        etag: "abc".into(),
        rules: "0123456789abcdef".into(),
        done,
        total: 3,
        lease: 1_900_000_000,
        owner: owner.into(),
        content: None,
        earlier: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn markers_are_a_compare_and_swap() {
    let (s3, _) = clients().await;
    ensure_bucket(&s3, "markers-state").await;
    let store = MarkerStore {
        client: s3.clone(),
        bucket: "markers-state".into(),
        prefix: "progress/".into(),
    };
    let o = object(
        "trail",
        "AWSLogs/1/CloudTrail/us-east-1/2026/11/25/a b.json.gz",
    );
    assert_eq!(store.load(&o).await.unwrap(), None);

    // Two invocations read "no marker"; only the first to write wins the claim.
    let token = store.save(&o, &progress(0, "first"), None).await.unwrap();
    assert!(token.is_some());
    assert_eq!(
        store.save(&o, &progress(0, "second"), None).await,
        Err(SaveError::Conflict)
    );
    let stored = store.load(&o).await.unwrap().unwrap();
    assert_eq!(stored.progress, progress(0, "first"));
    assert_eq!(stored.token, token);

    // Advancing needs the current version: a stale one is refused.
    let next = store
        .save(&o, &progress(1, "first"), Some(&stored))
        .await
        .unwrap();
    assert_ne!(next, token);
    assert_eq!(
        store.save(&o, &progress(2, "second"), Some(&stored)).await,
        Err(SaveError::Conflict)
    );
    assert_eq!(store.load(&o).await.unwrap().unwrap().progress.done, 1);

    // The marker is readable text at a predictable key.
    let body = object_text(
        &s3,
        "markers-state",
        "progress/trail/AWSLogs/1/CloudTrail/us-east-1/2026/11/25/a b.json.gz",
    )
    .await;
    assert!(body.starts_with("v1 etag=abc "), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tags_keep_the_objects_other_tags() {
    let (s3, _) = clients().await;
    let key = "AWSLogs/1/CloudTrail/us-east-1/2026/11/25/tagged.json.gz";
    put(&s3, "tags-trail", key, b"{}".to_vec()).await;
    let owner_tag = aws_sdk_s3::types::Tag::builder()
        .key("owner")
        .value("security")
        .build()
        .unwrap();
    s3.put_object_tagging()
        .bucket("tags-trail")
        .key(key)
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(owner_tag)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let store = TagStore { client: s3.clone() };
    let o = object("tags-trail", key);
    assert_eq!(store.load(&o).await.unwrap(), None);
    store.save(&o, &progress(0, "r1"), None).await.unwrap();
    store.save(&o, &progress(3, "r1"), None).await.unwrap();
    let stored = store.load(&o).await.unwrap().unwrap();
    assert_eq!(stored.progress.done, 3);
    assert!(stored.progress.is_complete());
    let tags = s3
        .get_object_tagging()
        .bucket("tags-trail")
        .key(key)
        .send()
        .await
        .unwrap();
    let mut keys: Vec<&str> = tags.tag_set().iter().map(|t| t.key()).collect();
    keys.sort();
    assert_eq!(keys, ["owner", PROGRESS_TAG]);

    // A tag value holds 256 characters: a marker that remembers many earlier versions keeps the
    // newest that fit.
    let long = Progress {
        earlier: (0..8).map(|i| format!("{i:0>32}-2")).collect(),
        ..progress(3, "r1")
    };
    assert!(long.encode().len() > 256);
    store.save(&o, &long, None).await.unwrap();
    let kept = store.load(&o).await.unwrap().unwrap().progress;
    assert!(kept.encode().len() <= 256, "{}", kept.encode());
    assert!(
        !kept.earlier.is_empty() && kept.earlier.len() < 8,
        "{:?}",
        kept.earlier
    );
    assert_eq!(kept.earlier.last(), long.earlier.last(), "the newest kept");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_object_or_bucket_is_a_permanent_error_naming_the_call() {
    let (s3, _) = clients().await;
    let store = ProgressStores::for_mode(&DedupMode::Tags, &s3);
    let err = store
        .load(&object("no-such-bucket-here", "AWSLogs/x.json.gz"))
        .await
        .unwrap_err();
    assert_eq!(err.operation, "GetObjectTagging");
    assert!(!err.retryable, "{err}");
    assert!(
        err.code == "NoSuchBucket" || err.code == "NoSuchKey",
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_load_from_s3_and_a_missing_file_is_named() {
    use trailwatch::rules::RulesSource;
    let (s3, _) = clients().await;
    let rules = r#"{"rules":[{"name":"Deletes","filterPattern":"{ $.eventName = Delete* }",
        "metricTransformations":[{"metricName":"Deletes","metricValue":"1"}]}]}"#;
    put(
        &s3,
        "rules-bucket",
        "trailwatch/rules.json",
        rules.as_bytes().to_vec(),
    )
    .await;
    let source = RulesSource::S3 {
        bucket: "rules-bucket".into(),
        key: "trailwatch/rules.json".into(),
    };
    let set = trailwatch::aws::load_rules(&source, "CloudTrailMetrics", &s3)
        .await
        .unwrap();
    assert_eq!(set.rules().len(), 1);
    assert_eq!(set.rules()[0].name, "Deletes");
    let source = RulesSource::S3 {
        bucket: "rules-bucket".into(),
        key: "missing.json".into(),
    };
    let err = trailwatch::aws::load_rules(&source, "CloudTrailMetrics", &s3)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("s3://rules-bucket/missing.json") && err.contains("NoSuchKey"),
        "{err}"
    );
}
