//! The classic layout of the original blog post, adopted as it is:
//!
//! - an entry file (`nix/hetzner/configuration.nix`) whose `imports` name one module per
//!   monolith, each defining `systemd.services.<name>`;
//! - `services.nginx.virtualHosts` folding one vhost file per monolith from a list;
//! - database users in `services.postgresql.initialScript`;
//! - ports and domains in a file of literals (`nix/lib.nix`: `massapp_port`, `massappDomain`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::scan::resolve;
use super::{attrpath, config, place_in, Config, Host, LoadError, Monolith, SourceFile};
use crate::edit::{read_list, read_string_lines, Node, Value};

pub struct ClassicLayout {
    pub entry: PathBuf,
    /// The file of ports and domains, when there is one.
    pub ports_file: Option<PathBuf>,
    pub monoliths: Vec<ClassicMonolith>,
    pub host_name: String,
}

pub struct ClassicMonolith {
    pub name: String,
    /// Its module, relative to the root, and the path as the entry's `imports` writes it.
    pub module: PathBuf,
    pub import: String,
    /// Its vhost file and the path as the fold list writes it.
    pub vhost: Option<(PathBuf, String)>,
    /// Its keys in the ports file.
    pub port_key: Option<String>,
    pub domain_key: Option<String>,
    /// Its database role, as `initialScript` names it, and the lines that mention it.
    pub role: Option<String>,
    pub script_lines: Vec<String>,
}

pub const IMPORTS: &[&str] = &["imports"];
pub const VHOSTS: &[&str] = &["services", "nginx", "virtualHosts"];
pub const INITIAL_SCRIPT: &[&str] = &["services", "postgresql", "initialScript"];

pub(super) fn detect(
    files: &BTreeMap<PathBuf, SourceFile>,
    config: &Config,
) -> Result<Option<ClassicLayout>, LoadError> {
    let entry = match &config.entry {
        Some(entry) => {
            if !files.contains_key(entry) {
                return Err(LoadError(format!(
                    "{}: entry = {:?} is not a .nix file of the repository",
                    config::FILE_NAME,
                    entry.display().to_string()
                )));
            }
            entry.clone()
        }
        None => {
            let candidates: Vec<&PathBuf> = files
                .iter()
                .filter(|(_, f)| {
                    top(f).is_some_and(|t| {
                        matches!(t.get("imports").map(|n| &n.value), Some(Value::List(_)))
                            && t.at(&attrpath(VHOSTS)).is_some()
                    })
                })
                .map(|(p, _)| p)
                .collect();
            match candidates.as_slice() {
                [] => return Ok(None),
                [one] => (*one).clone(),
                many => {
                    let list: Vec<String> =
                        many.iter().map(|p| format!("  {}", p.display())).collect();
                    return Err(LoadError(format!(
                        "several files look like the machine's entry file:\n{}\n\
                         Say which in {} at the repository's root, e.g.:\n  entry = {:?}",
                        list.join("\n"),
                        config::FILE_NAME,
                        many[0].display().to_string()
                    )));
                }
            }
        }
    };
    let entry_file = files[&entry].parsed.as_ref().map_err(|err| {
        LoadError(format!("{}: the entry file does not parse: {err}", entry.display()))
    })?;
    let entry_dir = entry.parent().unwrap_or(Path::new("")).to_owned();
    let entry_top = files[&entry].top.as_ref().ok_or_else(|| {
        LoadError(format!(
            "{}: the entry file's top level is not an attribute set",
            entry.display()
        ))
    })?;

    let paths = |segments: &[&str]| -> Vec<(PathBuf, String)> {
        read_list(entry_file, attrpath(segments))
            .ok()
            .flatten()
            .unwrap_or_default()
            .iter()
            .filter_map(|item| match &item.value {
                Value::Path(p) => resolve(&entry_dir, p).map(|r| (r, p.clone())),
                _ => None,
            })
            .collect()
    };
    let imports = paths(IMPORTS);
    let vhost_files = paths(VHOSTS);
    let script: Vec<String> = read_string_lines(entry_file, attrpath(INITIAL_SCRIPT))
        .ok()
        .flatten()
        .unwrap_or_default()
        .into_iter()
        .map(|(line, _)| line)
        .collect();

    let mut monoliths = Vec::new();
    for (module, import) in imports {
        let Some(services) = files
            .get(&module)
            .and_then(top)
            .and_then(|t| t.at(&attrpath(&["systemd", "services"])).cloned())
        else {
            continue;
        };
        let Some((name, _)) = services.entries().first() else {
            continue;
        };
        let vhost = vhost_files.iter().find(|(p, _)| file_stem_mentions(p, name)).cloned();
        let role = database_role(&script, name);
        let script_lines = role
            .as_ref()
            .map(|role| script.iter().filter(|l| tokens(l).any(|t| t == role)).cloned().collect())
            .unwrap_or_default();
        monoliths.push(ClassicMonolith {
            name: name.clone(),
            module,
            import,
            vhost,
            port_key: None,
            domain_key: None,
            role,
            script_lines,
        });
    }

    let ports_file = match &config.ports_file {
        Some(p) => Some(p.clone()),
        None => find_ports_file(files, &monoliths),
    };
    if let Some(top) = ports_file.as_ref().and_then(|p| files.get(p)).and_then(top) {
        for m in &mut monoliths {
            m.port_key = key_for(top, &m.name, |n| matches!(n.value, Value::Int(_)));
            m.domain_key = key_for(top, &m.name, |n| n.as_str().is_some_and(|s| s.contains('.')));
        }
    }
    let host_name = entry_top
        .at(&attrpath(&["networking", "hostName"]))
        .and_then(Node::as_str)
        .map(str::to_owned)
        .or_else(|| entry_dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "machine".to_owned());
    Ok(Some(ClassicLayout { entry, ports_file, monoliths, host_name }))
}

