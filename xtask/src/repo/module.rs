//! The module layout: `nmmm.monoliths.<name> = { domain; port; package; ... }` entries, in one
//! file or several, and `nmmm.hosts.<host> = { address; ... }` for fleets.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{config, Config, LoadError, SourceFile};
use crate::eval::Value;
use crate::host::{sites, Host};

pub struct ModuleLayout {
    /// Where new `nmmm.monoliths` entries go: the file that holds the most of them.
    pub monoliths_file: PathBuf,
}

/// The module layout, when a host defines `nmmm.monoliths` (even as `{ }`).
pub(super) fn detect(
    files: &BTreeMap<PathBuf, SourceFile>,
    config: &Config,
    hosts: &[(Host, sites::Sites)],
) -> Result<Option<ModuleLayout>, LoadError> {
    if let Some(file) = &config.monoliths_file {
        if !files.contains_key(file) {
            return Err(LoadError(format!(
                "{}: monoliths_file = {:?} is not a .nix file of the repository",
                config::FILE_NAME,
                file.display().to_string()
            )));
        }
        return Ok(Some(ModuleLayout { monoliths_file: file.clone() }));
    }
    let mut best: Option<(usize, PathBuf)> = None;
    for (host, _) in hosts {
        for definition in host.definitions(&["nmmm", "monoliths"]) {
            let Some(place) = definition.place else { continue };
            let count = match host.ev.force_plain(&definition.value) {
                Value::Set(entries) => entries.len(),
                _ => 0,
            };
            let file = host.ev.relative(place.file);
            if best.as_ref().is_none_or(|(n, _)| count > *n) {
                best = Some((count, file));
            }
        }
    }
    Ok(best.map(|(_, monoliths_file)| ModuleLayout { monoliths_file }))
}
