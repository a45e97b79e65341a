//! `cargo xtask remove-monolith`: undo `new-monolith`, file by file and line by line.

use std::path::PathBuf;

use super::plan::{Plan, WorkflowError};
use crate::edit;
use crate::repo::classic::{IMPORTS, INITIAL_SCRIPT, VHOSTS};
use crate::repo::{attrpath, AdoptedLayout, Kind, Layout, Repo};

pub fn plan<'a>(repo: &'a Repo, name: &str) -> Result<(Plan<'a>, Vec<String>), WorkflowError> {
    let monolith = repo.inventory.monoliths.iter().find(|m| m.name == name).ok_or_else(|| {
        let known: Vec<&str> = repo.inventory.monoliths.iter().map(|m| m.name.as_str()).collect();
        WorkflowError(format!("no monolith `{name}` here; there are: {}", known.join(", ")))
    })?;
    let mut plan = Plan::new(repo)?;
    let mut notes = Vec::new();
    let classic = match &repo.layout {
        Layout::Classic(layout) => {
            layout.monoliths.iter().find(|m| m.name == name).map(|m| (layout, m))
        }
        _ => None,
    };
    match (monolith.kind, classic) {
        (Kind::Nmmm, _) => {
            let path = attrpath(&["nmmm", "monoliths", name]);
            plan.edit(&monolith.place.file, |f| edit::remove_attr(f, &path))?;
            for file in &monolith.files {
                delete_tree(repo, &mut plan, file);
            }
        }
        (_, Some((layout, m))) => {
            let entry = &layout.entry;
            plan.edit(entry, |f| edit::remove_list_element(f, attrpath(IMPORTS), &m.import))?;
            if let Some((vhost, written)) = &m.vhost {
                plan.edit(entry, |f| edit::remove_list_element(f, attrpath(VHOSTS), written))?;
                plan.delete(vhost);
            }
            for line in &m.script_lines {
                plan.edit(entry, |f| edit::remove_string_line(f, attrpath(INITIAL_SCRIPT), line))?;
            }
            if let Some(role) = &m.role {
                super::database::unensure(&mut plan, role, Some(entry), Some(entry))?;
                notes.push(format!(
                    "the database and role `{role}` stay on the server: drop them there when their data can go"
                ));
            }
            if let Some(ports_file) = &layout.ports_file {
                for key in [&m.port_key, &m.domain_key].into_iter().flatten() {
                    plan.edit(ports_file, |f| edit::remove_attr(f, std::slice::from_ref(key)))?;
                }
            }
            plan.delete(&m.module);
        }
        (Kind::Monolith, None) => {
            let detected;
            let layout = match &repo.layout {
                Layout::Adopted(layout) => layout,
                _ => {
                    detected =
                        AdoptedLayout::detect(&repo.root, &repo.files, &repo.hosts, &repo.shared);
                    &detected
                }
            };
            notes.extend(super::adopted::plan_remove(repo, layout, monolith, &mut plan)?);
        }
        _ => {
            return Err(WorkflowError(format!(
                "{}: `{name}` is served by {}, not by a monolith: remove its site by hand",
                monolith.place, monolith.upstream
            )))
        }
    }
    crate::secret::unwire_monolith(repo, &mut plan, name)?;
    if monolith.database.is_some() && monolith.kind == Kind::Nmmm {
        notes.push(format!(
            "the database and role of `{name}` stay on the server: drop them there when their data can go"
        ));
    }
    Ok((plan, notes))
}

/// Deletes a file, or every file under a folder.
fn delete_tree(repo: &Repo, plan: &mut Plan, path: &PathBuf) {
    let absolute = repo.root.join(path);
    if absolute.is_dir() {
        for entry in walkdir::WalkDir::new(&absolute).into_iter().filter_map(Result::ok) {
            if entry.file_type().is_file() {
                plan.delete(entry.path().strip_prefix(&repo.root).unwrap_or(entry.path()));
            }
        }
    } else if absolute.exists() {
        plan.delete(path);
    }
}
