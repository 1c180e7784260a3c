//! Webhook URLs from SSM SecureStrings and Secrets Manager.

use crate::aws::classify;
use crate::error::CallError;
use crate::notify::{SecretRef, SecretResolver};

/// `ssm:` (a SecureString, decrypted) and `secretsmanager:` references. A Secrets Manager secret holds
/// the URL itself, or a JSON object with a `url` key.
#[derive(Debug, Clone)]
pub struct AwsSecrets {
    pub ssm: aws_sdk_ssm::Client,
    pub secrets_manager: aws_sdk_secretsmanager::Client,
}

impl SecretResolver for AwsSecrets {
    async fn resolve(&self, secret: &SecretRef) -> Result<String, CallError> {
        let missing = |operation: &'static str| CallError {
            operation,
            code: "NoValue".into(),
            message: "it holds no string value".into(),
            retryable: false,
        };
        match secret {
            SecretRef::Value(v) => Ok(v.clone()),
            SecretRef::Ssm(name) => self
                .ssm
                .get_parameter()
                .name(name)
                .with_decryption(true)
                .send()
                .await
                .map_err(|e| classify("ssm:GetParameter", e))?
                .parameter
                .and_then(|p| p.value)
                .ok_or_else(|| missing("ssm:GetParameter")),
            SecretRef::SecretsManager(id) => {
                let text = self
                    .secrets_manager
                    .get_secret_value()
                    .secret_id(id)
                    .send()
                    .await
                    .map_err(|e| classify("secretsmanager:GetSecretValue", e))?
                    .secret_string
                    .ok_or_else(|| missing("secretsmanager:GetSecretValue"))?;
                match serde_json::from_str::<serde_json::Value>(&text) {
                    Ok(serde_json::Value::Object(o)) => o
                        .get("url")
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_owned)
                        .ok_or_else(|| CallError {
                            operation: "secretsmanager:GetSecretValue",
                            code: "NoUrl".into(),
                            message: "the secret is a JSON object without a \"url\" string".into(),
                            retryable: false,
                        }),
                    _ => Ok(text),
                }
            }
        }
    }
}
