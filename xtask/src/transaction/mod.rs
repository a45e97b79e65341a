//! A set of file changes that lands whole or not at all, by one run at a time.
//!
//! - [`RepoLock`]: the repository's lock, which a command that writes holds from its first read
//!   to its last write, so that it plans from a state nobody else changes before it writes.
//! - [`Transaction::commit`]: every new content is computed and validated in memory before it;
//!   commit checks that no file changed on disk since it was read, records the change in a
//!   journal ([`journal`]), stages each new content in a temporary file beside its target
//!   (keeping the target's mode), renames them all into place, fsyncs the folders and clears the
//!   journal. A run that dies at any point leaves a journal the next run finishes or takes back
//!   ([`recover`]).
//!
//! Each step of a commit is a failpoint (`fail` crate) that tests configure through the
//! `FAILPOINTS` variable to kill the process there; without the `failpoints` feature, which only
//! test builds enable, they compile to nothing.

mod journal;
mod lock;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub use journal::{Recovery, RecoveryError};
pub use lock::{lock_path, utc_timestamp, LockError, RepoLock};

use journal::{hash, remove_file_and_empty_dirs, sync_dirs, take_back, Entry, Journal};

/// Kills the process on the spot, as a power cut would, where a test says so.
macro_rules! crash_point {
    ($name:literal) => {
        fail::fail_point!($name, |_| std::process::abort())
    };
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: PathBuf,
    /// The content read from disk, or `None` for a file the transaction creates (or deletes
    /// without reading it).
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

/// Finds a change an earlier run left halfway (it died while writing), and finishes it or takes
/// it back, whichever is complete on disk. Run first by every command, once it holds the lock.
pub fn recover(lock: &mut RepoLock) -> Result<Option<Recovery>, RecoveryError> {
    journal::recover(lock)
}

/// One target of a commit, as the commit goes.
struct Step<'a> {
    change: &'a FileChange,
    target: PathBuf,
    temp: Option<PathBuf>,
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

    /// Writes every change, or none. `lock` must be the lock of the repository holding the
    /// files, taken before they were read.
    pub fn commit(&self, lock: &mut RepoLock) -> Result<(), CommitError> {
        let fail = |change: &FileChange, message: String| CommitError {
            path: change.path.clone(),
            message,
        };
        let base = if self.base.as_os_str().is_empty() {
            std::env::current_dir().map_err(|e| CommitError {
                path: PathBuf::new(),
                message: format!("cannot read the current directory: {e}"),
            })?
        } else {
            self.base.clone()
        };
        let root = lock.root.clone();
        let mut steps = Vec::new();
        let mut entries = Vec::new();
        for change in &self.changes {
            let target = absolute(&base.join(&change.path));
            let old = check_unchanged(&target, change).map_err(|m| fail(change, m))?;
            let temp = change.after.as_ref().map(|_| temp_path(&target));
            entries.push(Entry {
                path: relative(&root, &target),
                old,
                new: change.after.as_ref().map(|a| hash(a.as_bytes())),
                temp: temp.as_ref().map(|t| relative(&root, t)),
            });
            steps.push(Step { change, target, temp });
        }
        let journal = Journal { created_dirs: created_dirs(&root, &steps), entries };

        crash_point!("commit-before-journal");
        write_journal(lock, &journal).map_err(|e| CommitError {
            path: lock.path.clone(),
            message: format!("cannot write the journal: {e}"),
        })?;
        crash_point!("commit-journal-written");

        for step in &steps {
            let (Some(temp), Some(after)) = (&step.temp, &step.change.after) else { continue };
            if let Err(err) = stage(&step.target, temp, after) {
                let _ = take_back(&root, &journal);
                let _ = lock.write_journal_bytes(&[]);
                return Err(fail(step.change, err.to_string()));
            }
            crash_point!("commit-staged");
        }

        for (i, step) in steps.iter().enumerate() {
            let Some(temp) = &step.temp else { continue };
            if let Err(err) = fs::rename(temp, &step.target) {
                let message = format!("could not replace the file: {err}");
                return Err(put_back(
                    lock,
                    &root,
                    &journal,
                    &steps[..i],
                    fail(step.change, message),
                ));
            }
            crash_point!("commit-renamed");
        }
        for step in steps.iter().filter(|s| s.change.after.is_none()) {
            remove_file_and_empty_dirs(&root, &step.target).map_err(|e| {
                // The journal stays: the next run finishes the removals.
                lock.keep = true;
                fail(step.change, format!("{e}; run nmmm again to finish the change"))
            })?;
            crash_point!("commit-deleted");
        }
        sync_dirs(&root, steps.iter().map(|s| s.target.clone()));
        crash_point!("commit-synced");

        lock.write_journal_bytes(&[]).map_err(|e| CommitError {
            path: lock.path.clone(),
            message: format!("the files are written, but the journal cannot be cleared: {e}"),
        })?;
        crash_point!("commit-done");
        Ok(())
    }
}

