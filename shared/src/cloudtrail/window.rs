//! The window over the decompressed stream: filled, grown and validated as UTF-8 a step at a time.

use serde::de::{Deserialize, IgnoredAny};

use super::error::ReadError;
use super::frame::value_len;
use super::limits::ReadLimits;
use super::text::{Step, Text};
use super::RecordWindow;

/// A sliding window over the decompressed stream, as text: the [`Text`] validated every read as UTF-8
/// once, so records are parsed from `&str` without checking each string again. `buf[pos..]` is
/// unread; `base` is the stream offset of `buf[0]`.
pub(super) struct Window<S: Text> {
    text: S,
    limits: ReadLimits,
    pub(super) buf: String,
    pub(super) pos: usize,
    base: u64,
    eof: bool,
    /// Stream offset of the first byte that is not UTF-8; the window ends there.
    pub(super) invalid_at: Option<u64>,
    /// Top-level values begun so far.
    pub(super) values: u64,
}

impl<S: Text> Window<S> {
    pub(super) fn new(text: S, mut limits: ReadLimits) -> Self {
        limits.window_bytes = limits.window_bytes.max(1);
        Window {
            text,
            limits,
            buf: String::with_capacity(limits.window_bytes.saturating_mul(4)),
            pos: 0,
            base: 0,
            eof: false,
            invalid_at: None,
            values: 0,
        }
    }

    /// The text source, once the window is done with it.
    pub(super) fn into_text(self) -> S {
        self.text
    }

    fn bytes(&self) -> &[u8] {
        self.buf.as_bytes()
    }

    pub(super) fn len(&self) -> usize {
        self.buf.len()
    }

    pub(super) fn offset(&self, index: usize) -> u64 {
        self.base + index as u64
    }

    /// Why the data ended where a value was still expected: an invalid byte, or the file's end.
    fn end_error(&self) -> ReadError {
        match self.invalid_at {
            Some(offset) => ReadError::Utf8 { offset },
            None => ReadError::Truncated {
                offset: self.offset(self.len()),
            },
        }
    }

