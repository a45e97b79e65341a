//! The machine repository: finding its layout, reading its monoliths and hosts.
//!
//! Two layouts are adopted as they are:
//! - module: `nmmm.monoliths.<name> = { ... }` entries for NMMM's NixOS module (a repo made from
//!   `templates/default`);
//! - classic: the hand-written layout of the original blog post (`tests/fixtures/seed-nmmm`): a
//!   NixOS entry file importing one module per monolith, folding vhost files into
//!   `services.nginx.virtualHosts`, creating database users in `initialScript`, with ports and
//!   domains in a file of their own.
//!
//! This layer reads through the edit engine's typed reads and never touches syntax trees.

pub mod classic;
pub mod config;
mod model;
mod module;
pub mod scan;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use classic::{ClassicLayout, ClassicMonolith};
pub use config::Config;
pub use model::{Build, Host, Inventory, Monolith, Place};
pub use module::ModuleLayout;
pub use scan::SourceFile;

use crate::cli::LineIndex;
use crate::edit::NixFile;

pub enum Layout {
    Module(ModuleLayout),
    Classic(ClassicLayout),
}

pub struct Repo {
    pub root: PathBuf,
    pub config: Config,
    pub files: BTreeMap<PathBuf, SourceFile>,
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

/// Reads the repository at `root`.
pub fn load(root: &Path) -> Result<Repo, LoadError> {
    let root = root.canonicalize().map_err(|e| LoadError(format!("{}: {e}", root.display())))?;
    let config = config::read(&root).map_err(LoadError)?;
    let files = scan::nix_files(&root);
    let build = if root.join("flake.nix").exists() {
        Build::Flake
    } else {
        Build::Classic { entry: PathBuf::new() }
    };
    let (layout, monoliths, hosts) = if let Some(module) = module::detect(&files, &config)? {
        let (monoliths, hosts) = module.read(&files, &config);
        (Layout::Module(module), monoliths, hosts)
    } else if let Some(classic) = classic::detect(&files, &config)? {
        let (monoliths, hosts) = classic.read(&root, &files, &config);
        (Layout::Classic(classic), monoliths, hosts)
    } else {
        return Err(LoadError(format!(
            "cannot tell the layout of the repository at {}:\n  \
             - module layout: no .nix file sets `nmmm.monoliths`\n  \
             - classic layout: no NixOS entry file has `imports` together with \
             `services.nginx.virtualHosts`\n\
             If one of them is there, say where in {} (`cargo xtask init` writes one):\n  \
             entry = \"path/to/configuration.nix\"   # classic layout\n  \
             monoliths_file = \"monoliths/default.nix\"   # module layout",
            root.display(),
            config::FILE_NAME
        )));
    };
    let build = match (&layout, build) {
        (Layout::Classic(c), Build::Classic { .. }) => Build::Classic { entry: c.entry.clone() },
        (_, build) => build,
    };
    let inventory = Inventory { root: root.clone(), build, monoliths, hosts };
    Ok(Repo { root, config, files, layout, inventory })
}

impl Repo {
    /// The parsed file at `path` (relative to the root), when it parses.
    pub fn nix(&self, path: &Path) -> Option<&NixFile> {
        self.files.get(path).and_then(|f| f.parsed.as_ref().ok())
    }
}

pub(crate) fn place_in(files: &BTreeMap<PathBuf, SourceFile>, path: &Path, offset: usize) -> Place {
    let (line, col) = files
        .get(path)
        .map_or((1, 1), |f| LineIndex::new(&f.text).line_col((offset as u32).into()));
    Place { file: path.to_owned(), line, col }
}

/// A path of attribute names from literal segments.
pub(crate) fn attrpath(segments: &[&str]) -> Vec<String> {
    segments.iter().map(|s| (*s).to_owned()).collect()
}
