//! The command line: arguments, rendering of errors and diffs, confirmation, exit codes.
//!
//! Exit codes: 0 done (or nothing to do), 1 the user said no, 2 bad usage or input.

mod backup;
mod deploy;
mod diagnostic;
mod diff;
mod monolith;
mod nix;
mod secret;

use std::ffi::OsString;
use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use diagnostic::{render_error, LineIndex};
pub use diff::unified_diff;

use crate::transaction::{self, RepoLock, Transaction};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "NMMM: many monoliths on one NixOS machine")]
struct Cli {
    /// Run as if started in DIR (the machine repository, or a folder inside it)
    #[arg(short = 'C', value_name = "DIR", global = true)]
    directory: Option<std::path::PathBuf>,
    /// How long a command that writes waits for another nmmm run on the same repository
    #[arg(long, value_name = "SECONDS", default_value_t = 30, global = true)]
    wait: u64,
    /// The host to work on, in a repository with several (`nixosConfigurations.<NAME>`)
    // Its own id, apart from the `host` arguments of `rollback` and `backup`.
    #[arg(long = "host", value_name = "NAME", global = true)]
    only_host: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Query and edit Nix files losslessly
    #[command(subcommand)]
    Nix(nix::NixCommand),
    /// Add a monolith: its files, its entry or module, its port, its database
    NewMonolith(monolith::NewArgs),
    /// Remove a monolith, undoing new-monolith (database roles stay on the server)
    RemoveMonolith(monolith::RemoveArgs),
    /// List the monoliths: name, domain, port, database, host, files
    List {
        /// As JSON
        #[arg(long)]
        json: bool,
    },
    /// Check the repository: clashes, missing or unwired files, parse errors, unsafe database lines
    Check,
    /// Detect the layout; write nmmm.toml only when detection needs help
    Init,
    /// Deploy hosts: nixos-rebuild for one, colmena for a fleet; health check and rollback after a switch
    Deploy(deploy::DeployArgs),
    /// Show which host runs each monolith and write the placements back as pins
    Place(deploy::PlaceArgs),
    /// A monolith's secrets, encrypted for agenix: set, list, rm, rekey, add-host
    #[command(subcommand)]
    Secret(secret::SecretCommand),
    /// Roll a host back to its previous generation
    Rollback(deploy::RollbackArgs),
    /// Show the journal of a monolith's unit on its host, over ssh
    Logs(deploy::LogsArgs),
    /// Run a host's backup now (--now), or show when it runs next and how the last one went
    Backup(backup::BackupArgs),
    /// List the backup snapshots: time, size and the monoliths each holds
    Snapshots(backup::SnapshotsArgs),
    /// Restore a monolith's database and state directory from a snapshot, keeping the live ones aside
    Restore(backup::RestoreArgs),
    /// Time the edit engine beside nix-editor and `nix-instantiate --parse` (build with --release)
    Bench {
        /// Runs per figure
        #[arg(long, default_value_t = 21)]
        runs: usize,
    },
}

/// How a command that writes asks before it writes.
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct WriteFlags {
    /// Print the diff and write nothing
    #[arg(long, conflicts_with = "yes")]
    pub dry_run: bool,
    /// Write without asking
    #[arg(long)]
    pub yes: bool,
}

/// A failure already explained to the user, with its exit code.
pub struct Failure(pub u8);

pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    // Test builds read their failpoints from `FAILPOINTS`; the tool people run has none.
    #[cfg(feature = "failpoints")]
    let _failpoints = fail::FailScenario::setup();
    let args: Vec<OsString> = args.into_iter().collect();
    // `cargo xtask` passes its own name; the binary may also be run directly.
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    if let Some(dir) = &cli.directory {
        if let Err(err) = std::env::set_current_dir(dir) {
            eprintln!("error: -C {}: {err}", dir.display());
            return ExitCode::from(2);
        }
    }
    let wait = std::time::Duration::from_secs(cli.wait);
    monolith::choose_host(cli.only_host);
    let result = match cli.command {
        Command::Nix(cmd) => nix::run(cmd, wait),
        Command::NewMonolith(args) => monolith::new(args, wait),
        Command::RemoveMonolith(args) => monolith::remove(args, wait),
        Command::List { json } => monolith::list(json),
        Command::Check => monolith::check(),
        Command::Init => monolith::init(wait),
        Command::Deploy(args) => deploy::deploy(args),
        Command::Place(args) => deploy::place(args, wait),
        Command::Secret(command) => secret::run(command, wait),
        Command::Rollback(args) => deploy::rollback(args),
        Command::Logs(args) => deploy::logs(args),
        Command::Backup(args) => backup::backup(args),
        Command::Snapshots(args) => backup::snapshots(args),
        Command::Restore(args) => backup::restore(args, wait),
        Command::Bench { runs } => crate::bench::run(runs).map_err(|err| {
            eprintln!("error: {err}");
            Failure(2)
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code)) => ExitCode::from(code),
    }
}

