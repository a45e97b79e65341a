//! `cargo xtask nix ...`: the edit engine on one file.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Subcommand;

use super::{
    lock_for_writing, preview_and_write, recover_if_idle, render_error, Failure, WriteFlags,
};
use crate::edit::{self, Change, Error, NixFile};
use crate::transaction::{FileChange, Transaction};

#[derive(Subcommand)]
pub enum NixCommand {
    /// Print the source text of the value at ATTRPATH
    Get { file: PathBuf, attrpath: String },
    /// Set ATTRPATH to VALUE (a Nix expression), creating missing parents
    Set {
        file: PathBuf,
        attrpath: String,
        #[arg(allow_hyphen_values = true)]
        value: String,
        #[command(flatten)]
        flags: WriteFlags,
    },
    /// Remove ATTRPATH with the comments that belong to it
    Rm {
        file: PathBuf,
        attrpath: String,
        #[command(flatten)]
        flags: WriteFlags,
    },
    /// Append ELEMENT to the list at ATTRPATH, creating the list if missing
    Add {
        file: PathBuf,
        attrpath: String,
        #[arg(allow_hyphen_values = true)]
        element: String,
        #[command(flatten)]
        flags: WriteFlags,
    },
    /// Append LINE to the indented string ''...'' at ATTRPATH
    AddLine {
        file: PathBuf,
        attrpath: String,
        #[arg(allow_hyphen_values = true)]
        line: String,
        #[command(flatten)]
        flags: WriteFlags,
    },
}

/// One engine operation on a parsed file and attribute path.
type Operation = Box<dyn Fn(&NixFile, &[String]) -> Result<Change, Error>>;

pub fn run(cmd: NixCommand, wait: Duration) -> Result<(), Failure> {
    let (file, attrpath, flags, op): (_, _, _, Operation) = match cmd {
        NixCommand::Get { file, attrpath } => return get(&file, &attrpath),
        NixCommand::Set { file, attrpath, value, flags } => {
            (file, attrpath, flags, Box::new(move |f, p| edit::set_attr(f, p, &value)))
        }
        NixCommand::Rm { file, attrpath, flags } => {
            (file, attrpath, flags, Box::new(edit::remove_attr))
        }
        NixCommand::Add { file, attrpath, element, flags } => {
            (file, attrpath, flags, Box::new(move |f, p| edit::add_list_element(f, p, &element)))
        }
        NixCommand::AddLine { file, attrpath, line, flags } => {
            (file, attrpath, flags, Box::new(move |f, p| edit::add_string_line(f, p, &line)))
        }
    };
    let mut lock = lock_for_writing(&repository_of(&file), wait)?;
    let (text, nix, path) = load(&file, &attrpath)?;
    let change = op(&nix, &path).map_err(|err| report(&file, &text, &err))?;
    let mut transaction = Transaction::new();
    transaction.push(FileChange {
        path: file,
        before: Some(change.before),
        after: Some(change.after),
    });
    preview_and_write(&transaction, flags, &mut lock)
}

/// The repository holding `file`, whose lock guards it.
fn repository_of(file: &Path) -> PathBuf {
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    crate::repo::find_root(&dir.canonicalize().unwrap_or_else(|_| dir.to_owned()))
}

fn get(file: &PathBuf, attrpath: &str) -> Result<(), Failure> {
    recover_if_idle(&repository_of(file))?;
    let (text, nix, path) = load(file, attrpath)?;
    let value = edit::get_value(&nix, &path).map_err(|err| report(file, &text, &err))?;
    println!("{value}");
    Ok(())
}

fn load(file: &PathBuf, attrpath: &str) -> Result<(String, NixFile, Vec<String>), Failure> {
    let text = fs::read_to_string(file).map_err(|err| {
        eprintln!("error: {}: cannot read: {err}", file.display());
        Failure(2)
    })?;
    let path = edit::parse_attrpath(attrpath).map_err(|err| report(file, &text, &err))?;
    let nix = NixFile::parse(&text).map_err(|err| report(file, &text, &err))?;
    Ok((text, nix, path))
}

fn report(file: &std::path::Path, text: &str, err: &Error) -> Failure {
    eprint!("error: {}", render_error(&file.display().to_string(), text, err));
    Failure(2)
}
