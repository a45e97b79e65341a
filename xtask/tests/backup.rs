//! The restore drill, for real: the template service against Debian's PostgreSQL, backed up by
//! Debian's restic into a local repository, restored with `cargo xtask restore`.
//!
//! The machine is laid out under a temporary root (`NMMM_MACHINE_ROOT`): its state directories
//! in `ROOT/var/lib`, its dumps in `ROOT/var/backup/nmmm`, PostgreSQL's socket in
//! `ROOT/run/postgresql`, PostgreSQL running as `nobody` (`NMMM_POSTGRES_USER`). The
//! repository's only host is at `localhost`, so the tool runs every step directly.
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

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::servers::{
    build_template, free_port, http, postgres_bin, run, wait_for_port, Postgres,
};
use support::{copy_tree, repo_root, transcript, TempDir};

const NAME: &str = "hello";
const DOMAIN: &str = "hello.example.com";

/// A machine under a temporary root, its repository, its PostgreSQL and the stand-ins.
struct Machine {
    dir: TempDir,
    postgres: Postgres,
    binary: PathBuf,
}

impl Machine {
    fn new(label: &str) -> Machine {
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

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    fn units(&self) -> PathBuf {
        self.dir.path().join("units")
    }

    fn restic_repository(&self) -> PathBuf {
        self.dir.path().join("restic")
    }

    fn state_directory(&self, domain: &str) -> PathBuf {
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
    fn add_monolith(&self, name: &str, domain: &str) {
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

    fn monoliths(&self) -> Vec<(String, String)> {
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
        let job = support::nix_eval_expr(&expr).unwrap_or_else(|e| panic!("{e}"));
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
    fn xtask(&self, args: &[&str]) -> Output {
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

    fn xtask_ok(&self, args: &[&str]) -> Output {
        let out = self.xtask(args);
        assert!(out.status.success(), "xtask {}:\n{}", args.join(" "), transcript(&out));
        out
    }

    /// Starts the monolith's service through the stand-in, as the machine would at boot.
    fn start(&self, name: &str) {
        run(Command::new(self.bin().join("systemctl"))
            .args(["start", &format!("{name}.service")])
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin().display())));
        assert!(wait_for_port(self.port(DOMAIN), Duration::from_secs(20)), "{name} listens");
    }

    fn stop(&self, name: &str) {
        run(Command::new(self.bin().join("systemctl"))
            .args(["stop", &format!("{name}.service")])
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin().display())));
    }

    fn pid(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.units().join(format!("{name}.pid"))).ok()
    }

    fn port(&self, domain: &str) -> u16 {
        std::fs::read_to_string(self.units().join(format!("{domain}.port")))
            .unwrap()
            .parse()
            .unwrap()
    }

    fn get(&self, path: &str) -> (u16, String) {
        http(self.port(DOMAIN), "GET", path, "")
    }

    fn add_note(&self, note: &str) {
        assert_eq!(http(self.port(DOMAIN), "POST", "/notes", note).0, 201, "POST /notes {note}");
    }

    fn notes(&self) -> Vec<String> {
        let (status, body) = self.get("/notes");
        assert_eq!(status, 200, "GET /notes: {body}");
        body.lines().map(str::to_owned).collect()
    }

    fn put_file(&self, name: &str, text: &str) {
        let (status, body) = http(self.port(DOMAIN), "PUT", &format!("/files/{name}"), text);
        assert_eq!(status, 201, "PUT /files/{name}: {body}");
    }

    fn backup(&self) -> Output {
        self.xtask_ok(&["backup", "--now"])
    }

