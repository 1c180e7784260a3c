//! The engine's pass over one file and nothing else (no SDK, no output): what scripts/profile.sh
//! profiles, built with symbols.
//!
//!     cargo run --release -p trailwatch-shared --no-default-features --example engine_pass -- FILE [PACK,...]

use std::fs::File;
use std::process::ExitCode;

use trailwatch::cloudtrail::ReadLimits;
use trailwatch::engine::Engine;
use trailwatch::rules::ruleset::{RuleSet, DEFAULT_NAMESPACE, DEFAULT_PACKS};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: engine_pass FILE [PACK,...]");
        return ExitCode::from(2);
    };
    let packs: Vec<String> = match args.get(1) {
        Some(list) => list.split(',').map(str::to_owned).collect(),
        None => DEFAULT_PACKS.iter().map(|p| (*p).to_owned()).collect(),
    };
    let rules = match RuleSet::from_packs(&packs, DEFAULT_NAMESPACE) {
        Ok(rules) => rules,
        Err(e) => {
            eprintln!("engine_pass: {e}");
            return ExitCode::FAILURE;
        }
    };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) => {
            eprintln!("engine_pass: {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match Engine::new(rules, ReadLimits::default()).process(path, file) {
        Ok(report) => {
            eprintln!(
                "{path}: {} records, {} matches",
                report.counts.records, report.counts.matches
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("engine_pass: {e}");
            ExitCode::FAILURE
        }
    }
}
