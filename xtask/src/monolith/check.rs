//! `cargo xtask check`: what would break a deploy or a database, found before it happens.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::cli::LineIndex;
use crate::edit::{read_list, read_string_lines, Value};
use crate::repo::classic::{INITIAL_SCRIPT, VHOSTS};
use crate::repo::scan::resolve;
use crate::repo::{attrpath, Layout, Monolith, Place, Repo};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug)]
pub struct Problem {
    pub severity: Severity,
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}:{}:{}: {kind}: {}", self.file.display(), self.line, self.col, self.message)
    }
}

impl Problem {
    /// An error about a monolith, at the place it is declared.
    fn at_monolith(m: &Monolith, message: String) -> Problem {
        let Place { file, line, col } = m.place.clone();
        Problem { severity: Severity::Error, file, line, col, message }
    }
}

pub fn check(repo: &Repo) -> Vec<Problem> {
    let mut problems = Vec::new();
    let at = |severity, file: &Path, offset: usize, message: String| {
        let text = repo.files.get(file).map_or("", |f| f.text.as_str());
        let (line, col) = LineIndex::new(text).line_col((offset as u32).into());
        Problem { severity, file: file.to_owned(), line, col, message }
    };

    // The files the hosts are made of; a file no host imports is not part of the machine.
    let host_files = repo.host_files();
    let own = || repo.files.iter().filter(|(path, _)| host_files.contains(*path));
    for (path, file) in own() {
        if let Err(err) = &file.parsed {
            let offset = err.range.map_or(0, |r| usize::from(r.start()));
            problems.push(at(Severity::Error, path, offset, format!("{err}")));
        }
    }

    clashes(repo, &mut problems);

    // What could not be read is listed with where the tool stopped.
    for m in &repo.inventory.monoliths {
        for unresolved in &m.unresolved {
            let Place { file, line, col } =
                unresolved.at.clone().unwrap_or_else(|| m.place.clone());
            problems.push(Problem {
                severity: Severity::Warning,
                file,
                line,
                col,
                message: format!(
                    "the {} of {} `{}` cannot be read without evaluating Nix",
                    unresolved.what,
                    kind_word(m),
                    m.name
                ),
            });
        }
    }

    // Paths that lead nowhere: imports, fold lists, monolith sources.
    let mut wired: BTreeSet<PathBuf> = BTreeSet::new();
    for (path, file) in own() {
        let Ok(nix) = &file.parsed else { continue };
        let dir = path.parent().unwrap_or(Path::new(""));
        for list in [&["imports"][..], VHOSTS] {
            for item in read_list(nix, attrpath(list)).ok().flatten().unwrap_or_default() {
                let Value::Path(p) = &item.value else {
                    continue;
                };
                match resolve(dir, p) {
                    Some(target) if repo.root.join(&target).exists() => {
                        wired.insert(target);
                    }
                    _ => problems.push(at(
                        Severity::Error,
                        path,
                        item.range.start,
                        format!("`{p}` does not exist"),
                    )),
                }
            }
        }
        // Unsafe database lines, wherever an initialScript is.
        for (line, range) in
            read_string_lines(nix, attrpath(INITIAL_SCRIPT)).ok().flatten().unwrap_or_default()
        {
            let upper = line.to_uppercase();
            if upper.contains("SUPERUSER") {
                problems.push(at(
                    Severity::Warning,
                    path,
                    range.start,
                    format!("`{line}` makes a superuser: a monolith needs only its own database"),
                ));
            }
            if upper.contains("PASSWORD '") || upper.contains("PASSWORD \"") {
                problems.push(at(
                    Severity::Warning,
                    path,
                    range.start,
                    format!(
                        "`{line}` puts a plaintext password in the Nix store; use peer \
                         authentication over the unix socket"
                    ),
                ));
            }
        }
        if let Some(top) = &file.top {
            let users = top.at(&attrpath(&["services", "postgresql", "ensureUsers"]));
            for user in users.map(|u| u.items()).unwrap_or_default() {
                if user.at(&attrpath(&["ensureClauses", "superuser"])).and_then(|n| n.as_bool())
                    == Some(true)
                {
                    problems.push(at(
                        Severity::Warning,
                        path,
                        user.range.start,
                        "this role is made a superuser: a monolith needs only its own database"
                            .into(),
                    ));
                }
            }
        }
    }

    // Monoliths' files that are present but not wired in.
    match &repo.layout {
        Layout::Classic(layout) => {
            let module_dirs: BTreeSet<&Path> =
                layout.monoliths.iter().filter_map(|m| m.module.parent()).collect();
            for (path, file) in &repo.files {
                if wired.contains(path) || *path == layout.entry {
                    continue;
                }
                let top = file.top.as_ref();
                let is_module = top
                    .as_ref()
                    .is_some_and(|t| t.at(&attrpath(&["systemd", "services"])).is_some());
                let in_module_dir = path.parent().is_some_and(|d| module_dirs.contains(d));
                let is_vhost =
                    path.file_stem().is_some_and(|s| s.to_string_lossy().ends_with("-vhost"));
                if in_module_dir && is_module {
                    problems.push(at(
                        Severity::Error,
                        path,
                        0,
                        format!(
                            "this monolith module is not imported by {}",
                            layout.entry.display()
                        ),
                    ));
                } else if is_vhost {
                    problems.push(at(
                        Severity::Error,
                        path,
                        0,
                        format!(
                        "this vhost file is not in the `services.nginx.virtualHosts` list of {}",
                        layout.entry.display()
                    ),
                    ));
                }
            }
        }
        Layout::Adopted(_) => {}
        Layout::Module(layout) => {
            let dir = layout.monoliths_file.parent().unwrap_or(Path::new(""));
            let used: BTreeSet<&PathBuf> =
                repo.inventory.monoliths.iter().flat_map(|m| &m.files).collect();
            for m in &repo.inventory.monoliths {
                for f in &m.files {
                    if !repo.root.join(f).exists() {
                        problems.push(Problem::at_monolith(
                            m,
                            format!(
                                "the package of `{}` is in {}, which does not exist",
                                m.name,
                                f.display()
                            ),
                        ));
                    }
                }
            }
            if let Ok(entries) = std::fs::read_dir(repo.root.join(dir)) {
                let mut folders: Vec<PathBuf> = entries
                    .filter_map(Result::ok)
                    .filter(|e| e.path().join("default.nix").is_file())
                    .map(|e| dir.join(e.file_name()))
                    .collect();
                folders.sort();
                for folder in folders
                    .iter()
                    .filter(|f| !used.contains(f) && !host_files.contains(&f.join("default.nix")))
                {
                    let file = folder.join("default.nix");
                    problems.push(Problem {
                        severity: Severity::Error,
                        file,
                        line: 1,
                        col: 1,
                        message: format!(
                            "{} looks like a monolith, but no `nmmm.monoliths` entry uses it",
                            folder.display()
                        ),
                    });
                }
            }
        }
    }
    for uncovered in crate::backup::uncovered(repo) {
        let m = &repo.inventory.monoliths[uncovered.monolith];
        let Place { file, line, col } = m.place.clone();
        problems.push(Problem {
            severity: Severity::Warning,
            file,
            line,
            col,
            message: uncovered.message,
        });
    }
    problems.extend(crate::secret::check(repo));
    problems.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
    problems
}

