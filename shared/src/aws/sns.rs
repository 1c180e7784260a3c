//! E-mail and SMS through an SNS topic.

use crate::aws::classify;
use crate::error::CallError;
use crate::notify::TopicPublisher;

/// E-mail and SMS through an SNS topic.
#[derive(Debug, Clone)]
pub struct SnsTopic {
    pub client: aws_sdk_sns::Client,
}

impl TopicPublisher for SnsTopic {
    async fn publish(
        &self,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<(), CallError> {
        self.client
            .publish()
            .topic_arn(topic_arn)
            .subject(subject)
            .message(message)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("Publish", e))
    }
}
