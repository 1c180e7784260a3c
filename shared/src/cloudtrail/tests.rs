use super::*;
use serde::de::IgnoredAny;
use std::io::Write;

/// Each record as (text, offset, in_array).
type Framed = (Container, Vec<(String, u64, bool)>);

fn records(data: &[u8]) -> Result<Framed, ReadError> {
    records_with(data, ReadLimits::default())
}

/// The records of `data`, read on one thread and read ahead on a second: both must give the same.
fn records_with(data: &[u8], limits: ReadLimits) -> Result<Framed, ReadError> {
    let inline = records_by(read_records, data, limits);
    let ahead = records_by(read_records_ahead, data, limits);
    assert_eq!(
        format!("{ahead:?}"),
        format!("{inline:?}"),
        "read ahead against inline, {}-byte window",
        limits.window_bytes
    );
    inline
}

type ReadFn<'d> = fn(
    DecodedStream<&'d [u8]>,
    ReadLimits,
    &mut dyn FnMut(RecordWindow<'_>) -> Result<Parsed, ReadError>,
) -> Result<ReadEnd, ReadError>;

fn records_by<'d>(
    read: ReadFn<'d>,
    data: &'d [u8],
    limits: ReadLimits,
) -> Result<Framed, ReadError> {
    let mut out = Vec::new();
    let (_, decoded) = open(data)?;
    let container = read(decoded, limits, &mut collect(&mut out))?.container;
    Ok((container, out))
}

