//! Text helpers used across the crate: numbers as JSON writes them, percent-encoding both ways, text cut
//! to a length.

/// Formats a number as JSON does: integers without a fraction.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Percent-encodes every byte but ASCII letters, digits and `keep`.
pub fn percent_encode(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes an `application/x-www-form-urlencoded` key: `+` is a space, `%XX` a byte; the bytes must be
/// UTF-8.
pub fn url_decode(s: &str) -> Result<String, UrlDecodeError> {
    if !s.contains(['+', '%']) {
        return Ok(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or(UrlDecodeError::BadEscape { at: i })?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| UrlDecodeError::NotUtf8)
}

/// Why [`url_decode`] refused a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlDecodeError {
    #[error("bad percent-escape at character {at}")]
    BadEscape { at: usize },
    #[error("the decoded key is not UTF-8")]
    NotUtf8,
}

/// `s` cut to at most `max` UTF-16 code units, an ellipsis last when cut. Slack, Teams and Discord
/// state their limits in characters, and some count UTF-16 units (an emoji outside the Basic
/// Multilingual Plane is two); there are never fewer units than characters, so this keeps within
/// either count.
pub fn truncate(s: &str, max: usize) -> String {
    if s.encode_utf16().count() <= max {
        return s.to_owned();
    }
    let room = max.saturating_sub(1);
    let mut units = 0;
    let mut t: String = s
        .chars()
        .take_while(|c| {
            units += c.len_utf16();
            units <= room
        })
        .collect();
    t.push('…');
    t
}
