//! The Nix side, judged by `nix-instantiate`: every `.nix` file parses, and the tests in
//! `tests/nix/` (lib/ functions, the schema check against real NixOS option declarations, the
//! module's option declarations) all pass.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ has a parent directory")
        .to_path_buf()
}

/// Runs `nix-instantiate` in the repository root; a missing binary fails the test.
fn nix_instantiate(args: &[&str]) -> Output {
    Command::new("nix-instantiate").args(args).current_dir(repo_root()).output().unwrap_or_else(
        |err| {
            panic!(
                "cannot run nix-instantiate ({err}); install it with `apt-get install nix-bin` \
                 (.ci/run does this), the Nix tests need it as their oracle"
            )
        },
    )
}

/// Evaluates one attribute of `tests/nix/run.nix` to JSON text.
fn run_nix_attr(attr: &str) -> String {
    let out = nix_instantiate(&["--eval", "--strict", "--json", "tests/nix/run.nix", "-A", attr]);
    assert!(
        out.status.success(),
        "nix-instantiate --eval tests/nix/run.nix -A {attr} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("nix-instantiate prints UTF-8").trim().to_string()
}

/// Decodes the JSON string literal `nix-instantiate --json` prints for a string value.
fn json_string(text: &str) -> String {
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or_else(|| panic!("expected a JSON string, got {text}"));
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let code = u32::from_str_radix(&hex, 16).unwrap_or(0xFFFD);
                out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
            }
            Some(other) => out.push(other),
            None => break,
        }
    }
    out
}

#[test]
fn nix_tests_pass() {
    let count: u64 = run_nix_attr("tests").parse().expect("tests/nix/run.nix: `tests` is a number");
    let failed: u64 =
        run_nix_attr("failed").parse().expect("tests/nix/run.nix: `failed` is a number");
    assert!(count > 0, "tests/nix/run.nix found no tests");
    if failed > 0 {
        let report = json_string(&run_nix_attr("report"));
        panic!("{failed} of {count} Nix tests failed:\n\n{report}\n");
    }
}

/// Every `.nix` file under `dir`, skipping build output.
fn nix_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("readable directory entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                nix_files(&path, found);
            }
        } else if name.ends_with(".nix") {
            found.push(path);
        }
    }
}

#[test]
fn every_nix_file_parses() {
    let root = repo_root();
    let mut files = vec![root.join("flake.nix")];
    for dir in ["lib", "modules", "templates", "tests/nix", "tests/vm"] {
        nix_files(&root.join(dir), &mut files);
    }
    for expected in [
        "flake.nix",
        "lib/default.nix",
        "modules/nmmm.nix",
        "templates/default/flake.nix",
        "templates/monolith/default.nix",
        "tests/vm/two-monoliths.nix",
    ] {
        assert!(files.contains(&root.join(expected)), "{expected} is missing; the flake needs it");
    }

    let mut failures = Vec::new();
    for file in &files {
        let out = nix_instantiate(&["--parse", file.to_str().expect("UTF-8 path")]);
        if !out.status.success() {
            failures.push(format!(
                "{}:\n{}",
                file.strip_prefix(&root).unwrap_or(file).display(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} .nix files do not parse:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// The tool and the Nix library accept exactly the same monolith names.
#[test]
fn the_tool_and_lib_agree_on_names() {
    let names = [
        "shop",
        "my-shop2",
        "a",
        "Shop",
        "2shop",
        "shop_1",
        "shop-",
        "-shop",
        "root",
        "postgres",
        "nginx",
        "pg-x",
        "systemd-x",
        "sshd",
        "acme",
        "nobody",
        "postgresql-setup",
        "x".repeat(32).as_str(),
        "x".repeat(33).as_str(),
        "sh.op",
        "",
    ]
    .map(str::to_owned);
    let list = names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(" ");
    let expr = format!(
        "let lib = import {}/lib; in map (n: lib.nameProblem n == null) [ {list} ]",
        repo_root().display()
    );
    let out = Command::new("nix-instantiate")
        .args(["--eval", "--strict", "--json", "-E", &expr])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let nix: Vec<bool> = serde_json::from_slice(&out.stdout).unwrap();
    for (name, nix_accepts) in names.iter().zip(nix) {
        let tool_accepts = xtask::monolith::names::check_name(name).is_ok();
        assert_eq!(
            tool_accepts, nix_accepts,
            "{name:?}: the tool says {tool_accepts}, lib says {nix_accepts}"
        );
    }
}
