//! What the integration tests share: the real Nix oracle, temp copies, running the CLI.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// A fresh temporary directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("nmmm-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copies the directory tree `from` into `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs the tool (`cargo xtask ARGS`) in `dir`, with no terminal and no colour.
pub fn xtask(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the xtask binary runs")
}

fn nix_instantiate() -> Command {
    // The oracle is required: a missing Nix must fail the test, never skip it.
    if Command::new("nix-instantiate").arg("--version").output().is_err() {
        panic!(
            "nix-instantiate is missing: install Debian's nix-bin \
             (apt-get install -y nix-bin), as .ci/run does"
        );
    }
    Command::new("nix-instantiate")
}

/// `nix-instantiate --parse` of a file: Ok, or the parser's complaint.
pub fn nix_parse_file(path: &Path) -> Result<(), String> {
    let out = nix_instantiate().arg("--parse").arg(path).output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// `nix-instantiate --parse` of a text (a file's content or a fragment).
pub fn nix_parse_text(text: &str) -> Result<(), String> {
    let dir = TempDir::new("parse");
    let file = dir.path().join("input.nix");
    std::fs::write(&file, text).unwrap();
    nix_parse_file(&file)
}

/// `nix-instantiate --eval --strict --json` of a file.
pub fn nix_eval_file(path: &Path) -> Result<serde_json::Value, String> {
    let out = nix_instantiate().args(["--eval", "--strict", "--json"]).arg(path).output().unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).expect("nix prints JSON"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// `nix-instantiate --eval --strict --json -E EXPR`.
pub fn nix_eval_expr(expr: &str) -> Result<serde_json::Value, String> {
    let out = nix_instantiate().args(["--eval", "--strict", "--json", "-E", expr]).output().unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).expect("nix prints JSON"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// What a CLI run printed, as a snapshot shows it.
pub fn transcript(out: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().map_or("signal".to_owned(), |c| c.to_string()),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
