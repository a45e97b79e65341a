//! Running deploys: print every command, run it with the terminal's output streaming through,
//! check the monoliths' health after a switch, and roll back the hosts that fail it.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use super::command::{how_to_get, CommandLine, SearchPath};
use super::placement::{place, Placement};
use super::plan::{self, Action, DeployStep};
use crate::repo::{Host, Inventory, Monolith};

/// Why a workflow stopped. The message is for the user; the kind picks the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeployError {
    /// Bad usage or input, found before anything ran (exit code 2).
    Usage(String),
    /// A deploy, a health check or a rollback failed (exit code 1).
    Failed(String),
}

impl DeployError {
    pub fn exit_code(&self) -> u8 {
        match self {
            DeployError::Usage(_) => 2,
            DeployError::Failed(_) => 1,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            DeployError::Usage(m) | DeployError::Failed(m) => m,
        }
    }
}

/// What runs the commands: where programs are found (the `PATH` handed to them too) and the
/// directory they run in (the repository's root, where `.#HOST` and colmena's flake are).
#[derive(Debug, Clone)]
pub struct Runner {
    pub path: SearchPath,
    pub dir: PathBuf,
}

impl Runner {
    pub fn new(inventory: &Inventory) -> Runner {
        Runner { path: SearchPath::from_env(), dir: inventory.root.clone() }
    }

    /// Fails, saying how to get them, when programs are missing.
    pub fn require(&self, programs: &[&str]) -> Result<(), DeployError> {
        let mut missing = Vec::new();
        for program in programs {
            if self.path.find(program).is_none() && !missing.contains(program) {
                missing.push(*program);
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        Err(DeployError::Usage(
            missing
                .iter()
                .map(|p| format!("`{p}` is not on PATH: {}", how_to_get(p)))
                .collect::<Vec<_>>()
                .join("\n"),
        ))
    }

    /// The process `line` runs as: the program found on the search path, in the runner's
    /// directory.
    pub fn command(&self, line: &CommandLine) -> io::Result<Command> {
        let program = self.path.find(&line.program).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("{} is not on PATH", line.program))
        })?;
        let mut command = Command::new(program);
        command
            .args(&line.args)
            .envs(line.env.iter().map(|(k, v)| (k, v)))
            .env("PATH", &self.path.0)
            .current_dir(&self.dir);
        Ok(command)
    }

    /// Prints `line`, then runs it with the terminal's input and output.
    pub fn run(&self, line: &CommandLine) -> io::Result<ExitStatus> {
        announce(line);
        self.command(line)?.status()
    }

    /// Prints `line`, then runs it for its output (its errors still reach the terminal).
    pub fn output(&self, line: &CommandLine) -> io::Result<Output> {
        announce(line);
        self.command(line)?.stdin(Stdio::null()).stderr(Stdio::inherit()).output()
    }
}

fn announce(line: &CommandLine) {
    println!("$ {line}");
    let _ = io::stdout().flush();
}

/// What `cargo xtask deploy` was asked.
#[derive(Debug, Clone)]
pub struct DeployRequest {
    /// Host names; empty means the only host, or every host with `all`.
    pub hosts: Vec<String>,
    pub all: bool,
    pub action: Action,
    pub build_host: Option<String>,
    pub dry_run: bool,
    /// Roll a host back when its monoliths fail the health check after a switch.
    pub rollback: bool,
    /// How long monoliths get to answer after a switch; zero checks once.
    pub health_timeout: Duration,
}

/// The hosts `names` asks for (all of them with `all`, the only one when there is one).
pub fn select_hosts<'a>(
    inventory: &'a Inventory,
    names: &[String],
    all: bool,
) -> Result<Vec<&'a Host>, DeployError> {
    let known = || inventory.hosts.iter().map(|h| h.name.as_str()).collect::<Vec<_>>().join(", ");
    if inventory.hosts.is_empty() {
        return Err(DeployError::Usage(
            "the repository declares no host to deploy to: add \
             `nmmm.hosts.<name>.address = \"<ssh address>\";` to its configuration"
                .to_owned(),
        ));
    }
    if all || (names.is_empty() && inventory.hosts.len() == 1) {
        return Ok(inventory.hosts.iter().collect());
    }
    if names.is_empty() {
        return Err(DeployError::Usage(format!(
            "name the hosts to deploy, or pass --all (hosts: {})",
            known()
        )));
    }
    let mut selected: Vec<&Host> = Vec::new();
    for name in names {
        let host = inventory.hosts.iter().find(|h| &h.name == name).ok_or_else(|| {
            DeployError::Usage(format!("no host named `{name}` (hosts: {})", known()))
        })?;
        if !selected.iter().any(|h| h.name == host.name) {
            selected.push(host);
        }
    }
    Ok(selected)
}

