//! `cargo xtask secret ...`: a monolith's encrypted secrets. The value of `set` comes from
//! standard input, or from the terminal without echo, never from the command line, so it is in
//! no process list or shell history. A write shows which keys change, never encrypted bytes.

use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;

use clap::Subcommand;

use super::{render_error, unified_diff, Failure};
use crate::secret::{self, Identity, SecretChange, SecretError};
use crate::transaction::RepoLock;

#[derive(Subcommand)]
pub enum SecretCommand {
    /// Set KEY in NAME's secrets to the value on standard input (typed without echo on a terminal)
    Set {
        name: String,
        key: String,
        #[command(flatten)]
        identity: IdentityArg,
        /// Write without asking
        #[arg(long)]
        yes: bool,
    },
    /// List the keys of NAME's secrets (never their values)
    List {
        name: String,
        #[command(flatten)]
        identity: IdentityArg,
    },
    /// Remove KEY from NAME's secrets
    Rm {
        name: String,
        key: String,
        #[command(flatten)]
        identity: IdentityArg,
        /// Write without asking
        #[arg(long)]
        yes: bool,
    },
    /// Encrypt the secrets (of NAME, or all) again for the recipients secrets/secrets.nix lists
    Rekey {
        name: Option<String>,
        #[command(flatten)]
        identity: IdentityArg,
        /// Write without asking
        #[arg(long)]
        yes: bool,
    },
    /// Add HOST's public SSH host key to secrets/secrets.nix, for every rule that lists hosts
    AddHost {
        host: String,
        /// The key, as in /etc/ssh/ssh_host_ed25519_key.pub on the host: "ssh-ed25519 AAAA..."
        pubkey: String,
        /// Write without asking
        #[arg(long)]
        yes: bool,
    },
}

#[derive(clap::Args)]
pub struct IdentityArg {
    /// Your private key: an SSH key or an age identity file (default: $NMMM_IDENTITY, else
    /// ~/.ssh/id_ed25519)
    #[arg(long, value_name = "FILE")]
    identity: Option<PathBuf>,
}

impl IdentityArg {
    fn load(&self) -> Result<Identity, Failure> {
        Identity::load(&secret::identity_path(self.identity.as_deref())).map_err(fail)
    }
}

pub fn run(command: SecretCommand, wait: std::time::Duration) -> Result<(), Failure> {
    // Commands that write hold the repository's lock from before they read it.
    let (mut lock, repo) = match &command {
        SecretCommand::List { .. } => (None, super::monolith::load()?),
        _ => {
            let (lock, repo) = super::monolith::load_for_writing(wait)?;
            (Some(lock), repo)
        }
    };
    let mut write = |change: &SecretChange, yes: bool| {
        write(change, yes, lock.as_mut().expect("commands that write hold the lock"))
    };
    match command {
        SecretCommand::Set { name, key, identity, yes } => {
            let identity = identity.load()?;
            // A wrong key or a broken file fails before the value is asked for.
            if repo.root.join(secret::secret_path(&name)).exists() {
                secret::list(&repo, &name, &identity).map_err(fail)?;
            }
            let value = read_value(&name, &key)?;
            let change = secret::set(&repo, &name, &key, &value, &identity).map_err(fail)?;
            drop(value);
            write(&change, yes)
        }
        SecretCommand::List { name, identity } => {
            let identity = identity.load()?;
            let mut out = io::stdout().lock();
            for key in secret::list(&repo, &name, &identity).map_err(fail)? {
                let _ = writeln!(out, "{key}");
            }
            Ok(())
        }
        SecretCommand::Rm { name, key, identity, yes } => {
            let identity = identity.load()?;
            write(&secret::rm(&repo, &name, &key, &identity).map_err(fail)?, yes)
        }
        SecretCommand::Rekey { name, identity, yes } => {
            let identity = identity.load()?;
            write(&secret::rekey(&repo, name.as_deref(), &identity).map_err(fail)?, yes)
        }
        SecretCommand::AddHost { host, pubkey, yes } => {
            write(&secret::add_host(&repo, &host, &pubkey).map_err(fail)?, yes)
        }
    }
}

/// The value: typed without echo on a terminal, else all of standard input less one final line
/// break.
fn read_value(name: &str, key: &str) -> Result<String, Failure> {
    if io::stdin().is_terminal() {
        return rpassword::prompt_password(format!("{key} for {name} (not shown): ")).map_err(
            |e| {
                eprintln!("error: cannot read the value from the terminal: {e}");
                Failure(2)
            },
        );
    }
    let mut value = String::new();
    io::stdin().read_to_string(&mut value).map_err(|e| {
        eprintln!("error: cannot read the value from standard input: {e}");
        Failure(2)
    })?;
    let trimmed = value.strip_suffix('\n').map(|v| v.strip_suffix('\r').unwrap_or(v));
    Ok(trimmed.map(str::to_owned).unwrap_or(value))
}

/// Shows what changes (the rules' diff; for encrypted files, which keys), asks, and writes.
fn write(change: &SecretChange, yes: bool, lock: &mut RepoLock) -> Result<(), Failure> {
    let notes = || {
        for note in &change.notes {
            eprintln!("note: {note}");
        }
    };
    if change.transaction.is_empty() {
        notes();
        eprintln!("nothing to change");
        return Ok(());
    }
    let color = super::use_color();
    let mut out = io::stdout().lock();
    for file in change.transaction.changes() {
        match change.summary.iter().find(|(path, _)| *path == file.path) {
            Some((path, what)) => {
                let verb = if file.before.is_some() { "changed" } else { "new" };
                let _ = writeln!(out, "{} ({verb}, encrypted): {what}", path.display());
            }
            None => {
                let name = file.path.display().to_string();
                let before = file.before.as_deref().unwrap_or("");
                let after = file.after.as_deref().unwrap_or("");
                let _ = out.write_all(unified_diff(&name, before, after, color).as_bytes());
            }
        }
    }
    let _ = out.flush();
    drop(out);
    if !yes && !super::confirm("Write these changes?", "write the changes")? {
        eprintln!("nothing written");
        return Err(Failure(1));
    }
    if let Err(err) = change.write(lock) {
        eprintln!("error: {err}\nnothing was written");
        return Err(Failure(2));
    }
    for file in change.transaction.changes() {
        eprintln!("wrote {}", file.path.display());
    }
    notes();
    Ok(())
}

fn fail(err: SecretError) -> Failure {
    match err {
        SecretError::Message(message) => eprintln!("error: {message}\nnothing was changed"),
        SecretError::Nix { path, text, error } => {
            eprint!("error: {}", render_error(&path.display().to_string(), &text, &error));
            eprintln!("nothing was changed");
        }
    }
    Failure(2)
}
