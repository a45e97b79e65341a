//! `cargo xtask new-monolith`: from a name to a deployable site, on either layout.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::names::{check_name, normalize_domain, role_name};
use super::plan::{Plan, WorkflowError};
use super::{rebrand, sanitize_sql, template};
use crate::edit::{self, indent_unit, quote_string};
use crate::repo::classic::{IMPORTS, INITIAL_SCRIPT, VHOSTS};
use crate::repo::scan::{relative_nix_path, walk};
use crate::repo::{attrpath, ClassicLayout, Layout, ModuleLayout, Monolith, Place, Repo};

pub struct NewMonolith {
    pub name: String,
    pub domain: String,
    pub port: Option<u16>,
    pub database: bool,
    pub from: Option<String>,
}

/// What the plan adds, for the summary after the diff.
pub struct Added {
    pub name: String,
    pub domain: String,
    pub port: u16,
    pub notes: Vec<String>,
}

pub fn plan<'a>(repo: &'a Repo, new: &NewMonolith) -> Result<(Plan<'a>, Added), WorkflowError> {
    check_name(&new.name).map_err(WorkflowError)?;
    let domain = normalize_domain(&new.domain).map_err(WorkflowError)?;
    let monoliths = &repo.inventory.monoliths;
    if let Some(m) = monoliths.iter().find(|m| m.name == new.name) {
        return Err(WorkflowError(format!("{}: monolith `{}` exists already", m.place, m.name)));
    }
    if let Some(m) = monoliths.iter().find(|m| m.domain.as_deref() == Some(domain.as_str())) {
        return Err(WorkflowError(format!(
            "{}: the domain `{domain}` belongs to monolith `{}` already",
            m.place, m.name
        )));
    }
    let port = choose_port(repo, new.port)?;
    let mut plan = Plan::new(repo)?;
    let mut added =
        Added { name: new.name.clone(), domain: domain.clone(), port, notes: Vec::new() };
    match &repo.layout {
        Layout::Module(layout) => plan_module(repo, layout, new, &mut plan, &mut added)?,
        Layout::Classic(layout) => plan_classic(repo, layout, new, &mut plan, &mut added)?,
        Layout::Adopted(layout) => {
            super::adopted::plan_new(repo, layout, new, &mut plan, &mut added)?
        }
    }
    added.notes.extend(crate::secret::wire_new_monolith(repo, &mut plan, &new.name)?);
    Ok((plan, added))
}

/// The next free port above the highest in use, never one the repository mentions anywhere;
/// or the one asked for, when it is free.
fn choose_port(repo: &Repo, asked: Option<u16>) -> Result<u16, WorkflowError> {
    // Every port a site or service of the hosts takes: their monoliths', their units', and the
    // defaults of the nixpkgs services they enable.
    let mut used: BTreeMap<u16, String> = BTreeMap::new();
    for m in &repo.inventory.monoliths {
        if let Some(port) = m.port {
            used.entry(port).or_insert_with(|| {
                format!("{}: port {port} is {} `{}`'s already", m.place, kind_name(m), m.name)
            });
        }
    }
    for (host, sites) in &repo.hosts {
        for p in &sites.ports {
            let at = p
                .place
                .map(|place| format!("{}: ", crate::repo::place_of(host, place)))
                .unwrap_or_default();
            used.entry(p.port)
                .or_insert_with(|| format!("{at}port {} is taken by {}", p.port, p.by));
        }
    }
    let mentioned = mentioned_numbers(&repo.root);
    let range = repo.config.ports.unwrap_or_default();
    if let Some(port) = asked {
        if let Some(why) = used.get(&port) {
            return Err(WorkflowError(why.clone()));
        }
        if let Some(place) = mentioned.get(&port) {
            return Err(WorkflowError(format!(
                "{place}: port {port} is mentioned here already; choose another, or leave out \
                 --port to take the next free one"
            )));
        }
        if port < 1024 {
            return Err(WorkflowError(format!(
                "port {port} is privileged; choose one from 1024 up"
            )));
        }
        return Ok(port);
    }
    // Above the highest port of the monoliths, where the next one would go by hand: in the
    // steps the host counts in (4100, 4200, 4300: 4400) unless nmmm.toml says where.
    let mut ports: Vec<u16> = repo
        .inventory
        .monoliths
        .iter()
        .filter(|m| m.is_monolith())
        .filter_map(|m| m.port)
        .collect();
    ports.sort_unstable();
    ports.dedup();
    let free = |p: &u16| !mentioned.contains_key(p) && !used.contains_key(p);
    if repo.config.ports.is_none() {
        if let Some(port) =
            next_in_steps(&ports).into_iter().flatten().find(|p| *p >= 1024 && free(p))
        {
            return Ok(port);
        }
    }
    let highest = ports.last().copied();
    let start = match repo.config.ports {
        Some(range) => highest.map_or(range.min, |p| p.saturating_add(1)).max(range.min),
        None => highest.map_or(range.min, |p| p.saturating_add(1)).max(1024),
    };
    (start..=range.max).find(free).ok_or_else(|| {
        WorkflowError(format!(
            "no free port from {start} to {}: widen [ports] in nmmm.toml",
            range.max
        ))
    })
}

