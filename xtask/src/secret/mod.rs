//! `cargo xtask secret`: a monolith's secrets, age-encrypted in `secrets/NAME.env.age` for the
//! keys agenix's `secrets/secrets.nix` lists, decrypted on the machine by agenix.
//!
//! The workflows decrypt with the user's own identity, change `NAME=value` lines in memory, and
//! encrypt again to exactly the recipients the rules list. Plaintext never leaves memory: no
//! temporary file, no argument, no message and no preview holds a value; a change is described by
//! the keys it touches. Nothing here knows of terminals or the command line.

mod age_file;
mod check;
mod env;
mod keys;
mod rules;

use std::path::{Path, PathBuf};

pub use check::check;
pub use keys::{identity_path, Identity};
pub use rules::{secret_path, FILE as RULES_FILE};

use crate::edit::{self, Change, NixFile};
use crate::monolith::names::check_name;
use crate::monolith::{Plan, WorkflowError};
use crate::repo::scan::relative_nix_path;
use crate::repo::{attrpath, Layout, Repo};
use crate::transaction::{FileChange, Transaction};
use age_file::DecryptFailure;
use env::{EnvFile, Outcome};
use keys::PublicKey;
use rules::{entry_name, Rules, ADMINS, HOSTS};

/// Why a secret workflow stopped; nothing was written.
#[derive(Debug)]
pub enum SecretError {
    /// Worded for the user.
    Message(String),
    /// A Nix file that cannot be read or edited, for the command line to show at its place.
    Nix { path: PathBuf, text: String, error: edit::Error },
}

impl SecretError {
    fn nix(path: &Path, text: &str, error: edit::Error) -> SecretError {
        SecretError::Nix { path: path.to_owned(), text: text.to_owned(), error }
    }
}

/// A change to the repository's secrets: the files, and for each encrypted one what it changes,
/// since the diff of encrypted bytes says nothing.
pub struct SecretChange {
    pub transaction: Transaction,
    /// `(path, what changes)` for every encrypted file of the transaction.
    pub summary: Vec<(PathBuf, String)>,
    pub notes: Vec<String>,
    root: PathBuf,
    /// Binary age files the change replaces, as read: they are armored before the transaction
    /// is committed (see [`SecretChange::write`]).
    binary: Vec<(PathBuf, Vec<u8>)>,
}

impl SecretChange {
    fn new(repo: &Repo) -> SecretChange {
        SecretChange {
            transaction: Transaction::in_dir(&repo.root),
            summary: Vec::new(),
            notes: Vec::new(),
            root: repo.root.clone(),
            binary: Vec::new(),
        }
    }

    /// Queues the new text of a Nix file (the rules, a monolith's entry).
    fn push_text(&mut self, path: &Path, before: Option<String>, after: String) {
        self.transaction.push(FileChange { path: path.to_owned(), before, after: Some(after) });
    }

    /// Queues an encrypted file's new content, replacing `before` (as read) if it exists.
    fn push_encrypted(
        &mut self,
        path: &Path,
        before: Option<Vec<u8>>,
        after: String,
        summary: String,
    ) -> Result<(), SecretError> {
        let before = match before {
            None => None,
            Some(bytes) if age_file::is_armored(&bytes) => {
                Some(String::from_utf8(bytes).map_err(|_| {
                    SecretError::Message(format!("{}: not an age file", path.display()))
                })?)
            }
            Some(bytes) => {
                let armored = age_file::armor(&bytes).map_err(SecretError::Message)?;
                self.binary.push((path.to_owned(), bytes));
                Some(armored)
            }
        };
        self.transaction.push(FileChange { path: path.to_owned(), before, after: Some(after) });
        self.summary.push((path.to_owned(), summary));
        Ok(())
    }

