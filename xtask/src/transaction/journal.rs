//! The journal of a commit: what a run that dies halfway through one leaves for the next run.
//!
//! Before the first file is staged, the commit records every target with the hash of its old
//! content and of its new one, the temporary file its new content is staged in, and the folders
//! staging creates; the record is fsynced into the lock file after the holder line. A run that
//! finds a record left behind looks at the disk: when every new content is complete there (in
//! its target, or in its staged file), it finishes the change; otherwise staging was cut short,
//! nothing was renamed yet, and it takes the change back. A target that holds neither its old nor
//! its new content was edited by hand since: it is never overwritten.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::lock::RepoLock;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(super) struct Journal {
    pub entries: Vec<Entry>,
    /// Folders that staging creates, outermost first; taken back with the change.
    pub created_dirs: Vec<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(super) struct Entry {
    /// The target, relative to the repository's root.
    pub path: PathBuf,
    /// The hash of its content before the change; `None`: the change creates it.
    pub old: Option<String>,
    /// The hash of its content after the change; `None`: the change deletes it.
    pub new: Option<String>,
    /// Where the new content is staged, relative to the root.
    pub temp: Option<PathBuf>,
}

/// What a run did with a change an earlier run left halfway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// Every new content was complete on disk: the change is now whole.
    Finished(Vec<PathBuf>),
    /// Staging was cut short, so nothing had been replaced: the staged files are gone.
    TakenBack(Vec<PathBuf>),
}

impl std::fmt::Display for Recovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |paths: &[PathBuf]| {
            paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        };
        match self {
            Recovery::Finished(paths) => write!(
                f,
                "an earlier nmmm run stopped while writing; its change is now finished: {}",
                list(paths)
            ),
            Recovery::TakenBack(paths) if paths.is_empty() => f.write_str(
                "an earlier nmmm run stopped before writing anything; its change is taken back",
            ),
            Recovery::TakenBack(paths) => write!(
                f,
                "an earlier nmmm run stopped before writing; its change is taken back: {}",
                list(paths)
            ),
        }
    }
}

/// Why a change left halfway could not be finished or taken back. Nothing was changed.
#[derive(Debug)]
pub enum RecoveryError {
    /// These targets were edited since the run stopped.
    EditedSince {
        paths: Vec<PathBuf>,
        lock: PathBuf,
    },
    Io(PathBuf, io::Error),
}

impl std::fmt::Display for RecoveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecoveryError::EditedSince { paths, lock } => {
                for path in paths {
                    writeln!(
                        f,
                        "{}: changed since an earlier nmmm run stopped while writing it; \
                         it is left as it is",
                        path.display()
                    )?;
                }
                write!(
                    f,
                    "that run's change is neither finished nor taken back: check the files \
                     above, then remove {} to let nmmm run again",
                    lock.display()
                )
            }
            RecoveryError::Io(path, err) => write!(f, "{}: {err}", path.display()),
        }
    }
}

/// A file's content, by its 128-bit XXH3 hash: the journal tells contents apart, it guards
/// against no adversary (who could edit the repository anyway), and a hash ten times faster than
/// SHA-256 keeps a commit of a large file cheap.
pub(super) fn hash(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// The hash of the file's content, `None` when there is no file.
pub(super) fn hash_file(path: &Path) -> io::Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(hash(&bytes))),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

const MAGIC: &str = "journal xxh3-128=";

impl Journal {
    /// The bytes that follow the lock file's holder line: a header with the record's hash, so
    /// that a record cut short by a crash is never taken for a whole one.
    pub(super) fn to_bytes(&self) -> Vec<u8> {
        let json = serde_json::to_string(self).expect("the journal serialises");
        format!("{MAGIC}{}\n{json}\n", hash(json.as_bytes())).into_bytes()
    }

    /// The record in `bytes`; `Ok(None)` when there is none, `Err(())` when it was cut short.
    pub(super) fn from_bytes(bytes: &[u8]) -> Result<Option<Journal>, ()> {
        if bytes.iter().all(|b| b.is_ascii_whitespace() || *b == 0) {
            return Ok(None);
        }
        let text = std::str::from_utf8(bytes).map_err(drop)?;
        let (header, json) = text.split_once('\n').ok_or(())?;
        let json = json.strip_suffix('\n').ok_or(())?;
        if header.strip_prefix(MAGIC) != Some(hash(json.as_bytes()).as_str()) {
            return Err(());
        }
        serde_json::from_str(json).map(Some).map_err(drop)
    }
}