/// The ports after the highest of `ports` (sorted) in the step they are counted in, when three
/// or more are, in steps of ten or more (`4100 4200 4300` gives `4400 4500 ...`; `8001 8002
/// 8003` and `3000 7200 7310` give none).
fn next_in_steps(ports: &[u16]) -> Option<impl Iterator<Item = u16>> {
    let (&first, &last) = (ports.first()?, ports.last()?);
    let step = ports.windows(2).map(|w| w[1] - w[0]).reduce(gcd)?;
    let counted = ports.len() >= 3
        && (10..=1000).contains(&step)
        && (last - first) / step <= 2 * ports.len() as u16;
    counted.then(|| {
        (1..).map_while(move |k: u32| u16::try_from(u32::from(last) + k * u32::from(step)).ok())
    })
}

fn gcd(a: u16, b: u16) -> u16 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn kind_name(m: &Monolith) -> &'static str {
    if m.is_monolith() {
        "monolith"
    } else {
        "site"
    }
}

/// Every number from 1024 to 65535 written in the repository's text files, with its first place.
fn mentioned_numbers(root: &Path) -> BTreeMap<u16, Place> {
    let mut found = BTreeMap::new();
    for entry in walk(root) {
        let path = entry.path();
        // Lock files and encrypted secrets hold numbers by chance.
        if path.extension().is_some_and(|e| e == "lock" || e == "age") {
            continue;
        }
        if entry.metadata().is_ok_and(|m| m.len() > 1 << 20) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let relative = path.strip_prefix(root).unwrap_or(path);
        for (n, line) in text.lines().enumerate() {
            let bytes = line.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
                    let start = i;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                    if i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                        continue;
                    }
                    if let Ok(port) = line[start..i].parse::<u16>() {
                        if port >= 1024 {
                            found.entry(port).or_insert(Place {
                                file: relative.to_owned(),
                                line: n + 1,
                                col: line[..start].chars().count() + 1,
                            });
                        }
                    }
                } else {
                    i += 1;
                }
            }
        }
    }
    found
}

fn plan_module(
    repo: &Repo,
    layout: &ModuleLayout,
    new: &NewMonolith,
    plan: &mut Plan,
    added: &mut Added,
) -> Result<(), WorkflowError> {
    let (domain, port) = (added.domain.clone(), added.port);
    let file = &layout.monoliths_file;
    let dir = file.parent().unwrap_or(Path::new(""));
    let folder = dir.join(&new.name);
    if repo.root.join(&folder).exists() {
        return Err(WorkflowError(format!("{}: the folder exists already", folder.display())));
    }
    let sources: Vec<(String, String)> = match &new.from {
        None => template::files(&new.name),
        Some(from) => {
            let m = find(repo, from)?;
            let source =
                m.files.first().filter(|f| repo.root.join(f).is_dir()).ok_or_else(|| {
                    WorkflowError(format!(
                        "{}: monolith `{from}` has no source folder to copy",
                        m.place
                    ))
                })?;
            copy_folder(&repo.root.join(source), from, &new.name)?
        }
    };
    for (path, text) in sources {
        plan.create(&folder.join(path), text)?;
    }
    let text = plan.text(file).unwrap_or_default();
    let unit = indent_unit(&text);
    let package = relative_nix_path(dir, &folder);
    let mut value = format!(
        "{{\n{unit}domain = {};\n{unit}port = {port};\n{unit}package = pkgs.callPackage {package} {{ }};\n",
        quote_string(&domain)
    );
    if !new.database {
        value.push_str(&format!("{unit}database.enable = false;\n"));
    }
    if let Some(host) = fleet_host(repo, &new.name, plan, added)? {
        value.push_str(&format!("{unit}host = {};\n", quote_string(&host)));
    }
    value.push('}');
    let path = attrpath(&["nmmm", "monoliths", &new.name]);
    plan.edit(file, |f| edit::set_attr(f, &path, &value))?;
    added.notes.push(format!("its source is in {}/; build it with `nix build`", folder.display()));
    Ok(())
}