/// The placement of the inventory's monoliths, refused when it has problems.
pub fn placement(inventory: &Inventory) -> Result<Placement, DeployError> {
    let placement = place(&inventory.hosts, &inventory.monoliths);
    if placement.problems.is_empty() {
        Ok(placement)
    } else {
        Err(DeployError::Usage(placement.problems.join("\n")))
    }
}

/// `cargo xtask deploy`.
pub fn deploy(
    inventory: &Inventory,
    request: &DeployRequest,
    runner: &Runner,
) -> Result<(), DeployError> {
    let hosts = select_hosts(inventory, &request.hosts, request.all)?;
    let placement = placement(inventory)?;
    let steps =
        plan::deploy_steps(inventory, &hosts, request.action, request.build_host.as_deref())
            .map_err(DeployError::Usage)?;
    let checks = request.action == Action::Switch;

    if request.dry_run {
        for step in &steps {
            println!("$ {}", step.command);
        }
        if checks {
            for host in &hosts {
                print_health_plan(inventory, host, &placement, request.rollback);
            }
        }
        return Ok(());
    }

    let rollback_program = plan::rollback(inventory, hosts[0]).program;
    let mut programs: Vec<&str> = steps.iter().map(|s| s.command.program.as_str()).collect();
    if checks {
        programs.push("ssh");
        if request.rollback {
            programs.push(&rollback_program);
        }
    }
    runner.require(&programs)?;

    for DeployStep { hosts: names, command } in &steps {
        let status = runner
            .run(command)
            .map_err(|err| DeployError::Failed(format!("cannot run {}: {err}", command.program)))?;
        if !status.success() {
            let what = if names.len() == 1 {
                format!("deploying {} failed", names[0])
            } else {
                format!(
                    "deploying {} failed ({} says above which host)",
                    names.join(", "),
                    command.program
                )
            };
            return Err(DeployError::Failed(format!(
                "{what}: {} exited with {}",
                command.program,
                describe(status)
            )));
        }
    }
    if !checks {
        return Ok(());
    }

    let mut failures = Vec::new();
    for host in &hosts {
        let sick = check_host(inventory, host, &placement, runner, request.health_timeout);
        if sick.is_empty() {
            eprintln!("{}: every monolith answers", host.name);
            continue;
        }
        for name in &sick {
            eprintln!("{}: {name} does not answer; the end of its journal:", host.name);
            let journal = plan::journal(host, name, 20, false);
            match runner.output(&journal) {
                Ok(out) => {
                    for line in String::from_utf8_lossy(&out.stdout).lines() {
                        eprintln!("    {line}");
                    }
                }
                Err(err) => eprintln!("    (cannot read it: {err})"),
            }
        }
        let rolled_back = if request.rollback {
            let command = plan::rollback(inventory, host);
            match runner.run(&command) {
                Ok(status) if status.success() => "rolled back to its previous generation",
                _ => "and rolling it back failed too",
            }
        } else {
            "kept as it is (--no-rollback)"
        };
        failures.push(format!(
            "{}: {} failed the health check; {}",
            host.name,
            sick.join(", "),
            rolled_back
        ));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(DeployError::Failed(failures.join("\n")))
    }
}

fn describe(status: ExitStatus) -> String {
    status.code().map_or_else(|| "a signal".to_owned(), |c| format!("code {c}"))
}

/// The monoliths placed on `host` with a domain to ask for.
fn monoliths_on<'a>(
    inventory: &'a Inventory,
    host: &Host,
    placement: &Placement,
) -> Vec<(&'a str, &'a str)> {
    inventory
        .monoliths
        .iter()
        .filter(|m| placement.assignment.get(&m.name) == Some(&host.name))
        .filter_map(|m| Some((m.name.as_str(), m.domain.as_deref()?)))
        .collect()
}

