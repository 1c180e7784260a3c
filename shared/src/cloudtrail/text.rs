//! The decompressed stream as UTF-8 text, a read at a time: read (and inflated) on the window's own
//! thread, or read ahead on a second thread while the window's thread parses.

use flate2::bufread::MultiGzDecoder;
use sha2::{Digest, Sha256};
use std::io::{self, BufReader, Read};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};

use super::content_hash::ContentHash;
use super::error::ReadError;
use super::limits::ReadLimits;

/// Compressed bytes read at a time from the source.
pub(super) const SOURCE_CHUNK: usize = 256 << 10;

pub(super) struct CountingReader<R> {
    pub(super) inner: R,
    pub(super) count: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// The input with its first bytes (read to sniff the format) put back, counted for error offsets.
type Source<R> = BufReader<CountingReader<io::Chain<io::Cursor<Vec<u8>>, R>>>;

pub(super) enum Stream<R: Read> {
    Plain(Source<R>),
    Gzip(Box<MultiGzDecoder<Source<R>>>),
}

impl<R: Read> Stream<R> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ReadError> {
        match self {
            Stream::Plain(r) => r.read(buf).map_err(ReadError::Io),
            Stream::Gzip(d) => d.read(buf).map_err(|e| {
                let compressed_offset = d.get_ref().get_ref().count;
                match e.kind() {
                    io::ErrorKind::InvalidInput
                    | io::ErrorKind::InvalidData
                    | io::ErrorKind::UnexpectedEof => ReadError::Gzip {
                        compressed_offset,
                        detail: if e.kind() == io::ErrorKind::UnexpectedEof {
                            "the compressed stream ends early (truncated file)".to_owned()
                        } else {
                            e.to_string()
                        },
                    },
                    _ => ReadError::Io(e),
                }
            }),
        }
    }
}

/// How one step of text ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Text was added (possibly none, when the read ended inside a character); more may follow.
    More,
    /// The stream ended after valid text.
    End,
    /// The valid text was added; the byte at this stream offset is not UTF-8. Nothing follows.
    InvalidAt(u64),
    /// The stream ended inside a character that starts at this offset.
    EndsInsideCharAt(u64),
}

/// Where the window gets its text from.
pub(super) trait Text {
    /// Appends the next read's text to `out`.
    fn next_into(&mut self, out: &mut String) -> Result<Step, ReadError>;
}

/// Reads the stream, counts and hashes it, and validates it as UTF-8 once, a read at a time.
pub(super) struct Decoder<R: Read> {
    stream: Stream<R>,
    limits: ReadLimits,
    /// Bytes read but not yet text: the start of a character split by the read (at most 3), then
    /// room for `window_bytes` more.
    stage: Vec<u8>,
    carry: usize,
    /// Decompressed bytes read so far.
    total: u64,
    /// Bytes of text given out so far.
    text_len: u64,
    /// Every decompressed byte read, hashed, when the caller wants the file's [`ContentHash`].
    hasher: Option<Sha256>,
}

impl<R: Read> Decoder<R> {
    pub(super) fn new(stream: Stream<R>, mut limits: ReadLimits, hash: bool) -> Self {
        limits.window_bytes = limits.window_bytes.max(1);
        Decoder {
            stream,
            limits,
            stage: vec![0; limits.window_bytes + 3],
            carry: 0,
            total: 0,
            text_len: 0,
            hasher: hash.then(Sha256::new),
        }
    }

    /// The hash of everything read, when it was asked for. Only meaningful once the stream has ended.
    pub(super) fn content_hash(self) -> Option<ContentHash> {
        self.hasher.map(|h| ContentHash(h.finalize().into()))
    }
}

