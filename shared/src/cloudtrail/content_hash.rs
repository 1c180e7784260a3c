//! A log file's identity by content: the SHA-256 of its decompressed bytes, as CloudTrail's digest
//! files list it (`logFiles[].hashValue`, lowercase hex).

use std::fmt;

/// SHA-256 of a file's decompressed content.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentHash(pub [u8; 32]);

impl ContentHash {
    /// Parses 64 hexadecimal digits (either case).
    pub fn from_hex(text: &str) -> Option<ContentHash> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            out[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
        }
        Some(ContentHash(out))
    }
}

fn nibble(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_what_is_not_a_sha256() {
        // SHA-256 of the empty string (FIPS 180-2 test vector).
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let hash = ContentHash::from_hex(empty).unwrap();
        assert_eq!(hash.0[0], 0xe3);
        assert_eq!(hash.0[31], 0x55);
        assert_eq!(hash.to_string(), empty);
        assert_eq!(
            ContentHash::from_hex(&empty.to_uppercase()),
            Some(hash),
            "either case"
        );
        assert_eq!(format!("{hash:?}"), format!("ContentHash({empty})"));
        for bad in [
            &empty[..62],
            &format!("{empty}00"),
            &empty.replace('e', "g"),
            "",
        ] {
            assert_eq!(ContentHash::from_hex(bad), None, "{bad:?}");
        }
        assert_eq!(
            ContentHash::from_hex(&"0123456789abcdefABCDEF".repeat(3)[..64])
                .unwrap()
                .0[..4],
            [0x01, 0x23, 0x45, 0x67]
        );
    }
}
