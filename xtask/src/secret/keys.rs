//! Keys: the identity a person decrypts with (an SSH private key or an age identity file), and
//! the public keys secrets are encrypted to (`ssh-ed25519`, `ssh-rsa`, `age1...`), as age and
//! agenix read them.

use std::io::{BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::secrecy::SecretString;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::SecretError;

/// The private key that decrypts: `--identity`, else `$NMMM_IDENTITY`, else `~/.ssh/id_ed25519`.
pub fn identity_path(flag: Option<&Path>) -> PathBuf {
    if let Some(path) = flag {
        return path.to_owned();
    }
    if let Some(path) = std::env::var_os("NMMM_IDENTITY").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    home.join(".ssh/id_ed25519")
}

/// A loaded identity, with its public key when it is known (an age identity's is computed, an
/// SSH key's is read from the `.pub` file beside it).
pub struct Identity {
    pub path: PathBuf,
    identities: Vec<Box<dyn age::Identity>>,
    pub public: Option<String>,
}

impl Identity {
    pub fn load(path: &Path) -> Result<Identity, SecretError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            SecretError::Message(format!(
                "cannot read the identity {shown}: {e}; pass --identity FILE or set NMMM_IDENTITY \
                 to your SSH private key or age identity file"
            ))
        })?;
        if text.trim_start().starts_with("-----BEGIN") {
            let ssh = age::ssh::Identity::from_buffer(BufReader::new(text.as_bytes()), Some(shown.clone()))
                .map_err(|_| {
                    SecretError::Message(format!(
                        "{shown}: not an SSH private key age can use (ssh-ed25519 or ssh-rsa in OpenSSH's format)"
                    ))
                })?;
            let identity: Box<dyn age::Identity> = match ssh {
                age::ssh::Identity::Unsupported(_) => {
                    return Err(SecretError::Message(format!(
                        "{shown}: this kind of SSH key cannot decrypt age files; use an ssh-ed25519 or ssh-rsa key"
                    )))
                }
                age::ssh::Identity::Encrypted(_) => Box::new(ssh.with_callbacks(Passphrase)),
                age::ssh::Identity::Unencrypted(_) => Box::new(ssh),
            };
            let public = std::fs::read_to_string(format!("{shown}.pub"))
                .ok()
                .map(|p| p.trim().to_owned())
                .filter(|p| PublicKey::parse(p).is_ok());
            return Ok(Identity { path: path.to_owned(), identities: vec![identity], public });
        }
        let mut identities: Vec<Box<dyn age::Identity>> = Vec::new();
        let mut public = None;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // The line is never quoted back: it is a private key.
            let identity = age::x25519::Identity::from_str(line).map_err(|_| {
                SecretError::Message(format!(
                    "{shown}:{}: not an age identity (AGE-SECRET-KEY-1...) nor an SSH private key",
                    n + 1
                ))
            })?;
            public.get_or_insert_with(|| identity.to_public().to_string());
            identities.push(Box::new(identity));
        }
        if identities.is_empty() {
            return Err(SecretError::Message(format!("{shown}: the file holds no identity")));
        }
        Ok(Identity { path: path.to_owned(), identities, public })
    }

    pub fn as_age(&self) -> impl Iterator<Item = &dyn age::Identity> {
        self.identities.iter().map(|i| i.as_ref())
    }
}

/// Asks for the passphrase of an encrypted SSH key on the terminal, without echo.
#[derive(Clone, Copy)]
struct Passphrase;

impl age::Callbacks for Passphrase {
    fn display_message(&self, message: &str) {
        eprintln!("{message}");
    }

    fn confirm(&self, _: &str, _: &str, _: Option<&str>) -> Option<bool> {
        None
    }

    fn request_public_string(&self, _: &str) -> Option<String> {
        None
    }

    fn request_passphrase(&self, description: &str) -> Option<SecretString> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        rpassword::prompt_password(format!("{description}: ")).ok().map(SecretString::from)
    }
}

/// A public key secrets are encrypted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// An SSH key, with the tag age writes in its stanza (see [`ssh_tag`]).
    Ssh { key: String, tag: String },
    /// An age X25519 key (`age1...`): its stanza says nothing of it.
    X25519 { key: String },
}

impl PublicKey {
    pub fn parse(text: &str) -> Result<PublicKey, String> {
        let text = text.trim();
        if text.starts_with("age1") {
            age::x25519::Recipient::from_str(text)
                .map(|_| PublicKey::X25519 { key: text.to_owned() })
                .map_err(|e| format!("`{text}` is not an age public key: {e}"))
        } else {
            age::ssh::Recipient::from_str(text)
                .map_err(|_| {
                    format!(
                        "`{text}` is not a public key age can encrypt to: use `ssh-ed25519 AAAA...` \
                         (an SSH key's .pub file), `ssh-rsa AAAA...` or `age1...`"
                    )
                })
                .and_then(|_| {
                    ssh_tag(text).map(|tag| PublicKey::Ssh { key: text.to_owned(), tag })
                })
        }
    }

    pub fn recipient(&self) -> Box<dyn age::Recipient + Send> {
        match self {
            PublicKey::Ssh { key, .. } => {
                Box::new(age::ssh::Recipient::from_str(key).expect("checked by parse"))
            }
            PublicKey::X25519 { key } => {
                Box::new(age::x25519::Recipient::from_str(key).expect("checked by parse"))
            }
        }
    }

    pub fn text(&self) -> &str {
        match self {
            PublicKey::Ssh { key, .. } | PublicKey::X25519 { key } => key,
        }
    }
}

/// The tag of an SSH key in an age header (`-> ssh-ed25519 TAG ...`): the first four bytes of
/// the SHA-256 of the key's wire encoding (the base64 field of the `.pub` line), in unpadded
/// base64. It names the key without revealing it; an X25519 stanza has no such tag.
pub fn ssh_tag(public_key: &str) -> Result<String, String> {
    let field = public_key.split_whitespace().nth(1).unwrap_or("");
    let wire = base64::engine::general_purpose::STANDARD
        .decode(field)
        .map_err(|_| format!("`{public_key}` has no base64 key"))?;
    let digest = Sha256::digest(&wire);
    Ok(base64::engine::general_purpose::STANDARD_NO_PAD.encode(&digest[..4]))
}

/// A short name for a key in messages: its last field when that is a comment, else its start.
pub fn short(key: &str) -> String {
    let fields: Vec<&str> = key.split_whitespace().collect();
    match fields.as_slice() {
        [kind, _, comment, ..] => format!("{kind} ({comment})"),
        [kind, body] => format!("{kind} {}…", &body[..body.len().min(12)]),
        [one] => format!("{}…", &one[..one.len().min(16)]),
        [] => String::new(),
    }
}
