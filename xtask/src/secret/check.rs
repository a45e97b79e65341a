//! What `cargo xtask check` warns about secrets: values that look secret in plain text, and
//! encrypted files whose recipients are not the ones `secrets/secrets.nix` lists.
//!
//! An age header has one stanza per recipient. An `ssh-ed25519` or `ssh-rsa` stanza carries a
//! tag derived from the key, so the SSH recipients of a file are known exactly, without any
//! private key. An `X25519` stanza (an `age1...` key) carries only an ephemeral share: it says
//! that there is such a recipient, not which. So for age keys only their number is compared; a
//! file encrypted to another age key than the rules list, in the same number, goes unnoticed
//! until someone fails to decrypt it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::age_file;
use super::keys::PublicKey;
use super::rules::{self, Rules};
use crate::edit::Node;
use crate::monolith::check::{Problem, Severity};
use crate::repo::{attrpath, Repo};

const SECRET_SUFFIXES: &[&str] = &["_KEY", "_SECRET", "_PASSWORD", "_TOKEN"];

pub fn check(repo: &Repo) -> Vec<Problem> {
    let mut problems = Vec::new();
    plain_text_secrets(repo, &mut problems);
    let rules = match Rules::read(&repo.root) {
        Ok(Some(rules)) => rules,
        Ok(None) => return problems,
        Err(super::SecretError::Nix { error, text, .. }) => {
            // A rules file that does not parse is reported by check's parse errors already.
            if !matches!(error.kind, crate::edit::ErrorKind::Syntax(_)) {
                let offset = error.range.map_or(0, |r| usize::from(r.start()));
                problems.push(warning(Path::new(rules::FILE), &text, offset, error.to_string()));
            }
            return problems;
        }
        Err(super::SecretError::Message(m)) => {
            problems.push(warning(Path::new(rules::FILE), "", 0, m));
            return problems;
        }
    };
    for entry in &rules.entries {
        let at = |message: String| {
            warning(Path::new(rules::FILE), &rules.text, entry.range.start, message)
        };
        let path = Path::new(rules::DIR).join(&entry.name);
        if let Ok(bytes) = std::fs::read(repo.root.join(&path)) {
            match age_file::stanzas(&bytes) {
                Ok(stanzas) => {
                    for message in recipient_drift(&path, entry, &stanzas) {
                        problems.push(at(message));
                    }
                }
                Err(why) => problems.push(at(format!("{}: {why}", path.display()))),
            }
        }
        for message in missing_hosts(repo, &rules, entry) {
            problems.push(at(message));
        }
    }
    problems
}

/// `environment` entries named like secrets, with a literal value: in the Nix store, readable
/// by every user of the machine.
fn plain_text_secrets(repo: &Repo, problems: &mut Vec<Problem>) {
    for (path, file) in &repo.files {
        let Some(top) = &file.top else { continue };
        let mut sets: Vec<(String, &Node)> = Vec::new();
        for (owner, root) in
            [("monolith", ["nmmm", "monoliths"]), ("service", ["systemd", "services"])]
        {
            for (name, node) in top.at(&attrpath(&root)).map(Node::entries).unwrap_or_default() {
                if let Some(environment) = node.get("environment") {
                    sets.push((format!("{owner} `{name}`"), environment));
                }
            }
        }
        for (owner, environment) in sets {
            for (key, value) in environment.entries() {
                let secret_like = SECRET_SUFFIXES.iter().any(|s| key.ends_with(s));
                if secret_like && value.as_str().is_some_and(|v| !v.is_empty()) {
                    let name = owner.split('`').nth(1).unwrap_or_default();
                    problems.push(warning(
                        path,
                        &file.text,
                        value.range.start,
                        format!(
                            "`{key}` of {owner} is in plain text, and so in the Nix store that \
                             every user can read; encrypt it with `cargo xtask secret set {name} \
                             {key}`, then remove it here"
                        ),
                    ));
                }
            }
        }
    }
}