impl<R: Read> Text for Decoder<R> {
    fn next_into(&mut self, out: &mut String) -> Result<Step, ReadError> {
        let n = self
            .stream
            .read(&mut self.stage[self.carry..self.carry + self.limits.window_bytes])?;
        if n == 0 {
            return Ok(if self.carry > 0 {
                Step::EndsInsideCharAt(self.text_len)
            } else {
                Step::End
            });
        }
        if let Some(hasher) = &mut self.hasher {
            hasher.update(&self.stage[self.carry..self.carry + n]);
        }
        self.total += n as u64;
        if self.total > self.limits.max_decompressed_bytes {
            return Err(ReadError::TooLarge {
                limit: self.limits.max_decompressed_bytes,
            });
        }
        let read = self.carry + n;
        self.carry = 0;
        match simdutf8::compat::from_utf8(&self.stage[..read]) {
            Ok(text) => {
                out.push_str(text);
                self.text_len += text.len() as u64;
                Ok(Step::More)
            }
            Err(e) => {
                let valid = e.valid_up_to();
                let prefix = simdutf8::basic::from_utf8(&self.stage[..valid]).map_err(|_| {
                    ReadError::Utf8 {
                        offset: self.text_len,
                    }
                })?;
                out.push_str(prefix);
                self.text_len += prefix.len() as u64;
                if e.error_len().is_some() {
                    return Ok(Step::InvalidAt(self.text_len));
                }
                self.stage.copy_within(valid..read, 0);
                self.carry = read - valid;
                Ok(Step::More)
            }
        }
    }
}

/// One step of text read ahead, and how it ended.
type Chunk = (String, Result<Step, ReadError>);

/// Text read ahead by a [`Decoder`] on another thread ([`read_ahead`]).
pub(super) struct Ahead {
    chunks: Receiver<Chunk>,
    /// Emptied chunks go back to the reading thread, so it allocates only a few.
    spent: SyncSender<String>,
    ended: bool,
}

/// Steps of text the reading thread may be ahead by. Two keep it busy while the window's thread
/// parses one; each is `window_bytes` long.
const AHEAD: usize = 2;

impl Text for Ahead {
    fn next_into(&mut self, out: &mut String) -> Result<Step, ReadError> {
        if self.ended {
            return Ok(Step::End);
        }
        let Ok((chunk, step)) = self.chunks.recv() else {
            // The reading thread stopped without saying why: it panicked, and joining it says so.
            self.ended = true;
            return Err(ReadError::Io(io::Error::other(
                "the thread reading ahead stopped",
            )));
        };
        out.push_str(&chunk);
        // When the reading thread has enough, this chunk is dropped.
        let _ = self.spent.try_send(chunk);
        if !matches!(step, Ok(Step::More)) {
            self.ended = true;
        }
        step
    }
}

/// Runs `with_text` with the text of `decoder`, read on a thread of `scope` while `with_text` works.
/// Returns what `with_text` returns and the decoder, once its thread has stopped: at the end of the
/// stream, at its first error, or as soon as `with_text` has returned (the thread is never left
/// blocked). A panic on the reading thread is resumed on this one.
pub(super) fn read_ahead<'scope, R, T>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    mut decoder: Decoder<R>,
    with_text: impl FnOnce(Ahead) -> T,
) -> (T, Decoder<R>)
where
    R: Read + Send + 'scope,
{
    let capacity = decoder.limits.window_bytes + 3;
    let (send, chunks) = mpsc::sync_channel::<Chunk>(AHEAD);
    let (spent, returned) = mpsc::sync_channel::<String>(AHEAD + 1);
    let reader = scope.spawn(move || {
        loop {
            let mut chunk = match returned.try_recv() {
                Ok(mut chunk) => {
                    chunk.clear();
                    chunk
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => {
                    String::with_capacity(capacity)
                }
            };
            let step = decoder.next_into(&mut chunk);
            let last = !matches!(step, Ok(Step::More));
            // An error to send means the window's side has stopped reading: so does this side.
            if send.send((chunk, step)).is_err() || last {
                break;
            }
        }
        decoder
    });
    let out = with_text(Ahead {
        chunks,
        spent,
        ended: false,
    });
    match reader.join() {
        Ok(decoder) => (out, decoder),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}
