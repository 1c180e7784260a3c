//! `trailwatch metrics`: the datums that local log files yield.

use std::process::ExitCode;

use indicatif::ProgressBar;
use trailwatch::cloudtrail::ReadLimits;
use trailwatch::engine::Engine;
use trailwatch::time::UnixSeconds;

use crate::args::MetricsArgs;
use crate::commands::rules::load_rules;
use crate::files::{collect_files, process_files};
use crate::output::{print_datums, progress_bar, Fatal};
use crate::report;

/// One file per core: each file is one thread's work from start to end.
fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// `trailwatch metrics`.
pub fn run(args: MetricsArgs) -> Result<ExitCode, Fatal> {
    let engine = Engine::new(
        load_rules(&args.rules)?,
        ReadLimits {
            max_decompressed_bytes: args.datums.max_decompressed_bytes,
            ..ReadLimits::default()
        },
    )
    .with_content_hash(args.sha256);
    let list = collect_files(&args.paths)?;
    let files = list.files;
    let jobs = args.jobs.map_or_else(default_jobs, usize::from);
    // Cores that no file would keep busy read ahead for the files that are.
    let engine = engine.with_read_ahead(jobs > files.len());
    let total_bytes: u64 = files
        .iter()
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum();
    // Measured in file bytes as stored (gzip-compressed, mostly): 8 MiB of them is about a second's
    // work, often ten times that much JSON.
    let bar = if total_bytes > 8 << 20 {
        progress_bar(
            total_bytes,
            "{bar:40} {bytes}/{total_bytes} of files read {bytes_per_sec} eta {eta}",
        )
    } else {
        ProgressBar::hidden()
    };
    let (aggregation, mut summary) = process_files(&engine, &files, jobs, &|n| bar.inc(n));
    summary.files_ignored = list.ignored;
    bar.finish_and_clear();
    let datums = aggregation.into_datums();
    let now = UnixSeconds::now();
    print_datums(&datums, args.datums.format, args.datums.zeros, now)?;
    for (file, hash) in &summary.hashes {
        eprintln!("{hash}  {file}");
    }
    eprint!("{}", report::run_summary(&summary, &datums, now));
    Ok(if summary.files_failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