/// In a fleet, the host the new monolith goes to: the freest one, with every other monolith
/// where it runs now. Greedy placement alone could move the others once the new one is there,
/// so the others that have no pin yet get one where they run now, as `cargo xtask place` does.
fn fleet_host(
    repo: &Repo,
    name: &str,
    plan: &mut Plan,
    added: &mut Added,
) -> Result<Option<String>, WorkflowError> {
    let inventory = &repo.inventory;
    if inventory.hosts.len() < 2 {
        return Ok(None);
    }
    let now = crate::deploy::place(&inventory.hosts, &inventory.monoliths);
    let mut monoliths: Vec<Monolith> = inventory
        .monoliths
        .iter()
        .map(|m| Monolith { host: now.assignment.get(&m.name).cloned(), ..m.clone() })
        .collect();
    monoliths.push(Monolith {
        name: name.to_owned(),
        host: None,
        ..inventory.monoliths[0].clone()
    });
    let placement = crate::deploy::place(&inventory.hosts, &monoliths);
    let host = placement
        .assignment
        .get(name)
        .cloned()
        .ok_or_else(|| WorkflowError(placement.problems.join("\n")))?;
    let unpinned: Vec<&Monolith> =
        inventory.monoliths.iter().filter(|m| m.host.is_none()).collect();
    for m in &unpinned {
        let Some(runs_on) = now.assignment.get(&m.name) else { continue };
        let path = attrpath(&["nmmm", "monoliths", &m.name, "host"]);
        let value = quote_string(runs_on);
        plan.edit(&m.place.file, |f| edit::set_attr(f, &path, &value))?;
    }
    if !unpinned.is_empty() {
        let names: Vec<&str> = unpinned.iter().map(|m| m.name.as_str()).collect();
        added.notes.push(format!(
            "pinned {} to the hosts where they run now, so that adding monoliths never moves them",
            crate::deploy::quote_list(&names)
        ));
    }
    added.notes.push(format!("it goes to host {host}, the one with the most room"));
    Ok(Some(host))
}

pub(super) fn copy_folder(
    folder: &Path,
    from: &str,
    to: &str,
) -> Result<Vec<(String, String)>, WorkflowError> {
    let mut files = Vec::new();
    for entry in walk(folder) {
        let relative = entry.path().strip_prefix(folder).unwrap_or(entry.path());
        let text = std::fs::read_to_string(entry.path())
            .map_err(|e| WorkflowError(format!("{}: cannot copy: {e}", entry.path().display())))?;
        let path = relative.to_string_lossy().into_owned();
        files.push((path.clone(), template::rename(&path, &text, from, to)));
    }
    Ok(files)
}

fn find<'r>(repo: &'r Repo, name: &str) -> Result<&'r Monolith, WorkflowError> {
    repo.inventory.monoliths.iter().find(|m| m.name == name).ok_or_else(|| {
        let known: Vec<&str> = repo.inventory.monoliths.iter().map(|m| m.name.as_str()).collect();
        WorkflowError(format!("no monolith `{name}` here; there are: {}", known.join(", ")))
    })
}

