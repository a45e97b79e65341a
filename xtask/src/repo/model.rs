//! What a machine repository holds, as the workflows see it: its sites (NMMM's monoliths among
//! them) and its hosts, however the repository writes them.

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

/// Who serves a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An `nmmm.monoliths.<name>` entry: NMMM's module makes its service and vhost.
    Nmmm,
    /// A hand-written site served by a systemd unit of the repository's own: what NMMM calls a
    /// monolith.
    Monolith,
    /// A NixOS module's service (gitea, grafana, ...).
    Service,
    /// An OCI container.
    Container,
    /// What serves it could not be found.
    Unknown,
}

/// Something that could not be read, and where the tool stopped following it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unresolved {
    pub what: String,
    pub at: Option<Place>,
}

/// A site: a domain (and a location) served by nginx from a service of the machine.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Monolith {
    /// The monolith's or the unit's name, the module service's or the container's.
    pub name: String,
    pub kind: Kind,
    pub domain: Option<String>,
    pub aliases: Vec<String>,
    /// Its nginx location: `/`, or the sub-path it is mounted on.
    pub path: String,
    pub port: Option<u16>,
    /// The unix socket nginx reaches it at, instead of a port.
    pub socket: Option<String>,
    /// What serves it: `systemd:<unit>`, `module:services.<name>`, `container:<name>`, `unknown`.
    pub upstream: String,
    /// Its PostgreSQL database.
    pub database: Option<String>,
    /// The host it runs on: its pin or its host's name.
    pub host: Option<String>,
    /// The files that are its own (for a monolith of NMMM's, its source folder), relative to the
    /// repository's root.
    pub files: Vec<PathBuf>,
    /// Where it is written: its vhost, its service.
    pub defined: Vec<Place>,
    /// What of it could not be read.
    pub unresolved: Vec<Unresolved>,
    /// Where it is declared.
    pub place: Place,
}

impl Monolith {
    /// Whether it is a monolith NMMM manages or recognises (an entry of its module, or a unit of
    /// the repository's own): sites of other services are listed, not managed.
    pub fn is_monolith(&self) -> bool {
        matches!(self.kind, Kind::Nmmm | Kind::Monolith)
    }
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
