//! `cargo xtask deploy`, `rollback` and `logs` through the front door, on temp copies of three
//! repositories: the machine template (one flake host), the seed fixture (no flake) and the
//! example fleet in tests/fleet (two hosts, colmena).
//!
//! No NixOS target exists here, so `nixos-rebuild`, `colmena` and `ssh` are stand-ins first
//! (and alone) on PATH: shell scripts that record their arguments and answer as told by files
//! beside them (`fail-hosts`, `unhealthy`, `no-healthz`: one word per line, matched against
//! the arguments).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::{copy_tree, repo_root, transcript, TempDir};

/// A repository copy with the stand-ins beside it.
struct Site {
    dir: TempDir,
}

impl Site {
    fn new(label: &str, fixture: &str) -> Site {
        let dir = TempDir::new(label);
        copy_tree(&repo_root().join(fixture), &dir.path().join("repo"));
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        for program in ["nixos-rebuild", "colmena", "ssh"] {
            write_stand_in(&bin, program);
        }
        Site { dir }
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    /// Makes the stand-ins match `words` for `behaviour` (`fail-hosts`, `unhealthy`, ...).
    fn tell(&self, behaviour: &str, words: &[&str]) {
        let text: String = words.iter().map(|w| format!("{w}\n")).collect();
        std::fs::write(self.bin().join(behaviour), text).unwrap();
    }

    fn remove(&self, program: &str) {
        std::fs::remove_file(self.bin().join(program)).unwrap();
    }

    /// Runs the tool in the repository with only the stand-ins on PATH.
    fn xtask(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(args)
            .current_dir(self.repo())
            .env("PATH", self.bin())
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("the xtask binary runs")
    }

    /// Every command the stand-ins ran: the program, then its arguments.
    fn recorded(&self) -> Vec<Vec<String>> {
        let log = std::fs::read_to_string(self.bin().join("log")).unwrap_or_default();
        let mut commands: Vec<Vec<String>> = Vec::new();
        for line in log.lines() {
            match line.strip_prefix("== ") {
                Some(program) => commands.push(vec![program.to_owned()]),
                None => commands.last_mut().unwrap().push(line.to_owned()),
            }
        }
        commands
    }

    /// The transcript with the temp directory's path replaced, for snapshots.
    fn transcript(&self, out: &Output) -> String {
        let root = self.repo().canonicalize().unwrap();
        transcript(out)
            .replace(&root.display().to_string(), "[REPO]")
            .replace(&self.repo().display().to_string(), "[REPO]")
    }
}

fn write_stand_in(bin: &Path, program: &str) {
    let dir = bin.display();
    // Shell builtins only: PATH holds nothing but the stand-ins.
    let script = format!(
        r#"#!/bin/sh
dir='{dir}'
{{ printf '%s\n' '== {program}'; for a in "$@"; do printf '%s\n' "$a"; done; }} >> "$dir/log"
last=''
for a in "$@"; do last=$a; done
all=" $* "
told() {{
  [ -f "$dir/$1" ] || return 1
  while read -r word; do
    case "$all" in *"$word"*) return 0 ;; esac
  done < "$dir/$1"
  return 1
}}
case '{program}' in
  ssh)
    case "$last" in
      curl*)
        if told unhealthy; then printf 502
        elif told no-healthz; then
          case "$last" in *'/healthz') printf 404 ;; *) printf 200 ;; esac
        else printf 200
        fi ;;
      journalctl*) printf '%s\n' 'stand-in journal: connection refused' ;;
    esac ;;
  *)
    if told fail-hosts; then printf '%s\n' '{program}: activation failed' >&2; exit 1; fi ;;