fn plan_classic(
    repo: &Repo,
    layout: &ClassicLayout,
    new: &NewMonolith,
    plan: &mut Plan,
    added: &mut Added,
) -> Result<(), WorkflowError> {
    let (domain, port) = (added.domain.clone(), added.port);
    let from = match &new.from {
        Some(name) => layout.monoliths.iter().find(|m| m.name == *name),
        None => layout.monoliths.first(),
    }
    .ok_or_else(|| match &new.from {
        Some(name) => {
            WorkflowError(format!("no monolith `{name}` to copy in {}", layout.entry.display()))
        }
        None => WorkflowError(format!(
            "{}: no monolith to copy: the classic layout copies an existing one",
            layout.entry.display()
        )),
    })?;
    let from_info = find(repo, &from.name)?;
    let new_role = from
        .role
        .as_ref()
        .map(|r| format!("{}{}", role_name(&new.name), &r[role_name(&from.name).len()..]));
    let rename = |text: &str| {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if let Some(old) = &from_info.domain {
            pairs.push((old.clone(), domain.to_owned()));
        }
        if let (Some(old), Some(new)) = (&from.role, &new_role) {
            pairs.push((old.clone(), new.clone()));
        }
        let text = rebrand(text, &pairs, &from.name, &new.name);
        match from_info.port {
            Some(old) => replace_number(&text, old, port),
            None => text,
        }
    };
    let renamed_path = |path: &Path| -> PathBuf {
        let stem = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let file = if stem.contains(&from.name) {
            stem.replace(&from.name, &new.name)
        } else {
            format!("{}.nix", new.name)
        };
        path.with_file_name(file)
    };

    // The monolith's own files, copied and rebranded.
    let module = renamed_path(&from.module);
    plan.create(&module, rename(&plan.text(&from.module).unwrap_or_default()))?;
    let entry_dir = layout.entry.parent().unwrap_or(Path::new("")).to_owned();
    let import = relative_nix_path(&entry_dir, &module);
    plan.edit(&layout.entry, |f| edit::add_list_element(f, attrpath(IMPORTS), &import))?;
    if let Some((vhost, _)) = &from.vhost {
        let new_vhost = renamed_path(vhost);
        plan.create(&new_vhost, rename(&plan.text(vhost).unwrap_or_default()))?;
        let element = relative_nix_path(&entry_dir, &new_vhost);
        plan.edit(&layout.entry, |f| edit::add_list_element(f, attrpath(VHOSTS), &element))?;
    }

    // Its port and domain beside the others'.
    if let Some(ports_file) = &layout.ports_file {
        for (key, value) in
            [(&from.port_key, port.to_string()), (&from.domain_key, quote_string(&domain))]
        {
            if let Some(key) = key {
                let new_key = rebrand(key, &[], &from.name, &new.name);
                plan.edit(ports_file, |f| {
                    edit::set_attr(f, std::slice::from_ref(&new_key), &value)
                })?;
            }
        }
    }

    // Its database: the lines of `initialScript` in their own pattern, without superuser or
    // password; and `ensure*`, because `initialScript` runs only on a fresh database.
    if new.database {
        if let Some(role) = &new_role {
            for line in &from.script_lines {
                if let Some(line) = sanitize_sql(&rename(line)) {
                    plan.edit(&layout.entry, |f| {
                        edit::add_string_line(f, attrpath(INITIAL_SCRIPT), &line)
                    })?;
                }
            }
            super::database::ensure(plan, &layout.entry, role)?;
        }
    }
    added.notes.push(format!(
        "{} is a copy of {}: point its package at {}'s own code",
        module.display(),
        from.module.display(),
        new.name
    ));
    Ok(())
}

/// Replaces the number `old` where it stands alone (not inside a longer number or word).
pub(super) fn replace_number(text: &str, old: u16, new: u16) -> String {
    let old = old.to_string();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(&old) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + old.len()..].chars().next();
        out.push_str(&rest[..i]);
        if before.is_some_and(|c| c.is_ascii_alphanumeric())
            || after.is_some_and(|c| c.is_ascii_alphanumeric())
        {
            out.push_str(&old);
        } else {
            out.push_str(&new.to_string());
        }
        rest = &rest[i + old.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::next_in_steps;

    fn next(ports: &[u16]) -> Option<Vec<u16>> {
        next_in_steps(ports).map(|it| it.take(2).collect())
    }

    #[test]
    fn ports_counted_in_steps_go_on_in_them() {
        assert_eq!(next(&[4100, 4200, 4300]), Some(vec![4400, 4500]));
        assert_eq!(next(&[4100, 4200, 4400]), Some(vec![4500, 4600]));
        assert_eq!(next(&[3010, 3020, 3030, 3050]), Some(vec![3060, 3070]));
        assert_eq!(next(&[65000, 65200, 65400]), Some(vec![]));
    }

    #[test]
    fn ports_not_counted_in_steps_give_none() {
        assert_eq!(next(&[]), None);
        assert_eq!(next(&[4100, 4200]), None);
        assert_eq!(next(&[8001, 8002, 8003]), None);
        assert_eq!(next(&[3000, 7200, 7310]), None);
        assert_eq!(next(&[3000, 3000, 3000]), None);
    }
}
