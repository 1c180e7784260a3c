//! CloudTrail's public keys, which verify the signatures on its digest files (`ListPublicKeys`).

use aws_sdk_cloudtrail::primitives::DateTime;

use super::classify;
use crate::error::CallError;
use crate::time::UnixSeconds;
use crate::verify::PublicKeys;

/// Why the keys of a region could not be listed.
#[derive(Debug, thiserror::Error)]
#[error("CloudTrail's public keys in {region}: {error}")]
pub struct PublicKeysError {
    pub region: String,
    pub error: CallError,
}

/// Every public key CloudTrail used in `regions` between `start` and `end`. Each region signs with
/// its own keys, and `ListPublicKeys` answers for the region it is called in.
pub async fn public_keys(
    config: &aws_config::SdkConfig,
    regions: impl IntoIterator<Item = &str>,
    (start, end): (UnixSeconds, UnixSeconds),
) -> Result<PublicKeys, PublicKeysError> {
    let mut keys = PublicKeys::default();
    for region in regions {
        let client = aws_sdk_cloudtrail::Client::from_conf(
            aws_sdk_cloudtrail::config::Builder::from(config)
                .region(aws_sdk_cloudtrail::config::Region::new(region.to_owned()))
                .build(),
        );
        let mut pages = client
            .list_public_keys()
            .start_time(DateTime::from_secs(start.0))
            .end_time(DateTime::from_secs(end.0))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| PublicKeysError {
                region: region.to_owned(),
                error: classify("ListPublicKeys", e),
            })?;
            for key in page.public_key_list() {
                if let Some(der) = key.value() {
                    keys.add(der.as_ref().to_vec(), key.fingerprint());
                }
            }
        }
    }
    Ok(keys)
}
