//! NMMM's tool, run as `cargo xtask ...`.
//!
//! - [`edit`]: the lossless Nix edit engine (syntax trees and text edits; knows nothing else).
//! - [`secret`]: a monolith's secrets, age-encrypted for agenix.
//! - [`transaction`]: multi-file changes, validated in memory, written atomically.
//! - [`cli`]: the command line: arguments, diagnostics, diff preview, confirmation.
//! - [`backup`]: backups on the hosts: the backup unit, restic's snapshots, restores.
//! - [`bench`]: `cargo xtask bench`, whole-process timings beside peer tools.

pub mod backup;
pub mod bench;
pub mod cli;
pub mod deploy;
pub mod edit;
pub mod eval;
pub mod host;
pub mod monolith;
pub mod repo;
pub mod secret;
pub mod transaction;

use std::ffi::OsString;
use std::process::ExitCode;

/// Runs the tool with `args` (the program name first), as `main` and the machine template's thin
/// xtask crate do.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    cli::run(args)
}
