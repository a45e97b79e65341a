//! A set of file changes that lands whole or not at all.
//!
//! Every new content is computed and validated in memory before [`Transaction::commit`]; commit
//! checks that no file changed on disk since it was read, writes each new content to a temporary
//! file beside its target (keeping the target's mode), and only then renames them all into place.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: PathBuf,
    /// The content read from disk, or `None` for a file the transaction creates.
    pub before: Option<String>,
    /// The new content, or `None` for a file the transaction deletes.
    pub after: Option<String>,
}

#[derive(Debug, Default)]
pub struct Transaction {
    /// The directory the changes' paths are relative to (empty: the current directory).
    base: PathBuf,
    changes: Vec<FileChange>,
}

#[derive(Debug)]
pub struct CommitError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for CommitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl Transaction {
    pub fn new() -> Transaction {
        Transaction::default()
    }

    /// A transaction whose paths are relative to `base` (a repository's root), as diffs show them.
    pub fn in_dir(base: &Path) -> Transaction {
        Transaction { base: base.to_owned(), changes: Vec::new() }
    }

    /// Queues a change; a change that changes nothing is dropped.
    pub fn push(&mut self, change: FileChange) {
        if change.before != change.after || change.after.is_none() {
            self.changes.push(change);
        }
    }

    pub fn changes(&self) -> &[FileChange] {
        &self.changes
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn commit(&self) -> Result<(), CommitError> {
        // Errors name files as the changes do, relative to the base.
        let fail = |change: &FileChange, message: String| CommitError {
            path: change.path.clone(),
            message,
        };
        let changes: Vec<(PathBuf, &FileChange)> =
            self.changes.iter().map(|c| (self.base.join(&c.path), c)).collect();
        for (path, change) in &changes {
            check_unchanged(path, change).map_err(|m| fail(change, m))?;
        }
        let mut staged: Vec<(PathBuf, &Path, &FileChange)> = Vec::new();
        let cleanup = |staged: &[(PathBuf, &Path, &FileChange)]| {
            for (temp, _, _) in staged {
                let _ = fs::remove_file(temp);
            }
        };
        for (path, change) in &changes {
            if let Some(after) = &change.after {
                match stage(path, after) {
                    Ok(temp) => staged.push((temp, path, change)),
                    Err(err) => {
                        cleanup(&staged);
                        return Err(fail(change, err.to_string()));
                    }
                }
            }
        }
        for (i, (temp, path, change)) in staged.iter().enumerate() {
            if let Err(err) = fs::rename(temp, path) {
                // Put back what was already replaced, so that the files stay as they were.
                for (_, path, change) in &staged[..i] {
                    match &change.before {
                        Some(before) => drop(fs::write(path, before)),
                        None => drop(fs::remove_file(path)),
                    }
                }
                cleanup(&staged[i..]);
                return Err(fail(change, format!("could not replace the file: {err}")));
            }
        }
        for (path, change) in changes.iter().filter(|(_, c)| c.after.is_none()) {
            fs::remove_file(path).map_err(|e| fail(change, e.to_string()))?;
            // Folders emptied by the removal go too (a monolith's source folder).
            let mut dir = path.parent();
            while let Some(d) = dir.filter(|d| *d != self.base && fs::remove_dir(d).is_ok()) {
                dir = d.parent();
            }
        }
        Ok(())
    }
}

fn check_unchanged(path: &Path, change: &FileChange) -> Result<(), String> {
    if change.before.is_none() && change.after.is_none() {
        // A file deleted unread (not text, such as a build product).
        return Ok(());
    }
    match (&change.before, fs::read_to_string(path)) {
        (Some(before), Ok(now)) if *before == now => {}
        (Some(_), Ok(_)) => return Err("the file changed on disk since it was read".to_owned()),
        (Some(_), Err(err)) => return Err(format!("cannot read the file again: {err}")),
        (None, Ok(_)) => return Err("the file already exists".to_owned()),
        (None, Err(_)) => {}
    }
    if change.before.is_some() {
        let meta = fs::metadata(path).map_err(|e| e.to_string())?;
        if meta.permissions().readonly() {
            return Err(
                "the file is read-only; make it writable, then run the command again".to_owned()
            );
        }
    }
    Ok(())
}

/// Writes `content` to a new temporary file beside `path`, with `path`'s permissions.
fn stage(path: &Path, content: &str) -> io::Result<PathBuf> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.nmmm-{}.tmp", std::process::id()));
    let mut file = fs::File::create(&temp)?;
    let written =
        file.write_all(content.as_bytes()).and_then(|()| file.sync_all()).and_then(|()| {
            match fs::metadata(path) {
                Ok(meta) => fs::set_permissions(&temp, meta.permissions()),
                Err(_) => Ok(()),
            }
        });
    if let Err(err) = written {
        let _ = fs::remove_file(&temp);
        return Err(err);
    }
    Ok(temp)
}
