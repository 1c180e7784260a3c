//! One module per command.

pub mod alarm;
pub mod backfill;
pub mod metrics;
pub mod rules;
pub mod verify;
