//! The machine repository: its hosts read through [`crate::host`] (one general model, whatever
//! the repository's layout), their sites as the workflows see them ([`Inventory`]), and the
//! shape new monoliths take in it ([`Layout`]):
//!
//! - module: `nmmm.monoliths.<name> = { ... }` entries for NMMM's NixOS module (a repository made
//!   from `templates/default`);
//! - classic: the hand-written layout of the original blog post (`tests/fixtures/seed-nmmm`): an
//!   entry file importing one module per monolith and folding one vhost file per monolith into
//!   `services.nginx.virtualHosts`, database users in `initialScript`, ports and domains in a file
//!   of their own;
//! - adopted: any other host, whose monoliths are written in its own shape ([`adopted`]).
//!
//! This layer reads through the evaluator and the engine's typed reads; it never touches syntax
//! trees.

pub mod adopted;
pub mod classic;
pub mod config;
mod model;
mod module;
pub mod scan;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use adopted::AdoptedLayout;
pub use classic::{ClassicLayout, ClassicMonolith};
pub use config::Config;
pub use model::{Build, Host, Inventory, Kind, Monolith, Place, Unresolved};
pub use module::ModuleLayout;
pub use scan::SourceFile;

use crate::cli::LineIndex;
use crate::edit::NixFile;
use crate::eval::Value;
use crate::host::{self, sites, Upstream};

pub enum Layout {
    Module(ModuleLayout),
    Classic(ClassicLayout),
    Adopted(Box<AdoptedLayout>),
}

pub struct Repo {
    pub root: PathBuf,
    pub config: Config,
    pub files: BTreeMap<PathBuf, SourceFile>,
    /// The module files several hosts of the repository import (`hosts/common.nix`).
    pub shared: BTreeSet<PathBuf>,
    /// The hosts read, and what each serves.
    pub hosts: Vec<(host::Host, sites::Sites)>,
    pub layout: Layout,
    pub inventory: Inventory,
}

/// Why a repository could not be read.
#[derive(Debug)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The repository holding `dir`: the nearest ancestor with `nmmm.toml`, `flake.nix`, `.git` or
/// a makefile, or `dir` itself.
pub fn find_root(dir: &Path) -> PathBuf {
    const MARKERS: &[&str] = &[config::FILE_NAME, "flake.nix", ".git", "makefile", "Makefile"];
    dir.ancestors().find(|d| MARKERS.iter().any(|m| d.join(m).exists())).unwrap_or(dir).to_owned()
}

/// Reads the repository at `root`, every host of it.
pub fn load(root: &Path) -> Result<Repo, LoadError> {
    load_host(root, None)
}

/// Reads the repository at `root`; with `only`, that host of it.
pub fn load_host(root: &Path, only: Option<&str>) -> Result<Repo, LoadError> {
    let root = root.canonicalize().map_err(|e| LoadError(format!("{}: {e}", root.display())))?;
    let config = config::read(&root).map_err(LoadError)?;
    let files = scan::nix_files(&root);
    let mut hosts = host::hosts(&root, config.entry.as_deref()).map_err(|e| LoadError(e.0))?;
    // The module files more than one host imports: none of them is one host's own.
    let mut importers: BTreeMap<PathBuf, usize> = BTreeMap::new();
    for h in &hosts {
        let own: BTreeSet<PathBuf> = h.imported.iter().map(|(f, _)| h.ev.relative(*f)).collect();
        for file in own {
            *importers.entry(file).or_default() += 1;
        }
    }
    let shared: BTreeSet<PathBuf> =
        importers.into_iter().filter(|(_, n)| *n > 1).map(|(f, _)| f).collect();
    if let Some(name) = only {
        let names: Vec<String> = hosts.iter().map(|h| h.name.clone()).collect();
        hosts.retain(|h| h.name == name);
        if hosts.is_empty() {
            return Err(LoadError(format!(
                "--host {name}: the repository has no such host; it has: {}",
                names.join(", ")
            )));
        }
    }
    let hosts: Vec<(host::Host, sites::Sites)> = hosts
        .into_iter()
        .map(|h| {
            let s = sites::read(&h);
            (h, s)
        })
        .collect();
    let build = if root.join("flake.nix").exists() {
        Build::Flake
    } else {
        Build::Classic {
            entry: hosts.first().and_then(|(h, _)| h.entry.clone()).unwrap_or_default(),
        }
    };
    let monoliths = monoliths(&root, &files, &hosts);
    let inventory_hosts = inventory_hosts(&root, &files, &config, &hosts);
    let layout = match module::detect(&files, &config, &hosts)? {
        Some(module) => Layout::Module(module),
        None => match classic::detect(&files, &config, &hosts) {
            Some(classic) => Layout::Classic(classic),
            None => {
                Layout::Adopted(Box::new(AdoptedLayout::detect(&root, &files, &hosts, &shared)))
            }
        },
    };
    let inventory = Inventory { root: root.clone(), build, monoliths, hosts: inventory_hosts };
    Ok(Repo { root, config, files, hosts, shared, layout, inventory })
}

