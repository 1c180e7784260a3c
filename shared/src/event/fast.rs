//! Extraction's common case without serde: one validating walk over a record's JSON that follows the
//! trie and skips every other value, scanning strings sixteen bytes at a time in a SIMD register,
//! without the per-token calls of a general deserializer. Most of a record is values no rule reads
//! (`requestParameters`, `responseElements`, `resources`…), and skipping them was half of the
//! engine's time after inflate.
//!
//! The walk answers only when it is sure to agree with serde_json. Everything else, it hands back
//! (`None`) and the caller parses the record with serde_json as before, which gives the same fields or
//! the same error, offset and "read more" as ever:
//! - the text ends inside the record (the window must grow);
//! - any syntax error, wherever it is;
//! - an escape in a key of an object the trie walks into;
//! - a string or number the trie reads that serde_json does not build (a lone surrogate, a number
//!   beyond f64): the lenient path repairs those;
//! - a walk deeper than [`MAX_DEPTH`] along the trie.
//!
//! What it accepts is what serde_json's `IgnoredAny` accepts: strings of bytes from 0x20 up with the
//! escapes `\" \\ \/ \b \f \n \r \t \uXXXX` (any four hex digits), numbers as JSON writes them, the
//! three literals, and brackets that pair up. Scalars the trie reads are built by serde_json itself
//! from their own text, so each value is the one serde_json would give.

use serde::de::DeserializeSeed;
use wide::u8x16;

use super::extract::NodeSeed;
use super::table::FieldTable;
use super::FieldValue;

/// How deep the walk follows the trie before it leaves the record to serde_json, whose recursion limit
/// (128 containers) then decides.
const MAX_DEPTH: usize = 64;

/// The fields at `table`'s selectors in the JSON value at the start of `text` (leading whitespace
/// allowed), written into `fields`, and whether the value is an object and where it ends. `None`: ask
/// serde_json; `fields` may then hold part of the walk.
pub(super) fn extract<'a>(
    table: &FieldTable,
    text: &'a str,
    fields: &mut Vec<FieldValue<'a>>,
) -> Option<(bool, usize)> {
    let mut walk = Walk {
        table,
        text,
        bytes: text.as_bytes(),
        pos: 0,
        fields,
        stack: Vec::new(),
    };
    walk.whitespace();
    let is_object = walk.value(0, 0)?;
    Some((is_object, walk.pos))
}

struct Walk<'t, 'f, 'a> {
    table: &'t FieldTable,
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    fields: &'f mut Vec<FieldValue<'a>>,
    /// The brackets open while a value is skipped.
    stack: Vec<u8>,
}

