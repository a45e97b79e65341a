//! `cargo xtask deploy`, `place`, `rollback` and `logs`: the deploy workflows on the repository
//! in the current directory.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::{monolith::load, preview_and_write, render_error, Failure, WriteFlags};
use crate::deploy::{self, Action, DeployError, DeployRequest, Runner};
use crate::edit::{self, NixFile};
use crate::repo::Inventory;
use crate::transaction::{FileChange, Transaction};

#[derive(Args)]
pub struct DeployArgs {
    /// The hosts to deploy (the only host when there is one)
    #[arg(conflicts_with = "all")]
    hosts: Vec<String>,
    /// Deploy every host
    #[arg(long)]
    all: bool,
    /// What to do with the new system
    #[arg(long, value_enum, default_value_t = ActionArg::Switch)]
    action: ActionArg,
    /// Build on this machine (USER@ADDRESS) instead of locally (nixos-rebuild only)
    #[arg(long, value_name = "H")]
    build_host: Option<String>,
    /// Print the commands and run nothing
    #[arg(long)]
    dry_run: bool,
    /// Keep a host that fails the health check after a switch instead of rolling it back
    #[arg(long)]
    no_rollback: bool,
    /// Seconds the monoliths get to answer after a switch (0: ask once)
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    health_timeout: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum ActionArg {
    Switch,
    Boot,
    Test,
    DryActivate,
}

#[derive(Args)]
pub struct PlaceArgs {
    #[command(flatten)]
    flags: WriteFlags,
}

#[derive(Args)]
pub struct RollbackArgs {
    /// The host to roll back to its previous generation
    host: String,
    /// Print the command and run nothing
    #[arg(long)]
    dry_run: bool,
}

#[derive(Args)]
pub struct LogsArgs {
    /// The monolith whose journal to show
    name: String,
    /// Keep printing new lines as they come
    #[arg(long, short)]
    follow: bool,
    /// Print the command and run nothing
    #[arg(long)]
    dry_run: bool,
}

pub fn deploy(args: DeployArgs) -> Result<(), Failure> {
    let repo = load()?;
    let request = DeployRequest {
        hosts: args.hosts,
        all: args.all,
        action: match args.action {
            ActionArg::Switch => Action::Switch,
            ActionArg::Boot => Action::Boot,
            ActionArg::Test => Action::Test,
            ActionArg::DryActivate => Action::DryActivate,
        },
        build_host: args.build_host,
        dry_run: args.dry_run,
        rollback: !args.no_rollback,
        health_timeout: Duration::from_secs(args.health_timeout),
    };
    let inventory = &repo.inventory;
    deploy::deploy(inventory, &request, &Runner::new(inventory)).map_err(report)
}

pub fn rollback(args: RollbackArgs) -> Result<(), Failure> {
    let repo = load()?;
    let inventory = &repo.inventory;
    deploy::rollback(inventory, &args.host, args.dry_run, &Runner::new(inventory)).map_err(report)
}

pub fn logs(args: LogsArgs) -> Result<(), Failure> {
    let repo = load()?;
    let inventory = &repo.inventory;
    deploy::logs(inventory, &args.name, args.follow, args.dry_run, &Runner::new(inventory))
        .map_err(report)
}

/// Prints the placement table, then writes every placement that is not a pin yet as
/// `nmmm.monoliths.<name>.host` in the file declaring the monolith, so that it never moves.
pub fn place(args: PlaceArgs) -> Result<(), Failure> {
    let repo = load()?;
    let inventory = &repo.inventory;
    if inventory.hosts.is_empty() {
        eprintln!("nothing to place: the repository declares no nmmm.hosts");
        return Ok(());
    }
    let placement = deploy::place(&inventory.hosts, &inventory.monoliths);
    print_table(inventory, &placement.assignment);
    if !placement.problems.is_empty() {
        return Err(report(DeployError::Usage(placement.problems.join("\n"))));
    }

    // Pins to write, by file, in name order.
    let mut pins: BTreeMap<PathBuf, Vec<(&str, &str)>> = BTreeMap::new();
    for monolith in &inventory.monoliths {
        if monolith.host.is_none() {
            let host = &placement.assignment[&monolith.name];
            pins.entry(monolith.place.file.clone()).or_default().push((&monolith.name, host));
        }
    }
    let mut transaction = Transaction::in_dir(&inventory.root);
    for (file, entries) in pins {
        let path = inventory.root.join(&file);
        let before = std::fs::read_to_string(&path).map_err(|err| {
            eprintln!("error: {}: cannot read: {err}", file.display());
            Failure(2)
        })?;
        let mut text = before.clone();
        for (name, host) in entries {
            let attrpath = ["nmmm", "monoliths", name, "host"].map(str::to_owned);
            // Host names are validated names (letters, digits and `-`): quoting is enough.
            let change = NixFile::parse(&text)
                .and_then(|nix| edit::set_attr(&nix, &attrpath, &format!("\"{host}\"")))
                .map_err(|err| {
                    eprint!("error: {}", render_error(&file.display().to_string(), &text, &err));
                    Failure(2)
                })?;
            text = change.after;
        }
        transaction.push(FileChange { path: file, before: Some(before), after: Some(text) });
    }
    preview_and_write(&transaction, args.flags)
}

fn print_table(inventory: &Inventory, assignment: &BTreeMap<String, String>) {
    let width =
        inventory.monoliths.iter().map(|m| m.name.len()).max().unwrap_or(0).max("MONOLITH".len());
    let host_width =
        inventory.hosts.iter().map(|h| h.name.len()).max().unwrap_or(0).max("HOST".len());
    println!("{:width$}  {:host_width$}  HOW", "MONOLITH", "HOST");
    let mut monoliths: Vec<_> = inventory.monoliths.iter().collect();
    monoliths.sort_by(|a, b| a.name.cmp(&b.name));
    for m in monoliths {
        let (host, how) = match (assignment.get(&m.name), &m.host) {
            (Some(host), Some(_)) => (host.as_str(), "pinned"),
            (Some(host), None) => (host.as_str(), "placed now"),
            (None, _) => ("-", "no room"),
        };
        println!("{:width$}  {host:host_width$}  {how}", m.name);
    }
    for host in &inventory.hosts {
        let count = assignment.values().filter(|h| **h == host.name).count();
        let capacity = host.capacity.map_or_else(|| "no limit".to_owned(), |c| c.to_string());
        println!("# {}: {count} of {capacity}", host.name);
    }
}

fn report(err: DeployError) -> Failure {
    for line in err.message().lines() {
        eprintln!("error: {line}");
    }
    Failure(err.exit_code())
}
