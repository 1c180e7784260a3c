//! CloudTrail's signature on a digest file: RSA (PKCS #1 v1.5) with SHA-256 over a signing string, made
//! with a key of the digest's region whose public half `ListPublicKeys` returns. It proves that
//! CloudTrail wrote the digest, and so (through the hashes it lists) the log files: an attacker who can
//! write the bucket can replace a log file and every digest after it, but cannot sign them.
//!
//! The signing string, as AWS documents it and `aws cloudtrail validate-logs` builds it:
//! `digestEndTime \n digestS3Bucket/digestS3Object \n hex(SHA-256(decompressed digest)) \n
//! previousDigestSignature` (the word `null` in a starting digest).

use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;

use super::digest::Digest;

/// The only algorithm CloudTrail signs digests with.
pub const SIGNATURE_ALGORITHM: &str = "SHA256withRSA";

/// Why a signature does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the public key is neither a PKCS #1 nor an X.509 (SubjectPublicKeyInfo) DER RSA key")]
    BadKey,
    #[error("the signature is not hexadecimal")]
    NotHex,
    #[error(
        "the signature does not match: the digest was not signed by this key, or was changed since"
    )]
    Mismatch,
}

impl Digest {
    /// The text CloudTrail signed for this digest.
    pub fn signing_string(&self) -> String {
        signing_string(
            &self.end_text,
            &self.location.bucket,
            &self.location.key,
            &self.content_hash.to_string(),
            self.previous.as_ref().and_then(|p| p.signature.as_deref()),
        )
    }
}

pub fn signing_string(
    end: &str,
    bucket: &str,
    key: &str,
    sha256_hex: &str,
    previous_signature: Option<&str>,
) -> String {
    format!(
        "{end}\n{bucket}/{key}\n{sha256_hex}\n{}",
        previous_signature.unwrap_or("null")
    )
}

/// The fingerprint `digestPublicKeyFingerprint` names a key by: the MD5 of its DER bytes, in hex.
pub fn fingerprint(der: &[u8]) -> String {
    use md5::Digest as _;
    md5::Md5::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks `signature_hex` over `text` with the DER public key `der` (either encoding: AWS's
/// `ListPublicKeys` has returned both).
pub fn verify(der: &[u8], text: &str, signature_hex: &str) -> Result<(), SignatureError> {
    let key = rsa::PublicKey::from_pkcs1_der(der)
        .or_else(|_| rsa::PublicKey::from_public_key_der(der))
        .map_err(|_| SignatureError::BadKey)?;
    let bytes = hex(signature_hex).ok_or(SignatureError::NotHex)?;
    let signature = Signature::try_from(bytes.as_slice()).map_err(|_| SignatureError::Mismatch)?;
    VerifyingKey::<rsa::sha2::Sha256>::new(key)
        .verify(text.as_bytes(), &signature)
        .map_err(|_| SignatureError::Mismatch)
}

fn hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A 2048-bit key and a signature made with OpenSSL (`openssl dgst -sha256 -sign`) over the
/// documented example's signing string: an implementation independent of this one.
#[cfg(test)]
pub(crate) mod vectors {
    pub const DOCUMENTED: &str = include_str!("../../../tests/data/digest/documented-example.json");
    pub const SPKI: &[u8] = include_bytes!("../../../tests/data/digest/signature/spki.der");
    pub const PKCS1: &[u8] = include_bytes!("../../../tests/data/digest/signature/pkcs1.der");
    pub const SIGNATURE: &str = include_str!("../../../tests/data/digest/signature/sig.hex");
}

#[cfg(test)]
mod tests {
    use super::vectors::*;
    use super::*;

    #[test]
    fn the_signing_string_is_the_one_the_aws_cli_tests_expect() {
        // aws-cli's unit test: end "a", bucket "b", key "c", digest bytes "abc", no previous digest.
        assert_eq!(
            signing_string(
                "a",
                "b",
                "c",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                None
            ),
            "a\nb/c\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\nnull"
        );
    }

    #[test]
    fn an_openssl_signature_over_the_documented_digest_verifies_with_either_key_encoding() {
        let d = Digest::parse(DOCUMENTED.as_bytes()).unwrap();
        let text = d.signing_string();
        assert!(
            text.starts_with("2015-08-17T15:01:31Z\namzn-s3-demo-bucket/AWSLogs/"),
            "{text}"
        );
        assert!(
            text.ends_with("e8456328a"),
            "ends with the previous digest's signature"
        );
        for der in [SPKI, PKCS1] {
            assert_eq!(verify(der, &text, SIGNATURE), Ok(()));
        }
        // One byte of the text, or of the signature, changed.
        assert_eq!(
            verify(SPKI, &text.replace("15:01:31", "15:01:32"), SIGNATURE),
            Err(SignatureError::Mismatch)
        );
        let mut other = SIGNATURE.trim().to_owned();
        let last = if other.ends_with('0') { "1" } else { "0" };
        other.replace_range(other.len() - 1.., last);
        assert_eq!(verify(SPKI, &text, &other), Err(SignatureError::Mismatch));
        assert_eq!(verify(SPKI, &text, "xyz"), Err(SignatureError::NotHex));
        assert_eq!(
            verify(b"not a key", &text, SIGNATURE),
            Err(SignatureError::BadKey)
        );
    }

    #[test]
    fn a_key_is_named_by_the_md5_of_its_der_bytes() {
        // `md5sum` of the two files.
        assert_eq!(fingerprint(SPKI), "f345db7910eac1d8ad603d04507c2d14");
        assert_eq!(fingerprint(PKCS1), "6133fac4020e585b417a54c90292f46b");
        // A key and its fingerprint as CloudTrail's ListPublicKeys returned them (aws-cli's example):
        // a PKCS #1 key, which parses (the signature is another key's, so it does not match).
        let aws = include_bytes!("../../../tests/data/digest/signature/aws-cli-example-key.der");
        assert_eq!(fingerprint(aws), "7f3f401420072e50a65a141430817ab3");
        assert_eq!(
            verify(aws, "text", SIGNATURE),
            Err(SignatureError::Mismatch)
        );
    }
}