/// Two monoliths with one name, two sites with one domain, or two services with one port on one
/// host (a monolith must not take a port gitea takes by default).
fn clashes(repo: &Repo, problems: &mut Vec<Problem>) {
    let monoliths = &repo.inventory.monoliths;
    // Where a monolith runs: its pin, or where placement puts it.
    let placement = crate::deploy::place(&repo.inventory.hosts, monoliths);
    let host_of =
        |m: &Monolith| m.host.clone().or_else(|| placement.assignment.get(&m.name).cloned());
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    let mut domains: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (i, m) in monoliths.iter().enumerate() {
        if m.is_monolith() {
            match names.get(m.name.as_str()) {
                Some(&first)
                    if monoliths[first].upstream != m.upstream
                        || monoliths[first].kind != m.kind =>
                {
                    let other = &monoliths[first];
                    problems.push(Problem::at_monolith(
                        m,
                        format!(
                            "monolith `{}` has the name of monolith `{}` at {}",
                            m.name, other.name, other.place
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    names.insert(&m.name, i);
                }
            }
        }
        if let Some(domain) = &m.domain {
            match domains.get(&(domain.as_str(), m.path.as_str())) {
                // The same definition, in a module several hosts share: one site, not two.
                Some(&first) if monoliths[first].place == m.place => {}
                Some(&first) => {
                    let other = &monoliths[first];
                    problems.push(Problem::at_monolith(
                        m,
                        format!(
                            "{} `{}` has the domain {domain} of {} `{}` at {}",
                            kind_word(m),
                            m.name,
                            kind_word(other),
                            other.name,
                            other.place
                        ),
                    ));
                }
                None => {
                    domains.insert((domain, &m.path), i);
                }
            }
        }
    }
    // Every user of a port on a host: the sites, and the services the host runs without a site.
    struct User {
        upstream: String,
        what: String,
        place: Option<Place>,
        monolith: Option<usize>,
    }
    let mut users: BTreeMap<(Option<String>, u16), Vec<User>> = BTreeMap::new();
    for (i, m) in monoliths.iter().enumerate() {
        if let Some(port) = m.port {
            let what = format!("{} `{}`", kind_word(m), m.name);
            users.entry((host_of(m), port)).or_default().push(User {
                upstream: m.upstream.clone(),
                what,
                place: Some(m.place.clone()),
                monolith: Some(i),
            });
        }
    }
    for (host, sites) in &repo.hosts {
        for used in &sites.ports {
            // What only mentions a port (the firewall), and NMMM's monoliths, counted above.
            if used.upstream == crate::host::Upstream::Unknown
                || used.by.starts_with("nmmm.monoliths.")
            {
                continue;
            }
            let upstream = used.upstream.to_string();
            let list = users.entry((Some(host.name.clone()), used.port)).or_default();
            if list.iter().any(|u| u.upstream == upstream) {
                continue;
            }
            list.push(User {
                upstream,
                what: format!("`{}`", used.by),
                place: used.place.map(|p| crate::repo::place_of(host, p)),
                monolith: None,
            });
        }
    }
    for ((host, port), list) in &users {
        let mut distinct: Vec<&User> = Vec::new();
        for user in list {
            if !distinct.iter().any(|u| u.upstream == user.upstream) {
                distinct.push(user);
            }
        }
        let Some((first, rest)) = distinct.split_first() else { continue };
        let on = host.as_ref().map(|h| format!(" on host {h}")).unwrap_or_default();
        for user in rest {
            let message = format!(
                "{} takes port {port}{on}, which {} takes{}",
                user.what,
                first.what,
                first.place.as_ref().map(|p| format!(" at {p}")).unwrap_or_default()
            );
            let place = user.place.clone().or_else(|| first.place.clone());
            match (user.monolith, place) {
                (Some(i), _) => problems.push(Problem::at_monolith(&monoliths[i], message)),
                (None, Some(Place { file, line, col })) => {
                    problems.push(Problem { severity: Severity::Error, file, line, col, message })
                }
                (None, None) => problems.push(Problem {
                    severity: Severity::Error,
                    file: PathBuf::new(),
                    line: 1,
                    col: 1,
                    message,
                }),
            }
        }
    }
}

fn kind_word(m: &Monolith) -> &'static str {
    if m.is_monolith() {
        "monolith"
    } else {
        "site"
    }
}