/// A caller that measures each record with serde_json, as the engine does, and keeps its text.
fn collect(
    out: &mut Vec<(String, u64, bool)>,
) -> impl FnMut(RecordWindow<'_>) -> Result<Parsed, ReadError> + '_ {
    |w| {
        let mut values = serde_json::Deserializer::from_str(w.text).into_iter::<IgnoredAny>();
        let parsed = match values.next() {
            Some(Ok(_)) => Ok(values.byte_offset()),
            Some(Err(e)) => Err(e),
            None => return Ok(Parsed::Incomplete),
        };
        Ok(match value_len(&w, parsed.as_ref().copied())? {
            Some(len) => {
                out.push((w.text[..len].to_owned(), w.offset, w.in_array));
                Parsed::Record { len }
            }
            None => Parsed::Incomplete,
        })
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn streams_records_of_a_log_file_with_offsets() {
    let data = br#"{"Records":[{"a":"}{\"x"},{"b":[1,{"c":2}]}],"extra":{"k":[1]}}"#;
    let (container, out) = records(data).unwrap();
    assert_eq!(container, Container::Records);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].0, r#"{"a":"}{\"x"}"#);
    assert_eq!(out[0].1, 12);
    assert_eq!(out[1].0, r#"{"b":[1,{"c":2}]}"#);
    assert!(out[1].2);
}

/// Hands out one byte per read, so every boundary case (an escape, a quote, a bracket at the end of
/// the data read so far) happens somewhere.
#[derive(Clone, Copy)]
struct OneByteAtATime<'a>(&'a [u8]);

impl Read for OneByteAtATime<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((b, rest)), Some(slot)) => {
                *slot = *b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[test]
fn framing_does_not_depend_on_read_boundaries() {
    let data = br#"{"Records":[{"a":"x\"}]\\","b":[{"c":"\\"}]},"s",12,null,{"d":"]"}], "k":"\""}
{"e":1} [{"f":"\u00e9"}]"#;
    let whole = records(data).unwrap();
    let mut out = Vec::new();
    let (_, decoded) = open(OneByteAtATime(data)).unwrap();
    read_records(decoded, ReadLimits::default(), &mut collect(&mut out)).unwrap();
    assert_eq!(whole.1, out);
    let (_, decoded) = open(OneByteAtATime(b"\xEF\xBB\xBF{\"a\":1}")).unwrap();
    let mut bom = Vec::new();
    read_records(decoded, ReadLimits::default(), &mut collect(&mut bom)).unwrap();
    assert_eq!(bom[0].1, 3, "a byte order mark split over reads");
    let texts: Vec<_> = out.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        texts,
        [
            r#"{"a":"x\"}]\\","b":[{"c":"\\"}]}"#,
            r#""s""#,
            "12",
            "null",
            r#"{"d":"]"}"#,
            r#"{"e":1}"#,
            r#"{"f":"\u00e9"}"#
        ]
    );
}

#[test]
fn characters_split_between_reads_are_kept_and_bad_bytes_located() {
    let text = "[{\"n\":\"日本 café 😀\"},{\"m\":\"ü\"}]";
    let mut out = Vec::new();
    let (_, decoded) = open(OneByteAtATime(text.as_bytes())).unwrap();
    read_records(decoded, ReadLimits::default(), &mut collect(&mut out)).unwrap();
    assert_eq!(out[0].0, "{\"n\":\"日本 café 😀\"}");
    assert_eq!(out[1].1, text.find("{\"m").unwrap() as u64);

    let bad = b"[{\"a\":1},{\"b\":\"\xff\"}]";
    let (_, decoded) = open(OneByteAtATime(bad)).unwrap();
    let err = read_records(
        decoded,
        ReadLimits::default(),
        &mut collect(&mut Vec::new()),
    )
    .unwrap_err();
    assert!(matches!(err, ReadError::Utf8 { offset: 15 }), "{err}");

    let cut = &"[{\"a\":\"é\"}]".as_bytes()[..8]; // ends after the first byte of é
    let (_, decoded) = open(cut).unwrap();
    let err = read_records(
        decoded,
        ReadLimits::default(),
        &mut collect(&mut Vec::new()),
    )
    .unwrap_err();
    assert!(matches!(err, ReadError::Utf8 { offset: 7 }), "{err}");
}

#[test]
fn gzip_is_detected_by_content() {
    let data = br#"{"Records":[{"a":1}]}"#;
    let (_, plain) = records(data).unwrap();
    let (_, zipped) = records(&gzip(data)).unwrap();
    assert_eq!(plain, zipped);
    let zipped = gzip(data);
    let (compression, _) = open(OneByteAtATime(&zipped)).unwrap();
    assert_eq!(
        compression,
        Compression::Gzip,
        "two magic bytes over two reads"
    );
    let (compression, _) = open(&b"{"[..]).unwrap();
    assert_eq!(compression, Compression::None);
}

#[test]
fn single_objects_arrays_and_ndjson() {
    let (_, out) = records(b"  {\"a\":1}\n").unwrap();
    assert_eq!(out, vec![("{\"a\":1}".to_owned(), 2, false)]);
    let (_, out) = records(b"[{\"a\":1}, {\"a\":2}]").unwrap();
    assert_eq!(out.len(), 2);
    let (_, out) = records(b"{\"a\":1}\n{\"a\":2}\r\n{\"a\":3}").unwrap();
    assert_eq!(out.iter().map(|r| r.1).collect::<Vec<_>>(), vec![0, 8, 17]);
    let (_, out) = records(b"\xEF\xBB\xBF{\"a\":1}").unwrap();
    assert_eq!(out[0].1, 3);
}

#[test]
fn empty_and_lookup_events_output() {
    assert_eq!(records(b"").unwrap().0, Container::Empty);
    assert_eq!(records(b" \n ").unwrap().0, Container::Empty);
    assert_eq!(
        records(b"{\"Records\":[]}").unwrap(),
        (Container::Records, vec![])
    );
    // LookupEvents output is one record; the engine recognises it.
    let (container, out) = records(b"{ \"Events\": [{\"EventId\":\"x\"}] }").unwrap();
    assert_eq!(container, Container::Records);
    assert_eq!(out.len(), 1);
}

#[test]
fn records_bigger_than_the_window_are_framed_whole() {
    let big = "x".repeat(3 * DEFAULT_WINDOW_BYTES * 4);
    let data = format!(r#"{{"Records":[{{"s":"{big}\"", "t":1}},{{"u":2}}]}}"#);
    let (_, out) = records(data.as_bytes()).unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].0.len(), big.len() + 17);
    assert_eq!(out[1].0, r#"{"u":2}"#);
}

#[test]
fn truncation_is_an_error_with_the_offset() {
    let err = records(br#"{"Records":[{"a":"b"},{"c":"#).unwrap_err();
    assert!(matches!(err, ReadError::Truncated { offset: 27 }), "{err}");
    let err = records(br#"{"Records":[{"a":"b"}"#).unwrap_err();
    assert!(matches!(err, ReadError::Truncated { .. }), "{err}");
    let err = records(br#"{"Records":[{"a":1} {"b":2}]}"#).unwrap_err();
    assert!(matches!(err, ReadError::Syntax { offset: 20, .. }), "{err}");
}

#[test]
fn truncated_gzip_is_an_error() {
    let data = gzip(&br#"{"Records":[{"a":1}]}"#.repeat(1000));
    let err = records(&data[..data.len() / 2]).unwrap_err();
    assert!(matches!(err, ReadError::Gzip { .. }), "{err}");
    let mut corrupt = gzip(br#"{"Records":[{"a":1}]}"#);
    corrupt[12] ^= 0xff;
    assert!(records(&corrupt).is_err());
}

#[test]
fn caps_stop_bombs_and_huge_records() {
    let bomb = gzip(&vec![b' '; 10 << 20]);
    let limits = ReadLimits {
        max_decompressed_bytes: 1 << 20,
        ..ReadLimits::default()
    };
    assert!(
        matches!(records_with(&bomb, limits).unwrap_err(), ReadError::TooLarge { limit } if limit == 1 << 20)
    );
    let limits = ReadLimits {
        max_record_bytes: 1 << 20,
        ..ReadLimits::default()
    };
    let huge = format!("[{{\"s\":\"{}\"}}]", "y".repeat(4 << 20));
    assert!(matches!(
        records_with(huge.as_bytes(), limits).unwrap_err(),
        ReadError::RecordTooLarge { offset: 1, .. }
    ));
}

#[test]
fn the_record_cap_applies_to_the_record_not_to_what_follows_it() {
    let limits = ReadLimits {
        max_record_bytes: 3 << 20,
        ..ReadLimits::default()
    };
    // A record just under the cap, followed by many small ones: the window holds more than the
    // cap at times, but no record is over it.
    let mut log = format!("[{{\"s\":\"{}\"}}", "y".repeat((3 << 20) - 16));
    for _ in 0..100_000 {
        log.push_str(",{\"a\":1}");
    }
    log.push(']');
    let (_, out) = records_with(log.as_bytes(), limits).unwrap();
    assert_eq!(out.len(), 100_001);
}

/// A source that answers each read with its next step: some bytes (as many as fit), or an error.
/// Once the steps run out it is at its end.
struct Scripted(std::collections::VecDeque<Result<Vec<u8>, io::ErrorKind>>);

impl Scripted {
    fn new(steps: Vec<Result<&[u8], io::ErrorKind>>) -> Self {
        Scripted(steps.into_iter().map(|s| s.map(<[u8]>::to_vec)).collect())
    }
}

impl Read for Scripted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.0.pop_front() {
            None => Ok(0),
            Some(Err(kind)) => Err(io::Error::new(kind, "scripted failure")),
            Some(Ok(mut bytes)) => {
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                if n < bytes.len() {
                    self.0.push_front(Ok(bytes.split_off(n)));
                }
                Ok(n)
            }
        }
    }
}

fn read_all<R: Read>(source: R) -> Result<Framed, ReadError> {
    let mut out = Vec::new();
    let (_, decoded) = open(source)?;
    let container = read_records(decoded, ReadLimits::default(), &mut collect(&mut out))?.container;
    Ok((container, out))
}

#[test]
fn a_read_interrupted_while_sniffing_the_format_is_retried() {
    let zipped = gzip(br#"{"Records":[{"a":1}]}"#);
    let source = Scripted::new(vec![
        Err(io::ErrorKind::Interrupted),
        Ok(&zipped[..1]),
        Err(io::ErrorKind::Interrupted),
        Ok(&zipped[1..]),
    ]);
    let (compression, decoded) = open(source).unwrap();
    assert_eq!(compression, Compression::Gzip);
    let mut out = Vec::new();
    read_records(decoded, ReadLimits::default(), &mut collect(&mut out)).unwrap();
    assert_eq!(out, vec![(r#"{"a":1}"#.to_owned(), 12, true)]);
}

#[test]
fn a_source_failing_while_the_format_is_sniffed_is_an_io_error() {
    let source = Scripted::new(vec![Err(io::ErrorKind::ConnectionReset), Ok(b"{\"a\":1}")]);
    let err = open(source).err();
    assert!(
        matches!(&err, Some(ReadError::Io(e)) if e.kind() == io::ErrorKind::ConnectionReset),
        "{err:?}"
    );
}

#[test]
fn sniffing_reads_only_the_two_magic_bytes() {
    // Everything after the magic bytes fails: the failure belongs to reading, not to sniffing.
    let source = Scripted::new(vec![Ok(b"[1"), Err(io::ErrorKind::ConnectionReset)]);
    let (compression, decoded) = open(source).unwrap();
    assert_eq!(compression, Compression::None);
    let err = read_records(
        decoded,
        ReadLimits::default(),
        &mut collect(&mut Vec::new()),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ReadError::Io(e) if e.kind() == io::ErrorKind::ConnectionReset),
        "{err}"
    );
}

#[test]
fn a_gzip_error_says_how_many_compressed_bytes_were_read() {
    let zipped = gzip(&br#"{"Records":[{"a":1}]}"#.repeat(1000));
    let cut = &zipped[..zipped.len() / 2];
    for source in [read_all(cut), read_all(OneByteAtATime(cut))] {
        let err = source.unwrap_err();
        assert!(
            matches!(&err, ReadError::Gzip { compressed_offset, detail } if *compressed_offset == cut.len() as u64 && detail.contains("ends early")),
            "{err}"
        );
    }
    let mut corrupt = gzip(br#"{"Records":[{"a":1}]}"#);
    corrupt[2] = 0; // compression method: not deflate
    let err = records(&corrupt).unwrap_err();
    assert!(
        matches!(&err, ReadError::Gzip { detail, .. } if !detail.contains("ends early")),
        "{err}"
    );
}

fn with_window(window_bytes: usize) -> ReadLimits {
    ReadLimits {
        window_bytes,
        ..ReadLimits::default()
    }
}

/// Reads `data` with every window from 1 byte to past its end, whole and a byte per read; each
/// read must give what `expected` says (records, or the error's text).
fn reads_the_same_at_every_cut(data: &str, expected: &Result<Framed, String>) {
    reads_the_same_with_windows(data, 1..=data.len() + 1, expected);
}

fn reads_the_same_with_windows(
    data: &str,
    windows: impl IntoIterator<Item = usize>,
    expected: &Result<Framed, String>,
) {
    for window_bytes in windows {
        let whole = records_with(data.as_bytes(), with_window(window_bytes));
        let mut out = Vec::new();
        let trickled = open(OneByteAtATime(data.as_bytes())).and_then(|(_, decoded)| {
            read_records(decoded, with_window(window_bytes), &mut collect(&mut out))
        });
        let trickled = trickled.map(|end| (end.container, out));
        for (how, got) in [("whole", whole), ("a byte per read", trickled)] {
            let got = got.map_err(|e| e.to_string());
            assert_eq!(
                &got, expected,
                "{data:?} read {how} with a {window_bytes}-byte window"
            );
        }
    }
}

fn framed(records: &[(&str, u64, bool)]) -> Result<Framed, String> {
    let records = records
        .iter()
        .map(|&(text, offset, in_array)| (text.to_owned(), offset, in_array))
        .collect();
    Ok((Container::Records, records))
}

#[test]
fn a_number_running_to_the_end_of_the_window_is_read_whole() {
    reads_the_same_at_every_cut(
        "12345 -6.5e-7\ntrue 0",
        &framed(&[
            ("12345", 0, false),
            ("-6.5e-7", 6, false),
            ("true", 14, false),
            ("0", 19, false),
        ]),
    );
    reads_the_same_at_every_cut(
        r#"{"Records":[-1.5e3,{"a":2.25}],"n":-0.5}"#,
        &framed(&[("-1.5e3", 12, true), (r#"{"a":2.25}"#, 19, true)]),
    );
}

#[test]
fn a_number_broken_at_the_end_of_the_file_is_a_syntax_error_wherever_the_window_ends() {
    for (data, offset) in [("7 1.", 3), ("[1e-", 3), ("{\"Records\":[]} -", 15)] {
        let expected = records(data.as_bytes()).map_err(|e| e.to_string());
        assert!(
            matches!(records(data.as_bytes()), Err(ReadError::Syntax { offset: o, .. }) if o == offset),
            "{data:?}: {expected:?}"
        );
        reads_the_same_at_every_cut(data, &expected);
    }
}

#[test]
fn the_records_key_is_found_whatever_the_window_and_the_whitespace_before_it() {
    for space in [0, 1, 70, 4096] {
        let data = format!(
            r#"{{{}"Records" : [{{"a":1}}, {{"b":"x"}}] , "k":1}}"#,
            " ".repeat(space)
        );
        let at = space as u64 + 14;
        let expected = framed(&[(r#"{"a":1}"#, at, true), (r#"{"b":"x"}"#, at + 9, true)]);
        if space < 100 {
            reads_the_same_at_every_cut(&data, &expected);
        } else {
            // Every cut of 4 KiB of whitespace takes minutes in a debug build: the cuts
            // around the key and the look-ahead's limits.
            reads_the_same_with_windows(
                &data,
                [1, 2, 3, 64, 4095, 4096, 4097, 4098, 4104],
                &expected,
            );
        }
    }
}

#[test]
fn an_object_with_other_keys_first_is_one_record_whatever_the_window() {
    let long_key = "k".repeat(100);
    for data in [
        format!(r#"{{"{long_key}":1,"Records":[]}}"#),
        r#"{"Rec\u006frds":[1]}"#.to_owned(),
        r#"{"Events":[{"a":1}]}"#.to_owned(),
    ] {
        reads_the_same_at_every_cut(&data, &framed(&[(&data, 0, false)]));
    }
}

#[test]
fn a_log_object_missing_its_punctuation_is_a_syntax_error_at_that_byte() {
    for (data, offset) in [
        (r#"{"Records" [1]}"#, 11),
        (r#"{"Records":{}}"#, 11),
        (r#"{"Records":[1],"k" 2}"#, 19),
    ] {
        let err = records(data.as_bytes()).unwrap_err();
        assert!(
            matches!(err, ReadError::Syntax { offset: o, .. } if o == offset),
            "{data}: {err}"
        );
    }
    let err = records(br#"{"Records""#).unwrap_err();
    assert!(matches!(err, ReadError::Truncated { offset: 10 }), "{err}");
}

/// Reads `data`, counting how often a record is offered; a reader that offers the same window
/// over and over is stopped (as an error) instead of looping.
fn offers(data: &[u8], limits: ReadLimits) -> (Result<Framed, ReadError>, usize) {
    let mut out = Vec::new();
    let mut count = 0;
    let mut measure = collect(&mut out);
    let mut counting = |w: RecordWindow<'_>| {
        count += 1;
        if count > 10_000 {
            return Err(ReadError::Syntax {
                offset: w.offset,
                message: "offered too often".to_owned(),
            });
        }
        measure(w)
    };
    let result = open(data).and_then(|(_, decoded)| read_records(decoded, limits, &mut counting));
    drop(measure);
    (result.map(|end| (end.container, out)), count)
}

#[test]
fn a_record_larger_than_the_window_is_offered_a_logarithmic_number_of_times() {
    let big = format!("[{{\"s\":\"{}\"}}]", "z".repeat(1 << 20));
    let (result, count) = offers(big.as_bytes(), with_window(1 << 10));
    let (_, out) = result.unwrap();
    assert_eq!(out[0].0.len(), big.len() - 2);
    // The window doubles from 1 KiB up to the record's 1 MiB: about 11 offers, not a thousand.
    assert!(count <= 14, "a 1 MiB record offered {count} times");
    // The default window reads 256 KiB at a time.
    let (result, count) = offers(big.as_bytes(), ReadLimits::default());
    assert!(result.is_ok());
    assert!(count <= 4, "a 1 MiB record offered {count} times");
}

#[test]
fn a_record_over_the_cap_is_refused_whatever_the_window() {
    let data = format!("[{{\"s\":\"{}\"}}]", "q".repeat(5000));
    // Windows that end inside the record, and windows that hold it whole in one read.
    for window_bytes in [
        1,
        2,
        10,
        100,
        999,
        1000,
        1001,
        4096,
        8192,
        DEFAULT_WINDOW_BYTES,
    ] {
        let limits = ReadLimits {
            max_record_bytes: 1000,
            window_bytes,
            ..ReadLimits::default()
        };
        let (result, _) = offers(data.as_bytes(), limits);
        let err = result.unwrap_err();
        assert!(
            matches!(
                err,
                ReadError::RecordTooLarge {
                    offset: 1,
                    limit: 1000
                }
            ),
            "{window_bytes}-byte window: {err}"
        );
    }
    // A number of exactly the cap's length, read a byte at a time, is read, whatever the cap
    // (so that, for some caps, the window holds exactly the number when it is measured).
    for cap in 1..=1100 {
        let number = "9".repeat(cap);
        let limits = ReadLimits {
            max_record_bytes: cap,
            window_bytes: 1,
            ..ReadLimits::default()
        };
        let (result, _) = offers(format!("{number} 2").as_bytes(), limits);
        let texts: Vec<_> = result.unwrap().1.into_iter().map(|r| r.0).collect();
        assert_eq!(texts, [number, "2".to_owned()], "cap {cap}");
    }
    // A record of exactly the cap is read.
    let data = format!("[{{\"s\":\"{}\"}}]", "q".repeat(1000 - 8));
    for window_bytes in [1, 7, 1000] {
        let limits = ReadLimits {
            max_record_bytes: 1000,
            window_bytes,
            ..ReadLimits::default()
        };
        let (result, _) = offers(data.as_bytes(), limits);
        assert_eq!(
            result.unwrap().1[0].0.len(),
            1000,
            "{window_bytes}-byte window"
        );
    }
}

#[test]
fn a_file_of_exactly_the_decompressed_cap_is_read() {
    let data = br#"[{"a":1},{"b":2}]"#;
    for (cap, ok) in [(data.len() as u64, true), (data.len() as u64 - 1, false)] {
        let limits = ReadLimits {
            max_decompressed_bytes: cap,
            window_bytes: 1,
            ..ReadLimits::default()
        };
        let result = records_with(&gzip(data), limits);
        assert_eq!(result.is_ok(), ok, "cap {cap}: {result:?}");
    }
}

#[test]
fn a_syntax_error_on_a_later_line_of_a_record_is_located_in_the_file() {
    let data = "[{\"a\":1},\n{\"b\":2,\r\n\"c\":[1,\n  2 3]}]";
    let at = data.find(" 3").unwrap() as u64 + 1;
    for window_bytes in [1, 5, 1 << 10] {
        let err = records_with(data.as_bytes(), with_window(window_bytes)).unwrap_err();
        assert!(
            matches!(&err, ReadError::Syntax { offset, message } if *offset == at && !message.contains("line")),
            "{window_bytes}-byte window: {err}"
        );
    }
}

#[test]
fn a_second_records_list_or_a_non_string_key_is_refused() {
    let err = records(br#"{"Records":[],"k":1, "Records":[]}"#).unwrap_err();
    assert!(
        matches!(err, ReadError::DuplicateRecords { offset: 21 }),
        "{err}"
    );
    let err = records(br#"{"Records":[], 1:2}"#).unwrap_err();
    assert!(matches!(err, ReadError::Syntax { offset: 15, .. }), "{err}");
    let err = records(br#"{"Records":[] "k":1}"#).unwrap_err();
    assert!(matches!(err, ReadError::Syntax { offset: 14, .. }), "{err}");
    let err = records(br#"[{"a":1} {"b":2}]"#).unwrap_err();
    assert!(matches!(err, ReadError::Syntax { offset: 9, .. }), "{err}");
}

#[test]
fn only_the_first_top_level_value_is_marked_first() {
    let first_flags = |data: &[u8]| {
        let mut flags = Vec::new();
        let (_, decoded) = open(data).unwrap();
        let mut out = Vec::new();
        let mut measure = collect(&mut out);
        read_records(decoded, ReadLimits::default(), &mut |w| {
            let parsed = measure(w)?;
            if parsed != Parsed::Incomplete {
                flags.push(w.first_value);
            }
            Ok(parsed)
        })
        .unwrap();
        flags
    };
    assert_eq!(first_flags(b"{\"a\":1}\n{\"b\":2} 3"), [true, false, false]);
    assert_eq!(first_flags(br#"[{"a":1},{"b":2}]"#), [false, false]);
    assert_eq!(
        first_flags(br#"{"Records":[{"a":1},{"b":2}]}"#),
        [false, false]
    );
    assert_eq!(first_flags(br#"[{"a":1}] {"b":2}"#), [false, false]);
}

/// Counts the bytes its reader hands out.
struct Metered<'a, R> {
    inner: R,
    read: &'a mut usize,
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        *self.read += n;
        Ok(n)
    }
}

#[test]
fn a_huge_first_key_is_refused_at_the_record_cap_without_being_read_whole() {
    let data = format!("{{\"{}\":1}}", "k".repeat(16 << 20));
    let limits = ReadLimits {
        max_record_bytes: 1 << 20,
        ..ReadLimits::default()
    };
    let mut read = 0;
    let source = Metered {
        inner: data.as_bytes(),
        read: &mut read,
    };
    let err = open(source)
        .and_then(|(_, decoded)| read_records(decoded, limits, &mut collect(&mut Vec::new())))
        .unwrap_err();
    assert!(
        matches!(err, ReadError::RecordTooLarge { offset: 0, .. }),
        "{err}"
    );
    // The cap and a few reads of the window and the source's buffer past it.
    assert!(read < 3 << 20, "{read} bytes read of a 16 MiB key");
}

#[test]
fn lookup_events_output_later_in_a_file_is_a_record() {
    let (container, out) = records(b"{\"a\":1}\n{\"Events\":[]}").unwrap();
    assert_eq!(container, Container::Records);
    assert_eq!(out.len(), 2);
    assert!(!out[1].2);
}

/// The content hash of `source` read through a `window_bytes` window, hashing on, on one thread and
/// read ahead: both must give the same.
fn hash_of<R: Read + Send + Clone>(source: R, window_bytes: usize) -> Option<ContentHash> {
    let (_, decoded) = open(source.clone()).unwrap();
    let inline = read_records(
        decoded.hashed(),
        with_window(window_bytes),
        &mut collect(&mut Vec::new()),
    )
    .unwrap()
    .content_hash;
    let (_, decoded) = open(source).unwrap();
    let ahead = read_records_ahead(
        decoded.hashed(),
        with_window(window_bytes),
        &mut collect(&mut Vec::new()),
    )
    .unwrap()
    .content_hash;
    assert_eq!(ahead, inline, "read ahead, {window_bytes}-byte window");
    inline
}

#[test]
fn the_content_hash_is_the_sha256_of_every_decompressed_byte_however_it_is_read() {
    use sha2::{Digest, Sha256};
    // A byte order mark, multi-byte characters cut by small windows, whitespace after the object:
    // all of it is content.
    let data = "\u{FEFF}{\"Records\":[{\"a\":\"é€𝄞\"},{\"n\":-1.5e3}],\"k\":null}\n \n";
    let expected = ContentHash(Sha256::digest(data.as_bytes()).into());
    let one = gzip(&data.as_bytes()[..20]);
    let mut two_members = one.clone();
    two_members.extend(gzip(&data.as_bytes()[20..]));
    for window_bytes in [1, 2, 3, 7, 64, 1 << 16] {
        assert_eq!(hash_of(data.as_bytes(), window_bytes), Some(expected));
        assert_eq!(
            hash_of(OneByteAtATime(data.as_bytes()), window_bytes),
            Some(expected)
        );
        assert_eq!(
            hash_of(&gzip(data.as_bytes())[..], window_bytes),
            Some(expected),
            "gzipped, {window_bytes}-byte window"
        );
        assert_eq!(
            hash_of(&two_members[..], window_bytes),
            Some(expected),
            "two gzip members"
        );
    }
    let empty = ContentHash(Sha256::digest(b"").into());
    assert_eq!(hash_of(&b""[..], 8), Some(empty));
    assert_eq!(hash_of(&gzip(b"")[..], 8), Some(empty));
    // Not asked for, not computed.
    let (_, decoded) = open(data.as_bytes()).unwrap();
    let end = read_records(
        decoded,
        ReadLimits::default(),
        &mut collect(&mut Vec::new()),
    )
    .unwrap();
    assert_eq!(end.content_hash, None);
    assert_eq!(end.container, Container::Records);
}

/// A source of `records` small records, gzipped, that counts what is read from it.
struct Counted<'a> {
    data: &'a [u8],
    read: &'a std::sync::atomic::AtomicUsize,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.data.read(buf)?;
        self.read.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

fn many_records_gzipped(records: usize) -> Vec<u8> {
    let mut log = String::from("{\"Records\":[");
    for i in 0..records {
        if i > 0 {
            log.push(',');
        }
        log.push_str(&format!("{{\"i\":{i},\"s\":\"{:x}\"}}", i * 7919));
    }
    log.push_str("]}");
    gzip(log.as_bytes())
}

/// Reads a large log ahead, with `on_record` as the caller, catching a panic; checks that the reading
/// thread stopped long before the end (it is at most a few reads ahead) and returns the outcome.
fn read_ahead_until_the_caller_stops(
    on_record: &mut dyn FnMut(RecordWindow<'_>) -> Result<Parsed, ReadError>,
) -> std::thread::Result<Result<ReadEnd, ReadError>> {
    let zipped = many_records_gzipped(400_000);
    let read = std::sync::atomic::AtomicUsize::new(0);
    let (_, decoded) = open(Counted {
        data: &zipped,
        read: &read,
    })
    .unwrap();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_records_ahead(decoded, with_window(4096), on_record)
    }));
    let read = read.into_inner();
    assert!(
        read < zipped.len() / 10,
        "{read} of {} bytes read",
        zipped.len()
    );
    outcome
}

#[test]
fn reading_ahead_stops_soon_after_the_caller_stops() {
    let mut seen = 0;
    let outcome = read_ahead_until_the_caller_stops(&mut |_| {
        seen += 1;
        Err(ReadError::Syntax {
            offset: 7,
            message: "the caller's own error".to_owned(),
        })
    });
    let err = outcome
        .expect("no panic")
        .expect_err("the caller's error comes back");
    assert_eq!(seen, 1);
    assert!(err.to_string().contains("the caller's own error"), "{err}");
}

#[test]
fn a_caller_panicking_while_reading_ahead_panics_and_the_reader_stops() {
    let outcome = read_ahead_until_the_caller_stops(&mut |_| panic!("the caller broke"));
    let panic = outcome.expect_err("the caller's panic comes back");
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"the caller broke"));
}

#[test]
fn a_panic_on_the_reading_thread_reaches_the_caller() {
    struct Breaks(usize);
    impl Read for Breaks {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0 == 0 {
                panic!("the source broke");
            }
            self.0 -= 1;
            buf[0] = b' ';
            Ok(1)
        }
    }
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let (_, decoded) = open(Breaks(10)).unwrap();
        read_records_ahead(decoded, with_window(4), &mut collect(&mut Vec::new()))
    }));
    let panic = outcome.expect_err("the reading thread's panic comes back");
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"the source broke"));
}

#[test]
fn a_source_failing_while_read_ahead_fails_the_read_as_it_does_inline() {
    let zipped = many_records_gzipped(20_000);
    let half = zipped.len() / 2;
    for read in [read_records::<Scripted>, read_records_ahead::<Scripted>] {
        let source = Scripted::new(vec![
            Ok(&zipped[..half]),
            Err(io::ErrorKind::ConnectionReset),
        ]);
        let (_, decoded) = open(source).unwrap();
        let mut records = 0;
        let err = read(decoded, with_window(4096), &mut |w| {
            records += 1;
            collect(&mut Vec::new())(w)
        })
        .unwrap_err();
        assert!(
            matches!(&err, ReadError::Io(e) if e.kind() == io::ErrorKind::ConnectionReset),
            "{err}"
        );
        // What arrived before the failure was read.
        assert!(records > 1000, "{records} records before the failure");
    }
}
