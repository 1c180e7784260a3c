//! Running the engine over local files and directories (the CLI's input).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use trailwatch::engine::{Engine, FileError, FileKind, FileReport, RecordCounts};
use trailwatch::metrics::Aggregation;

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
    /// Files in directories whose names are not log-like (`README.md`…), and symbolic links to
    /// directories, left out.
    pub ignored: u64,
}

/// Expands files and directories into a list of files: named files as given; directories
/// recursively, sorted, limited to log-like names, without hidden entries and without following
/// symbolic links to directories (no loops). A file reached twice (overlapping paths) is listed once.
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
    let mut seen = std::collections::HashSet::new();
    list.files
        .retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
    Ok(list)
}

fn walk(dir: &Path, list: &mut FileList) -> Result<(), PathError> {
    let err = |error| PathError {
        path: dir.display().to_string(),
        error,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(err)?
        .map(|e| e.and_then(|e| Ok((e.path(), e.file_type()?))))
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, kind) in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        // `file_type` does not follow links: a linked directory is not entered, a linked file is read.
        if kind.is_dir() {
            walk(&path, list)?;
        } else if kind.is_symlink() && path.is_dir() {
            list.ignored += 1;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_links_are_not_followed_and_files_are_listed_once() {
        let dir = std::env::temp_dir().join(format!("trailwatch-walk-{}", std::process::id()));
        let sub = dir.join("sub");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(dir.join("a.json"), "{}").unwrap();
        std::fs::write(sub.join("b.json.gz"), "").unwrap();
        std::fs::write(sub.join("notes.txt"), "").unwrap();
        std::fs::write(dir.join(".hidden.json"), "{}").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(".", dir.join("loop")).unwrap();
            std::os::unix::fs::symlink("a.json", dir.join("link.json")).unwrap();
        }
        let list =
            collect_files(&[dir.clone(), sub.join("b.json.gz"), dir.join("a.json")]).unwrap();
        let names: Vec<_> = list
            .files
            .iter()
            .map(|f| f.strip_prefix(&dir).unwrap().display().to_string())
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        // link.json is the same file as a.json: listed once.
        assert_eq!(names, ["a.json", "sub/b.json.gz"]);
        assert_eq!(
            list.ignored,
            if cfg!(unix) { 2 } else { 1 },
            "notes.txt and the loop link"
        );
    }
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
    /// Matches per rule whose dimension values folded past the rule's cardinality guard.
    pub rule_folds: Vec<u64>,
    /// The rules' names, in rule order.
    pub rule_names: Vec<String>,
    /// Percent-encoded dimension values, published form to original (at most
    /// [`trailwatch::engine::MAX_ENCODED_SHOWN`]).
    pub encoded_values: std::collections::BTreeMap<String, String>,
    /// Each file's content hash, when the engine hashes.
    pub hashes: Vec<(String, trailwatch::cloudtrail::ContentHash)>,
}

/// Processes `files` on `jobs` threads, merging the aggregation of each file that succeeds in the
/// files' order, so the output does not depend on which thread finished first. `progress` is told how
/// many input bytes were read, as they are read.
pub fn process_files(
    engine: &Engine,
    files: &[PathBuf],
    jobs: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> (Aggregation, RunSummary) {
    let mut total = Aggregation::default();
    let mut summary = RunSummary {
        rule_matches: vec![0; engine.rules().rules().len()],
        rule_folds: vec![0; engine.rules().rules().len()],
        rule_names: engine
            .rules()
            .rules()
            .iter()
            .map(|r| r.name.clone())
            .collect(),
        ..RunSummary::default()
    };
    let next = AtomicUsize::new(0);
    // Each worker holds at most one finished report the merge has not taken: the channel is bounded
    // by the workers, and the merge waits only for the next file in order.
    let (done, results) = mpsc::sync_channel::<(usize, Result<FileReport, FileError>)>(jobs);
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, files.len().max(1)) {
            let (done, next) = (done.clone(), &next);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = files.get(i) else { break };
                if done
                    .send((i, process_file(engine, path, progress)))
                    .is_err()
                {
                    break;
                }
            });
        }
        drop(done);
        let mut waiting = BTreeMap::new();
        let mut wanted = 0;
        for (i, result) in results {
            waiting.insert(i, result);
            while let Some(result) = waiting.remove(&wanted) {
                add_file(&mut total, &mut summary, &files[wanted], result);
                wanted += 1;
            }
        }
    });
    (total, summary)
}

fn process_file(
    engine: &Engine,
    path: &Path,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<FileReport, FileError> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|error| FileError {
        file: name.clone(),
        gzip: false,
        error: trailwatch::cloudtrail::ReadError::Io(error),
    })?;
    engine.process(
        &name,
        ProgressReader {
            inner: file,
            progress,
        },
    )
}

fn add_file(
    total: &mut Aggregation,
    summary: &mut RunSummary,
    path: &Path,
    result: Result<FileReport, FileError>,
) {
    summary.files_read += 1;
    match result {
        Ok(report) => {
            let name = path.display().to_string();
            if let Some(hash) = report.content_hash {
                summary.hashes.push((name.clone(), hash));
            }
            summary.counts.add(&report.counts);
            for (sum, n) in summary.rule_matches.iter_mut().zip(&report.rule_matches) {
                *sum += n;
            }
            for (sum, n) in summary.rule_folds.iter_mut().zip(&report.rule_folds) {
                *sum += n;
            }
            for (published, original) in report.encoded_values {
                if summary.encoded_values.len() < trailwatch::engine::MAX_ENCODED_SHOWN {
                    summary.encoded_values.entry(published).or_insert(original);
                }
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

struct ProgressReader<'p, R> {
    inner: R,
    progress: &'p (dyn Fn(u64) + Sync),
}

impl<R: Read> Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.progress)(n as u64);
        Ok(n)
    }
}