    /// Writes the change. A binary age file (as `age -e` and agenix write them) is first
    /// rewritten in its armored form, the same ciphertext in base64 lines that every age
    /// implementation reads alike, so that the text transaction can check it is unchanged and
    /// replace it together with the other files, all or none.
    pub fn write(&self, lock: &mut crate::transaction::RepoLock) -> Result<(), String> {
        for (path, bytes) in &self.binary {
            let absolute = self.root.join(path);
            let now = std::fs::read(&absolute).map_err(|e| format!("{}: {e}", path.display()))?;
            if now != *bytes {
                return Err(format!(
                    "{}: the file changed on disk since it was read",
                    path.display()
                ));
            }
            let armored = age_file::armor(bytes)?;
            let temp = absolute.with_extension("age.nmmm-armor.tmp");
            std::fs::write(&temp, armored)
                .and_then(|()| {
                    let mode = std::fs::metadata(&absolute)?.permissions();
                    std::fs::set_permissions(&temp, mode)
                })
                .and_then(|()| std::fs::rename(&temp, &absolute))
                .map_err(|e| {
                    let _ = std::fs::remove_file(&temp);
                    format!("{}: {e}", path.display())
                })?;
        }
        self.transaction.commit(lock).map_err(|e| e.to_string())
    }
}

/// The keys of a monolith's secrets, never their values.
pub fn list(repo: &Repo, name: &str, identity: &Identity) -> Result<Vec<String>, SecretError> {
    check_name(name).map_err(|e| SecretError::Message(format!("invalid NAME `{name}`: {e}")))?;
    let path = secret_path(name);
    let bytes = std::fs::read(repo.root.join(&path)).map_err(|e| {
        SecretError::Message(format!(
            "{}: {e}; `cargo xtask secret set {name} KEY` creates it",
            path.display()
        ))
    })?;
    Ok(decrypt_env(identity, &path, &bytes)?.keys())
}

/// Sets `key` of monolith `name` to `value`, creating the file, its rule (and the rules) and its
/// wiring in the module layout when they are missing.
pub fn set(
    repo: &Repo,
    name: &str,
    key: &str,
    value: &str,
    identity: &Identity,
) -> Result<SecretChange, SecretError> {
    check_name(name).map_err(|e| SecretError::Message(format!("invalid NAME `{name}`: {e}")))?;
    env::check_key(key).map_err(SecretError::Message)?;
    env::check_value(value).map_err(|e| SecretError::Message(format!("{key}: {e}")))?;
    let mut change = SecretChange::new(repo);
    let (rules_before, rules_after) = rules_with_entry(repo, name, identity, &mut change.notes)?;
    let rules = Rules::parse(&rules_after)?;
    let recipients = recipients(&rules, name)?;
    let path = secret_path(name);
    let before = read_optional(&repo.root.join(&path))?;
    let mut env = match &before {
        Some(bytes) => decrypt_env(identity, &path, bytes)?,
        None => EnvFile::parse(""),
    };
    let done = match env.set(key, value) {
        Outcome::Added => "added",
        Outcome::Replaced => "replaced",
        Outcome::Unchanged if before.is_some() && rules_before.as_ref() == Some(&rules_after) => {
            change.notes.push(format!("{key} of {name} has that value already"));
            return Ok(change);
        }
        Outcome::Unchanged => "unchanged",
    };
    let after = age_file::encrypt(&recipient_keys(&recipients), env.text().as_bytes())
        .map_err(SecretError::Message)?;
    change.push_text(Path::new(rules::FILE), rules_before, rules_after);
    let summary = format!("{key} {done}; encrypted for {}", labels(&recipients));
    change.push_encrypted(&path, before, after, summary)?;
    wire(repo, name, &mut change)?;
    note_unreadable(identity, &recipients, name, &mut change.notes);
    Ok(change)
}

/// Removes `key` from monolith `name`'s secrets.
pub fn rm(
    repo: &Repo,
    name: &str,
    key: &str,
    identity: &Identity,
) -> Result<SecretChange, SecretError> {
    check_name(name).map_err(|e| SecretError::Message(format!("invalid NAME `{name}`: {e}")))?;
    env::check_key(key).map_err(SecretError::Message)?;
    let rules = read_rules(repo)?;
    let recipients = recipients(&rules, name)?;
    let path = secret_path(name);
    let bytes = std::fs::read(repo.root.join(&path))
        .map_err(|e| SecretError::Message(format!("{}: {e}", path.display())))?;
    let mut env = decrypt_env(identity, &path, &bytes)?;
    if !env.remove(key) {
        return Err(SecretError::Message(format!(
            "{} has no `{key}`; it has: {}",
            path.display(),
            env.keys().join(", ")
        )));
    }
    let after = age_file::encrypt(&recipient_keys(&recipients), env.text().as_bytes())
        .map_err(SecretError::Message)?;
    let mut change = SecretChange::new(repo);
    let summary = format!("{key} removed; encrypted for {}", labels(&recipients));
    change.push_encrypted(&path, Some(bytes), after, summary)?;
    Ok(change)
}

