//! The CLI as a person at a terminal meets it: the question before writing, colour, and files
//! that keep their mode. A real pseudo-terminal comes from util-linux's `script`.

mod support;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use support::{xtask, TempDir};

/// Runs `xtask ARGS` on a pseudo-terminal, typing `input`; returns what the terminal showed.
fn on_terminal(dir: &TempDir, args: &str, input: &str, no_color: bool) -> String {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_xtask"));
    let mut child = Command::new("script")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .current_dir(dir.path())
        .env_remove("NO_COLOR")
        .envs(no_color.then_some(("NO_COLOR", "1")))
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux's script runs (apt-get install bsdutils)");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn on_a_terminal_the_tool_asks_and_writes_only_on_yes() {
    let dir = TempDir::new("tty");
    let file = dir.path().join("a.nix");
    fs::write(&file, "{ a = 1; }\n").unwrap();

    let shown = on_terminal(&dir, "nix set a.nix b 2", "n\n", false);
    assert!(shown.contains("Write these changes? [y/N]"), "{shown}");
    assert!(shown.contains("\x1b[32m+{ a = 1; b = 2; }"), "no green added line: {shown:?}");
    assert_eq!(fs::read_to_string(&file).unwrap(), "{ a = 1; }\n");

    let shown = on_terminal(&dir, "nix set a.nix b 2", "y\n", true);
    assert!(!shown.contains("\x1b["), "colour despite NO_COLOR: {shown:?}");
    assert!(shown.contains("+{ a = 1; b = 2; }"), "{shown}");
    assert_eq!(fs::read_to_string(&file).unwrap(), "{ a = 1; b = 2; }\n");
}

#[test]
fn a_written_file_keeps_its_mode_and_no_temporary_file_is_left() {
    let dir = TempDir::new("mode");
    let file = dir.path().join("a.nix");
    fs::write(&file, "{ a = 1; }\n").unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
    let out = xtask(dir.path(), &["nix", "set", "a.nix", "b", "2", "--yes"]);
    assert!(out.status.success());
    assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o640);
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["a.nix"]);
}
