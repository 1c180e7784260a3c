//! Writing to the terminal: stdout that reports a closed pipe instead of panicking, datums as a table or
//! as JSON lines, and the error type of commands.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};

use trailwatch::metrics::MetricDatum;
use trailwatch::time::UnixSeconds;

use crate::args::Format;
use crate::report;

/// Errors that stop a command: bad rule files, unreadable paths, a closed stdout.
pub type Fatal = Box<dyn std::error::Error>;

pub fn out(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

pub fn pretty(v: &serde_json::Value) -> Result<String, Fatal> {
    Ok(serde_json::to_string_pretty(v)? + "\n")
}

/// The datums on stdout: a table for people (rows of zero only with `zeros`), or every datum as one
/// AWS-shaped JSON object per line.
pub fn print_datums(
    datums: &[MetricDatum],
    format: Format,
    zeros: bool,
    now: UnixSeconds,
) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Table => out.write_all(report::datum_table(datums, now, zeros).as_bytes())?,
        Format::Json => {
            for d in datums {
                writeln!(out, "{}", d.to_json())?;
            }
        }
    }
    out.flush()
}

/// A progress bar of `total` in `template`'s style, on a terminal; hidden otherwise (a pipe or a log
/// gets the lines a command prints, not redraws).
pub fn progress_bar(total: u64, template: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}