/// Encrypts every file the rules list (or monolith `name`'s) again, for exactly the recipients
/// the rules list now.
pub fn rekey(
    repo: &Repo,
    name: Option<&str>,
    identity: &Identity,
) -> Result<SecretChange, SecretError> {
    let rules = read_rules(repo)?;
    let entries: Vec<&rules::Entry> = match name {
        Some(name) => {
            check_name(name)
                .map_err(|e| SecretError::Message(format!("invalid NAME `{name}`: {e}")))?;
            recipients(&rules, name)?;
            vec![rules.entry(&entry_name(name)).expect("recipients found it")]
        }
        None => rules.entries.iter().collect(),
    };
    let mut change = SecretChange::new(repo);
    for entry in entries {
        let path = Path::new(rules::DIR).join(&entry.name);
        let Some(bytes) = read_optional(&repo.root.join(&path))? else {
            change
                .notes
                .push(format!("{} does not exist yet: nothing to re-encrypt", path.display()));
            continue;
        };
        if entry.recipients.is_empty() {
            return Err(no_recipients(&entry.name));
        }
        // Any content, not only `NAME=value` lines: every file agenix's rules list is re-encrypted.
        let plaintext = decrypt(identity, &path, &bytes)?;
        let after = age_file::encrypt(&recipient_keys(&entry.recipients), &plaintext)
            .map_err(SecretError::Message)?;
        let summary = format!("re-encrypted for {}", labels(&entry.recipients));
        change.push_encrypted(&path, Some(bytes), after, summary)?;
    }
    Ok(change)
}

/// Adds host `host`'s public key to the rules, to the `hosts` list and to every rule that lists
/// hosts one by one. The files are encrypted for it by the next `rekey`.
pub fn add_host(repo: &Repo, host: &str, public_key: &str) -> Result<SecretChange, SecretError> {
    let key = PublicKey::parse(public_key).map_err(SecretError::Message)?;
    let path = Path::new(rules::FILE);
    let before = read_optional(&repo.root.join(path))?
        .map(|b| {
            String::from_utf8(b)
                .map_err(|_| SecretError::Message(format!("{}: not text", rules::FILE)))
        })
        .transpose()?;
    let quoted = edit::quote_string(key.text());
    let after = match &before {
        None => {
            // The name is checked as the engine checks every name it binds.
            let text = rules::new_rules(None, Some((host, key.text())));
            check_binding_name(host)?;
            text
        }
        Some(text) => {
            let rules = Rules::parse(text)?;
            // After the last host's key, else just before the `hosts` list.
            let bound: Vec<String> = edit::read_let_bindings(
                &NixFile::parse(text).map_err(|e| SecretError::nix(path, text, e))?,
            )
            .map_err(|e| SecretError::nix(path, text, e))?
            .into_iter()
            .map(|(n, _)| n)
            .collect();
            let before_list = bound.iter().position(|n| n == HOSTS).and_then(|i| i.checked_sub(1));
            let anchor = rules
                .hosts
                .iter()
                .filter_map(|h| h.name.clone())
                .next_back()
                .or_else(|| before_list.map(|i| bound[i].clone()));
            let mut after =
                edit_rules(text, |f| edit::set_let_binding(f, host, &quoted, anchor.as_deref()))?;
            let has_list = edit::read_let_bindings(
                &NixFile::parse(&after).map_err(|e| SecretError::nix(path, &after, e))?,
            )
            .map_err(|e| SecretError::nix(path, &after, e))?
            .iter()
            .any(|(n, _)| n == HOSTS);
            after = if has_list {
                edit_rules(&after, |f| edit::add_let_list_element(f, HOSTS, host))?
            } else {
                let list = format!("[ {host} ]");
                edit_rules(&after, |f| edit::set_let_binding(f, HOSTS, &list, Some(host)))?
            };
            // Rules that name hosts one by one rather than through `hosts`.
            for entry in &rules.entries {
                let one_by_one = entry.recipients.iter().any(|r| {
                    rules.is_host(&r.key) && r.names.first().map(String::as_str) != Some(HOSTS)
                });
                let through_list = entry
                    .recipients
                    .iter()
                    .any(|r| r.names.first().map(String::as_str) == Some(HOSTS));
                if one_by_one && !through_list {
                    let list = [entry.name.clone(), "publicKeys".to_owned()];
                    after = edit_rules(&after, |f| edit::add_list_element(f, &list, host))?;
                }
            }
            after
        }
    };
    let rules = Rules::parse(&after)?;
    let listing: Vec<&str> = rules
        .entries
        .iter()
        .filter(|e| e.recipients.iter().any(|r| r.key == key))
        .map(|e| e.name.as_str())
        .collect();
    let mut change = SecretChange::new(repo);
    change.push_text(path, before, after);
    if listing.is_empty() {
        change.notes.push(format!("no rule lists `{host}` yet"));
    } else {
        change.notes.push(format!(
            "{host} can decrypt {} once they are encrypted for it: run `cargo xtask secret rekey`",
            listing.join(", ")
        ));
    }
    Ok(change)
}

