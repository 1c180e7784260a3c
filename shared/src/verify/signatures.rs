//! CloudTrail's signatures checked with its public keys (feature `signatures`).

use std::collections::HashMap;

use super::{SignatureCheck, SignatureChecker};
use crate::cloudtrail::digest_signature::{fingerprint, verify, SIGNATURE_ALGORITHM};
use crate::cloudtrail::Digest;

/// CloudTrail's public keys (DER, as `ListPublicKeys` returns them), by fingerprint.
#[derive(Debug, Default, Clone)]
pub struct PublicKeys {
    by_fingerprint: HashMap<String, Vec<u8>>,
}

impl PublicKeys {
    /// Adds a key under the MD5 of its bytes, and under `listed`, the fingerprint `ListPublicKeys`
    /// gave it, should the two ever differ.
    pub fn add(&mut self, der: Vec<u8>, listed: Option<&str>) {
        if let Some(listed) = listed {
            self.by_fingerprint
                .insert(listed.to_ascii_lowercase(), der.clone());
        }
        self.by_fingerprint.insert(fingerprint(&der), der);
    }

    pub fn is_empty(&self) -> bool {
        self.by_fingerprint.is_empty()
    }
}

impl SignatureChecker for PublicKeys {
    fn check(&self, digest: &Digest, signature: Option<&str>) -> SignatureCheck {
        let Some(signature) = signature else {
            return SignatureCheck::Unsigned;
        };
        if let Some(other) = digest
            .signature_algorithm
            .as_deref()
            .filter(|a| *a != SIGNATURE_ALGORITHM)
        {
            return SignatureCheck::Invalid(format!(
                "digestSignatureAlgorithm is {other:?}; only {SIGNATURE_ALGORITHM} is known"
            ));
        }
        let Some(named) = &digest.key_fingerprint else {
            return SignatureCheck::Invalid("it names no digestPublicKeyFingerprint".into());
        };
        let Some(der) = self.by_fingerprint.get(&named.to_ascii_lowercase()) else {
            return SignatureCheck::UnknownKey(named.clone());
        };
        match verify(der, &digest.signing_string(), signature) {
            Ok(()) => SignatureCheck::Valid,
            Err(e) => SignatureCheck::Invalid(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudtrail::digest_signature::vectors::*;

    #[test]
    fn public_keys_check_a_digest_by_the_key_it_names() {
        let mut d = Digest::parse(DOCUMENTED.as_bytes()).unwrap();
        d.key_fingerprint = Some(fingerprint(SPKI).to_uppercase());
        let mut keys = PublicKeys::default();
        assert!(keys.is_empty());
        assert_eq!(
            keys.check(&d, Some(SIGNATURE)),
            SignatureCheck::UnknownKey(fingerprint(SPKI).to_uppercase())
        );
        keys.add(SPKI.to_vec(), None);
        assert_eq!(keys.check(&d, Some(SIGNATURE)), SignatureCheck::Valid);
        assert_eq!(keys.check(&d, None), SignatureCheck::Unsigned);
        let mut moved = d.clone();
        moved.location.key.push('x');
        assert!(matches!(
            keys.check(&moved, Some(SIGNATURE)),
            SignatureCheck::Invalid(why) if why.contains("does not match")
        ));
        let mut other = d.clone();
        other.signature_algorithm = Some("SHA1withRSA".into());
        assert!(matches!(
            keys.check(&other, Some(SIGNATURE)),
            SignatureCheck::Invalid(why) if why.contains("SHA1withRSA")
        ));
        other.signature_algorithm = None;
        other.key_fingerprint = None;
        assert!(matches!(
            keys.check(&other, Some(SIGNATURE)),
            SignatureCheck::Invalid(why) if why.contains("digestPublicKeyFingerprint")
        ));
        // A key found by the fingerprint ListPublicKeys gave it, not its MD5.
        let mut listed = PublicKeys::default();
        listed.add(PKCS1.to_vec(), Some("ABCDEF"));
        d.key_fingerprint = Some("abcdef".into());
        assert_eq!(listed.check(&d, Some(SIGNATURE)), SignatureCheck::Valid);
    }
}