/// Writes the journal, durably: the lock file may be new, so its folder is synced too.
fn write_journal(lock: &mut RepoLock, journal: &Journal) -> io::Result<()> {
    let bytes = journal.to_bytes();
    // A crash in the middle of the record, for the tests: it must read as no record at all.
    fail::fail_point!("commit-journal-partial", |_| {
        let _ = lock.write_journal_bytes(&bytes[..bytes.len() / 2]);
        std::process::abort()
    });
    lock.write_journal_bytes(&bytes)?;
    sync_dirs(&lock.root, std::iter::once(lock.path.clone()));
    Ok(())
}

/// After a failed rename: the files already replaced get their old content back, the staged
/// ones go. When that fails too, the journal stays for the next run.
fn put_back(
    lock: &mut RepoLock,
    root: &Path,
    journal: &Journal,
    renamed: &[Step],
    error: CommitError,
) -> CommitError {
    let mut whole = true;
    for step in renamed {
        let restored = match &step.change.before {
            Some(before) => {
                let temp = temp_path(&step.target);
                stage(&step.target, &temp, before).and_then(|()| fs::rename(&temp, &step.target))
            }
            None => fs::remove_file(&step.target),
        };
        whole &= restored.is_ok();
    }
    whole &= take_back(root, journal).is_ok();
    if whole && lock.write_journal_bytes(&[]).is_ok() {
        return error;
    }
    lock.keep = true;
    CommitError {
        message: format!("{}; run nmmm again to finish or take back the change", error.message),
        ..error
    }
}

/// The folders that staging the new files creates, outermost first.
fn created_dirs(root: &Path, steps: &[Step]) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for step in steps.iter().filter(|s| s.change.after.is_some()) {
        let mut missing: Vec<PathBuf> = step
            .target
            .ancestors()
            .skip(1)
            .take_while(|d| !d.exists())
            .map(|d| relative(root, d))
            .collect();
        missing.reverse();
        for dir in missing {
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
    }
    dirs
}

/// `path` with `.` and `..` resolved against the parts that exist.
fn absolute(path: &Path) -> PathBuf {
    match (path.parent().and_then(nearest_canonical), path.file_name()) {
        (Some(dir), Some(name)) => dir.join(name),
        _ => path.to_owned(),
    }
}

/// The canonical form of `dir`, whose last parts may not exist yet.
fn nearest_canonical(dir: &Path) -> Option<PathBuf> {
    if let Ok(canonical) = dir.canonicalize() {
        return Some(canonical);
    }
    Some(nearest_canonical(dir.parent()?)?.join(dir.file_name()?))
}

/// `path` relative to the root when it is inside, else as it is.
fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).map_or_else(|_| path.to_owned(), Path::to_owned)
}

fn temp_path(target: &Path) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    target.with_file_name(format!(".{name}.nmmm-{}.tmp", std::process::id()))
}

/// Checks that the file on disk is what the change was computed from, and writable; returns the
/// hash of its content (`None`: there is no file).
fn check_unchanged(path: &Path, change: &FileChange) -> Result<Option<String>, String> {
    let now = match fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(err) if err.kind() == io::ErrorKind::NotFound => None,
        Err(err) => return Err(format!("cannot read the file again: {err}")),
    };
    match (&change.before, &now) {
        // A file deleted unread (not text, such as a build product).
        (None, Some(_)) if change.after.is_none() => {}
        (Some(before), Some(now)) if before.as_bytes() == now.as_slice() => {}
        (Some(_), Some(_)) => return Err("the file changed on disk since it was read".to_owned()),
        (Some(_), None) => return Err("the file is gone since it was read".to_owned()),
        (None, Some(_)) => return Err("the file already exists".to_owned()),
        (None, None) => {}
    }
    if change.before.is_some() {
        let meta = fs::metadata(path).map_err(|e| e.to_string())?;
        if meta.permissions().readonly() {
            return Err(
                "the file is read-only; make it writable, then run the command again".to_owned()
            );
        }
    }
    Ok(now.map(|bytes| hash(&bytes)))
}

/// Writes `content` to `temp`, beside `target`, durably and with `target`'s permissions.
fn stage(target: &Path, temp: &Path, content: &str) -> io::Result<()> {
    if let Some(dir) = temp.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut file = fs::File::create(temp)?;
    let written =
        file.write_all(content.as_bytes()).and_then(|()| file.sync_all()).and_then(|()| {
            match fs::metadata(target) {
                Ok(meta) => fs::set_permissions(temp, meta.permissions()),
                Err(_) => Ok(()),
            }
        });
    if written.is_err() {
        let _ = fs::remove_file(temp);
    }
    written
}