/// `new-monolith`, when the repository has secrets: the monolith's rule (with the recipients the
/// other rules have), its empty encrypted file, and `secrets = ./secrets/NAME.env.age;` in the
/// module layout. Returns notes for the user.
pub fn wire_new_monolith(
    repo: &Repo,
    plan: &mut Plan,
    name: &str,
) -> Result<Vec<String>, WorkflowError> {
    let rules_path = Path::new(rules::FILE);
    let Some(text) = plan.text(rules_path) else {
        return Ok(Vec::new());
    };
    let workflow = |e: SecretError| match e {
        SecretError::Message(m) => WorkflowError(m),
        SecretError::Nix { path, error, .. } => {
            WorkflowError(format!("{}: {error}", path.display()))
        }
    };
    let entry = entry_name(name);
    let rules = Rules::parse(&text).map_err(workflow)?;
    if rules.entry(&entry).is_none() {
        let pattern = rules.pattern().map_err(workflow)?;
        let list = [entry.clone(), "publicKeys".to_owned()];
        plan.edit(rules_path, |f| edit::set_attr(f, &list, &pattern))?;
    }
    let rules = Rules::parse(&plan.text(rules_path).unwrap_or_default()).map_err(workflow)?;
    let recipients = rules.entry(&entry).map(|e| e.recipients.clone()).unwrap_or_default();
    if recipients.is_empty() {
        return Ok(vec![format!(
            "{}: `{entry}` lists no key yet, so its secrets are not wired: add admins and hosts, \
             then `cargo xtask secret set {name} KEY`",
            rules::FILE
        )]);
    }
    let encrypted = age_file::encrypt(&recipient_keys(&recipients), b"").map_err(WorkflowError)?;
    let path = secret_path(name);
    plan.create(&path, encrypted)?;
    let mut notes =
        vec![format!("its secrets go in {} (`cargo xtask secret set {name} KEY`)", path.display())];
    match &repo.layout {
        Layout::Module(layout) => {
            let file = &layout.monoliths_file;
            let value = relative_nix_path(file.parent().unwrap_or(Path::new("")), &path);
            let option = attrpath(&["nmmm", "monoliths", name, "secrets"]);
            plan.edit(file, |f| edit::set_attr(f, &option, &value))?;
        }
        Layout::Classic(_) | Layout::Adopted(_) => notes.push(classic_wiring(name)),
    }
    Ok(notes)
}

/// `remove-monolith`: the monolith's rule and encrypted file go with it.
pub fn unwire_monolith(repo: &Repo, plan: &mut Plan, name: &str) -> Result<(), WorkflowError> {
    let rules_path = Path::new(rules::FILE);
    let Some(text) = plan.text(rules_path) else {
        return Ok(());
    };
    let entry = entry_name(name);
    let has_rule = NixFile::parse(&text)
        .ok()
        .and_then(|f| edit::read_top_level(&f).ok())
        .is_some_and(|top| top.get(&entry).is_some());
    if has_rule {
        plan.edit(rules_path, |f| edit::remove_attr(f, std::slice::from_ref(&entry)))?;
    }
    let path = secret_path(name);
    if repo.root.join(&path).exists() {
        plan.delete(&path);
    }
    Ok(())
}

