//! The repository lock: one run at a time writes a repository, from its first read to its last
//! write.
//!
//! The lock is the operating system's (`flock` through [`std::fs::File::try_lock`]) on a file in
//! `.git/` (`nmmm.lock`), or on `.nmmm.lock` at the root of a repository without git. The kernel
//! drops it when its holder dies, so a dead run never blocks. The file's first
//! [`HOLDER_LEN`] bytes say who holds it, for the message of a run that waits; the rest holds the
//! journal of a commit in progress (see [`super::journal`]). The file is removed when its holder
//! is done, so nothing stays in the working tree.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// The size of the holder line at the start of the lock file, padded with spaces.
pub(super) const HOLDER_LEN: u64 = 96;

/// How often a waiting run tries the lock again.
const POLL: Duration = Duration::from_millis(25);

/// The lock on a repository, held until dropped.
#[derive(Debug)]
pub struct RepoLock {
    /// The repository's root, absolute: journal paths are relative to it.
    pub(super) root: PathBuf,
    pub(super) path: PathBuf,
    pub(super) file: File,
    /// Whether the file must outlive this run: it holds the journal of a change that could be
    /// neither finished nor taken back, for the next run to see.
    pub(super) keep: bool,
}

/// Why the lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another run held it for the whole wait.
    Busy {
        holder: String,
        waited: Duration,
    },
    Io(PathBuf, io::Error),
}

impl std::fmt::Display for LockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LockError::Busy { holder, waited } => write!(
                f,
                "another nmmm run ({holder}) still holds the repository after {} s; \
                 wait longer with --wait SECONDS",
                waited.as_secs()
            ),
            LockError::Io(path, err) => write!(f, "{}: cannot lock: {err}", path.display()),
        }
    }
}

/// Where the lock of the repository at `root` lives: in its git directory when it has one.
pub fn lock_path(root: &Path) -> PathBuf {
    let dot_git = root.join(".git");
    if dot_git.is_dir() {
        return dot_git.join("nmmm.lock");
    }
    // A worktree or a submodule: `.git` is a file saying `gitdir: PATH`.
    if let Ok(text) = fs::read_to_string(&dot_git) {
        if let Some(dir) = text.strip_prefix("gitdir:").map(str::trim) {
            let dir = root.join(dir);
            if dir.is_dir() {
                return dir.join("nmmm.lock");
            }
        }
    }
    root.join(".nmmm.lock")
}

impl RepoLock {
    /// Takes the lock of the repository at `root`, waiting up to `wait` for another run to end.
    /// `waiting` is told once, with who holds it, when the lock is busy.
    pub fn acquire(
        root: &Path,
        wait: Duration,
        waiting: impl FnOnce(&str),
    ) -> Result<RepoLock, LockError> {
        let path = lock_path(root);
        let deadline = Instant::now() + wait;
        let mut waiting = Some(waiting);
        let mut holder = String::new();
        loop {
            if let Some(lock) = RepoLock::try_acquire_at(root, &path)? {
                return Ok(lock);
            }
            holder = read_holder(&path).unwrap_or(holder);
            if let Some(tell) = waiting.take() {
                tell(&holder);
            }
            if Instant::now() >= deadline {
                return Err(LockError::Busy { holder, waited: wait });
            }
            std::thread::sleep(POLL);
        }
    }

    /// Takes the lock only when nobody holds it, and only when its file exists already: for
    /// commands that read, which never wait and never leave a file behind.
    pub fn try_existing(root: &Path) -> Result<Option<RepoLock>, LockError> {
        let path = lock_path(root);
        if !path.exists() {
            return Ok(None);
        }
        RepoLock::try_acquire_at(root, &path)
    }

    fn try_acquire_at(root: &Path, path: &Path) -> Result<Option<RepoLock>, LockError> {
        let io = |err| LockError::Io(path.to_owned(), err);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Ok(None),
            Err(fs::TryLockError::Error(err)) => return Err(io(err)),
        }
        // The previous holder removes the file before it unlocks: a run that opened it before
        // the removal holds a lock on a file nobody else sees. It must start over.
        let held = file.metadata().map_err(io)?;
        match fs::metadata(path) {
            Ok(now) if now.ino() == held.ino() && now.dev() == held.dev() => {}
            _ => return RepoLock::try_acquire_at(root, path),
        }
        let mut lock = RepoLock { root: root.to_owned(), path: path.to_owned(), file, keep: false };
        lock.write_holder().map_err(io)?;
        Ok(Some(lock))
    }

    /// The repository's root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn write_holder(&mut self) -> io::Result<()> {
        let line =
            format!("pid {}, started at {}", std::process::id(), utc_timestamp(SystemTime::now()));
        let mut bytes = line.into_bytes();
        bytes.resize(HOLDER_LEN as usize - 1, b' ');
        bytes.push(b'\n');
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(&bytes)
    }

    /// What the file holds after the holder line: a journal, or nothing.
    pub(super) fn read_journal_bytes(&mut self) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.file.seek(SeekFrom::Start(HOLDER_LEN))?;
        self.file.read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// Replaces what follows the holder line with `bytes`, durably. Clearing it (no bytes) needs
    /// no sync: a journal that outlives a power cut describes a change that is whole on disk,
    /// which the next run finds finished.
    pub(super) fn write_journal_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.set_len(HOLDER_LEN)?;
        if bytes.is_empty() {
            return Ok(());
        }
        self.file.seek(SeekFrom::Start(HOLDER_LEN))?;
        self.file.write_all(bytes)?;
        self.file.sync_data()
    }
}

impl Drop for RepoLock {
    fn drop(&mut self) {
        // Removed while still locked, so that no run takes a lock on it after this one is done
        // (see `try_acquire_at`).
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// "pid 123, started at 2026-11-30 15:42:07 UTC", from a lock file's holder line.
fn read_holder(path: &Path) -> Option<String> {
    let mut head = vec![0; HOLDER_LEN as usize];
    let n = File::open(path).and_then(|mut f| f.read(&mut head)).ok()?;
    let text = String::from_utf8_lossy(&head[..n]).trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// `2026-11-30 15:42:07 UTC`.
pub fn utc_timestamp(time: SystemTime) -> String {
    let secs = time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The proleptic Gregorian date of a count of days since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        let at = |secs| utc_timestamp(SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(at(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(at(1_796_052_127), "2026-11-30 15:22:07 UTC");
    }
}
