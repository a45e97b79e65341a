//! The commands a deploy, a health check, a rollback and a look at the journal run, built from
//! the inventory and nothing else.
//!
//! A repository with one host deploys with `nixos-rebuild --target-host` (`--flake .#HOST`, or
//! `NIXOS_CONFIG=ENTRY` for a repository without a flake). A flake with several hosts is a
//! fleet: `colmena apply ACTION --on HOST,...` deploys it from its `colmenaHive`.

use std::path::Path;

use super::command::{shell_quote, CommandLine};
use crate::repo::{Build, Host, Inventory};

/// What `nixos-rebuild` and colmena do with the new system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Switch,
    Boot,
    Test,
    DryActivate,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Switch => "switch",
            Action::Boot => "boot",
            Action::Test => "test",
            Action::DryActivate => "dry-activate",
        }
    }
}

/// The NixOS profile whose generations a rollback steps back through.
const SYSTEM_PROFILE: &str = "/nix/var/nix/profiles/system";

/// How long curl waits for one answer, in seconds.
const CURL_MAX_TIME: u32 = 10;

/// Whether the repository is a fleet deployed by colmena.
pub fn is_fleet(inventory: &Inventory) -> bool {
    matches!(inventory.build, Build::Flake) && inventory.hosts.len() > 1
}

/// `USER@ADDRESS`.
pub fn destination(host: &Host) -> String {
    format!("{}@{}", host.user, host.address)
}

/// One deploy command and the hosts it deploys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployStep {
    pub hosts: Vec<String>,
    pub command: CommandLine,
}

/// The commands that deploy `hosts` (of `inventory`), in order.
pub fn deploy_steps(
    inventory: &Inventory,
    hosts: &[&Host],
    action: Action,
    build_host: Option<&str>,
) -> Result<Vec<DeployStep>, String> {
    if is_fleet(inventory) {
        if build_host.is_some() {
            return Err(
                "--build-host is for nixos-rebuild; a fleet deploys with colmena, which builds \
                 locally or, with nmmm.hosts.<host>.buildOnTarget = true, on the host itself"
                    .to_owned(),
            );
        }
        let names: Vec<String> = hosts.iter().map(|h| h.name.clone()).collect();
        let command = CommandLine::new("colmena")
            .args(["apply", action.as_str(), "--on"])
            .arg(names.join(","));
        return Ok(vec![DeployStep { hosts: names, command }]);
    }
    if let Build::Classic { .. } = inventory.build {
        if hosts.len() > 1 {
            return Err(format!(
                "a repository without a flake has one NixOS configuration, which cannot go to \
                 several hosts ({}); deploy one at a time",
                hosts.iter().map(|h| h.name.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    Ok(hosts
        .iter()
        .map(|host| {
            let mut command = match &inventory.build {
                Build::Flake => CommandLine::new("nixos-rebuild")
                    .arg(action.as_str())
                    .arg("--flake")
                    .arg(format!(".#{}", host.name)),
                Build::Classic { entry } => CommandLine::new("nixos-rebuild")
                    .env("NIXOS_CONFIG", absolute(&inventory.root, entry))
                    .arg(action.as_str()),
            };
            command = command.arg("--target-host").arg(destination(host));
            if let Some(build_host) = build_host {
                command = command.arg("--build-host").arg(build_host);
            }
            if host.user != "root" {
                // The current spelling of the deprecated --use-remote-sudo.
                command = command.arg("--sudo");
            }
            DeployStep { hosts: vec![host.name.clone()], command }
        })
        .collect())
}

fn absolute(root: &Path, path: &Path) -> String {
    root.join(path).display().to_string()
}

/// Whether `host` is the machine the tool runs on (its address is `localhost`): its commands
/// run directly, without ssh.
pub fn is_local(host: &Host) -> bool {
    host.address == "localhost"
}

/// `ssh` to `host` running `remote`, a command line for the host's shell; for a host at
/// `localhost`, `sh -c` running it here. BatchMode makes a missing key an error instead of a
/// password prompt nobody answers.
pub fn ssh(host: &Host, remote: &str) -> CommandLine {
    if is_local(host) {
        return CommandLine::new("sh").arg("-c").arg(remote);
    }
    CommandLine::new("ssh")
        .args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"])
        .arg(destination(host))
        .arg(remote)
}

/// Asks, on `host`, nginx for `path` of `domain` and prints the final HTTP status.
///
/// The request goes through nginx on the host itself, with the monolith's name: curl resolves
/// the domain to 127.0.0.1 on ports 80 and 443, so the Host header and the TLS server name are
/// the domain's and a forceSSL redirect to https is followed to the same nginx, never to
/// whatever the DNS says. `-k` accepts the certificate unchecked, because right after a switch
/// nginx may still serve the self-signed stand-in until ACME has issued the real one: the check
/// is whether the monolith answers, not whether Let's Encrypt did. An unreachable service
/// prints 000 (and nginx answers 502).
pub fn health_check(host: &Host, domain: &str, path: &str) -> CommandLine {
    let remote = [
        "curl".to_owned(),
        "-sS".to_owned(),
        "-k".to_owned(),
        "-L".to_owned(),
        "-o".to_owned(),
        "/dev/null".to_owned(),
        "-w".to_owned(),
        "%{http_code}".to_owned(),
        "--max-time".to_owned(),
        CURL_MAX_TIME.to_string(),
        "--resolve".to_owned(),
        format!("{domain}:80:127.0.0.1"),
        "--resolve".to_owned(),
        format!("{domain}:443:127.0.0.1"),
        format!("http://{domain}{path}"),
    ];
    ssh(host, &join_words(&remote))
}

/// Steps `host` back to its previous system generation.
///
/// Outside a fleet, `nixos-rebuild switch --rollback --target-host` does it. colmena has no
/// rollback, so a fleet host does over ssh what nixos-rebuild --rollback does on the machine:
/// make the system profile point at its previous generation, then activate that generation
/// (which also makes it the boot default).
pub fn rollback(inventory: &Inventory, host: &Host) -> CommandLine {
    let sudo = if host.user == "root" { "" } else { "sudo " };
    if is_fleet(inventory) {
        ssh(
            host,
            &format!(
                "{sudo}nix-env --profile {SYSTEM_PROFILE} --rollback && \
                 {sudo}{SYSTEM_PROFILE}/bin/switch-to-configuration switch"
            ),
        )
    } else {
        let mut command = CommandLine::new("nixos-rebuild")
            .args(["switch", "--rollback", "--target-host"])
            .arg(destination(host));
        if !sudo.is_empty() {
            command = command.arg("--sudo");
        }
        command
    }
}

/// The journal of the monolith `name`'s unit on `host`: the last `lines` lines, then new ones
/// as they come with `follow`.
pub fn journal(host: &Host, name: &str, lines: u32, follow: bool) -> CommandLine {
    let mut remote = vec![
        "journalctl".to_owned(),
        "--unit".to_owned(),
        format!("{name}.service"),
        "--lines".to_owned(),
        lines.to_string(),
        "--no-pager".to_owned(),
    ];
    if follow {
        remote.push("--follow".to_owned());
    }
    ssh(host, &join_words(&remote))
}

fn join_words(words: &[String]) -> String {
    words.iter().map(|w| shell_quote(w)).collect::<Vec<_>>().join(" ")
}