fn classic_wiring(name: &str) -> String {
    format!(
        "wire it in the monolith's module by hand: `age.secrets.nmmm-{name}.file = \
         ../secrets/{name}.env.age;` and `systemd.services.{name}.serviceConfig.EnvironmentFile = \
         config.age.secrets.nmmm-{name}.path;` (owner: the service's user)"
    )
}

/// In the module layout, `nmmm.monoliths.NAME.secrets` where it is missing.
fn wire(repo: &Repo, name: &str, change: &mut SecretChange) -> Result<(), SecretError> {
    let Some(monolith) = repo.inventory.monoliths.iter().find(|m| m.name == name) else {
        change.notes.push(format!("no monolith `{name}` here reads these secrets yet"));
        return Ok(());
    };
    match &repo.layout {
        Layout::Module(_) => {
            let file = &monolith.place.file;
            let option = attrpath(&["nmmm", "monoliths", name, "secrets"]);
            let Some(source) = repo.files.get(file) else { return Ok(()) };
            if source.top.as_ref().is_some_and(|t| t.at(&option).is_some()) {
                return Ok(());
            }
            let value =
                relative_nix_path(file.parent().unwrap_or(Path::new("")), &secret_path(name));
            let nix = NixFile::parse(&source.text)
                .map_err(|e| SecretError::nix(file, &source.text, e))?;
            let edited = edit::set_attr(&nix, &option, &value)
                .map_err(|e| SecretError::nix(file, &source.text, e))?;
            change.push_text(file, Some(source.text.clone()), edited.after);
        }
        Layout::Classic(_) | Layout::Adopted(_) => change.notes.push(classic_wiring(name)),
    }
    Ok(())
}

/// The rules' text before (`None`: no file yet) and after making sure monolith `name` has a
/// rule: a new rules file lists the user's own key as the first admin.
fn rules_with_entry(
    repo: &Repo,
    name: &str,
    identity: &Identity,
    notes: &mut Vec<String>,
) -> Result<(Option<String>, String), SecretError> {
    let before = read_optional(&repo.root.join(rules::FILE))?
        .map(|b| {
            String::from_utf8(b)
                .map_err(|_| SecretError::Message(format!("{}: not text", rules::FILE)))
        })
        .transpose()?;
    let text = match &before {
        Some(text) => text.clone(),
        None => {
            let public = identity.public.as_deref().ok_or_else(|| {
                SecretError::Message(format!(
                    "{} does not exist, and the public key of {} is unknown: put it in {}.pub, \
                     or write {} by hand",
                    rules::FILE,
                    identity.path.display(),
                    identity.path.display(),
                    rules::FILE
                ))
            })?;
            notes.push(format!(
                "{} lists your key as its admin and no host yet: add each host's key with \
                 `cargo xtask secret add-host HOST PUBKEY`, then `cargo xtask secret rekey`",
                rules::FILE
            ));
            rules::new_rules(Some(("admin", public)), None)
        }
    };
    let text = with_first_admin(text, identity, notes)?;
    let rules = Rules::parse(&text)?;
    let entry = entry_name(name);
    if rules.entry(&entry).is_some() {
        return Ok((before, text));
    }
    let pattern = rules.pattern()?;
    let list = [entry, "publicKeys".to_owned()];
    let after = edit_rules(&text, |f| edit::set_attr(f, &list, &pattern))?;
    Ok((before, after))
}

/// Rules whose `admins` list is empty (as `add-host` makes them) get the user's own key as
/// their first admin, bound to `admin`, so that whoever sets the first secret can read it back.
fn with_first_admin(
    text: String,
    identity: &Identity,
    notes: &mut Vec<String>,
) -> Result<String, SecretError> {
    let path = Path::new(rules::FILE);
    let file = NixFile::parse(&text).map_err(|e| SecretError::nix(path, &text, e))?;
    let admins =
        edit::resolve_let_strings(&file, ADMINS).map_err(|e| SecretError::nix(path, &text, e))?;
    let taken = edit::read_let_bindings(&file)
        .map_err(|e| SecretError::nix(path, &text, e))?
        .iter()
        .any(|(n, _)| n == "admin");
    let (Some(admins), Some(public), false) = (admins, identity.public.as_deref(), taken) else {
        return Ok(text);
    };
    if !admins.is_empty() {
        return Ok(text);
    }
    let quoted = edit::quote_string(public);
    let text = edit_rules(&text, |f| edit::set_let_binding(f, "admin", &quoted, None))?;
    let text = edit_rules(&text, |f| edit::add_let_list_element(f, ADMINS, "admin"))?;
    notes.push(format!("{} lists your key as its first admin", rules::FILE));
    Ok(text)
}

