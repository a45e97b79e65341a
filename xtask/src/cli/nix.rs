//! `cargo xtask nix ...`: the edit engine on one file.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Subcommand;

use super::{
    lock_for_writing, preview_and_write, recover_if_idle, render_error, Failure, WriteFlags,
};
use crate::edit::{self, AttrPath, Change, Error, NixFile};
use crate::transaction::{FileChange, Transaction};

#[derive(Subcommand)]
pub enum NixCommand {
    /// Print the source text of the value at ATTRPATH
    Get {
        file: PathBuf,
        attrpath: String,
        #[command(flatten)]
        root: RootFlag,
    },
    /// Set ATTRPATH to VALUE (a Nix expression), creating missing parents
    Set {
        file: PathBuf,
        attrpath: String,
        #[arg(allow_hyphen_values = true)]
        value: String,
        #[command(flatten)]
        root: RootFlag,
        #[command(flatten)]
        flags: WriteFlags,
    },
    /// Remove ATTRPATH with the comments that belong to it
    Rm {
        file: PathBuf,
        attrpath: String,
        #[command(flatten)]
        root: RootFlag,
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
        root: RootFlag,
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
        root: RootFlag,
        #[command(flatten)]
        flags: WriteFlags,
    },
}

/// Where ATTRPATH starts.
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct RootFlag {
    /// ATTRPATH names a binding of the `let ... in` around the file's value (`--let ports.todo`)
    #[arg(long = "let")]
    in_let: bool,
}

/// One engine operation on a parsed file and attribute path.
type Operation = Box<dyn Fn(&NixFile, &AttrPath) -> Result<Change, Error>>;

pub fn run(cmd: NixCommand, wait: Duration) -> Result<(), Failure> {
    let (file, attrpath, root, flags, op): (_, _, _, _, Operation) = match cmd {
        NixCommand::Get { file, attrpath, root } => return get(&file, &attrpath, root),
        NixCommand::Set { file, attrpath, value, root, flags } => {
            (file, attrpath, root, flags, Box::new(move |f, p| edit::set_attr(f, p, &value)))
        }
        NixCommand::Rm { file, attrpath, root, flags } => {
            (file, attrpath, root, flags, Box::new(|f, p| edit::remove_attr(f, p)))
        }
        NixCommand::Add { file, attrpath, element, root, flags } => (
            file,
            attrpath,
            root,
            flags,
            Box::new(move |f, p| edit::add_list_element(f, p, &element)),
        ),
        NixCommand::AddLine { file, attrpath, line, root, flags } => {
            (file, attrpath, root, flags, Box::new(move |f, p| edit::add_string_line(f, p, &line)))
        }
    };
    let mut lock = lock_for_writing(&repository_of(&file), wait)?;
    let (text, nix, path) = load(&file, &attrpath, root)?;
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

fn get(file: &PathBuf, attrpath: &str, root: RootFlag) -> Result<(), Failure> {
    recover_if_idle(&repository_of(file))?;
    let (text, nix, path) = load(file, attrpath, root)?;
    let value = edit::get_value(&nix, &path).map_err(|err| report(file, &text, &err))?;
    println!("{value}");
    Ok(())
}

fn load(
    file: &PathBuf,
    attrpath: &str,
    root: RootFlag,
) -> Result<(String, NixFile, AttrPath), Failure> {
    let text = fs::read_to_string(file).map_err(|err| {
        eprintln!("error: {}: cannot read: {err}", file.display());
        Failure(2)
    })?;
    let keys = edit::parse_attrpath(attrpath).map_err(|err| report(file, &text, &err))?;
    let path = if root.in_let { AttrPath::in_let(keys) } else { AttrPath::from(keys) };
    let nix = NixFile::parse(&text).map_err(|err| report(file, &text, &err))?;
    Ok((text, nix, path))
}

fn report(file: &std::path::Path, text: &str, err: &Error) -> Failure {
    eprint!("error: {}", render_error(&file.display().to_string(), text, err));
    Failure(2)
}
