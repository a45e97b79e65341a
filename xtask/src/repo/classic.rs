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
use super::{attrpath, Config, SourceFile};
use crate::edit::{read_list, read_string_lines, Node, Value};
use crate::host::{sites, Host};

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

/// The classic layout, when the host's entry file folds a literal list of vhost files into
/// `services.nginx.virtualHosts` and imports one module per monolith.
pub(super) fn detect(
    files: &BTreeMap<PathBuf, SourceFile>,
    config: &Config,
    hosts: &[(Host, sites::Sites)],
) -> Option<ClassicLayout> {
    let entry = match &config.entry {
        Some(entry) => entry.clone(),
        None => match hosts {
            [(host, _)] => host.entry.clone()?,
            _ => return None,
        },
    };
    let entry_file = files.get(&entry)?.parsed.as_ref().ok()?;
    let folds = read_list(entry_file, attrpath(VHOSTS)).ok().flatten()?;
    if !folds.iter().any(|item| matches!(item.value, Value::Path(_))) {
        return None;
    }
    let entry_dir = entry.parent().unwrap_or(Path::new("")).to_owned();
    let entry_top = files[&entry].top.as_ref()?;

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
    Some(ClassicLayout { entry, ports_file, monoliths, host_name })
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

/// `root@massapp.com` in a makefile's `--target-host root@massapp.com`.
pub(crate) fn makefile_target(root: &Path) -> Option<(String, String)> {
    let text =
        ["makefile", "Makefile"].iter().find_map(|n| std::fs::read_to_string(root.join(n)).ok())?;
    let after = &text[text.find("--target-host")? + "--target-host".len()..];
    let target = after.split_whitespace().next()?;
    match target.split_once('@') {
        Some((user, address)) => Some((user.to_owned(), address.to_owned())),
        None => Some(("root".to_owned(), target.to_owned())),
    }
}
