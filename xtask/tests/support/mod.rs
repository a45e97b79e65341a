//! What the integration tests share: the real Nix oracle, temp copies, running the CLI.
#![allow(dead_code)]

pub mod machine;
pub mod servers;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The repository's root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// A fresh temporary directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        TempDir::new_in(&std::env::temp_dir(), label)
    }

    /// One that `nobody` can reach, for PostgreSQL run as `nobody` by root: under /tmp, whatever
    /// TMPDIR is.
    pub fn for_servers(label: &str) -> TempDir {
        TempDir::new_in(Path::new("/tmp"), label)
    }

    fn new_in(parent: &Path, label: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!("nmmm-{label}-{}-{n}", std::process::id()));
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
    let out =
        nix_instantiate().args(["--eval", "--strict", "--json", "-E", expr]).output().unwrap();
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

/// The value the edited file must evaluate to, or `None` when the argument does not evaluate
/// on its own (it names variables of the file).
/// The value a file must evaluate to after the operation `op` at `attrpath`, given the file's
/// value before and the argument with its value (for `set` and `add`).
pub fn expected_value(
    op: &str,
    attrpath: &str,
    argument: &str,
    evaluated: Option<Value>,
    mut value: Value,
) -> Option<Value> {
    let path = parse_path(attrpath);
    let (last, parents) = path.split_last().unwrap();
    let mut slot = &mut value;
    for key in parents {
        slot =
            slot.as_object_mut()?.entry(key.clone()).or_insert(Value::Object(Default::default()));
    }
    let set = slot.as_object_mut()?;
    match op {
        "set" => {
            set.insert(last.clone(), evaluated?);
        }
        "rm" => {
            set.remove(last);
        }
        "add" => {
            let list = set.entry(last.clone()).or_insert(Value::Array(vec![]));
            let element = evaluated?;
            let items = list.as_array_mut()?;
            if !items.contains(&element) {
                items.push(element);
            }
        }
        "add-line" => {
            let string = set.entry(last.clone()).or_insert(Value::String(String::new()));
            let Value::String(s) = string else {
                return None;
            };
            if !s.lines().any(|l| l.trim() == argument.trim()) {
                s.push_str(argument);
                s.push('\n');
            }
        }
        _ => return None,
    }
    // Parents emptied by a removal stay, empty.
    Some(value)
}

pub fn parse_path(path: &str) -> Vec<String> {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in path.chars() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => segments.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    segments.push(current);
    segments
}

/// `nix-instantiate --parse` of many files in one run: each file's expression, parenthesised, as
/// an element of one list (an expression parses alone exactly when it parses there). On failure,
/// the files are parsed one by one to name the culprit and its complaint.
pub fn nix_parse_all(files: &[(String, PathBuf)]) -> Result<(), String> {
    let dir = TempDir::new("parse-all");
    let mut all = String::from("[\n");
    for (_, path) in files {
        all.push_str("(\n");
        all.push_str(&std::fs::read_to_string(path).unwrap());
        all.push_str("\n)\n");
    }
    all.push_str("]\n");
    let batch = dir.path().join("all.nix");
    std::fs::write(&batch, all).unwrap();
    if nix_parse_file(&batch).is_ok() {
        return Ok(());
    }
    for (what, path) in files {
        nix_parse_file(path).map_err(|e| format!("{what}: Nix rejects the result: {e}"))?;
    }
    Err("the files parse one by one but not together".to_owned())
}

/// A unified diff of two texts, for messages.
pub fn diff(expected: &str, got: &str) -> String {
    similar::TextDiff::from_lines(expected, got)
        .unified_diff()
        .header("expected", "got")
        .to_string()
}

/// The tokens of a Nix text, whitespace aside (and braces, with `no_braces`).
pub fn tokens(text: &str, no_braces: bool) -> Vec<String> {
    use rnix::SyntaxKind::*;
    rnix::tokenize(text)
        .filter(|(kind, _)| *kind != TOKEN_WHITESPACE)
        .filter(|(kind, _)| !(no_braces && matches!(kind, TOKEN_L_BRACE | TOKEN_R_BRACE)))
        .map(|(_, token)| token.to_owned())
        .collect()
}

/// Whether `short` is `long` with some tokens left out.
pub fn is_subsequence(short: &[String], long: &[String]) -> bool {
    let mut long = long.iter();
    short.iter().all(|token| long.any(|t| t == token))
}

/// Whether an edit of kind `op` changed `before` into `after` as such an edit may: one region
/// changed; a line added removes nothing; an element added removes no token (it may break a
/// one-line list over lines); a removal adds no token but the braces of a set it leaves empty.
pub fn edit_kind_holds(op: &str, before: &str, after: &str) -> Result<(), String> {
    let prefix = before.bytes().zip(after.bytes()).take_while(|(a, b)| a == b).count();
    let prefix = (0..=prefix).rev().find(|&i| before.is_char_boundary(i)).unwrap();
    let suffix = before[prefix..]
        .bytes()
        .rev()
        .zip(after[prefix..].bytes().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let suffix = (0..=suffix).rev().find(|&i| before.is_char_boundary(before.len() - i)).unwrap();
    let removed = &before[prefix..before.len() - suffix];
    let holds = match op {
        "add-line" => removed.is_empty(),
        "add" => is_subsequence(&tokens(before, false), &tokens(after, false)),
        "rm" => is_subsequence(&tokens(after, true), &tokens(before, false)),
        _ => true,
    };
    if holds {
        Ok(())
    } else {
        Err(format!(
            "{op} changed more than it may: {removed:?} became {:?}",
            &after[prefix..after.len() - suffix]
        ))
    }
}
