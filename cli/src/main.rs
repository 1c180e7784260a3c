//! `trailwatch`: the engine on local files and S3 prefixes. Wiring only: the command line in, one module
//! per command, text out.

mod args;
mod commands;
mod files;
mod output;
mod report;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{AlarmCommand, Cli, Command};
use crate::commands::alarm::Evidence;
use crate::output::Fatal;

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        // `trailwatch … | head`: the reader has gone, which is not an error of ours.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("trailwatch: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Fatal> {
    match cli.command {
        Command::Metrics(args) => commands::metrics::run(args),
        Command::Rules(command) => commands::rules::run(command),
        Command::Alarm(AlarmCommand::Render {
            to,
            rules,
            evidence_log_group,
            evidence,
            evidence_shown,
            event,
        }) => commands::alarm::render(
            to,
            &rules,
            Evidence {
                log_group: evidence_log_group,
                lines: evidence,
                shown: usize::from(evidence_shown),
            },
            &event,
        ),
        Command::Backfill(args) => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(commands::backfill::run(args))
        }
        Command::Verify(args) => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(commands::verify::run(args))
        }
    }
}