fn read_rules(repo: &Repo) -> Result<Rules, SecretError> {
    Rules::read(&repo.root)?.ok_or_else(|| {
        SecretError::Message(format!(
            "{} does not exist: `cargo xtask secret set NAME KEY` makes it with your key",
            rules::FILE
        ))
    })
}

/// The recipients the rules list for monolith `name`'s file.
fn recipients(rules: &Rules, name: &str) -> Result<Vec<rules::Recipient>, SecretError> {
    let entry = entry_name(name);
    let found = rules.entry(&entry).ok_or_else(|| {
        SecretError::Message(format!(
            "{} has no rule for `{entry}`: add `\"{entry}\".publicKeys = [ ... ];`",
            rules::FILE
        ))
    })?;
    if found.recipients.is_empty() {
        return Err(no_recipients(&entry));
    }
    Ok(found.recipients.clone())
}

fn no_recipients(entry: &str) -> SecretError {
    SecretError::Message(format!(
        "{}: `{entry}` lists no public key, so nobody could decrypt it; add admins and hosts",
        rules::FILE
    ))
}

fn recipient_keys(recipients: &[rules::Recipient]) -> Vec<PublicKey> {
    recipients.iter().map(|r| r.key.clone()).collect()
}

fn labels(recipients: &[rules::Recipient]) -> String {
    recipients.iter().map(rules::Recipient::label).collect::<Vec<_>>().join(", ")
}

fn note_unreadable(
    identity: &Identity,
    recipients: &[rules::Recipient],
    name: &str,
    notes: &mut Vec<String>,
) {
    let Some(public) = identity.public.as_deref().and_then(|p| PublicKey::parse(p).ok()) else {
        return;
    };
    if !recipients.iter().any(|r| r.key == public) {
        notes.push(format!(
            "your key ({}) is not a recipient of {name}'s secrets: you will not be able to read \
             them back",
            keys::short(public.text())
        ));
    }
}

fn edit_rules(
    text: &str,
    op: impl FnOnce(&NixFile) -> Result<Change, edit::Error>,
) -> Result<String, SecretError> {
    let path = Path::new(rules::FILE);
    let file = NixFile::parse(text).map_err(|e| SecretError::nix(path, text, e))?;
    Ok(op(&file).map_err(|e| SecretError::nix(path, text, e))?.after)
}

fn check_binding_name(name: &str) -> Result<(), SecretError> {
    let probe = NixFile::parse("let a = 1; in { }").expect("parses");
    edit::set_let_binding(&probe, name, "1", None)
        .map(drop)
        .map_err(|e| SecretError::Message(format!("invalid HOST `{name}`: {e}")))
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, SecretError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SecretError::Message(format!("{}: {e}", path.display()))),
    }
}

fn decrypt(identity: &Identity, path: &Path, bytes: &[u8]) -> Result<Vec<u8>, SecretError> {
    let shown = path.display();
    let key = identity.path.display();
    age_file::decrypt(identity, bytes).map_err(|failure| {
        SecretError::Message(match failure {
            DecryptFailure::NotARecipient => format!(
                "cannot decrypt {shown} with {key}: that key is not one of the file's recipients. \
                 Use another key (--identity FILE), or have someone who can decrypt it add yours \
                 to {} and run `cargo xtask secret rekey`",
                rules::FILE
            ),
            DecryptFailure::Locked => format!(
                "{key} is protected by a passphrase: run the command on a terminal to type it"
            ),
            DecryptFailure::Invalid(why) => format!("cannot decrypt {shown}: {why}"),
        })
    })
}

fn decrypt_env(identity: &Identity, path: &Path, bytes: &[u8]) -> Result<EnvFile, SecretError> {
    let plaintext = decrypt(identity, path, bytes)?;
    let text = String::from_utf8(plaintext).map_err(|_| {
        SecretError::Message(format!("{}: the decrypted content is not text", path.display()))
    })?;
    Ok(EnvFile::parse(&text))
}
