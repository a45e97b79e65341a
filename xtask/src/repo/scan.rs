//! The Nix files of a repository, read and parsed once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::edit::{self, NixFile};

/// One `.nix` file: its text, its tree or why it has none, and its top-level attribute set read
/// once (when it has one) for every layout detector and check to look at.
pub struct SourceFile {
    pub text: String,
    pub parsed: Result<NixFile, edit::Error>,
    pub top: Option<edit::Node>,
}

/// Folders that hold no configuration of the machine: version control, build products.
const SKIPPED: &[&str] = &[".git", "target", "node_modules", "result", ".direnv"];

/// Every file under `root` but those in [`SKIPPED`] folders, in name order.
pub fn walk(root: &Path) -> impl Iterator<Item = walkdir::DirEntry> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0 || !SKIPPED.contains(&e.file_name().to_string_lossy().as_ref())
        })
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
}

/// Every `.nix` file under `root`, by path relative to it.
pub fn nix_files(root: &Path) -> BTreeMap<PathBuf, SourceFile> {
    let mut files = BTreeMap::new();
    for entry in walk(root) {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "nix") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        let parsed = NixFile::parse(&text);
        let top = parsed.as_ref().ok().and_then(|nix| edit::read_top_level(nix).ok());
        let relative = path.strip_prefix(root).unwrap_or(path).to_owned();
        files.insert(relative, SourceFile { text, parsed, top });
    }
    files
}

/// `base/../x.nix` as a clean relative path (`x.nix`), or `None` when it leaves the repository.
pub fn resolve(base_dir: &Path, relative: &str) -> Option<PathBuf> {
    let mut parts: Vec<std::ffi::OsString> = base_dir.iter().map(|p| p.to_owned()).collect();
    for part in Path::new(relative).components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                parts.pop()?;
            }
            std::path::Component::Normal(p) => parts.push(p.to_owned()),
            _ => return None,
        }
    }
    Some(parts.iter().collect())
}

/// The path from `from_dir` to `to`, both relative to the root, written as Nix writes a
/// relative path (`./x.nix`, `../x.nix`).
pub fn relative_nix_path(from_dir: &Path, to: &Path) -> String {
    let from: Vec<_> = from_dir.iter().collect();
    let target: Vec<_> = to.iter().collect();
    let common = from.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut out = String::new();
    if common == from.len() {
        out.push_str("./");
    } else {
        out.push_str(&"../".repeat(from.len() - common));
    }
    let rest: Vec<String> =
        target[common..].iter().map(|p| p.to_string_lossy().into_owned()).collect();
    out.push_str(&rest.join("/"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_resolve_and_come_back() {
        let dir = Path::new("nix/hetzner");
        assert_eq!(resolve(dir, "../massapp.nix").unwrap(), PathBuf::from("nix/massapp.nix"));
        assert_eq!(resolve(dir, "./hw.nix").unwrap(), PathBuf::from("nix/hetzner/hw.nix"));
        assert_eq!(resolve(dir, "../../../x.nix"), None);
        assert_eq!(relative_nix_path(dir, Path::new("nix/shop.nix")), "../shop.nix");
        assert_eq!(relative_nix_path(Path::new("nix"), Path::new("nix/shop.nix")), "./shop.nix");
        assert_eq!(relative_nix_path(Path::new(""), Path::new("nix/a.nix")), "./nix/a.nix");
    }
}