    /// Reads more data, keeping `buf[pos..]`. Returns false at the end of the (valid) stream.
    pub(super) fn fill(&mut self) -> Result<bool, ReadError> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
        }
        if self.invalid_at.is_some() {
            self.eof = true;
            return Ok(false);
        }
        match self.text.next_into(&mut self.buf)? {
            Step::More => Ok(true),
            Step::End => {
                self.eof = true;
                Ok(false)
            }
            Step::InvalidAt(offset) => {
                self.invalid_at = Some(offset);
                Ok(true)
            }
            Step::EndsInsideCharAt(offset) => {
                self.eof = true;
                self.invalid_at = Some(offset);
                Ok(false)
            }
        }
    }

    /// Skips whitespace and returns the next byte without consuming it; `None` at the end.
    pub(super) fn peek(&mut self) -> Result<Option<u8>, ReadError> {
        loop {
            while self.pos < self.len() {
                match self.bytes()[self.pos] {
                    b' ' | b'\n' | b'\r' | b'\t' => self.pos += 1,
                    b => return Ok(Some(b)),
                }
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    pub(super) fn expect_more(&mut self) -> Result<u8, ReadError> {
        match self.peek()? {
            Some(b) => Ok(b),
            None => Err(self.end_error()),
        }
    }

    pub(super) fn syntax(&self, message: impl Into<String>) -> ReadError {
        ReadError::Syntax {
            offset: self.offset(self.pos),
            message: message.into(),
        }
    }

    /// Reads until the unread data has at least doubled, or the stream ends: a record larger than the
    /// window is then re-parsed a logarithmic number of times, not once per read.
    fn grow(&mut self) -> Result<(), ReadError> {
        self.check_record_size()?;
        let target = (2 * (self.len() - self.pos))
            .max(self.limits.window_bytes)
            .min(self.limits.max_record_bytes + 1);
        while self.len() - self.pos < target {
            if !self.fill()? {
                break;
            }
        }
        Ok(())
    }

    /// The value at `pos` is still incomplete: fails once it is over the record cap.
    fn check_record_size(&self) -> Result<(), ReadError> {
        if self.len() - self.pos > self.limits.max_record_bytes {
            return Err(ReadError::RecordTooLarge {
                offset: self.offset(self.pos),
                limit: self.limits.max_record_bytes,
            });
        }
        Ok(())
    }

    /// Offers the window from the next value on to `parse` until it can measure the value (the window
    /// grows while `parse` answers `None`), then moves past it.
    pub(super) fn with_value<T>(
        &mut self,
        in_array: bool,
        mut parse: impl FnMut(RecordWindow<'_>) -> Result<Option<(usize, T)>, ReadError>,
    ) -> Result<T, ReadError> {
        self.expect_more()?;
        loop {
            let window = RecordWindow {
                text: &self.buf[self.pos..],
                offset: self.offset(self.pos),
                in_array,
                first_value: !in_array && self.values == 1,
                at_end: self.eof,
            };
            match parse(window)? {
                Some((len, _)) if len > self.limits.max_record_bytes => {
                    // A record that came whole in one read is held to the cap as one that did not.
                    return Err(ReadError::RecordTooLarge {
                        offset: self.offset(self.pos),
                        limit: self.limits.max_record_bytes,
                    });
                }
                Some((len, value)) => {
                    self.pos += len;
                    return Ok(value);
                }
                None if self.eof => return Err(self.end_error()),
                None => self.grow()?,
            }
        }
    }

    /// Skips (and validates) the next value: keys and values of a log object besides `Records`.
    pub(super) fn skip_value(&mut self) -> Result<(), ReadError> {
        self.with_value(false, |window| {
            let mut de = serde_json::Deserializer::from_str(window.text);
            let parsed = IgnoredAny::deserialize(&mut de)
                .map(|_| de.into_iter::<IgnoredAny>().byte_offset());
            Ok(value_len(&window, parsed.as_ref().copied())?.map(|len| (len, ())))
        })
    }

    /// Reads an object key (a string, escapes decoded) at `pos` and moves past it.
    pub(super) fn read_key(&mut self) -> Result<String, ReadError> {
        self.with_value(false, |window| {
            let mut de = serde_json::Deserializer::from_str(window.text);
            let parsed = String::deserialize(&mut de)
                .map(|key| (de.into_iter::<IgnoredAny>().byte_offset(), key));
            let len = value_len(&window, parsed.as_ref().map(|p| p.0))?;
            Ok(len.and_then(|len| parsed.ok().map(|(_, key)| (len, key))))
        })
    }

    /// Reads the key of an object whose `{` is at `pos`, without consuming anything.
    pub(super) fn peek_first_key(&mut self) -> Result<Option<Vec<u8>>, ReadError> {
        // Keys of interest are short: look a little ahead only.
        loop {
            let data = &self.bytes()[self.pos + 1..];
            let start = data.iter().position(|b| !b.is_ascii_whitespace());
            if let Some(start) = start {
                if data[start] != b'"' {
                    return Ok(None);
                }
                if let Some(end) = data[start + 1..]
                    .iter()
                    .position(|&b| b == b'"' || b == b'\\')
                {
                    let key = &data[start + 1..start + 1 + end];
                    return Ok((data[start + 1 + end] == b'"').then(|| key.to_vec()));
                }
                if data.len() - start > 64 {
                    return Ok(None);
                }
            } else if data.len() > 4096 {
                return Ok(None);
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    pub(super) fn consume(&mut self, byte: u8, what: &str) -> Result<(), ReadError> {
        match self.peek()? {
            Some(b) if b == byte => {
                self.pos += 1;
                Ok(())
            }
            Some(b) => Err(self.syntax(format!("expected {what}, found `{}`", char::from(b)))),
            None => Err(self.end_error()),
        }
    }
}
