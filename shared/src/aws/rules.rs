//! Rule files in S3.

use crate::aws::read_text;
use crate::rules::ruleset::RuleSet;
use crate::rules::{RulesError, RulesSource};

/// Loads the rule set from where `source` says, reading S3 through `s3`.
pub async fn load_rules(
    source: &RulesSource,
    namespace: &str,
    s3: &aws_sdk_s3::Client,
) -> Result<RuleSet, RulesError> {
    source
        .load(namespace, |bucket, key| async move {
            read_text(s3, &bucket, &key).await
        })
        .await
}
