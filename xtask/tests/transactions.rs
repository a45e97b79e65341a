//! Commands that write hold the repository's lock and commit through a journal: runs that race
//! never lose an update, and a run killed at any step of a commit leaves the repository, once the
//! next command has run, exactly as it was before or exactly as it would have been after.
//!
//! The crashes are real: the tool's test build has a failpoint at every step of a commit, and
//! `FAILPOINTS=point=return` makes it abort the process there.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use support::{copy_tree, repo_root, transcript, xtask, TempDir};

/// The two layouts the tool adopts, each with the monolith a removal takes away.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// The hand-written repository of tests/fixtures/seed-nmmm.
    Classic,
    /// A repository made from templates/default.
    Module,
}

impl Layout {
    fn copy(self) -> TempDir {
        let dir = TempDir::new("transactions");
        let source = match self {
            Layout::Classic => "tests/fixtures/seed-nmmm",
            Layout::Module => "templates/default",
        };
        copy_tree(&repo_root().join(source), dir.path());
        dir
    }

    fn existing(self) -> &'static str {
        match self {
            Layout::Classic => "massapp",
            Layout::Module => "hello",
        }
    }
}

fn new_args(name: &str) -> Vec<String> {
    ["new-monolith", name, "--domain", &format!("{name}.example.com"), "--yes"]
        .map(str::to_owned)
        .to_vec()
}

fn remove_args(name: &str) -> Vec<String> {
    ["remove-monolith", name, "--yes"].map(str::to_owned).to_vec()
}

fn tool(dir: &Path, args: &[String]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("FAILPOINTS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn spawn(dir: &Path, args: &[String], failpoints: Option<&str>) -> Child {
    let mut command = tool(dir, args);
    if let Some(points) = failpoints {
        command.env("FAILPOINTS", points);
    }
    command.spawn().expect("the xtask binary runs")
}

fn run(dir: &Path, args: &[String], failpoints: Option<&str>) -> Output {
    spawn(dir, args, failpoints).wait_with_output().unwrap()
}

/// Every file under `dir`, with its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| {
            e.file_type().is_file() && !e.path().components().any(|c| c.as_os_str() == ".git")
        })
        .map(|e| (e.path().strip_prefix(dir).unwrap().to_owned(), std::fs::read(e.path()).unwrap()))
        .collect()
}