impl<'a> Walk<'_, '_, 'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    #[inline]
    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    fn set(&mut self, node: usize, value: FieldValue<'a>) {
        if let Some(id) = self.table.nodes[node].field {
            self.fields[id.0] = value;
        }
    }

    /// The value at `pos`, at trie node `node`: returns whether it is an object.
    fn value(&mut self, node: usize, depth: usize) -> Option<bool> {
        if depth > MAX_DEPTH {
            return None;
        }
        let n = &self.table.nodes[node];
        match self.peek()? {
            b'{' if n.keys.is_empty() => {
                self.set(node, FieldValue::Object);
                self.skip_value()?;
                Some(true)
            }
            b'{' => {
                self.set(node, FieldValue::Object);
                self.object(node, depth)?;
                Some(true)
            }
            b'[' if n.indexes.is_empty() => {
                self.set(node, FieldValue::Array);
                self.skip_value()?;
                Some(false)
            }
            b'[' => {
                self.set(node, FieldValue::Array);
                self.array(node, depth)?;
                Some(false)
            }
            b'"' => {
                let start = self.pos;
                if self.skip_string()? {
                    // Escapes: serde_json decodes them, and refuses what it refuses.
                    self.scalar(node, start)?;
                } else {
                    let value = self.text.get(start + 1..self.pos - 1)?;
                    self.set(node, FieldValue::String(value.into()));
                }
                Some(false)
            }
            b'-' | b'0'..=b'9' => {
                let start = self.pos;
                self.skip_number()?;
                self.scalar(node, start)?;
                Some(false)
            }
            b't' => {
                self.literal(b"true")?;
                self.set(node, FieldValue::Bool(true));
                Some(false)
            }
            b'f' => {
                self.literal(b"false")?;
                self.set(node, FieldValue::Bool(false));
                Some(false)
            }
            b'n' => {
                self.literal(b"null")?;
                self.set(node, FieldValue::Null);
                Some(false)
            }
            _ => None,
        }
    }

    /// The scalar in `text[start..pos]`, built by serde_json as its own deserializer would.
    fn scalar(&mut self, node: usize, start: usize) -> Option<()> {
        let mut de = serde_json::Deserializer::from_str(self.text.get(start..self.pos)?);
        NodeSeed {
            table: self.table,
            node,
            fields: self.fields,
        }
        .deserialize(&mut de)
        .ok()?;
        de.end().ok()
    }

    fn object(&mut self, node: usize, depth: usize) -> Option<()> {
        self.pos += 1;
        self.whitespace();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.key()?;
            self.whitespace();
            self.eat(b':')?;
            self.whitespace();
            self.member(self.table.nodes[node].child(key), depth)?;
            if !self.next_member(b'}')? {
                return Some(());
            }
        }
    }

    fn array(&mut self, node: usize, depth: usize) -> Option<()> {
        self.pos += 1;
        self.whitespace();
        if self.eat(b']').is_some() {
            return Some(());
        }
        let mut index = 0;
        loop {
            let child = self.table.nodes[node]
                .indexes
                .iter()
                .find(|(i, _)| *i == index)
                .map(|e| e.1);
            self.member(child, depth)?;
            if !self.next_member(b']')? {
                return Some(());
            }
            index += 1;
        }
    }

    /// A member's value: walked at trie node `child`, or skipped where the trie has none.
    fn member(&mut self, child: Option<usize>, depth: usize) -> Option<()> {
        match child {
            Some(child) => self.value(child, depth + 1).map(drop),
            None => self.skip_value(),
        }
    }

    /// After a member: a comma (another member follows: `true`) or the bracket `close` (`false`).
    fn next_member(&mut self, close: u8) -> Option<bool> {
        self.whitespace();
        match self.peek()? {
            b',' => {
                self.pos += 1;
                self.whitespace();
                Some(true)
            }
            b if b == close => {
                self.pos += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// An object key without escapes, as bytes; moves past it.
    fn key(&mut self) -> Option<&'a [u8]> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.pos + 1;
        let end = string_stop(self.bytes, start);
        if *self.bytes.get(end)? != b'"' {
            return None;
        }
        self.pos = end + 1;
        self.bytes.get(start..end)
    }

    /// Moves past the string at `pos`; returns whether it holds escapes.
    fn skip_string(&mut self) -> Option<bool> {
        let mut i = self.pos + 1;
        let mut escaped = false;
        loop {
            i = string_stop(self.bytes, i);
            match *self.bytes.get(i)? {
                b'"' => {
                    self.pos = i + 1;
                    return Some(escaped);
                }
                b'\\' => {
                    escaped = true;
                    i += match *self.bytes.get(i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                        b'u' => {
                            let hex = self.bytes.get(i + 2..i + 6)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            6
                        }
                        _ => return None,
                    };
                }
                // A control character.
                _ => return None,
            }
        }
    }

    /// Moves past the number at `pos`: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`. A
    /// number that runs to the end of the text may go on in the next read: that is left to serde_json.
    fn skip_number(&mut self) -> Option<()> {
        if self.peek()? == b'-' {
            self.pos += 1;
        }
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => self.digits()?,
            _ => return None,
        }
        if self.peek()? == b'.' {
            self.pos += 1;
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits()?;
        }
        if let b'e' | b'E' = self.peek()? {
            self.pos += 1;
            if let b'+' | b'-' = self.peek()? {
                self.pos += 1;
            }
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits()?;
        }
        // A digit after a leading zero ("01") is not JSON; serde_json says so.
        self.peek().filter(|b| !b.is_ascii_digit()).map(|_| ())
    }

    /// Moves past a run of digits; `None` if the text ends in it.
    fn digits(&mut self) -> Option<()> {
        while self.peek()?.is_ascii_digit() {
            self.pos += 1;
        }
        Some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.pos + word.len();
        if self.bytes.get(self.pos..end)? != word {
            return None;
        }
        self.pos = end;
        Some(())
    }

    /// Moves past the value at `pos`, validating it, without building anything: one loop over a
    /// stack of open brackets, as serde_json's `IgnoredAny` does.
    fn skip_value(&mut self) -> Option<()> {
        self.stack.clear();
        loop {
            // A value starts at `pos`.
            match self.peek()? {
                b'{' => {
                    self.pos += 1;
                    self.whitespace();
                    if self.eat(b'}').is_none() {
                        self.stack.push(b'{');
                        self.member_key()?;
                        continue;
                    }
                }
                b'[' => {
                    self.pos += 1;
                    self.whitespace();
                    if self.eat(b']').is_none() {
                        self.stack.push(b'[');
                        continue;
                    }
                }
                b'"' => {
                    self.skip_string()?;
                }
                b'-' | b'0'..=b'9' => self.skip_number()?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => return None,
            }
            // A value ended: close brackets until one takes another value.
            loop {
                let Some(&open) = self.stack.last() else {
                    return Some(());
                };
                self.whitespace();
                match (self.peek()?, open) {
                    (b',', b'{') => {
                        self.pos += 1;
                        self.whitespace();
                        self.member_key()?;
                        break;
                    }
                    (b',', _) => {
                        self.pos += 1;
                        self.whitespace();
                        break;
                    }
                    (b'}', b'{') | (b']', b'[') => {
                        self.pos += 1;
                        self.stack.pop();
                    }
                    _ => return None,
                }
            }
        }
    }

    /// In a skipped object: a key, its colon, and the whitespace before the value.
    fn member_key(&mut self) -> Option<()> {
        if self.peek()? != b'"' {
            return None;
        }
        self.skip_string()?;
        self.whitespace();
        self.eat(b':')?;
        self.whitespace();
        Some(())
    }
}

/// The index of the first byte from `i` on that ends a run of plain string bytes: `"`, `\` or a
/// control character (below 0x20); `bytes.len()` if there is none. Sixteen bytes at a time in one
/// SIMD register (SSE2 on x86-64, NEON on arm64), then byte by byte for the last few.
#[inline]
pub(super) fn string_stop(bytes: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = bytes.get(i..).and_then(|rest| rest.first_chunk::<16>()) {
        let stops = stops(chunk);
        if stops != 0 {
            return i + stops.trailing_zeros() as usize;
        }
        i += 16;
    }
    while let Some(&b) = bytes.get(i) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

/// One bit per byte of `chunk` (bit 0 for its first byte): set where the byte ends plain string text.
#[inline]
fn stops(chunk: &[u8; 16]) -> u32 {
    let v = u8x16::new(*chunk);
    let quote = v.simd_eq(u8x16::splat(b'"'));
    let backslash = v.simd_eq(u8x16::splat(b'\\'));
    // `min(b, 0x1f) == b` is `b <= 0x1f`, unsigned: SSE2 has no unsigned byte comparison.
    let control = v.min(u8x16::splat(0x1f)).simd_eq(v);
    (quote | backslash | control).to_bitmask()
}
