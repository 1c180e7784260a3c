//! A log is streamed: however long the file, the reader holds about one window and the record being
//! read, never the file. Measured with a counting allocator (this test binary's only test, so nothing
//! else allocates meanwhile).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::de::IgnoredAny;
use trailwatch::cloudtrail::{open, read_records, value_len, Parsed, ReadLimits};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; only the byte counts are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` holds for `System` too.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// `{"Records":[…]}` with `count` records, made as it is read.
struct GeneratedLog {
    pending: Vec<u8>,
    at: usize,
    left: usize,
}

impl Read for GeneratedLog {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.pending.len() {
            self.pending.clear();
            self.at = 0;
            match self.left {
                0 => return Ok(0),
                1 => self
                    .pending
                    .extend_from_slice(br#"{"eventName":"Last","n":1.5}]}"#),
                _ => self.pending.extend_from_slice(
                    br#"{"eventName":"RunInstances","eventSource":"ec2.amazonaws.com","n":-2e3},"#,
                ),
            }
            self.left -= 1;
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn a_long_log_is_read_in_memory_of_about_one_window() {
    let records = 300_000; // about 22 MB
    let log = io::Cursor::new(b"{\"Records\":[").chain(GeneratedLog {
        pending: Vec::with_capacity(128),
        at: 0,
        left: records,
    });
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let mut seen = 0usize;
    let (_, decoded) = open(log).expect("the log opens");
    read_records(decoded, ReadLimits::default(), &mut |window| {
        let mut values = serde_json::Deserializer::from_str(window.text).into_iter::<IgnoredAny>();
        let parsed = match values.next() {
            Some(Ok(_)) => Ok(values.byte_offset()),
            Some(Err(e)) => Err(e),
            None => return Ok(Parsed::Incomplete),
        };
        Ok(match value_len(&window, parsed.as_ref().copied())? {
            Some(len) => {
                seen += 1;
                Parsed::Record { len }
            }
            None => Parsed::Incomplete,
        })
    })
    .expect("the log reads");
    assert_eq!(seen, records);
    let peak = PEAK.load(Ordering::Relaxed) - before;
    // A 256 KiB window (its text room is 1 MiB), the decoder's buffers and the source's chunk.
    assert!(peak < 4 << 20, "peak {peak} bytes to read a 22 MB log");
}
