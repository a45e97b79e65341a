//! `secrets/secrets.nix`, agenix's rules: which public keys each encrypted file is for.
//!
//! ```nix
//! let
//!   alice = "ssh-ed25519 AAAA...";
//!   admins = [ alice ];
//!   machine = "ssh-ed25519 AAAA...";    # /etc/ssh/ssh_host_ed25519_key.pub of the host
//!   hosts = [ machine ];
//! in
//! {
//!   "shop.env.age".publicKeys = admins ++ hosts;
//! }
//! ```
//! Read through the edit engine without evaluating Nix: names bound by the `let`, lists and `++`
//! resolve to their strings. The hosts are the keys of the list bound to `hosts`, each named by
//! its own binding; everything else is an admin's.

use std::path::{Path, PathBuf};

use super::keys::PublicKey;
use super::SecretError;
use crate::edit::{self, NixFile, ResolvedString};

pub const DIR: &str = "secrets";
pub const FILE: &str = "secrets/secrets.nix";
/// The `let` name of the list of host keys.
pub const HOSTS: &str = "hosts";
/// The `let` name of the list of admin keys, in the files the tool writes.
pub const ADMINS: &str = "admins";

/// One public key a rule lists, where it is written, and the names it came through.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub key: PublicKey,
    pub names: Vec<String>,
}

impl Recipient {
    /// The name a person knows the key by: its binding, else a short form of the key.
    pub fn label(&self) -> String {
        self.names.last().cloned().unwrap_or_else(|| super::keys::short(self.key.text()))
    }
}

pub struct Entry {
    /// The file's name as the rules write it, relative to `secrets/` (`shop.env.age`).
    pub name: String,
    pub recipients: Vec<Recipient>,
    /// Byte range of its binding.
    pub range: std::ops::Range<usize>,
}

pub struct Host {
    /// The binding that names the key, when it is one.
    pub name: Option<String>,
    pub key: PublicKey,
}

pub struct Rules {
    pub text: String,
    pub entries: Vec<Entry>,
    pub hosts: Vec<Host>,
}

/// The path of a monolith's secrets, relative to the repository's root.
pub fn secret_path(monolith: &str) -> PathBuf {
    Path::new(DIR).join(entry_name(monolith))
}

pub fn entry_name(monolith: &str) -> String {
    format!("{monolith}.env.age")
}

/// A Nix error in the rules, for the CLI to show at its place.
fn nix_error(text: &str, error: edit::Error) -> SecretError {
    SecretError::Nix { path: FILE.into(), text: text.to_owned(), error }
}

impl Rules {
    /// The rules of the repository at `root`; `None` when it has no `secrets/secrets.nix`.
    pub fn read(root: &Path) -> Result<Option<Rules>, SecretError> {
        match std::fs::read_to_string(root.join(FILE)) {
            Ok(text) => Rules::parse(&text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(SecretError::Message(format!("{FILE}: {e}"))),
        }
    }

    pub fn parse(text: &str) -> Result<Rules, SecretError> {
        let file = NixFile::parse(text).map_err(|e| nix_error(text, e))?;
        let top = edit::read_top_level(&file).map_err(|e| nix_error(text, e))?;
        let keys = |found: Vec<ResolvedString>| -> Result<Vec<Recipient>, SecretError> {
            found
                .into_iter()
                .map(|s| {
                    let key = PublicKey::parse(&s.value).map_err(|m| {
                        let range = rowan::TextRange::new(
                            (s.range.start as u32).into(),
                            (s.range.end as u32).into(),
                        );
                        nix_error(text, edit::Error::at(range, edit::ErrorKind::BadArgument(m)))
                    })?;
                    Ok(Recipient { key, names: s.names })
                })
                .collect()
        };
        let mut entries = Vec::new();
        for (name, node) in top.entries() {
            let path = [name.clone(), "publicKeys".to_owned()];
            let found = edit::resolve_strings(&file, &path).map_err(|e| nix_error(text, e))?;
            let recipients = keys(found.unwrap_or_default())?;
            entries.push(Entry { name: name.clone(), recipients, range: node.range.clone() });
        }
        let found = edit::resolve_let_strings(&file, HOSTS).map_err(|e| nix_error(text, e))?;
        let hosts = keys(found.unwrap_or_default())?
            .into_iter()
            .map(|r| Host { name: (r.names.len() > 1).then(|| r.label()), key: r.key })
            .collect();
        Ok(Rules { text: text.to_owned(), entries, hosts })
    }

    pub fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// Whether `key` is one of the hosts' keys.
    pub fn is_host(&self, key: &PublicKey) -> bool {
        self.hosts.iter().any(|h| h.key == *key)
    }

    /// The publicKeys expression a new entry copies: the one most entries use, as written
    /// (`admins ++ hosts`); `admins ++ hosts` when there is none.
    pub fn pattern(&self) -> Result<String, SecretError> {
        let file = NixFile::parse(&self.text).map_err(|e| nix_error(&self.text, e))?;
        let mut counts: Vec<(String, usize)> = Vec::new();
        for entry in &self.entries {
            let path = [entry.name.clone(), "publicKeys".to_owned()];
            let Ok(text) = edit::get_value(&file, &path) else { continue };
            match counts.iter_mut().find(|(t, _)| *t == text) {
                Some((_, n)) => *n += 1,
                None => counts.push((text, 1)),
            }
        }
        // The first of the most used, so that ties go to the oldest entry.
        let best = counts.iter().map(|(_, n)| *n).max();
        Ok(counts
            .into_iter()
            .find(|(_, n)| Some(*n) == best)
            .map_or_else(|| format!("{ADMINS} ++ {HOSTS}"), |(text, _)| text))
    }
}

/// A new `secrets/secrets.nix`, with the first admin and host keys given.
pub fn new_rules(admin: Option<(&str, &str)>, host: Option<(&str, &str)>) -> String {
    let binding = |b: Option<(&str, &str)>| {
        b.map(|(name, key)| format!("  {name} = {};\n", edit::quote_string(key)))
            .unwrap_or_default()
    };
    let list =
        |b: Option<(&str, &str)>| b.map_or("[ ]".to_owned(), |(name, _)| format!("[ {name} ]"));
    format!(
        "# Who can decrypt each secret: agenix's rules, read by agenix's CLI and by\n\
         # `cargo xtask secret`. Admins edit secrets with their own key; hosts decrypt them with\n\
         # their SSH host key (`cargo xtask secret add-host HOST PUBKEY`, then\n\
         # `cargo xtask secret rekey`).\n\
         let\n{}  {ADMINS} = {};\n{}  {HOSTS} = {};\nin\n{{\n}}\n",
        binding(admin),
        list(admin),
        binding(host),
        list(host),
    )
}
