//! What a machine repository holds, as the workflows see it: its monoliths and its hosts,
//! whatever the layout they were read from.

use std::path::PathBuf;

/// A place in a file: `FILE:LINE` in messages (1-based), with the column for `check`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Place {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Monolith {
    /// The attribute name, also the systemd unit's name.
    pub name: String,
    pub domain: Option<String>,
    pub port: Option<u16>,
    /// Whether it has a PostgreSQL database and role.
    pub database: bool,
    /// The host it is pinned to, when the repository says.
    pub host: Option<String>,
    /// The files that are the monolith's own (module, vhost file, source folder), relative to
    /// the repository's root.
    pub files: Vec<PathBuf>,
    /// Where it is declared.
    pub place: Place,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Host {
    /// The name of its NixOS configuration (`nixosConfigurations.<name>`, colmena's node).
    pub name: String,
    /// Where to reach it over SSH: a host name or address.
    pub address: String,
    /// The SSH user: `root` unless the repository says otherwise.
    pub user: String,
    /// How many monoliths it may hold, when limited.
    pub capacity: Option<u32>,
    pub place: Place,
}

/// How the machine's configuration is built.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Build {
    /// A flake: `nixos-rebuild --flake .#HOST`, colmena's `colmenaHive` for fleets.
    Flake,
    /// A plain NixOS entry file: `NIXOS_CONFIG=FILE nixos-rebuild ...`.
    Classic { entry: PathBuf },
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Inventory {
    /// The repository's root, absolute.
    pub root: PathBuf,
    pub build: Build,
    pub monoliths: Vec<Monolith>,
    pub hosts: Vec<Host>,
}
