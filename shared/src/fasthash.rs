//! A fast, unkeyed hash for tables built once from configuration and then only looked up, such as the
//! event-name sets of the rules' `||` lists, which every event is tested against.
//!
//! std's SipHash is keyed to resist hash flooding, where crafted inputs pile into one bucket as they are
//! inserted. These tables get no inserts from input: a crafted event name can collide only with the
//! table's own entries, so a lookup costs the same whatever the input. SipHash cost about 5% of a log
//! file's CPU time here (`scripts/bench.sh`).

use std::hash::{BuildHasherDefault, Hasher};

/// Word-at-a-time multiply-rotate hashing (the FxHash scheme), with a final mix so that the low bits,
/// which pick the bucket, depend on every input bit.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

/// For `HashMap` / `HashSet`: `HashSet<Box<str>, FastHash>`.
pub type FastHash = BuildHasherDefault<FastHasher>;

const K: u64 = 0x9e37_79b9_7f4a_7c15;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            // The length keeps "a" and "a\0" apart.
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        let h = self.hash;
        (h ^ (h >> 32)).wrapping_mul(K) ^ (h >> 29)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    #[test]
    fn a_set_finds_every_member_and_nothing_else() {
        let members: HashSet<Box<str>, FastHash> =
            (0..2000).map(|i| format!("Describe{i}").into()).collect();
        for i in 0..2000 {
            assert!(members.contains(format!("Describe{i}").as_str()), "{i}");
            assert!(!members.contains(format!("Describe{i}x").as_str()), "{i}x");
            assert!(
                !members.contains(format!("describe{i}").as_str()),
                "lower {i}"
            );
        }
        assert!(!members.contains(""));
    }

    #[test]
    fn strings_that_differ_anywhere_hash_apart() {
        let hash = |s: &str| FastHash::default().hash_one(s);
        let base = "GetBucketPublicAccessBlock";
        let mut seen = HashSet::new();
        seen.insert(hash(base));
        for at in 0..base.len() {
            let mut changed = base.as_bytes().to_vec();
            changed[at] ^= 1;
            let changed = String::from_utf8(changed).unwrap_or_default();
            assert!(
                seen.insert(hash(&changed)),
                "a change at byte {at} collided"
            );
        }
        // Trailing zero bytes and the empty string: the remainder's length is part of the hash.
        for s in ["", "\0", "a", "a\0", "a\0\0", "abcdefgh", "abcdefgh\0"] {
            assert!(seen.insert(hash(s)), "{s:?} collided");
        }
        // The low bits pick the bucket: 1,000 names spread over 1,024 buckets.
        let buckets: HashSet<u64> = (0..1000).map(|i| hash(&format!("Get{i}")) & 1023).collect();
        assert!(
            buckets.len() > 550,
            "only {} of 1024 buckets used",
            buckets.len()
        );
    }
}
