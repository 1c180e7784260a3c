//! How much the reader accepts, and how much it reads at a time.

/// Default cap on decompressed bytes per file: stops gzip bombs.
pub const DEFAULT_MAX_DECOMPRESSED_BYTES: u64 = 4 << 30;

/// Default cap on one record's size. CloudTrail events are at most 256 KB; digest and single-event files
/// are small too.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 64 << 20;

/// Default number of decompressed bytes read at a time.
pub const DEFAULT_WINDOW_BYTES: usize = 256 << 10;

#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    pub max_decompressed_bytes: u64,
    pub max_record_bytes: usize,
    /// Decompressed bytes read at a time: the step by which the window over the stream moves. Any
    /// value of at least 1 reads the same records; tests make it small so that every byte of a value
    /// is, somewhere, the last byte read so far.
    pub window_bytes: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_decompressed_bytes: DEFAULT_MAX_DECOMPRESSED_BYTES,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            window_bytes: DEFAULT_WINDOW_BYTES,
        }
    }
}
