//! The restore drill, for real: the template service against Debian's PostgreSQL, backed up by
//! Debian's restic into a local repository, restored with `cargo xtask restore`, on a machine
//! laid out under a temporary root with stand-ins for systemd (support/machine.rs says which).
//! PostgreSQL, restic, pg_dump, pg_restore, the service and curl are real.

mod support;

use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::machine::{Machine, DOMAIN, NAME};
use support::servers::{http, run};
use support::{copy_tree, repo_root, transcript, TempDir};

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