    /// The snapshots as `cargo xtask snapshots --json` lists them.
    fn snapshots(&self) -> Vec<serde_json::Value> {
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

fn write_executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The restore's stamp, from the name it printed for the kept-aside state directory.
fn stamp_of(out: &Output) -> String {
    let text = stdout(out);
    let at = text.find(".before-restore-").unwrap_or_else(|| panic!("no stamp in {text}"));
    text[at + ".before-restore-".len()..].chars().take(15).collect()
}

#[test]
fn the_tool_sends_the_steps_lib_makes() {
    let machine = xtask::backup::Machine {
        root: "/tmp/it's here".to_owned(),
        postgres_user: "nobody".into(),
    };
    let expr = format!(
        "(import {}/lib).stepsScript {{ root = \"/tmp/it's here\"; postgresUser = \"nobody\"; }}",
        repo_root().display()
    );
    let nix = support::nix_eval_expr(&expr).unwrap();
    assert_eq!(nix.as_str().unwrap(), xtask::backup::steps_script(&machine));
}

#[test]
fn restore_drill_brings_back_the_rows_and_files_the_service_wrote() {
    let machine = Machine::new("drill");
    machine.start(NAME);
    for note in ["first order", "second order", "it's a third"] {
        machine.add_note(note);
    }
    machine.put_file("invoice.txt", "invoice 1\n");

    let backup = machine.backup();
    assert!(
        stdout(&backup).contains("nmmm: dumped the database hello of hello"),
        "{}",
        transcript(&backup)
    );
    let snapshots = machine.snapshots();
    assert_eq!(snapshots.len(), 1, "{snapshots:?}");
    assert_eq!(snapshots[0]["monoliths"], serde_json::json!([NAME]));
    assert!(snapshots[0]["size"].as_u64().unwrap() > 0);
    let table = stdout(&machine.xtask_ok(&["snapshots", NAME]));
    assert!(table.starts_with("ID        TIME                       SIZE  MONOLITHS\n"), "{table}");
    assert!(table.trim_end().ends_with(NAME), "{table}");

    // The disaster: the database and the state directory are gone.
    machine.stop(NAME);
    run(machine
        .postgres
        .command("dropdb")
        .arg("--host")
        .arg(machine.postgres.socket())
        .args(["--username=postgres", NAME]));
    std::fs::remove_dir_all(machine.state_directory(DOMAIN)).unwrap();
    machine.start(NAME);
    assert_eq!(machine.get("/healthz").0, 503);

    let dry = machine.xtask_ok(&["restore", NAME, "--dry-run"]);
    let plan = stdout(&dry);
    let id = snapshots[0]["short_id"].as_str().unwrap();
    assert!(
        plan.starts_with(&format!("restore hello on machine from snapshot {id} of ")),
        "{plan}"
    );
    for line in [
        "  1. fetch hello's dump and state from the snapshot and check that pg_restore reads the dump; nothing live changes yet\n",
        "  2. stop hello.service\n",
        "  5. start hello.service and check that hello.example.com answers through nginx\n",
    ] {
        assert!(plan.contains(line), "the plan lacks {line:?}:\n{plan}");
    }
    assert!(stderr(&dry).ends_with("dry run: nothing changed\n"), "{}", transcript(&dry));
    assert_eq!(machine.get("/notes").0, 503, "a dry run restores nothing");

    let asked = machine.xtask(&["restore", NAME]);
    assert_eq!(asked.status.code(), Some(2), "{}", transcript(&asked));
    assert!(stderr(&asked).contains("pass --yes to restore"), "{}", transcript(&asked));

    let restored = machine.xtask_ok(&["restore", NAME, "--yes"]);
    assert!(
        stdout(&restored).contains(&format!("restored hello from snapshot {id} of ")),
        "{}",
        transcript(&restored)
    );
    assert_eq!(machine.notes(), ["first order", "second order", "it's a third"]);
    assert_eq!(machine.get("/files/invoice.txt"), (200, "invoice 1\n".to_owned()));
    assert_eq!(machine.get("/healthz").0, 200);
    assert_eq!(
        machine.postgres.query(NAME, "SELECT tableowner FROM pg_tables WHERE tablename = 'notes'"),
        "hello\n"
    );
    assert_eq!(
        machine.postgres.query(
            "postgres",
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'hello'"
        ),
        "hello\n"
    );
    assert!(
        !machine.root().join("var/backup/nmmm-restore").read_dir().unwrap().any(|_| true),
        "the work folder is cleaned up"
    );
}

#[test]
fn a_restore_over_a_changed_database_keeps_the_live_data_aside() {
    let machine = Machine::new("aside");
    machine.start(NAME);
    machine.add_note("in the snapshot");
    machine.put_file("page.html", "version 1\n");
    machine.backup();

    machine.add_note("written after the snapshot");
    machine.put_file("page.html", "version 2\n");
    let out = machine.xtask_ok(&["restore", NAME, "--snapshot", "latest", "--yes"]);
    assert_eq!(machine.notes(), ["in the snapshot"]);
    assert_eq!(machine.get("/files/page.html"), (200, "version 1\n".to_owned()));

    // What was live is kept, and comes back only when asked for.
    let stamp = stamp_of(&out);
    let aside = format!("hello_before_restore_{stamp}");
    assert_eq!(machine.postgres.databases(), [NAME.to_owned(), aside.clone()]);
    assert_eq!(
        machine.postgres.query(&aside, "SELECT body FROM notes ORDER BY id"),
        "in the snapshot\nwritten after the snapshot\n"
    );
    let kept = machine.root().join(format!("var/lib/{DOMAIN}.before-restore-{stamp}"));
    assert_eq!(std::fs::read_to_string(kept.join("page.html")).unwrap(), "version 2\n");
    assert!(
        stdout(&out).contains(&format!("kept aside as database {aside} and {}", kept.display())),
        "{}",
        transcript(&out)
    );
}

#[test]
fn a_missing_snapshot_or_a_corrupted_repository_changes_nothing_live() {
    let machine = Machine::new("broken");
    machine.start(NAME);
    machine.add_note("kept safe");
    machine.put_file("a.txt", "live\n");
    machine.backup();
    machine.add_note("live only");
    let pid = machine.pid(NAME);

    let missing = machine.xtask(&["restore", NAME, "--snapshot", "deadbeef", "--yes"]);
    assert_eq!(missing.status.code(), Some(1), "{}", transcript(&missing));
    assert!(
        stderr(&missing)
            .contains("error: no snapshot deadbeef in the repository of machine (snapshots: "),
        "{}",
        transcript(&missing)
    );
    let bad = machine.xtask(&["restore", NAME, "--snapshot", "no-such-thing"]);
    assert_eq!(bad.status.code(), Some(2), "{}", transcript(&bad));

    // Every pack of data overwritten: the index and the snapshot list still read.
    for entry in walkdir::WalkDir::new(machine.restic_repository().join("data")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let size = entry.metadata().unwrap().len() as usize;
            std::fs::write(entry.path(), vec![0x5a; size]).unwrap();
        }
    }
    let corrupted = machine.xtask(&["restore", NAME, "--yes"]);
    assert_eq!(corrupted.status.code(), Some(1), "{}", transcript(&corrupted));
    assert!(
        stderr(&corrupted).contains("fetching hello's data from snapshot ")
            && stderr(&corrupted).contains("nothing live was touched and hello runs as before"),
        "{}",
        transcript(&corrupted)
    );

    assert_eq!(machine.pid(NAME), pid, "the service was never stopped");
    assert_eq!(machine.notes(), ["kept safe", "live only"]);
    assert_eq!(machine.get("/files/a.txt"), (200, "live\n".to_owned()));
    assert_eq!(machine.postgres.databases(), [NAME]);
}

#[test]
fn a_failed_restore_puts_the_live_data_back() {
    let machine = Machine::new("put-back");
    machine.start(NAME);
    machine.add_note("old");
    machine.backup();
    machine.add_note("new");
    machine.put_file("b.txt", "new\n");

    // The restored service's first start fails; the one after putting the data back works.
    std::fs::write(machine.units().join("hello.refuse-start"), "").unwrap();
    let out = machine.xtask(&["restore", NAME, "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert!(
        stderr(&out).contains(
            "error: starting the restored monolith failed (see above); the data that was live \
             is back in place and hello answers again as before the restore"
        ),
        "{}",
        transcript(&out)
    );
    assert_eq!(machine.notes(), ["old", "new"]);
    assert_eq!(machine.get("/files/b.txt"), (200, "new\n".to_owned()));
    assert_eq!(machine.postgres.databases(), [NAME]);
    let lib = machine.root().join("var/lib");
    let entries: Vec<String> =
        lib.read_dir().unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(entries, [DOMAIN]);
}

#[test]
fn a_backup_while_the_service_writes_holds_a_consistent_dump() {
    let machine = Machine::new("busy");
    machine.start(NAME);
    machine.add_note("0");
    let port = machine.port(DOMAIN);
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let writing = writing.clone();
        std::thread::spawn(move || {
            let mut n = 1;
            while writing.load(Ordering::Relaxed) && n < 100_000 {
                assert_eq!(http(port, "POST", "/notes", &n.to_string()).0, 201);
                n += 1;
            }
            n
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    machine.backup();
    writing.store(false, Ordering::Relaxed);
    let written = writer.join().unwrap();

    machine.xtask_ok(&["restore", NAME, "--yes"]);
    let notes = machine.notes();
    let expected: Vec<String> = (0..notes.len()).map(|n| n.to_string()).collect();
    assert_eq!(notes, expected, "the dump holds every note up to one, and none after it");
    assert!(notes.len() > 1 && notes.len() < written, "{} of {written} notes", notes.len());
}

#[test]
fn a_monolith_added_after_the_last_snapshot_is_refused() {
    let machine = Machine::new("added");
    machine.start(NAME);
    machine.add_note("x");
    machine.backup();
    let id = machine.snapshots()[0]["short_id"].as_str().unwrap().to_owned();

    machine.xtask_ok(&["new-monolith", "blog", "--domain", "blog.example.com", "--yes"]);
    machine.add_monolith("blog", "blog.example.com");
    let latest = machine.xtask(&["restore", "blog", "--yes"]);
    assert_eq!(latest.status.code(), Some(1), "{}", transcript(&latest));
    assert!(
        stderr(&latest).contains(&format!("error: no snapshot holds `blog`; the newest, {id} of "))
            && stderr(&latest).contains(", holds hello: it was added after the last backup"),
        "{}",
        transcript(&latest)
    );
    let named = machine.xtask(&["restore", "blog", "--snapshot", &id, "--yes"]);
    assert_eq!(named.status.code(), Some(1), "{}", transcript(&named));
    assert!(
        stderr(&named).contains(&format!("error: snapshot {id} of "))
            && stderr(&named).contains("does not hold `blog`: it holds hello; nothing was changed"),
        "{}",
        transcript(&named)
    );

    // The next backup holds both.
    machine.backup();
    let snapshots = machine.snapshots();
    assert_eq!(snapshots.last().unwrap()["monoliths"], serde_json::json!(["blog", NAME]));
}

#[test]
fn check_warns_about_databases_in_no_backup() {
    let dir = TempDir::new("backup-check");
    copy_tree(&repo_root().join("templates/default"), dir.path());
    let check = |dir: &Path| {
        let out = support::xtask(dir, &["check"]);
        assert!(out.status.success(), "{}", transcript(&out));
        stderr(&out)
    };
    assert_eq!(
        check(dir.path()),
        "monoliths/default.nix:6:5: warning: the database of `hello` is in no backup: set \
         nmmm.backup.enable = true (README: Backups), or back it up with \
         services.restic.backups or services.postgresqlBackup\nno problems, 1 warning(s)\n"
    );

    let configuration = dir.path().join("hosts/machine/configuration.nix");
    let text = std::fs::read_to_string(&configuration).unwrap();
    std::fs::write(
        &configuration,
        text.replace(
            "  system.stateVersion",
            "  nmmm.backup.enable = true;\n\n  system.stateVersion",
        ),
    )
    .unwrap();
    assert_eq!(check(dir.path()), "no problems, 0 warning(s)\n");

    let out = support::xtask(
        dir.path(),
        &[
            "nix",
            "set",
            "monoliths/default.nix",
            "nmmm.monoliths.hello.backup.enable",
            "false",
            "--yes",
        ],
    );
    assert!(out.status.success(), "{}", transcript(&out));
    assert_eq!(
        check(dir.path()),
        "monoliths/default.nix:6:5: warning: the database of `hello` is in no backup: it has \
         backup.enable = false\nno problems, 1 warning(s)\n"
    );

    // A computed switch, or backups made by hand, are beyond what the tool can follow.
    std::fs::write(
        &configuration,
        text.replace(
            "  system.stateVersion",
            "  services.postgresqlBackup.enable = true;\n\n  system.stateVersion",
        ),
    )
    .unwrap();
    assert_eq!(check(dir.path()), "no problems, 0 warning(s)\n");
}
