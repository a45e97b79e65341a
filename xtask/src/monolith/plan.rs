//! A change to a repository being put together: every file's new text computed in memory, each
//! result parsed, before anything is shown or written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cli::render_error;
use crate::edit::{self, Change, NixFile};
use crate::repo::Repo;
use crate::transaction::{FileChange, Transaction};

/// A workflow's failure, already worded for the user.
#[derive(Debug)]
pub struct WorkflowError(pub String);

impl std::fmt::Display for WorkflowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub struct Plan<'a> {
    repo: &'a Repo,
    /// Path (relative to the root) to new content, `None` to delete.
    files: BTreeMap<PathBuf, Option<String>>,
}

impl<'a> Plan<'a> {
    /// A plan for `repo`, whose hosts must parse throughout: a workflow adopts a host whole, and
    /// a file it cannot read could hide a clash or be one it has to change. (A file no host
    /// imports is not part of the machine.)
    pub fn new(repo: &'a Repo) -> Result<Plan<'a>, WorkflowError> {
        let host_files = repo.host_files();
        for (path, file) in repo.files.iter().filter(|(p, _)| host_files.contains(*p)) {
            if let Err(err) = &file.parsed {
                let shown = path.display().to_string();
                return Err(WorkflowError(render_error(&shown, &file.text, err)));
            }
        }
        Ok(Plan { repo, files: BTreeMap::new() })
    }

    /// The file's text as the plan has it so far.
    pub fn text(&self, path: &Path) -> Option<String> {
        match self.files.get(path) {
            Some(planned) => planned.clone(),
            None => self
                .repo
                .files
                .get(path)
                .map(|f| f.text.clone())
                .or_else(|| std::fs::read_to_string(self.repo.root.join(path)).ok()),
        }
    }

    /// Applies one engine operation to the file's current text in the plan.
    pub fn edit(
        &mut self,
        path: &Path,
        op: impl FnOnce(&NixFile) -> Result<Change, edit::Error>,
    ) -> Result<(), WorkflowError> {
        let shown = path.display().to_string();
        let text = self
            .text(path)
            .ok_or_else(|| WorkflowError(format!("{shown}: the file is missing")))?;
        let file =
            NixFile::parse(&text).map_err(|e| WorkflowError(render_error(&shown, &text, &e)))?;
        let change = op(&file).map_err(|e| WorkflowError(render_error(&shown, &text, &e)))?;
        self.files.insert(path.to_owned(), Some(change.after));
        Ok(())
    }

    /// A new file; one that exists already is an error naming it.
    pub fn create(&mut self, path: &Path, text: String) -> Result<(), WorkflowError> {
        if self.repo.root.join(path).exists() || matches!(self.files.get(path), Some(Some(_))) {
            return Err(WorkflowError(format!("{}: the file exists already", path.display())));
        }
        if path.extension().is_some_and(|e| e == "nix") {
            NixFile::parse(&text)
                .map_err(|e| WorkflowError(render_error(&path.display().to_string(), &text, &e)))?;
        }
        self.files.insert(path.to_owned(), Some(text));
        Ok(())
    }

    pub fn delete(&mut self, path: &Path) {
        self.files.insert(path.to_owned(), None);
    }

    /// The paths the plan touches.
    pub fn paths(&self) -> impl Iterator<Item = &PathBuf> {
        self.files.keys()
    }

    pub fn into_transaction(self) -> Transaction {
        let mut transaction = Transaction::in_dir(&self.repo.root);
        for (path, after) in self.files {
            let before = match self.repo.files.get(&path) {
                Some(file) => Some(file.text.clone()),
                None => std::fs::read_to_string(self.repo.root.join(&path)).ok(),
            };
            transaction.push(FileChange { path, before, after });
        }
        transaction
    }
}
