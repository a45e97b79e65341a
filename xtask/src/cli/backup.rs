//! `cargo xtask backup`, `snapshots` and `restore`: the backup workflows on the hosts of the
//! repository in the current directory.

use std::io::{self, Write};
use std::time::{Duration, SystemTime};

use clap::Args;

use super::monolith::{load, load_for_writing};
use super::{confirm, Failure};
use crate::backup::{self, HostShell, Machine, RestoreRequest, SnapshotChoice};
use crate::deploy::{self, DeployError, Runner};
use crate::repo::Host;

#[derive(Args)]
pub struct BackupArgs {
    /// The host whose backup to run or show (the only host when there is one)
    host: Option<String>,
    /// Start a backup now and follow its journal to its end (without it: when the next one
    /// runs and how the last one went)
    #[arg(long)]
    now: bool,
}

#[derive(Args)]
pub struct SnapshotsArgs {
    /// Only the snapshots holding this monolith
    name: Option<String>,
    /// As JSON
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// The monolith whose database and state directory to restore
    name: String,
    /// The snapshot to restore from: an id from `cargo xtask snapshots`, or the newest holding
    /// the monolith
    #[arg(long, value_name = "ID|latest", default_value = "latest", value_parser = SnapshotChoice::parse)]
    snapshot: SnapshotChoice,
    /// Show the plan and change nothing
    #[arg(long, conflicts_with = "yes")]
    dry_run: bool,
    /// Restore without asking
    #[arg(long)]
    yes: bool,
}

/// How long a restored monolith gets to answer through nginx, as after a deploy.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(60);

/// The layout of `host`: NixOS's, or for a host at `localhost` what NMMM_MACHINE_ROOT and
/// NMMM_POSTGRES_USER say (the tests lay a machine out under a temporary directory).
fn machine(host: &Host) -> Machine {
    let mut machine = Machine::nixos();
    if deploy::is_local(host) {
        if let Ok(root) = std::env::var("NMMM_MACHINE_ROOT") {
            machine.root = root;
        }
        if let Ok(user) = std::env::var("NMMM_POSTGRES_USER") {
            machine.postgres_user = user;
        }
    }
    machine
}

pub fn backup(args: BackupArgs) -> Result<(), Failure> {
    let repo = load()?;
    let inventory = &repo.inventory;
    let names: Vec<String> = args.host.into_iter().collect();
    let host = deploy::select_hosts(inventory, &names, false).map_err(report)?[0];
    let runner = Runner::new(inventory);
    let machine = machine(host);
    let shell = HostShell { host, machine: &machine, runner: &runner };
    if args.now { backup::backup_now(&shell) } else { backup::backup_status(&shell) }
        .map_err(report)
}

pub fn snapshots(args: SnapshotsArgs) -> Result<(), Failure> {
    let repo = load()?;
    let inventory = &repo.inventory;
    let hosts: Vec<&Host> = match &args.name {
        Some(name) => vec![backup::monolith_and_host(inventory, name).map_err(report)?.1],
        None => deploy::select_hosts(inventory, &[], true).map_err(report)?,
    };
    let runner = Runner::new(inventory);
    let mut all = Vec::new();
    for host in &hosts {
        let machine = machine(host);
        let shell = HostShell { host, machine: &machine, runner: &runner };
        let snapshots =
            backup::list_snapshots(&shell, args.name.as_deref(), true).map_err(report)?;
        all.push((host.name.clone(), snapshots));
    }
    let mut out = io::stdout().lock();
    if args.json {
        let json: Vec<serde_json::Value> = all
            .iter()
            .flat_map(|(host, snapshots)| {
                snapshots.iter().map(move |s| {
                    let mut value = serde_json::to_value(s).expect("a snapshot serialises");
                    value["host"] = serde_json::Value::String(host.clone());
                    value
                })
            })
            .collect();
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&json).expect("JSON"));
        return Ok(());
    }
    for (host, snapshots) in &all {
        if hosts.len() > 1 {
            let _ = writeln!(out, "# {host}");
        }
        if snapshots.is_empty() {
            let _ = writeln!(out, "no snapshots yet: `cargo xtask backup --now` makes one");
            continue;
        }
        let _ = writeln!(out, "{:<8}  {:<19}  {:>10}  MONOLITHS", "ID", "TIME", "SIZE");
        for s in snapshots {
            let size = s.size.map_or_else(|| "?".to_owned(), backup::human_size);
            let _ = writeln!(
                out,
                "{:<8}  {:<19}  {size:>10}  {}",
                s.short_id,
                s.when(),
                s.monoliths.join(", ")
            );
        }
    }
    Ok(())
}

/// Restores under the repository's lock, as commands that write do: one restore at a time.
pub fn restore(args: RestoreArgs, wait: Duration) -> Result<(), Failure> {
    let (_lock, repo) = load_for_writing(wait)?;
    let inventory = &repo.inventory;
    let (monolith, host) = backup::monolith_and_host(inventory, &args.name).map_err(report)?;
    let runner = Runner::new(inventory);
    let machine = machine(host);
    let shell = HostShell { host, machine: &machine, runner: &runner };
    let request = RestoreRequest {
        snapshot: args.snapshot,
        stamp: backup::stamp(SystemTime::now()),
        health_timeout: HEALTH_TIMEOUT,
    };
    let plan = backup::plan_restore(monolith, &shell, &request).map_err(report)?;
    print!("{}", plan.describe());
    let _ = io::stdout().flush();
    if args.dry_run {
        eprintln!("dry run: nothing changed");
        return Ok(());
    }
    if !args.yes
        && !confirm(
            &format!(
                "Replace the live data of {} with snapshot {}?",
                plan.name, plan.snapshot.short_id
            ),
            "restore",
        )?
    {
        eprintln!("nothing changed");
        return Err(Failure(1));
    }
    backup::restore(&plan, &shell).map_err(report)?;
    println!(
        "restored {} from snapshot {} of {}; it answers through nginx",
        plan.name,
        plan.snapshot.short_id,
        plan.snapshot.when()
    );
    let mut aside = Vec::new();
    if let Some(db) = plan.database_aside() {
        aside.push(format!("database {db}"));
    }
    aside.push(plan.state_aside());
    println!(
        "the data it replaced, where there was some, is kept aside as {}: drop it when you \
         no longer need it, or stop {}.service and rename it back to bring it back",
        aside.join(" and "),
        plan.name
    );
    Ok(())
}

fn report(err: DeployError) -> Failure {
    for line in err.message().lines() {
        eprintln!("error: {line}");
    }
    Failure(err.exit_code())
}
