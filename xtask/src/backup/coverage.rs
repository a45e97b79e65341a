//! Which monoliths' databases no backup holds, as far as the repository tells: for `cargo
//! xtask check`.
//!
//! With `nmmm.backup.enable = true`, every monolith with a database is backed up but those with
//! `backup.enable = false`. Without it, a database is in no backup unless the repository backs
//! up another way (`services.restic.backups`, `services.postgresqlBackup`,
//! `services.borgbackup`), which the tool cannot follow: then it says nothing.

use crate::edit::{Node, Value};
use crate::repo::{attrpath, Layout, Repo};

/// A monolith (its index in the inventory) whose database is in no backup, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uncovered {
    pub monolith: usize,
    pub message: String,
}

/// Backups set up by hand, which hold what they hold.
const OTHER_BACKUPS: &[&[&str]] = &[
    &["services", "restic", "backups"],
    &["services", "postgresqlBackup"],
    &["services", "borgbackup", "jobs"],
];

pub fn uncovered(repo: &Repo) -> Vec<Uncovered> {
    let tops: Vec<&Node> = repo.files.values().filter_map(|f| f.top.as_ref()).collect();
    let mut enabled = None;
    for top in &tops {
        match top.at(&attrpath(&["nmmm", "backup", "enable"])).map(|n| &n.value) {
            Some(Value::Bool(on)) => enabled = Some(enabled.unwrap_or(false) || *on),
            // Computed: the tool cannot tell.
            Some(_) => return Vec::new(),
            None => {}
        }
    }
    let enabled = enabled.unwrap_or(false);
    if !enabled
        && tops.iter().any(|top| OTHER_BACKUPS.iter().any(|p| top.at(&attrpath(p)).is_some()))
    {
        return Vec::new();
    }
    let mut found = Vec::new();
    for (i, m) in repo.inventory.monoliths.iter().enumerate() {
        // Monoliths' databases; other services' are their modules' business.
        if m.database.is_none() || !m.is_monolith() {
            continue;
        }
        let message = if enabled {
            let path = attrpath(&["nmmm", "monoliths", &m.name, "backup", "enable"]);
            let off = tops.iter().any(|top| top.at(&path).and_then(Node::as_bool) == Some(false));
            if !off {
                continue;
            }
            format!("the database of `{}` is in no backup: it has backup.enable = false", m.name)
        } else if matches!(repo.layout, Layout::Module(_)) {
            format!(
                "the database of `{}` is in no backup: set nmmm.backup.enable = true (README: \
                 Backups), or back it up with services.restic.backups or \
                 services.postgresqlBackup",
                m.name
            )
        } else {
            format!(
                "the database of `{}` is in no backup: back it up with services.restic.backups \
                 or services.postgresqlBackup",
                m.name
            )
        };
        found.push(Uncovered { monolith: i, message });
    }
    found
}