impl Repo {
    /// The parsed file at `path` (relative to the root), when it parses.
    pub fn nix(&self, path: &Path) -> Option<&NixFile> {
        self.files.get(path).and_then(|f| f.parsed.as_ref().ok())
    }

    /// The files the hosts are made of (every file they import or read), relative to the root.
    pub fn host_files(&self) -> BTreeSet<PathBuf> {
        let mut all = BTreeSet::new();
        for (host, _) in &self.hosts {
            for file in host.ev.files() {
                if let Ok(relative) = file.path.strip_prefix(&self.root) {
                    all.insert(relative.to_owned());
                }
            }
        }
        all
    }

    /// The one host of the repository, or the one `--host` chose; an error naming them when
    /// there are several.
    pub fn single_host(&self) -> Result<&(host::Host, sites::Sites), String> {
        match self.hosts.as_slice() {
            [one] => Ok(one),
            [] => Err("the repository has no host".into()),
            many => Err(format!(
                "the repository has several hosts: say which with --host ({})",
                many.iter().map(|(h, _)| h.name.as_str()).collect::<Vec<_>>().join(", ")
            )),
        }
    }
}

pub(crate) fn place_in(files: &BTreeMap<PathBuf, SourceFile>, path: &Path, offset: usize) -> Place {
    let (line, col) = files
        .get(path)
        .map_or((1, 1), |f| LineIndex::new(&f.text).line_col((offset as u32).into()));
    Place { file: path.to_owned(), line, col }
}

/// A place the evaluator knows, as the model writes it.
pub(crate) fn place_of(host: &host::Host, place: crate::eval::Place) -> Place {
    let (file, line, col) = host.ev.line_of(place);
    Place { file, line, col }
}

/// A path of attribute names from literal segments.
pub(crate) fn attrpath(segments: &[&str]) -> Vec<String> {
    segments.iter().map(|s| (*s).to_owned()).collect()
}

/// Every site of every host, as the workflows see them: NMMM's monoliths once for the whole
/// fleet, hand-written sites on their host.
fn monoliths(
    root: &Path,
    files: &BTreeMap<PathBuf, SourceFile>,
    hosts: &[(host::Host, sites::Sites)],
) -> Vec<Monolith> {
    let mut all: Vec<Monolith> = Vec::new();
    for (host, sites) in hosts {
        for site in &sites.sites {
            let mut defined: Vec<Place> = site.places.iter().map(|p| place_of(host, *p)).collect();
            // A monolith is its unit: that is where it is declared.
            if let Upstream::Systemd(unit) = &site.upstream {
                if let Some(at) =
                    host.definitions(&["systemd", "services", unit]).first().and_then(|d| d.place)
                {
                    let at = place_of(host, at);
                    defined.retain(|p| *p != at);
                    defined.insert(0, at);
                }
            }
            let place = defined.first().cloned().unwrap_or_else(|| {
                place_in(files, host.entry.as_deref().unwrap_or(Path::new("")), 0)
            });
            let (kind, name) = match (&site.kind, &site.upstream) {
                (sites::Kind::Nmmm, _) => (Kind::Nmmm, site.key.clone()),
                (_, Upstream::Systemd(unit)) => (Kind::Monolith, unit.clone()),
                (_, Upstream::Module(service)) => {
                    // `services.authelia.instances.main`: `authelia-main`.
                    let service = service.strip_prefix("services.").unwrap_or(service);
                    (Kind::Service, service.replace(".instances.", ".").replace('.', "-"))
                }
                (_, Upstream::Container(name)) => (Kind::Container, name.clone()),
                (_, Upstream::Unknown) => {
                    let domain = site.domain.as_deref().unwrap_or(&site.key);
                    (Kind::Unknown, domain.split('.').next().unwrap_or(domain).to_owned())
                }
            };
            if kind == Kind::Nmmm && all.iter().any(|m| m.kind == Kind::Nmmm && m.name == name) {
                // The same entry, read by each host of a fleet.
                continue;
            }
            let (files_of, host_of) = match kind {
                Kind::Nmmm => {
                    (nmmm_source(root, host, &name).into_iter().collect(), nmmm_pin(host, &name))
                }
                _ => {
                    let mut own: Vec<PathBuf> = Vec::new();
                    for p in &defined {
                        if !own.contains(&p.file) {
                            own.push(p.file.clone());
                        }
                    }
                    (own, Some(host.name.clone()))
                }
            };
            all.push(Monolith {
                name,
                kind,
                domain: site.domain.clone(),
                aliases: site.aliases.clone(),
                path: site.path.clone(),
                port: site.port,
                socket: site.socket.clone(),
                upstream: site.upstream.to_string(),
                database: site.database.clone(),
                host: host_of,
                files: files_of,
                defined,
                unresolved: site
                    .unresolved
                    .iter()
                    .map(|(what, at)| Unresolved {
                        what: what.clone(),
                        at: at.map(|p| place_of(host, p)),
                    })
                    .collect(),
                place,
            });
        }
    }
    distinct_names(&mut all);
    all
}

