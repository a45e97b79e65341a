//! The module layout: `nmmm.monoliths.<name> = { domain; port; package; ... }` entries, in one
//! file or several, and `nmmm.hosts.<host> = { address; ... }` for fleets.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{attrpath, place_in, Config, Host, LoadError, Monolith, SourceFile};
use crate::edit::Node;

pub struct ModuleLayout {
    /// Where new `nmmm.monoliths` entries go: the file that holds the most of them.
    pub monoliths_file: PathBuf,
}

pub(super) fn detect(
    files: &BTreeMap<PathBuf, SourceFile>,
    config: &Config,
) -> Result<Option<ModuleLayout>, LoadError> {
    let mut best: Option<(usize, &PathBuf)> = None;
    for (path, file) in files {
        if let Some(monoliths) = monoliths_node(file) {
            let n = monoliths.entries().len();
            if best.is_none_or(|(m, _)| n > m) {
                best = Some((n, path));
            }
        }
    }
    if let Some(file) = &config.monoliths_file {
        if !files.contains_key(file) {
            return Err(LoadError(format!(
                "nmmm.toml: monoliths_file = {:?} is not a .nix file of the repository",
                file.display().to_string()
            )));
        }
        return Ok(Some(ModuleLayout { monoliths_file: file.clone() }));
    }
    Ok(best.map(|(_, path)| ModuleLayout { monoliths_file: path.clone() }))
}

fn monoliths_node(file: &SourceFile) -> Option<Node> {
    let top = file.top.as_ref()?;
    top.at(&attrpath(&["nmmm", "monoliths"])).cloned()
}

impl ModuleLayout {
    pub(super) fn read(
        &self,
        files: &BTreeMap<PathBuf, SourceFile>,
        config: &Config,
    ) -> (Vec<Monolith>, Vec<Host>) {
        let mut monoliths = Vec::new();
        let mut hosts = Vec::new();
        for (path, file) in files {
            let Some(top) = &file.top else {
                continue;
            };
            let dir = path.parent().unwrap_or(Path::new(""));
            if let Some(node) = top.at(&attrpath(&["nmmm", "monoliths"])) {
                for (name, m) in node.entries() {
                    let source = package_folder(m).and_then(|p| super::scan::resolve(dir, &p));
                    monoliths.push(Monolith {
                        name: name.clone(),
                        domain: m.get("domain").and_then(Node::as_str).map(str::to_owned),
                        port: m
                            .get("port")
                            .and_then(Node::as_int)
                            .and_then(|p| u16::try_from(p).ok()),
                        database: m
                            .at(&attrpath(&["database", "enable"]))
                            .and_then(Node::as_bool)
                            .unwrap_or(true),
                        host: m.get("host").and_then(Node::as_str).map(str::to_owned),
                        files: source.into_iter().collect(),
                        place: place_in(files, path, m.range.start),
                    });
                }
            }
            if let Some(node) = top.at(&attrpath(&["nmmm", "hosts"])) {
                for (name, h) in node.entries() {
                    let configured = config.hosts.get(name);
                    hosts.push(Host {
                        name: name.clone(),
                        address: h
                            .get("address")
                            .and_then(Node::as_str)
                            .map(str::to_owned)
                            .or_else(|| configured.and_then(|c| c.address.clone()))
                            .unwrap_or_else(|| name.clone()),
                        user: h
                            .get("user")
                            .and_then(Node::as_str)
                            .map(str::to_owned)
                            .or_else(|| configured.and_then(|c| c.user.clone()))
                            .unwrap_or_else(|| "root".to_owned()),
                        capacity: h
                            .get("capacity")
                            .and_then(Node::as_int)
                            .and_then(|c| u32::try_from(c).ok()),
                        place: place_in(files, path, h.range.start),
                    });
                }
            }
        }
        if hosts.is_empty() {
            hosts = flake_hosts(files, config);
        }
        (monoliths, hosts)
    }
}

/// `./shop` in `package = pkgs.callPackage ./shop { };`.
fn package_folder(monolith: &Node) -> Option<String> {
    let source = monolith.get("package")?.source()?;
    let rest = &source[source.find("callPackage")? + "callPackage".len()..];
    let path = rest.split_whitespace().next()?;
    (path.starts_with("./") || path.starts_with("../"))
        .then(|| path.trim_end_matches('/').to_owned())
}

/// One host per `nixosConfigurations.<name>` of `flake.nix`, reached at the address `nmmm.toml`
/// gives, or at its name (an SSH alias).
fn flake_hosts(files: &BTreeMap<PathBuf, SourceFile>, config: &Config) -> Vec<Host> {
    let Some(flake) = files.get(Path::new("flake.nix")) else {
        return Vec::new();
    };
    let Some(top) = &flake.top else {
        return Vec::new();
    };
    let outputs = top.get("outputs").and_then(Node::body);
    let Some(node) = outputs.and_then(|o| o.get("nixosConfigurations")) else {
        return Vec::new();
    };
    node.entries()
        .iter()
        .map(|(name, n)| {
            let configured = config.hosts.get(name);
            Host {
                name: name.clone(),
                address: configured.and_then(|c| c.address.clone()).unwrap_or_else(|| name.clone()),
                user: configured.and_then(|c| c.user.clone()).unwrap_or_else(|| "root".to_owned()),
                capacity: None,
                place: place_in(files, Path::new("flake.nix"), n.range.start),
            }
        })
        .collect()
}