/// Takes the lock of the repository at `root` for a command that writes, waiting up to `wait`
/// for another run, then finishes or takes back a change an earlier run left halfway.
pub fn lock_for_writing(
    root: &std::path::Path,
    wait: std::time::Duration,
) -> Result<RepoLock, Failure> {
    let mut lock = RepoLock::acquire(root, wait, |holder| {
        eprintln!("waiting for another nmmm run, {holder}");
    })
    .map_err(|err| {
        eprintln!("error: {err}\nnothing was written");
        Failure(2)
    })?;
    recover(&mut lock)?;
    Ok(lock)
}

/// For a command that only reads: when no other run holds the repository, finishes or takes back
/// a change an earlier run left halfway, so that it reads a whole state. It never waits.
pub fn recover_if_idle(root: &std::path::Path) -> Result<(), Failure> {
    match RepoLock::try_existing(root) {
        Ok(Some(mut lock)) => recover(&mut lock),
        // Another run holds it, or there is nothing to recover.
        Ok(None) | Err(_) => Ok(()),
    }
}

fn recover(lock: &mut RepoLock) -> Result<(), Failure> {
    match transaction::recover(lock) {
        Ok(Some(recovery)) => {
            eprintln!("{recovery}");
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(err) => {
            eprintln!("error: {err}");
            Err(Failure(2))
        }
    }
}

/// New or deleted files longer than this are named in the preview, not printed.
const NEW_FILE_LINES_SHOWN: usize = 60;

/// Shows the transaction's diff, asks (or not, per `flags`), and writes it.
pub fn preview_and_write(
    transaction: &Transaction,
    flags: WriteFlags,
    lock: &mut RepoLock,
) -> Result<(), Failure> {
    if transaction.is_empty() {
        eprintln!("nothing to change: the files already say that");
        return Ok(());
    }
    let color = use_color();
    let mut out = io::stdout().lock();
    for change in transaction.changes() {
        let name = change.path.display().to_string();
        let before = change.before.as_deref().unwrap_or("");
        let after = change.after.as_deref().unwrap_or("");
        let lines = after.lines().count();
        let diff = match (&change.before, &change.after) {
            // An encrypted secret: its bytes say nothing, and `cargo xtask secret` tells its keys.
            _ if change.path.extension().is_some_and(|e| e == "age") => {
                format!("--- a/{name}\n+++ b/{name}\n@@ encrypted, not shown @@\n")
            }
            // A long new file (a lock file, a copied source) is named, not printed; Nix is what
            // the change is, and is always shown.
            (None, Some(_))
                if lines > NEW_FILE_LINES_SHOWN
                    && change.path.extension().is_none_or(|e| e != "nix") =>
            {
                format!("--- /dev/null\n+++ b/{name}\n@@ new file of {lines} lines, not shown @@\n")
            }
            (None, Some(_)) => unified_diff(&name, before, after, color).replacen(
                &format!("--- a/{name}\n"),
                "--- /dev/null\n",
                1,
            ),
            (_, None)
                if change.before.is_none() || before.lines().count() > NEW_FILE_LINES_SHOWN =>
            {
                format!("--- a/{name}\n+++ /dev/null\n@@ file deleted @@\n")
            }
            (_, None) => unified_diff(&name, before, after, color).replacen(
                &format!("+++ b/{name}\n"),
                "+++ /dev/null\n",
                1,
            ),
            _ => unified_diff(&name, before, after, color),
        };
        let _ = out.write_all(diff.as_bytes());
    }
    let _ = out.flush();
    if flags.dry_run {
        eprintln!("dry run: nothing written");
        return Ok(());
    }
    if !flags.yes && !confirm("Write these changes?", "write the changes")? {
        eprintln!("nothing written");
        return Err(Failure(1));
    }
    if let Err(err) = transaction.commit(lock) {
        eprintln!("error: {err}\nnothing was written");
        return Err(Failure(2));
    }
    for change in transaction.changes() {
        let done = if change.after.is_none() { "deleted" } else { "wrote" };
        eprintln!("{done} {}", change.path.display());
    }
    Ok(())
}

/// Asks `question` on the terminal; without one, fails saying that `--yes` does `what`.
pub(super) fn confirm(question: &str, what: &str) -> Result<bool, Failure> {
    if !io::stdin().is_terminal() {
        eprintln!(
            "error: no terminal to ask for confirmation: pass --yes to {what}, \
             or --dry-run to only show them"
        );
        return Err(Failure(2));
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    if io::stdin().lock().read_line(&mut answer).is_err() {
        return Ok(false);
    }
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

/// Colour when stdout is a terminal and NO_COLOR is unset (https://no-color.org).
pub(super) fn use_color() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
