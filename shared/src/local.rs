//! Running the engine over local files and directories (the CLI's input).

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::engine::{Engine, FileError, FileKind, RecordCounts};
use crate::metrics::Aggregation;

/// A path that cannot be listed or opened.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {error}")]
pub struct PathError {
    pub path: String,
    #[source]
    pub error: io::Error,
}

/// Names read when found in a directory: what CloudTrail, exports and test fixtures are called.
/// Files named on the command line are read whatever their name; content decides gzip or not.
const LOG_SUFFIXES: [&str; 6] = [".json", ".gz", ".jsonl", ".ndjson", ".log", ".json.gz"];

/// Files found by [`collect_files`].
#[derive(Debug, Default)]
pub struct FileList {
    pub files: Vec<PathBuf>,
    /// Files in directories whose names are not log-like (`README.md`…), left out.
    pub ignored: u64,
}

/// Expands files and directories (recursively, hidden entries skipped) into a list of files: named
/// files as given, directory contents sorted and limited to log-like names.
pub fn collect_files(paths: &[PathBuf]) -> Result<FileList, PathError> {
    let mut list = FileList::default();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|error| PathError {
            path: path.display().to_string(),
            error,
        })?;
        if meta.is_dir() {
            walk(path, &mut list)?;
        } else {
            list.files.push(path.clone());
        }
    }
    Ok(list)
}

fn walk(dir: &Path, list: &mut FileList) -> Result<(), PathError> {
    let err = |error| PathError {
        path: dir.display().to_string(),
        error,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(err)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, list)?;
        } else if !path.is_file() {
            continue;
        } else if LOG_SUFFIXES.iter().any(|s| name.ends_with(s)) {
            list.files.push(path);
        } else {
            list.ignored += 1;
        }
    }
    Ok(())
}

/// What happened over a run of many files.
#[derive(Debug, Default)]
pub struct RunSummary {
    pub files_read: u64,
    /// Files in directories left out for their names.
    pub files_ignored: u64,
    /// Files that hold no events (digest, LookupEvents output, empty), with the reason.
    pub files_skipped: Vec<(String, &'static str)>,
    pub files_failed: Vec<FileError>,
    pub counts: RecordCounts,
    /// Matches per rule, in rule order.
    pub rule_matches: Vec<u64>,
}

/// Processes `files` one after another, merging the aggregation of each file that succeeds.
/// `progress` is told how many input bytes were read, as they are read.
pub fn process_files(
    engine: &Engine,
    files: &[PathBuf],
    progress: &mut dyn FnMut(u64),
) -> (Aggregation, RunSummary) {
    let mut total = Aggregation::default();
    let mut summary = RunSummary {
        rule_matches: vec![0; engine.rules().rules().len()],
        ..RunSummary::default()
    };
    for path in files {
        let name = path.display().to_string();
        let result = File::open(path)
            .map_err(|error| FileError {
                file: name.clone(),
                gzip: false,
                error: crate::cloudtrail::ReadError::Io(error),
            })
            .and_then(|file| {
                engine.process(
                    &name,
                    ProgressReader {
                        inner: file,
                        progress: &mut *progress,
                    },
                )
            });
        summary.files_read += 1;
        match result {
            Ok(report) => {
                summary.counts.add(&report.counts);
                for (sum, n) in summary.rule_matches.iter_mut().zip(&report.rule_matches) {
                    *sum += n;
                }
                match report.kind.skip_reason() {
                    Some(reason) if report.kind != FileKind::Events => {
                        summary.files_skipped.push((name, reason))
                    }
                    _ => total.merge(report.aggregation),
                }
            }
            Err(e) => summary.files_failed.push(e),
        }
    }
    (total, summary)
}

struct ProgressReader<'p, R> {
    inner: R,
    progress: &'p mut dyn FnMut(u64),
}

impl<R: Read> Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.progress)(n as u64);
        Ok(n)
    }
}
