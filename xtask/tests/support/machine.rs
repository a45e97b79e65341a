//! A machine laid out under a temporary root, for the backup drill and its bench.
//!
//! Its state directories are in `ROOT/var/lib`, its dumps in `ROOT/var/backup/nmmm`,
//! PostgreSQL's socket in `ROOT/run/postgresql`, with PostgreSQL running as `nobody` when we are
//! root (`NMMM_MACHINE_ROOT`, `NMMM_POSTGRES_USER`). Its repository (the machine template) has
//! its only host at `localhost`, so the tool runs every step directly, and backups on.
//!
//! There is no systemd here, so these stand in for it, first on PATH:
//! - `systemctl`: `start`/`stop MONOLITH.service` start the template binary in the background
//!   (with the unit's environment from `units/MONOLITH.env`, creating its state directory as
//!   StateDirectory= does) and kill it; `start restic-backups-nmmm.service` runs what NixOS's
//!   restic module runs for the job lib/backup.nix makes, evaluated by `nix-instantiate`: the
//!   `backupPrepareCommand` (the dump step), `restic backup` with its paths and tags, and
//!   `forget --prune`;
//! - `journalctl`: nothing to follow (the stand-in unit prints to the terminal itself);
//! - `restic-nmmm`: the wrapper NixOS makes for the job: restic with the repository and password
//!   file;
//! - `curl`: the real curl, sent to the service's port rather than nginx's port 80.
//!
//! PostgreSQL, restic, pg_dump, pg_restore, the service and curl are real.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use super::servers::{build_template, free_port, http, postgres_bin, run, wait_for_port, Postgres};
use super::{copy_tree, repo_root, transcript, TempDir};

pub const NAME: &str = "hello";
pub const DOMAIN: &str = "hello.example.com";

/// A machine under a temporary root, its repository, its PostgreSQL and the stand-ins.
pub struct Machine {
    pub dir: TempDir,
    pub postgres: Postgres,
    binary: PathBuf,
}