fn top(file: &SourceFile) -> Option<&Node> {
    file.top.as_ref()
}

fn file_stem_mentions(path: &Path, name: &str) -> bool {
    path.file_stem()
        .is_some_and(|s| s.to_string_lossy().to_lowercase().contains(&name.to_lowercase()))
}

/// Words of a SQL line: identifiers and keywords.
pub fn tokens(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|t| !t.is_empty())
}

/// The role of monolith `name` in `initialScript`: the identifier that starts with its name
/// (`massapp_prod` for `massapp`).
fn database_role(script: &[String], name: &str) -> Option<String> {
    let stem = name.replace('-', "_");
    script.iter().flat_map(|l| tokens(l)).find(|t| t.starts_with(&stem)).map(str::to_owned)
}

/// The file of literal ports and domains: only literals, and keys naming the monoliths.
fn find_ports_file(
    files: &BTreeMap<PathBuf, SourceFile>,
    monoliths: &[ClassicMonolith],
) -> Option<PathBuf> {
    files
        .iter()
        .filter_map(|(path, f)| Some((path, top(f)?)))
        .filter(|(_, t)| {
            !t.entries().is_empty()
                && t.entries().iter().all(|(_, n)| matches!(n.value, Value::Int(_) | Value::Str(_)))
                && monoliths.iter().any(|m| key_for(t, &m.name, |_| true).is_some())
        })
        .map(|(p, _)| p.clone())
        .next()
}

fn key_for(top: &Node, name: &str, kind: impl Fn(&Node) -> bool) -> Option<String> {
    let stem = name.replace('-', "_").to_lowercase();
    top.entries()
        .iter()
        .find(|(k, n)| k.to_lowercase().replace('-', "_").starts_with(&stem) && kind(n))
        .map(|(k, _)| k.clone())
}

impl ClassicLayout {
    pub(super) fn read(
        &self,
        root: &Path,
        files: &BTreeMap<PathBuf, SourceFile>,
        config: &Config,
    ) -> (Vec<Monolith>, Vec<Host>) {
        let ports = self.ports_file.as_ref().and_then(|p| files.get(p)).and_then(top);
        let value =
            |key: &Option<String>| key.as_ref().and_then(|k| ports.as_ref()?.get(k).cloned());
        let monoliths = self
            .monoliths
            .iter()
            .map(|m| {
                let entry_top = files.get(&m.module).and_then(top);
                let start = entry_top
                    .and_then(|t| {
                        t.at(&attrpath(&["systemd", "services", &m.name])).map(|n| n.range.start)
                    })
                    .unwrap_or(0);
                Monolith {
                    name: m.name.clone(),
                    domain: value(&m.domain_key).and_then(|n| n.as_str().map(str::to_owned)),
                    port: value(&m.port_key)
                        .and_then(|n| n.as_int())
                        .and_then(|p| u16::try_from(p).ok()),
                    database: m.role.is_some(),
                    host: None,
                    files: std::iter::once(m.module.clone())
                        .chain(m.vhost.iter().map(|(p, _)| p.clone()))
                        .collect(),
                    place: place_in(files, &m.module, start),
                }
            })
            .collect();
        let configured = config.hosts.get(&self.host_name);
        let (make_user, make_address) = makefile_target(root).unzip();
        let host = Host {
            name: self.host_name.clone(),
            address: configured
                .and_then(|c| c.address.clone())
                .or(make_address)
                .unwrap_or_else(|| self.host_name.clone()),
            user: configured
                .and_then(|c| c.user.clone())
                .or(make_user)
                .unwrap_or_else(|| "root".to_owned()),
            capacity: None,
            place: place_in(files, &self.entry, 0),
        };
        (monoliths, vec![host])
    }
}

/// `root@massapp.com` in a makefile's `--target-host root@massapp.com`.
fn makefile_target(root: &Path) -> Option<(String, String)> {
    let text =
        ["makefile", "Makefile"].iter().find_map(|n| std::fs::read_to_string(root.join(n)).ok())?;
    let after = &text[text.find("--target-host")? + "--target-host".len()..];
    let target = after.split_whitespace().next()?;
    match target.split_once('@') {
        Some((user, address)) => Some((user.to_owned(), address.to_owned())),
        None => Some(("root".to_owned(), target.to_owned())),
    }
}