/// Sites that are not monoliths but would share a name on a host (two vhosts of one service, a
/// host's sub-paths) take their path or their domain's first label after it: `minio-s3-web`,
/// `hindberige-sabnzbd`. A monolith's name is its unit's, as it is.
fn distinct_names(all: &mut [Monolith]) {
    let renamed = |m: &Monolith| matches!(m.kind, Kind::Service | Kind::Container | Kind::Unknown);
    let shared = |all: &[Monolith], i: usize| {
        all.iter()
            .enumerate()
            .any(|(j, m)| j != i && m.name == all[i].name && m.host == all[i].host)
    };
    let clashing: Vec<usize> =
        (0..all.len()).filter(|&i| renamed(&all[i]) && shared(all, i)).collect();
    for &i in &clashing {
        let m = &all[i];
        let label = m.domain.as_deref().and_then(|d| d.split('.').next()).unwrap_or("");
        let suffix = if m.path != "/" {
            m.path.trim_matches('/').replace(['/', '.'], "-")
        } else if label != m.name {
            label.to_owned()
        } else {
            continue;
        };
        all[i].name = format!("{}-{suffix}", m.name);
    }
    // Still the same: numbered, in order.
    for i in 0..all.len() {
        if renamed(&all[i]) && shared(all, i) {
            let base = all[i].name.clone();
            let mut n = 2;
            while shared(all, i) {
                all[i].name = format!("{base}-{n}");
                n += 1;
            }
        }
    }
}

/// The source folder of an NMMM monolith: `./shop` of `package = pkgs.callPackage ./shop { };`.
fn nmmm_source(root: &Path, host: &host::Host, name: &str) -> Option<PathBuf> {
    let package = host.config(&["nmmm", "monoliths", name, "package"]);
    let Value::Set(package) = package else { return None };
    match host.ev.force_plain(package.get("__nmmmPackage")?) {
        Value::Path(p) => {
            let p = p.strip_prefix(root).ok()?.to_owned();
            // A folder of its own, not a file beside others.
            Some(if p.extension().is_some_and(|e| e == "nix") {
                p.parent().map(Path::to_owned).unwrap_or(p)
            } else {
                p
            })
        }
        _ => None,
    }
}

/// `nmmm.monoliths.<name>.host`, the pin of a monolith in a fleet.
fn nmmm_pin(host: &host::Host, name: &str) -> Option<String> {
    // A pin is only ever written literally: a default of the module is no pin.
    let defs = host.definitions(&["nmmm", "monoliths", name, "host"]);
    defs.first().and_then(|d| host.ev.force_plain(&d.value).as_str().map(str::to_owned))
}

/// Where deploys reach the hosts: a fleet's `nmmm.hosts`, or each host, at the address
/// `nmmm.toml` gives, the makefile's `--target-host`, or its name.
fn inventory_hosts(
    root: &Path,
    files: &BTreeMap<PathBuf, SourceFile>,
    config: &Config,
    hosts: &[(host::Host, sites::Sites)],
) -> Vec<Host> {
    let mut declared: Vec<Host> = Vec::new();
    for (host, _) in hosts {
        let Value::Set(fleet) = host.config(&["nmmm", "hosts"]) else { continue };
        for name in fleet.names() {
            if declared.iter().any(|h| h.name == name) {
                continue;
            }
            let field = |key: &str| host.config(&["nmmm", "hosts", name, key]);
            let configured = config.hosts.get(name);
            let place = fleet
                .place(name)
                .map(|p| place_of(host, p))
                .unwrap_or_else(|| place_in(files, Path::new("flake.nix"), 0));
            declared.push(Host {
                name: name.to_owned(),
                address: field("address")
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| configured.and_then(|c| c.address.clone()))
                    .unwrap_or_else(|| name.to_owned()),
                user: field("user")
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| configured.and_then(|c| c.user.clone()))
                    .unwrap_or_else(|| "root".to_owned()),
                capacity: field("capacity").as_int().and_then(|c| u32::try_from(c).ok()),
                place,
            });
        }
    }
    if !declared.is_empty() {
        return declared;
    }
    let target = if hosts.len() == 1 { classic::makefile_target(root) } else { None };
    hosts
        .iter()
        .map(|(host, _)| {
            let configured = config.hosts.get(&host.name);
            let (make_user, make_address) = target.clone().unzip();
            Host {
                name: host.name.clone(),
                address: configured
                    .and_then(|c| c.address.clone())
                    .or(make_address)
                    .unwrap_or_else(|| host.name.clone()),
                user: configured
                    .and_then(|c| c.user.clone())
                    .or(make_user)
                    .unwrap_or_else(|| "root".to_owned()),
                capacity: None,
                place: place_in(files, host.entry.as_deref().unwrap_or(Path::new("")), 0),
            }
        })
        .collect()
}
