//! `cargo xtask deploy`, `place`, `rollback` and `logs`: the deploy workflows on the repository
//! in the current directory.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::monolith::{load, load_for_writing};
use super::{preview_and_write, Failure, WriteFlags};
use crate::deploy::{self, Action, DeployError, DeployRequest, Runner};
use crate::edit::{self, quote_string};
use crate::monolith::Plan;
use crate::repo::Inventory;

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
pub fn place(args: PlaceArgs, wait: std::time::Duration) -> Result<(), Failure> {
    let (mut lock, repo) = load_for_writing(wait)?;
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

    if inventory.hosts.len() == 1 {
        eprintln!("one host runs every monolith: nothing to pin");
        return Ok(());
    }
    // Pins to write, in name order, through the same plan as the monolith workflows.
    let mut plan = Plan::new(&repo).map_err(|err| report(DeployError::Usage(err.0)))?;
    for monolith in inventory.monoliths.iter().filter(|m| m.host.is_none()) {
        let host = quote_string(&placement.assignment[&monolith.name]);
        let attrpath = ["nmmm", "monoliths", &monolith.name, "host"].map(str::to_owned);
        plan.edit(&monolith.place.file, |nix| edit::set_attr(nix, &attrpath, &host))
            .map_err(|err| report(DeployError::Usage(err.0)))?;
    }
    preview_and_write(&plan.into_transaction(), args.flags, &mut lock)
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