/// How the stanzas of a file differ from the recipients its rule lists.
fn recipient_drift(path: &Path, entry: &rules::Entry, stanzas: &[(String, String)]) -> Vec<String> {
    let shown = path.display();
    let rekey = format!(
        "run `cargo xtask secret rekey {}`",
        entry.name.strip_suffix(".env.age").unwrap_or("")
    );
    let expected_ssh: BTreeSet<(&str, String)> = entry
        .recipients
        .iter()
        .filter_map(|r| match &r.key {
            PublicKey::Ssh { tag, .. } => Some((tag.as_str(), r.label())),
            PublicKey::X25519 { .. } => None,
        })
        .collect();
    let expected_tags: BTreeSet<&str> = expected_ssh.iter().map(|(t, _)| *t).collect();
    let found_tags: BTreeSet<&str> = stanzas
        .iter()
        .filter(|(kind, _)| kind == "ssh-ed25519" || kind == "ssh-rsa")
        .map(|(_, tag)| tag.as_str())
        .collect();
    let expected_x25519 =
        entry.recipients.iter().filter(|r| matches!(r.key, PublicKey::X25519 { .. })).count();
    let found_x25519 = stanzas.iter().filter(|(kind, _)| kind == "X25519").count();
    let mut messages = Vec::new();
    let missing: Vec<&str> = expected_ssh
        .iter()
        .filter(|(tag, _)| !found_tags.contains(tag))
        .map(|(_, label)| label.as_str())
        .collect();
    if !missing.is_empty() {
        messages.push(format!(
            "{shown} is not encrypted for {}, which {} lists for it: they cannot decrypt it; {rekey}",
            missing.join(", "),
            rules::FILE
        ));
    }
    let extra = found_tags.difference(&expected_tags).count();
    if extra > 0 {
        messages.push(format!(
            "{shown} is encrypted for {extra} SSH key(s) that {} does not list for it: a removed \
             admin or host can still decrypt it; {rekey}",
            rules::FILE
        ));
    }
    if found_x25519 != expected_x25519 {
        messages.push(format!(
            "{shown} is encrypted for {found_x25519} age key(s), and {} lists {expected_x25519} for \
             it; {rekey}",
            rules::FILE
        ));
    }
    let other: BTreeSet<&str> = stanzas
        .iter()
        .map(|(kind, _)| kind.as_str())
        .filter(|k| !matches!(*k, "ssh-ed25519" | "ssh-rsa" | "X25519"))
        .collect();
    if !other.is_empty() {
        messages.push(format!(
            "{shown} has recipients of a kind the rules cannot list ({}); {rekey}",
            other.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    messages
}

/// The hosts that must decrypt a monolith's file but are not among its recipients: the host
/// that runs it in a fleet, every host of the rules otherwise.
fn missing_hosts(repo: &Repo, rules: &Rules, entry: &rules::Entry) -> Vec<String> {
    let Some(name) = entry.name.strip_suffix(".env.age") else {
        return Vec::new();
    };
    if !repo.inventory.monoliths.iter().any(|m| m.name == name) {
        return Vec::new();
    }
    if rules.hosts.is_empty() {
        return vec![format!(
            "{} lists no host key (`{}`), so no machine can decrypt {}: `cargo xtask secret \
             add-host HOST PUBKEY`",
            rules::FILE,
            rules::HOSTS,
            entry.name
        )];
    }
    let runs_on = {
        let placement = crate::deploy::place(&repo.inventory.hosts, &repo.inventory.monoliths);
        let pinned =
            repo.inventory.monoliths.iter().find(|m| m.name == name).and_then(|m| m.host.clone());
        pinned.or_else(|| placement.assignment.get(name).cloned())
    };
    let named = runs_on.as_ref().filter(|h| rules.hosts.iter().any(|k| k.name.as_ref() == Some(h)));
    if let (Some(host), None, true) = (&runs_on, named, repo.inventory.hosts.len() > 1) {
        return vec![format!(
            "host `{host}` runs `{name}`, but {} has no key named `{host}`: `cargo xtask secret \
             add-host {host} PUBKEY`",
            rules::FILE
        )];
    }
    rules
        .hosts
        .iter()
        .filter(|h| named.is_none() || h.name.as_ref() == named)
        .filter(|h| !entry.recipients.iter().any(|r| r.key == h.key))
        .map(|h| {
            let host = h.name.clone().unwrap_or_else(|| super::keys::short(h.key.text()));
            format!(
                "host `{host}` is not a recipient of {}: its agenix cannot decrypt `{name}`'s \
                 secrets; add it to the rule, then `cargo xtask secret rekey {name}`",
                entry.name
            )
        })
        .collect()
}

fn warning(file: &Path, text: &str, offset: usize, message: String) -> Problem {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    Problem { severity: Severity::Warning, file: PathBuf::from(file), line, col, message }
}