fn print_health_plan(inventory: &Inventory, host: &Host, placement: &Placement, rollback: bool) {
    let monoliths = monoliths_on(inventory, host, placement);
    if monoliths.is_empty() {
        return;
    }
    println!(
        "# then every monolith on {} must answer /healthz (or /, where /healthz is 404):",
        host.name
    );
    for (_, domain) in &monoliths {
        println!("$ {}", plan::health_check(host, domain, "/healthz"));
    }
    if rollback {
        println!("# and if one does not, {} is rolled back:", host.name);
        println!("$ {}", plan::rollback(inventory, host));
    }
}

/// The monoliths on `host` that do not answer within `timeout`, by name.
fn check_host(
    inventory: &Inventory,
    host: &Host,
    placement: &Placement,
    runner: &Runner,
    timeout: Duration,
) -> Vec<String> {
    let deadline = Instant::now() + timeout;
    let mut pending = monoliths_on(inventory, host, placement);
    loop {
        pending.retain(|(_, domain)| !answers(host, domain, runner));
        let now = Instant::now();
        if pending.is_empty() || now >= deadline {
            return pending.iter().map(|(name, _)| (*name).to_owned()).collect();
        }
        std::thread::sleep((deadline - now).min(Duration::from_secs(5)));
    }
}

/// Whether the monolith at `domain` on `host` answers through nginx within `timeout`, asking
/// as the health check after a deploy does.
pub fn wait_until_answers(host: &Host, domain: &str, runner: &Runner, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if answers(host, domain, runner) {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        std::thread::sleep((deadline - now).min(Duration::from_secs(2)));
    }
}

/// Whether the monolith at `domain` answers with a 2xx status, at /healthz or, when it has
/// none (404), at /.
fn answers(host: &Host, domain: &str, runner: &Runner) -> bool {
    let status = |path: &str| -> Option<u16> {
        let out = runner.output(&plan::health_check(host, domain, path)).ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let code = text.trim().parse().ok()?;
        out.status.success().then_some(code)
    };
    match status("/healthz") {
        Some(404) => status("/").is_some_and(|c| (200..300).contains(&c)),
        Some(code) => (200..300).contains(&code),
        None => false,
    }
}

/// `cargo xtask rollback HOST`.
pub fn rollback(
    inventory: &Inventory,
    host: &str,
    dry_run: bool,
    runner: &Runner,
) -> Result<(), DeployError> {
    let host = select_hosts(inventory, &[host.to_owned()], false)?[0];
    let command = plan::rollback(inventory, host);
    if dry_run {
        println!("$ {command}");
        return Ok(());
    }
    runner.require(&[&command.program])?;
    let status = runner
        .run(&command)
        .map_err(|err| DeployError::Failed(format!("cannot run {}: {err}", command.program)))?;
    if status.success() {
        Ok(())
    } else {
        Err(DeployError::Failed(format!(
            "rolling back {} failed: {} exited with {}",
            host.name,
            command.program,
            describe(status)
        )))
    }
}

/// The monolith called `name` and the host it runs on.
pub fn monolith_and_host<'a>(
    inventory: &'a Inventory,
    name: &str,
) -> Result<(&'a Monolith, &'a Host), DeployError> {
    let Some(monolith) = inventory.monoliths.iter().find(|m| m.name == name) else {
        let names: Vec<&str> = inventory.monoliths.iter().map(|m| m.name.as_str()).collect();
        return Err(DeployError::Usage(format!(
            "no monolith named `{name}` (monoliths: {})",
            names.join(", ")
        )));
    };
    let placement = placement(inventory)?;
    let host = placement
        .assignment
        .get(&monolith.name)
        .and_then(|h| inventory.hosts.iter().find(|host| &host.name == h))
        .ok_or_else(|| {
            DeployError::Usage(format!(
                "`{name}` runs on no host: the repository declares none (add \
                 `nmmm.hosts.<name>.address`)"
            ))
        })?;
    Ok((monolith, host))
}

/// `cargo xtask logs NAME`.
pub fn logs(
    inventory: &Inventory,
    name: &str,
    follow: bool,
    dry_run: bool,
    runner: &Runner,
) -> Result<(), DeployError> {
    let (_, host) = monolith_and_host(inventory, name)?;
    let command = plan::journal(host, name, 100, follow);
    if dry_run {
        println!("$ {command}");
        return Ok(());
    }
    runner.require(&["ssh"])?;
    let status = runner
        .run(&command)
        .map_err(|err| DeployError::Failed(format!("cannot run ssh: {err}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(DeployError::Failed(format!(
            "reading the journal of {name} on {} failed: ssh exited with {}",
            host.name,
            describe(status)
        )))
    }
}
