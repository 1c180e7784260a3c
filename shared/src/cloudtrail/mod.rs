//! Reading CloudTrail files as a stream of records.
//!
//! Accepts, by content: gzip or plain; `{"Records":[…]}` log files (streamed element by element, so a
//! 500 MB log never sits in memory), a JSON array of events, a single event, and NDJSON (any sequence of
//! top-level values). The reader frames records and hands each one's bytes to the caller; it only scans
//! structure (strings, brackets), and the caller's JSON parser validates each record.

mod content_hash;
mod digest;
#[cfg(feature = "signatures")]
pub mod digest_signature;
mod error;
mod frame;
mod keys;
mod limits;
mod text;
mod window;

pub use content_hash::ContentHash;
pub use digest::{Digest, DigestError, ListedLogFile, PreviousDigest, MAX_DIGEST_BYTES};
pub use error::ReadError;
pub use frame::value_len;
pub use keys::{classify_key, day_folders, digest_chain, digest_region, key_time, KeyKind};
pub use limits::{
    ReadLimits, DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_RECORD_BYTES, DEFAULT_WINDOW_BYTES,
};

use flate2::bufread::MultiGzDecoder;
use frame::frame;
use std::io::{self, BufReader, Read};
use text::{CountingReader, Decoder, Stream, SOURCE_CHUNK};
use window::Window;

/// The data from a record's first byte to the end of what has been read so far. The caller parses the
/// record from its start and says how long it was ([`Parsed`]), so each record is parsed in one pass.
#[derive(Debug, Clone, Copy)]
pub struct RecordWindow<'a> {
    /// Already checked to be UTF-8.
    pub text: &'a str,
    /// Where `text` starts in the decompressed stream.
    pub offset: u64,
    /// True for elements of a `Records` (or top-level) array; false for top-level values (single
    /// events, NDJSON lines, digest files).
    pub in_array: bool,
    /// This record is the file's first top-level value (not an element of an array): what it is
    /// (a digest, LookupEvents output) tells what the whole file is.
    pub first_value: bool,
    /// The stream has ended: `text` is all there is.
    pub at_end: bool,
}

/// The caller's answer to a [`RecordWindow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// The record spans `len` bytes of the window.
    Record { len: usize },
    /// The window ends inside the record: read more and offer it again.
    Incomplete,
}

/// What the file turned out to be, as far as the reader can tell on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// Records were handed to the caller (possibly none: `{"Records":[]}`).
    Records,
    /// No JSON at all: zero bytes, or only whitespace.
    Empty,
}

/// Whether the data was gzip-compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    None,
}

/// Opens `source` as gzip or plain, by its first bytes.
pub fn open<R: Read>(mut source: R) -> Result<(Compression, DecodedStream<R>), ReadError> {
    // Read the two magic bytes whatever the reader's read sizes (network streams may return one byte).
    let mut head = [0u8; 2];
    let mut n = 0;
    while n < head.len() {
        match source.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
    let gzip = head[..n] == [0x1f, 0x8b];
    let raw = BufReader::with_capacity(
        SOURCE_CHUNK,
        CountingReader {
            inner: io::Cursor::new(head[..n].to_vec()).chain(source),
            count: 0,
        },
    );
    if gzip {
        Ok((
            Compression::Gzip,
            DecodedStream {
                stream: Stream::Gzip(Box::new(MultiGzDecoder::new(raw))),
                hash: false,
            },
        ))
    } else {
        Ok((
            Compression::None,
            DecodedStream {
                stream: Stream::Plain(raw),
                hash: false,
            },
        ))
    }
}

/// A decompressed byte stream, from [`open`].
pub struct DecodedStream<R: Read> {
    stream: Stream<R>,
    hash: bool,
}

impl<R: Read> DecodedStream<R> {
    /// Also hash the decompressed bytes as they are read ([`ReadEnd::content_hash`]): a log file's
    /// identity in CloudTrail's digest files, at no second read.
    pub fn hashed(mut self) -> Self {
        self.hash = true;
        self
    }
}

/// What a whole read found besides its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadEnd {
    pub container: Container,
    /// SHA-256 of every decompressed byte, when the stream was [`DecodedStream::hashed`].
    pub content_hash: Option<ContentHash>,
}

/// Reads every record of `decoded` and calls `on_record` for each. Errors from `on_record` stop the
/// read and are returned as they are.
pub fn read_records<R: Read>(
    decoded: DecodedStream<R>,
    limits: ReadLimits,
    on_record: &mut dyn FnMut(RecordWindow<'_>) -> Result<Parsed, ReadError>,
) -> Result<ReadEnd, ReadError> {
    let mut window = Window::new(Decoder::new(decoded.stream, limits, decoded.hash), limits);
    let container = frame(&mut window, on_record)?;
    Ok(ReadEnd {
        container,
        content_hash: window.into_text().content_hash(),
    })
}

/// [`read_records`], with the stream read, inflated, hashed and checked as UTF-8 on a second thread
/// while this one parses the records. The same records, errors and hash; less time where a core is
/// free, a little more CPU (the text is handed over once more).
pub fn read_records_ahead<R: Read + Send>(
    decoded: DecodedStream<R>,
    limits: ReadLimits,
    on_record: &mut dyn FnMut(RecordWindow<'_>) -> Result<Parsed, ReadError>,
) -> Result<ReadEnd, ReadError> {
    let decoder = Decoder::new(decoded.stream, limits, decoded.hash);
    std::thread::scope(|scope| {
        let (container, decoder) = text::read_ahead(scope, decoder, |ahead| {
            frame(&mut Window::new(ahead, limits), on_record)
        });
        Ok(ReadEnd {
            container: container?,
            content_hash: decoder.content_hash(),
        })
    })
}

#[cfg(test)]
mod tests;