impl Machine {
    pub fn new(label: &str) -> Machine {
        let binary = build_template();
        let dir = TempDir::for_servers(label);
        let root = dir.path().join("root");
        for folder in ["var/lib", "var/backup", "run/postgresql"] {
            std::fs::create_dir_all(root.join(folder)).unwrap();
        }
        let postgres = Postgres::start(&dir.path().join("postgres"), &root.join("run/postgresql"));
        let machine = Machine { dir, postgres, binary };
        machine.write_repository();
        machine.write_stand_ins();
        std::fs::write(machine.dir.path().join("restic-password"), "drill\n").unwrap();
        machine.add_monolith(NAME, DOMAIN);
        machine
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    pub fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    pub fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    pub fn units(&self) -> PathBuf {
        self.dir.path().join("units")
    }

    pub fn restic_repository(&self) -> PathBuf {
        self.dir.path().join("restic")
    }

    pub fn state_directory(&self, domain: &str) -> PathBuf {
        self.root().join("var/lib").join(domain)
    }

    /// The machine template, at `localhost`, with backups on.
    fn write_repository(&self) {
        copy_tree(&repo_root().join("templates/default"), &self.repo());
        let configuration = self.repo().join("hosts/machine/configuration.nix");
        let text = std::fs::read_to_string(&configuration).unwrap().replace(
            "nmmm.hosts.machine.address = \"server.example.com\";",
            &format!(
                "nmmm.hosts.machine.address = \"localhost\";\n\n  nmmm.backup = {{\n    \
                 enable = true;\n    repository = \"{}\";\n    passwordFile = \"{}\";\n  }};",
                self.restic_repository().display(),
                self.dir.path().join("restic-password").display()
            ),
        );
        std::fs::write(&configuration, text).unwrap();
    }

    /// The monolith's role and database, as `ensureUsers` makes them, its free port, and its
    /// unit's environment; then the backup job for every monolith so far.
    pub fn add_monolith(&self, name: &str, domain: &str) {
        self.postgres.create_role_and_database(&name.replace('-', "_"));
        // systemd makes the state directory when the service first starts.
        std::fs::create_dir_all(self.state_directory(domain)).unwrap();
        let port = free_port();
        std::fs::create_dir_all(self.units()).unwrap();
        std::fs::write(self.units().join(format!("{domain}.port")), port.to_string()).unwrap();
        std::fs::write(
            self.units().join(format!("{name}.env")),
            format!(
                "export PORT={port}\nexport DATABASE_URL='postgresql:///{}?host={}&user={}'\n\
                 export STATE_DIRECTORY='{}'\nbinary='{}'\n",
                name.replace('-', "_"),
                self.root().join("run/postgresql").display(),
                name.replace('-', "_"),
                self.state_directory(domain).display(),
                self.binary.display()
            ),
        )
        .unwrap();
        let mut monoliths = self.monoliths();
        monoliths.push((name.to_owned(), domain.to_owned()));
        std::fs::write(
            self.units().join("monoliths"),
            monoliths.iter().map(|(n, d)| format!("{n} {d}\n")).collect::<String>(),
        )
        .unwrap();
        self.write_backup_unit();
    }

    pub fn monoliths(&self) -> Vec<(String, String)> {
        let text = std::fs::read_to_string(self.units().join("monoliths")).unwrap_or_default();
        text.lines()
            .filter_map(|l| l.split_once(' ').map(|(n, d)| (n.to_owned(), d.to_owned())))
            .collect()
    }

    /// `restic-backups-nmmm.service` as NixOS's restic module runs the job lib/backup.nix makes
    /// for this machine's monoliths (its ExecStart and preStart).
    fn write_backup_unit(&self) {
        let monoliths: String = self
            .monoliths()
            .iter()
            .map(|(n, d)| format!("{n:?} = {{ domain = {d:?}; port = 8000; exec = \"x\"; }};"))
            .collect();
        let expr = format!(
            "let lib = import {}/lib; in lib.resticBackup {{ \
               backup = lib.backupDefaults // {{ enable = true; repository = {:?}; passwordFile = {:?}; }}; \
               monoliths = {{ {monoliths} }}; \
               machine = {{ root = {:?}; postgresUser = {:?}; }}; }}",
            repo_root().display(),
            self.restic_repository().display().to_string(),
            self.dir.path().join("restic-password").display().to_string(),
            self.root().display().to_string(),
            self.postgres.user()
        );
        let job = super::nix_eval_expr(&expr).unwrap_or_else(|e| panic!("{e}"));
        let words = |key: &str| -> Vec<String> {
            job[key].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
        };
        let prepare = self.units().join("backup-prepare");
        write_executable(&prepare, job["backupPrepareCommand"].as_str().unwrap());
        let paths = self.units().join("backup-paths");
        std::fs::write(&paths, words("paths").join("\n") + "\n").unwrap();
        let unit = format!(
            "#!/bin/sh\nset -e\n\
             restic-nmmm cat config >/dev/null 2>&1 || restic-nmmm init\n\
             '{}'\n\
             restic-nmmm backup {} --files-from='{}'\n\
             restic-nmmm unlock\n\
             restic-nmmm forget --prune {}\n",
            prepare.display(),
            words("extraBackupArgs").join(" "),
            paths.display(),
            words("pruneOpts").join(" ")
        );
        write_executable(&self.units().join("restic-backups-nmmm"), &unit);
    }

    fn write_stand_ins(&self) {
        let bin = self.bin();
        std::fs::create_dir_all(&bin).unwrap();
        let units = self.units();
        let units = units.display();
        write_executable(
            &bin.join("systemctl"),
            &format!(
                r#"#!/bin/sh
units='{units}'
verb=$1 unit=$2
name=${{unit%.service}}
case "$verb $unit" in
  'start restic-backups-nmmm.service') exec "$units/restic-backups-nmmm" ;;
esac
[ -f "$units/$name.env" ] || {{ echo "systemctl (stand-in): no unit $unit" >&2; exit 5; }}
case $verb in
  start)
    if [ -f "$units/$name.refuse-start" ]; then
      rm "$units/$name.refuse-start"
      echo "systemctl (stand-in): $unit failed to start" >&2
      exit 1
    fi
    if [ -f "$units/$name.pid" ] && kill -0 "$(cat "$units/$name.pid")" 2>/dev/null; then exit 0; fi
    . "$units/$name.env"
    mkdir -p "$STATE_DIRECTORY"
    setsid "$binary" </dev/null >>"$units/$name.log" 2>&1 &
    echo $! >"$units/$name.pid"
    ;;
  stop)
    if [ -f "$units/$name.pid" ]; then
      pid=$(cat "$units/$name.pid")
      kill "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
      rm -f "$units/$name.pid"
    fi
    ;;
  *) echo "systemctl (stand-in): cannot $verb" >&2; exit 1 ;;
esac
"#
            ),
        );
        write_executable(&bin.join("journalctl"), "#!/bin/sh\nexec sleep 600\n");
        write_executable(
            &bin.join("restic-nmmm"),
            &format!(
                "#!/bin/sh\nexport RESTIC_REPOSITORY='{}' RESTIC_PASSWORD_FILE='{}' \
                 RESTIC_CACHE_DIR='{}'\nexec restic \"$@\"\n",
                self.restic_repository().display(),
                self.dir.path().join("restic-password").display(),
                self.dir.path().join("restic-cache").display()
            ),
        );
        write_executable(
            &bin.join("curl"),
            &format!(
                r#"#!/bin/sh
for last; do :; done
domain=${{last#http://}}
domain=${{domain%%/*}}
exec /usr/bin/curl --connect-to "$domain:80:127.0.0.1:$(cat '{units}/'"$domain.port")" "$@"
"#
            ),
        );
    }

    /// Runs the tool in the repository, with the stand-ins and PostgreSQL's programs first on
    /// PATH.
    pub fn xtask(&self, args: &[&str]) -> Output {
        let path = format!(
            "{}:{}:{}",
            self.bin().display(),
            postgres_bin().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(args)
            .current_dir(self.repo())
            .env("PATH", path)
            .env("NO_COLOR", "1")
            .env("NMMM_MACHINE_ROOT", self.root())
            .env("NMMM_POSTGRES_USER", self.postgres.user())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("the xtask binary runs")
    }

    pub fn xtask_ok(&self, args: &[&str]) -> Output {
        let out = self.xtask(args);
        assert!(out.status.success(), "xtask {}:\n{}", args.join(" "), transcript(&out));
        out
    }

    /// Starts the monolith's service through the stand-in, as the machine would at boot.
    pub fn start(&self, name: &str) {
        run(Command::new(self.bin().join("systemctl"))
            .args(["start", &format!("{name}.service")])
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin().display())));
        assert!(wait_for_port(self.port(DOMAIN), Duration::from_secs(20)), "{name} listens");
    }

    pub fn stop(&self, name: &str) {
        run(Command::new(self.bin().join("systemctl"))
            .args(["stop", &format!("{name}.service")])
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin().display())));
    }

    pub fn pid(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.units().join(format!("{name}.pid"))).ok()
    }

    pub fn port(&self, domain: &str) -> u16 {
        std::fs::read_to_string(self.units().join(format!("{domain}.port")))
            .unwrap()
            .parse()
            .unwrap()
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        http(self.port(DOMAIN), "GET", path, "")
    }

    pub fn add_note(&self, note: &str) {
        assert_eq!(http(self.port(DOMAIN), "POST", "/notes", note).0, 201, "POST /notes {note}");
    }

    pub fn notes(&self) -> Vec<String> {
        let (status, body) = self.get("/notes");
        assert_eq!(status, 200, "GET /notes: {body}");
        body.lines().map(str::to_owned).collect()
    }

    pub fn put_file(&self, name: &str, text: &str) {
        let (status, body) = http(self.port(DOMAIN), "PUT", &format!("/files/{name}"), text);
        assert_eq!(status, 201, "PUT /files/{name}: {body}");
    }

    pub fn backup(&self) -> Output {
        self.xtask_ok(&["backup", "--now"])
    }

    /// The snapshots as `cargo xtask snapshots --json` lists them.
    pub fn snapshots(&self) -> Vec<serde_json::Value> {
        let out = self.xtask_ok(&["snapshots", "--json"]);
        let value: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("snapshots --json: {e}\n{}", transcript(&out)));
        value.as_array().unwrap().clone()
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        for (name, _) in self.monoliths() {
            if let Some(pid) = self.pid(&name) {
                let _ = Command::new("kill").arg(pid.trim()).status();
            }
        }
    }
}

pub fn write_executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}