/// Finds a change an earlier run left halfway, and finishes it or takes it back.
pub(super) fn recover(lock: &mut RepoLock) -> Result<Option<Recovery>, RecoveryError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |err| RecoveryError::Io(path, err)
    };
    let bytes = lock.read_journal_bytes().map_err(io(&lock.path))?;
    let journal = match Journal::from_bytes(&bytes) {
        Ok(None) => return Ok(None),
        Ok(Some(journal)) => journal,
        // Cut short while being written: nothing had been staged yet.
        Err(()) => {
            lock.write_journal_bytes(&[]).map_err(io(&lock.path))?;
            return Ok(Some(Recovery::TakenBack(Vec::new())));
        }
    };
    let root = lock.root.clone();
    let mut edited = Vec::new();
    let mut complete = true;
    let mut pending = Vec::new();
    for entry in &journal.entries {
        let target = root.join(&entry.path);
        let now = hash_file(&target).map_err(io(&target))?;
        if now == entry.new {
            continue;
        }
        if now != entry.old {
            edited.push(entry.path.clone());
            continue;
        }
        if let (Some(temp), Some(_)) = (&entry.temp, &entry.new) {
            let staged = hash_file(&root.join(temp)).map_err(io(&root.join(temp)))?;
            complete &= staged == entry.new;
        }
        pending.push(entry);
    }
    if !edited.is_empty() {
        lock.keep = true;
        return Err(RecoveryError::EditedSince { paths: edited, lock: lock.path.clone() });
    }
    let paths: Vec<PathBuf> = journal.entries.iter().map(|e| e.path.clone()).collect();
    let recovery = if complete {
        for entry in pending {
            let target = root.join(&entry.path);
            match &entry.temp {
                Some(temp) => fs::rename(root.join(temp), &target).map_err(io(&target))?,
                None => remove_file_and_empty_dirs(&root, &target).map_err(io(&target))?,
            }
        }
        Recovery::Finished(paths)
    } else {
        take_back(&root, &journal).map_err(io(&root))?;
        Recovery::TakenBack(paths)
    };
    sync_dirs(&root, journal.entries.iter().map(|e| root.join(&e.path)));
    lock.write_journal_bytes(&[]).map_err(io(&lock.path))?;
    Ok(Some(recovery))
}

/// Removes the staged files and the folders staging created (when empty).
pub(super) fn take_back(root: &Path, journal: &Journal) -> io::Result<()> {
    for temp in journal.entries.iter().filter_map(|e| e.temp.as_ref()) {
        match fs::remove_file(root.join(temp)) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
            _ => {}
        }
    }
    for dir in journal.created_dirs.iter().rev() {
        let _ = fs::remove_dir(root.join(dir));
    }
    Ok(())
}

/// Removes a file, then the folders its removal empties, up to the root.
pub(super) fn remove_file_and_empty_dirs(root: &Path, path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
        _ => {}
    }
    let mut dir = path.parent();
    while let Some(d) =
        dir.filter(|d| *d != root && d.starts_with(root) && fs::remove_dir(d).is_ok())
    {
        dir = d.parent();
    }
    Ok(())
}

/// Makes the renames and removals in the folders of `paths` durable: fsync of each folder (or
/// of its nearest existing ancestor, when the change removed it).
pub(super) fn sync_dirs(root: &Path, paths: impl Iterator<Item = PathBuf>) {
    let mut dirs: Vec<PathBuf> = paths
        .filter_map(|p| p.parent().map(Path::to_owned))
        .map(|mut d| {
            while !d.exists() && d != root {
                d = d.parent().map_or(root.to_owned(), Path::to_owned);
            }
            d
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        if let Ok(dir) = fs::File::open(&dir) {
            let _ = dir.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_cut_short_is_never_taken_for_a_whole_one() {
        let journal = Journal {
            entries: vec![Entry {
                path: "a.nix".into(),
                old: Some(hash(b"old")),
                new: Some(hash(b"new")),
                temp: Some(".a.nix.nmmm-1.tmp".into()),
            }],
            created_dirs: vec![],
        };
        let bytes = journal.to_bytes();
        assert_eq!(Journal::from_bytes(&bytes), Ok(Some(journal)));
        for cut in 1..bytes.len() {
            assert_eq!(Journal::from_bytes(&bytes[..cut]), Err(()), "cut at {cut}");
        }
        assert_eq!(Journal::from_bytes(b""), Ok(None));
    }
}