esac
exit 0
"#
    );
    let path = bin.join(program);
    std::fs::write(&path, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn words(line: &str) -> Vec<String> {
    line.split(' ').map(str::to_owned).collect()
}

const SSH: &str = "ssh -o BatchMode=yes -o ConnectTimeout=10";

fn health(destination: &str, domain: &str, path: &str) -> Vec<String> {
    let mut command = words(&format!("{SSH} {destination}"));
    command.push(format!(
        "curl -sS -k -L -o /dev/null -w '%{{http_code}}' --max-time 10 --resolve \
         {domain}:80:127.0.0.1 --resolve {domain}:443:127.0.0.1 http://{domain}{path}"
    ));
    command
}

fn journal(destination: &str, unit: &str) -> Vec<String> {
    let mut command = words(&format!("{SSH} {destination}"));
    command.push(format!("journalctl --unit {unit}.service --lines 20 --no-pager"));
    command
}

fn fleet_rollback(destination: &str, sudo: &str) -> Vec<String> {
    let mut command = words(&format!("{SSH} {destination}"));
    command.push(format!(
        "{sudo}nix-env --profile /nix/var/nix/profiles/system --rollback && \
         {sudo}/nix/var/nix/profiles/system/bin/switch-to-configuration switch"
    ));
    command
}

const WEB1: &str = "root@web1.example.com";
const WEB2: &str = "deploy@203.0.113.7";

/// The example fleet's colmena deploy, then each monolith's health check, host by host.
fn fleet_deploy_then_checks() -> Vec<Vec<String>> {
    // In the order Nix names them: by name.
    let checks = [
        (WEB1, "blog"),
        (WEB1, "docs"),
        (WEB1, "wiki"),
        (WEB2, "api"),
        (WEB2, "forum"),
        (WEB2, "shop"),
    ];
    std::iter::once(words("colmena apply switch --on web1,web2"))
        .chain(checks.map(|(host, name)| health(host, &format!("{name}.example.com"), "/healthz")))
        .collect()
}

// --- dry runs: what each form prints ---------------------------------------------------------

#[test]
fn dry_run_of_one_flake_host() {
    let site = Site::new("dry-flake", "templates/default");
    let out = site.xtask(&["deploy", "--dry-run"]);
    insta::assert_snapshot!(site.transcript(&out));
    assert!(site.recorded().is_empty(), "a dry run runs nothing");
}

#[test]
fn dry_run_of_one_flake_host_as_a_user_with_sudo() {
    let site = Site::new("dry-sudo", "templates/default");
    let set = site.xtask(&[
        "nix",
        "set",
        "hosts/machine/configuration.nix",
        "nmmm.hosts.machine.user",
        "\"deploy\"",
        "--yes",
    ]);
    assert!(set.status.success(), "{}", transcript(&set));
    let out = site.xtask(&["deploy", "--dry-run"]);
    insta::assert_snapshot!(site.transcript(&out));
}

#[test]
fn dry_run_with_a_build_host_and_another_action() {
    let site = Site::new("dry-build-host", "templates/default");
    let out = site.xtask(&[
        "deploy",
        "machine",
        "--action",
        "boot",
        "--build-host",
        "builder@build.example.com",
        "--dry-run",
    ]);
    insta::assert_snapshot!(site.transcript(&out));
}

#[test]
fn dry_run_of_a_repository_without_a_flake() {
    let site = Site::new("dry-classic", "tests/fixtures/seed-nmmm");
    let out = site.xtask(&["deploy", "--dry-run"]);
    insta::assert_snapshot!(site.transcript(&out));
}

#[test]
fn dry_run_of_a_fleet() {
    let site = Site::new("dry-fleet", "tests/fleet");
    let out = site.xtask(&["deploy", "--all", "--dry-run"]);
    insta::assert_snapshot!(site.transcript(&out));
}

#[test]
fn dry_run_of_rollbacks_and_logs() {
    let fleet = Site::new("dry-rollback-fleet", "tests/fleet");
    let single = Site::new("dry-rollback-one", "templates/default");
    let runs = [
        (&fleet, vec!["rollback", "web2", "--dry-run"]),
        (&fleet, vec!["rollback", "web1", "--dry-run"]),
        (&single, vec!["rollback", "machine", "--dry-run"]),
        (&fleet, vec!["logs", "forum", "--dry-run"]),
        (&single, vec!["logs", "hello", "--follow", "--dry-run"]),
    ];
    let text: String = runs
        .iter()
        .map(|(site, args)| {
            format!("### {}\n{}", args.join(" "), site.transcript(&site.xtask(args)))
        })
        .collect();
    insta::assert_snapshot!(text);
}

#[test]
fn bad_usage_is_exit_code_2_and_runs_nothing() {
    let site = Site::new("usage", "tests/fleet");
    let runs = [
        vec!["deploy"],
        vec!["deploy", "web9"],
        vec!["deploy", "--all", "--build-host", "b.example.com"],
        vec!["rollback", "web9"],
        vec!["logs", "nope"],
    ];
    let text: String = runs
        .iter()
        .map(|args| format!("### {}\n{}", args.join(" "), site.transcript(&site.xtask(args))))
        .collect();
    insta::assert_snapshot!(text);
    assert!(site.recorded().is_empty());
}

// --- runs with stand-ins ---------------------------------------------------------------------

#[test]
fn one_host_is_deployed_with_nixos_rebuild_then_checked() {
    let site = Site::new("run-one", "templates/default");
    let out = site.xtask(&["deploy", "--health-timeout", "0"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert_eq!(
        site.recorded(),
        vec![
            words("nixos-rebuild switch --flake .#machine --target-host root@server.example.com"),
            health("root@server.example.com", "hello.example.com", "/healthz"),
        ]
    );
}

#[test]
fn a_repository_without_a_flake_is_deployed_with_nixos_config() {
    let site = Site::new("run-classic", "tests/fixtures/seed-nmmm");
    let out = site.xtask(&["deploy", "--action", "test"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    // The stand-in cannot see its environment in its arguments; the printed command shows it.
    assert_eq!(site.recorded(), vec![words("nixos-rebuild test --target-host root@massapp.com")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let entry = site.repo().canonicalize().unwrap().join("nix/hetzner/configuration.nix");
    assert!(
        stdout.contains(&format!("$ NIXOS_CONFIG={} nixos-rebuild test", entry.display())),
        "{stdout}"
    );
}

#[test]
fn a_fleet_is_deployed_with_one_colmena_run_then_each_host_checked() {
    let site = Site::new("run-fleet", "tests/fleet");
    let out = site.xtask(&["deploy", "--all", "--health-timeout", "0"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert_eq!(site.recorded(), fleet_deploy_then_checks());
}

#[test]
fn a_failing_host_fails_the_command_and_nothing_is_checked() {
    let site = Site::new("run-fail-one", "templates/default");
    site.tell("fail-hosts", &["machine"]);
    let out = site.xtask(&["deploy"]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert_eq!(site.recorded().len(), 1, "only the deploy ran");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: deploying machine failed: nixos-rebuild exited with code 1"),
        "{stderr}"
    );
}

#[test]
fn a_failing_fleet_deploy_names_its_hosts() {
    let site = Site::new("run-fail-fleet", "tests/fleet");
    site.tell("fail-hosts", &["web2"]);
    let out = site.xtask(&["deploy", "web1", "web2"]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert_eq!(site.recorded(), vec![words("colmena apply switch --on web1,web2")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: deploying web1, web2 failed"), "{stderr}");
}

#[test]
fn a_failing_health_check_rolls_back_exactly_that_host_once() {
    let site = Site::new("run-unhealthy", "tests/fleet");
    site.tell("unhealthy", &["forum.example.com"]);
    let out = site.xtask(&["deploy", "--all", "--health-timeout", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let recorded = site.recorded();
    assert_eq!(
        recorded,
        [fleet_deploy_then_checks(), vec![journal(WEB2, "forum"), fleet_rollback(WEB2, "sudo ")]]
            .concat()
    );
    let rollbacks: Vec<_> =
        recorded.iter().filter(|c| c.iter().any(|a| a.contains("--rollback"))).collect();
    assert_eq!(rollbacks, vec![&fleet_rollback(WEB2, "sudo ")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("web2: forum does not answer; the end of its journal:"), "{stderr}");
    assert!(stderr.contains("    stand-in journal: connection refused"), "{stderr}");
    assert!(
        stderr.contains(
            "error: web2: forum failed the health check; rolled back to its previous generation"
        ),
        "{stderr}"
    );
}

#[test]
fn one_unhealthy_host_is_rolled_back_with_nixos_rebuild() {
    let site = Site::new("run-unhealthy-one", "templates/default");
    site.tell("unhealthy", &["hello.example.com"]);
    let out = site.xtask(&["deploy", "--health-timeout", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert_eq!(
        site.recorded().last().unwrap(),
        &words("nixos-rebuild switch --rollback --target-host root@server.example.com")
    );
}

#[test]
fn no_rollback_keeps_an_unhealthy_host() {
    let site = Site::new("run-no-rollback", "tests/fleet");
    site.tell("unhealthy", &["blog.example.com"]);
    let out = site.xtask(&["deploy", "web1", "--no-rollback", "--health-timeout", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert_eq!(
        site.recorded().last().unwrap(),
        &journal(WEB1, "blog"),
        "the journal is the last thing read; nothing is rolled back"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("kept as it is (--no-rollback)"), "{stderr}");
}

#[test]
fn a_monolith_without_healthz_is_asked_for_its_root() {
    let site = Site::new("run-no-healthz", "templates/default");
    site.tell("no-healthz", &["hello.example.com"]);
    let out = site.xtask(&["deploy", "--health-timeout", "0"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert_eq!(
        site.recorded()[1..],
        [
            health("root@server.example.com", "hello.example.com", "/healthz"),
            health("root@server.example.com", "hello.example.com", "/"),
        ]
    );
}

#[test]
fn other_actions_are_not_health_checked() {
    let site = Site::new("run-boot", "tests/fleet");
    let out = site.xtask(&["deploy", "--all", "--action", "boot"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert_eq!(site.recorded(), vec![words("colmena apply boot --on web1,web2")]);
}

#[test]
fn rollback_and_logs_run_their_command() {
    let site = Site::new("run-rollback", "tests/fleet");
    let out = site.xtask(&["rollback", "web1"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let out = site.xtask(&["logs", "docs"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let mut logs = words(&format!("{SSH} {WEB1}"));
    logs.push("journalctl --unit docs.service --lines 100 --no-pager".to_owned());
    assert_eq!(site.recorded(), vec![fleet_rollback(WEB1, ""), logs]);
}

#[test]
fn missing_programs_are_named_with_how_to_get_them() {
    let site = Site::new("missing", "tests/fleet");
    site.remove("colmena");
    site.remove("ssh");
    let out = site.xtask(&["deploy", "--all"]);
    insta::assert_snapshot!(site.transcript(&out));
    assert!(site.recorded().is_empty());
}
