//! Commands as data: what runs, printed exactly as a shell would take it.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

/// One program run with its arguments and extra environment variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    pub env: Vec<(String, String)>,
    pub program: String,
    pub args: Vec<String>,
}

impl CommandLine {
    pub fn new(program: &str) -> CommandLine {
        CommandLine { env: Vec::new(), program: program.to_owned(), args: Vec::new() }
    }

    pub fn arg(mut self, arg: impl Into<String>) -> CommandLine {
        self.args.push(arg.into());
        self
    }

    pub fn args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> CommandLine {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, name: &str, value: impl Into<String>) -> CommandLine {
        self.env.push((name.to_owned(), value.into()));
        self
    }
}

/// `NAME=value program arg...`, each word quoted for a POSIX shell when it needs it.
impl fmt::Display for CommandLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut words = self
            .env
            .iter()
            .map(|(name, value)| format!("{name}={}", shell_quote(value)))
            .chain(std::iter::once(shell_quote(&self.program)))
            .chain(self.args.iter().map(|a| shell_quote(a)));
        if let Some(first) = words.next() {
            f.write_str(&first)?;
        }
        for word in words {
            write!(f, " {word}")?;
        }
        Ok(())
    }
}

/// `word` as one POSIX shell word: as it is when it holds nothing the shell would read, else in
/// single quotes (a quote inside becomes `'\''`).
pub fn shell_quote(word: &str) -> String {
    let plain = |(i, c): (usize, char)| {
        c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c) || (c == '#' && i > 0)
    };
    if !word.is_empty() && word.char_indices().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Where programs are looked up: the `PATH` the tool was started with, also handed to every
/// command it runs.
#[derive(Debug, Clone)]
pub struct SearchPath(pub OsString);

impl SearchPath {
    pub fn from_env() -> SearchPath {
        SearchPath(std::env::var_os("PATH").unwrap_or_default())
    }

    /// The executable `program` names, if there is one.
    pub fn find(&self, program: &str) -> Option<PathBuf> {
        std::env::split_paths(&self.0)
            .map(|dir| dir.join(program))
            .find(|candidate| is_executable(candidate))
    }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// How to get a program the deploy needs, for the error that says it is missing.
pub fn how_to_get(program: &str) -> &'static str {
    match program {
        "nixos-rebuild" => {
            "it comes with NixOS; elsewhere run `nix shell nixpkgs#nixos-rebuild` (or \
             `nix-shell -p nixos-rebuild`) and try again"
        }
        "colmena" => {
            "run `nix shell nixpkgs#colmena` (or `nix-shell -p colmena`), or add colmena to \
             your flake's devShell, and try again"
        }
        "ssh" => {
            "install OpenSSH's client (`apt-get install openssh-client`, or \
             `nix shell nixpkgs#openssh`) and try again"
        }
        _ => "install it and try again",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_the_shell_would_read_are_quoted() {
        let line = CommandLine::new("ssh")
            .env("NIXOS_CONFIG", "/srv/my machine/configuration.nix")
            .args(["root@web1", "curl -w '%{http_code}'", ".#web1", "#x", ""]);
        assert_eq!(
            line.to_string(),
            r#"NIXOS_CONFIG='/srv/my machine/configuration.nix' ssh root@web1 'curl -w '\''%{http_code}'\''' .#web1 '#x' ''"#
        );
    }
}