/// The files in which two trees differ, for messages.
fn differences(a: &BTreeMap<PathBuf, Vec<u8>>, b: &BTreeMap<PathBuf, Vec<u8>>) -> Vec<PathBuf> {
    a.keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn listed(dir: &Path) -> Vec<serde_json::Value> {
    let out = xtask(dir, &["list", "--json"]);
    assert!(out.status.success(), "{}", transcript(&out));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap().as_array().unwrap().clone()
}

/// What a repository must hold once runs that said they added `added` are done.
fn assert_whole(layout: Layout, dir: &Path, added: &[String], removed: &[String]) {
    let monoliths = listed(dir);
    let names: Vec<&str> = monoliths.iter().map(|m| m["name"].as_str().unwrap()).collect();
    for name in added {
        assert!(names.contains(&name.as_str()), "{name} is missing from {names:?}");
    }
    for name in removed {
        assert!(!names.contains(&name.as_str()), "{name} is still in {names:?}");
    }
    let mut ports: Vec<u64> = monoliths.iter().map(|m| m["port"].as_u64().unwrap()).collect();
    ports.sort();
    let before = ports.len();
    ports.dedup();
    assert_eq!(ports.len(), before, "two monoliths share a port: {monoliths:?}");
    let check = xtask(dir, &["check"]);
    assert!(check.status.success(), "check: {}", transcript(&check));
    if let Layout::Classic = layout {
        let entry = std::fs::read_to_string(dir.join("nix/hetzner/configuration.nix")).unwrap();
        let ports = std::fs::read_to_string(dir.join("nix/lib.nix")).unwrap();
        for name in added {
            for wired in [format!("../{name}.nix"), format!("../{name}-vhost.nix")] {
                assert!(entry.contains(&wired), "{wired} is not wired in:\n{entry}");
            }
            assert!(entry.contains(&format!("\"{name}_prod\"")), "no database for {name}");
            assert!(ports.contains(&format!("{name}_port")), "no port for {name}:\n{ports}");
        }
    }
    assert!(!dir.join(".nmmm.lock").exists(), "the lock file stayed in the working tree");
    let strays: Vec<PathBuf> =
        tree(dir).into_keys().filter(|p| p.to_string_lossy().contains(".nmmm-")).collect();
    assert!(strays.is_empty(), "temporary files stayed: {strays:?}");
}

fn concurrent_new_monoliths_all_land(layout: Layout) {
    let dir = layout.copy();
    let names: Vec<String> = (1..=8).map(|i| format!("site{i}")).collect();
    let runs: Vec<Child> = names.iter().map(|n| spawn(dir.path(), &new_args(n), None)).collect();
    for (name, run) in names.iter().zip(runs) {
        let out = run.wait_with_output().unwrap();
        assert!(out.status.success(), "{name}: {}", transcript(&out));
    }
    assert_whole(layout, dir.path(), &names, &[]);
}

#[test]
fn eight_new_monoliths_at_once_all_land_in_the_classic_layout() {
    concurrent_new_monoliths_all_land(Layout::Classic);
}

#[test]
fn eight_new_monoliths_at_once_all_land_in_the_module_layout() {
    concurrent_new_monoliths_all_land(Layout::Module);
}

fn concurrent_adds_and_removes_all_land(layout: Layout) {
    let dir = layout.copy();
    let old: Vec<String> = (1..=4).map(|i| format!("old{i}")).collect();
    for name in &old {
        let out = run(dir.path(), &new_args(name), None);
        assert!(out.status.success(), "{}", transcript(&out));
    }
    let new: Vec<String> = (1..=4).map(|i| format!("new{i}")).collect();
    let runs: Vec<(String, Child)> = old
        .iter()
        .zip(&new)
        .flat_map(|(o, n)| {
            [
                (o.clone(), spawn(dir.path(), &remove_args(o), None)),
                (n.clone(), spawn(dir.path(), &new_args(n), None)),
            ]
        })
        .collect();
    for (name, run) in runs {
        let out = run.wait_with_output().unwrap();
        assert!(out.status.success(), "{name}: {}", transcript(&out));
    }
    assert_whole(layout, dir.path(), &new, &old);
}

#[test]
fn adds_and_removes_at_once_all_land_in_the_classic_layout() {
    concurrent_adds_and_removes_all_land(Layout::Classic);
}

#[test]
fn adds_and_removes_at_once_all_land_in_the_module_layout() {
    concurrent_adds_and_removes_all_land(Layout::Module);
}

/// Waits until a run holds the lock: its holder line is written once it has it.
fn wait_for_holder(lock: &Path) -> String {
    for _ in 0..2000 {
        if let Ok(text) = std::fs::read_to_string(lock) {
            if text.starts_with("pid ") {
                return text.lines().next().unwrap().trim().to_owned();
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("no run took the lock {}", lock.display());
}

#[test]
fn a_second_run_waits_says_so_once_and_gives_up_after_wait_seconds() {
    let dir = Layout::Classic.copy();
    // The first run holds the lock for 3 s, just before it writes.
    let first = spawn(dir.path(), &new_args("first"), Some("commit-before-journal=sleep(3000)"));
    let holder = wait_for_holder(&dir.path().join(".nmmm.lock"));
    assert!(holder.starts_with(&format!("pid {}, started at 20", first.id())), "{holder}");

    // Reading never waits: the first run still holds the lock when these are done.
    let mut first = first;
    for args in [&["list"][..], &["check"], &["nix", "get", "nix/lib.nix", "massapp_port"]] {
        let out = xtask(dir.path(), args);
        assert!(out.status.success(), "{args:?}: {}", transcript(&out));
    }
    assert!(first.try_wait().unwrap().is_none(), "the first run ended before the reads did");

    let before = tree(dir.path());
    let mut args = new_args("second");
    args.extend(["--wait".to_owned(), "0".to_owned()]);
    let out = run(dir.path(), &args, None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert_eq!(stderr.matches("waiting for another nmmm run").count(), 1, "{stderr}");
    assert!(stderr.contains(&format!("waiting for another nmmm run, {holder}")), "{stderr}");
    assert!(stderr.contains("still holds the repository"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(differences(&before, &tree(dir.path())), Vec::<PathBuf>::new());

    // With the default wait, it waits its turn and lands after the first.
    let out = run(dir.path(), &new_args("second"), None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}", transcript(&out));
    assert_eq!(stderr.matches("waiting for another nmmm run").count(), 1, "{stderr}");
    assert!(first.wait().unwrap().success());
    assert_whole(Layout::Classic, dir.path(), &["first".into(), "second".into()], &[]);
}

#[test]
fn a_lock_held_by_a_dead_run_never_blocks() {
    let dir = Layout::Module.copy();
    let mut first =
        spawn(dir.path(), &new_args("first"), Some("commit-before-journal=sleep(60000)"));
    wait_for_holder(&dir.path().join(".nmmm.lock"));
    first.kill().unwrap();
    first.wait().unwrap();
    let mut args = new_args("second");
    args.extend(["--wait".to_owned(), "0".to_owned()]);
    let out = run(dir.path(), &args, None);
    assert!(out.status.success(), "{}", transcript(&out));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("waiting"), "{}", transcript(&out));
    assert_whole(Layout::Module, dir.path(), &["second".into()], &["first".into()]);
}

/// Kills runs of each operation at every pass over `point`, then runs `list`: the repository
/// must be byte for byte as before the operation or as after it, and say which.
fn crash_at(layout: Layout, point: &str) {
    // The module layout removes a monolith it added first, so that one stays: a repository with
    // no monolith at all is not one `list` reads.
    let base = layout.copy();
    let removed = match layout {
        Layout::Classic => layout.existing().to_owned(),
        Layout::Module => {
            let out = run(base.path(), &new_args("extra"), None);
            assert!(out.status.success(), "{}", transcript(&out));
            "extra".to_owned()
        }
    };
    let copy = || {
        let dir = TempDir::new("crash");
        copy_tree(base.path(), dir.path());
        dir
    };
    let before = tree(base.path());
    let mut crashes = 0;
    for operation in [new_args("crashed"), remove_args(&removed)] {
        let clean = copy();
        let out = run(clean.path(), &operation, None);
        assert!(out.status.success(), "{}", transcript(&out));
        let after = tree(clean.path());
        for pass in 1.. {
            assert!(pass < 100, "{point} never stops being hit");
            let dir = copy();
            let spec = match pass {
                1 => format!("{point}=return"),
                n => format!("{point}={}*off->return", n - 1),
            };
            let out = run(dir.path(), &operation, Some(&spec));
            if out.status.success() {
                // The operation passes the point fewer times than this.
                assert_eq!(tree(dir.path()), after, "{spec}: a run that was not killed");
                break;
            }
            assert_eq!(out.status.code(), None, "{spec}: not killed: {}", transcript(&out));
            crashes += 1;

            let next = xtask(dir.path(), &["list"]);
            assert!(next.status.success(), "{spec}: list: {}", transcript(&next));
            let said = String::from_utf8_lossy(&next.stderr);
            let now = tree(dir.path());
            if now == after {
                assert!(!said.contains("taken back"), "{spec}: {said}");
            } else {
                assert!(
                    now == before,
                    "{spec} of {operation:?}: a mix of before and after: {:?} differ from \
                     before, {:?} from after",
                    differences(&before, &now),
                    differences(&after, &now)
                );
                assert!(!said.contains("finished"), "{spec}: {said}");
            }
            // A second command finds nothing more to do.
            let again = xtask(dir.path(), &["list"]);
            assert!(!String::from_utf8_lossy(&again.stderr).contains("earlier nmmm run"));
            assert_eq!(tree(dir.path()), now);
        }
    }
    assert!(crashes > 0, "no operation passed {point}");
}

macro_rules! crash_tests {
    ($($name:ident: $layout:ident, $point:literal;)*) => {$(
        #[test]
        fn $name() {
            crash_at(Layout::$layout, $point);
        }
    )*};
}

crash_tests! {
    classic_killed_before_the_journal: Classic, "commit-before-journal";
    classic_killed_while_writing_the_journal: Classic, "commit-journal-partial";
    classic_killed_after_the_journal: Classic, "commit-journal-written";
    classic_killed_after_staging_a_file: Classic, "commit-staged";
    classic_killed_after_a_rename: Classic, "commit-renamed";
    classic_killed_after_a_removal: Classic, "commit-deleted";
    classic_killed_after_the_folders_are_synced: Classic, "commit-synced";
    classic_killed_after_the_journal_is_cleared: Classic, "commit-done";
    module_killed_before_the_journal: Module, "commit-before-journal";
    module_killed_while_writing_the_journal: Module, "commit-journal-partial";
    module_killed_after_the_journal: Module, "commit-journal-written";
    module_killed_after_staging_a_file: Module, "commit-staged";
    module_killed_after_a_rename: Module, "commit-renamed";
    module_killed_after_a_removal: Module, "commit-deleted";
    module_killed_after_the_folders_are_synced: Module, "commit-synced";
    module_killed_after_the_journal_is_cleared: Module, "commit-done";
}

#[test]
fn a_file_edited_by_hand_after_a_crash_is_never_overwritten() {
    let dir = Layout::Classic.copy();
    // The new module and vhost files are in place; the entry file and the ports file are not.
    let out = run(dir.path(), &new_args("crashed"), Some("commit-renamed=2*off->return"));
    assert_eq!(out.status.code(), None, "{}", transcript(&out));
    let entry = dir.path().join("nix/hetzner/configuration.nix");
    let mut text = std::fs::read_to_string(&entry).unwrap();
    text.push_str("# edited by hand after the crash\n");
    std::fs::write(&entry, &text).unwrap();

    // The lock file stays, with the journal; only its holder line changes.
    let lock = PathBuf::from(".nmmm.lock");
    let files = || {
        let mut files = tree(dir.path());
        assert!(files.remove(&lock).is_some(), "the journal is gone");
        files
    };
    let before = files();
    for args in
        [&["list"][..], &["new-monolith", "other", "--domain", "other.example.com", "--yes"]]
    {
        let out = xtask(dir.path(), args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
        assert!(
            stderr.contains("nix/hetzner/configuration.nix: changed since an earlier nmmm run"),
            "{stderr}"
        );
        assert!(!stderr.contains("nix/lib.nix: changed"), "{stderr}");
        assert_eq!(differences(&before, &files()), Vec::<PathBuf>::new());
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn in_a_git_repository_the_lock_and_journal_stay_out_of_the_working_tree() {
    let dir = Layout::Classic.copy();
    git(dir.path(), &["init", "--quiet"]);
    git(dir.path(), &["add", "--all"]);
    git(dir.path(), &["commit", "--quiet", "--message", "seed"]);
    let unchanged: [&[&str]; 5] = [
        &["list"],
        &["check"],
        &["nix", "get", "nix/lib.nix", "massapp_port"],
        &["nix", "set", "nix/lib.nix", "massapp_port", "8080", "--yes"],
        &["new-monolith", "shop", "--domain", "shop.example.com", "--dry-run"],
    ];
    for args in unchanged {
        let out = xtask(dir.path(), args);
        assert!(out.status.success(), "{args:?}: {}", transcript(&out));
        assert_eq!(git(dir.path(), &["status", "--porcelain"]), "", "after {args:?}");
    }

    // A run killed halfway leaves its journal in .git, and the next run finishes from it.
    let out = run(dir.path(), &new_args("shop"), Some("commit-renamed=return"));
    assert_eq!(out.status.code(), None, "{}", transcript(&out));
    assert!(dir.path().join(".git/nmmm.lock").exists());
    assert!(!dir.path().join(".nmmm.lock").exists());
    let out = run(dir.path(), &new_args("blog"), None);
    assert!(out.status.success(), "{}", transcript(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("its change is now finished"));
    assert!(!dir.path().join(".git/nmmm.lock").exists());
    let status = git(dir.path(), &["status", "--porcelain", "--untracked-files=all"]);
    let mut changed: Vec<&str> = status.lines().map(|l| &l[3..]).collect();
    changed.sort();
    assert_eq!(
        changed,
        [
            "nix/blog-vhost.nix",
            "nix/blog.nix",
            "nix/hetzner/configuration.nix",
            "nix/lib.nix",
            "nix/shop-vhost.nix",
            "nix/shop.nix"
        ]
    );
    assert_whole(Layout::Classic, dir.path(), &["shop".into(), "blog".into()], &[]);
}
