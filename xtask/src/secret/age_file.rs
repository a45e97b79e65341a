//! age files: encrypting to recipients, decrypting with an identity, and reading which
//! recipients a file's header names, without any key.
//!
//! The tool writes ASCII-armored files (`-----BEGIN AGE ENCRYPTED FILE-----`): text, so that
//! they go through the repository's text transactions like every other file. `age -d`, rage and
//! agenix (which runs one of them with `--decrypt`) detect armor by themselves, and agenix's
//! `armor = true` rule writes the same form. Binary files, as `age -e` and agenix write them by
//! default, are read alike.

use std::io::{Read, Write};

use age::armor::{ArmoredReader, ArmoredWriter, Format};

use super::keys::{Identity, PublicKey};

/// Why a file could not be decrypted, worded without its content.
#[derive(Debug)]
pub enum DecryptFailure {
    /// None of the identity's keys is a recipient of the file.
    NotARecipient,
    /// The file is not an age file, or is damaged.
    Invalid(String),
    /// The SSH key is encrypted and no passphrase was given.
    Locked,
}

pub fn encrypt(recipients: &[PublicKey], plaintext: &[u8]) -> Result<String, String> {
    let boxed: Vec<Box<dyn age::Recipient + Send>> =
        recipients.iter().map(PublicKey::recipient).collect();
    let encryptor =
        age::Encryptor::with_recipients(boxed.iter().map(|r| r.as_ref() as &dyn age::Recipient))
            .map_err(|e| format!("cannot encrypt: {e}"))?;
    let mut out = Vec::new();
    let armored = ArmoredWriter::wrap_output(&mut out, Format::AsciiArmor)
        .map_err(|e| format!("cannot encrypt: {e}"))?;
    let mut writer = encryptor.wrap_output(armored).map_err(|e| format!("cannot encrypt: {e}"))?;
    writer
        .write_all(plaintext)
        .and_then(|()| writer.finish())
        .and_then(|armored| armored.finish())
        .map_err(|e| format!("cannot encrypt: {e}"))?;
    Ok(String::from_utf8(out).expect("armor is ASCII"))
}

pub fn decrypt(identity: &Identity, ciphertext: &[u8]) -> Result<Vec<u8>, DecryptFailure> {
    let decryptor = age::Decryptor::new_buffered(ArmoredReader::new(ciphertext))
        .map_err(|e| DecryptFailure::Invalid(e.to_string()))?;
    let mut reader = decryptor.decrypt(identity.as_age()).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys => DecryptFailure::NotARecipient,
        age::DecryptError::KeyDecryptionFailed => DecryptFailure::Locked,
        other => DecryptFailure::Invalid(other.to_string()),
    })?;
    let mut plaintext = Vec::new();
    reader.read_to_end(&mut plaintext).map_err(|e| DecryptFailure::Invalid(e.to_string()))?;
    Ok(plaintext)
}

/// Whether a file is armored text rather than age's binary form.
pub fn is_armored(bytes: &[u8]) -> bool {
    bytes.trim_ascii_start().starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
}

/// The armored form of a binary age file: the same ciphertext, in base64 lines. Every age
/// implementation reads both forms as one.
pub fn armor(binary: &[u8]) -> Result<String, String> {
    let mut out = Vec::new();
    let mut writer = ArmoredWriter::wrap_output(&mut out, Format::AsciiArmor)
        .map_err(|e| format!("cannot armor: {e}"))?;
    writer
        .write_all(binary)
        .and_then(|()| writer.finish().map(drop))
        .map_err(|e| format!("cannot armor: {e}"))?;
    Ok(String::from_utf8(out).expect("armor is ASCII"))
}

/// The recipient stanzas of a file's header, as `(type, first argument)`: for `ssh-ed25519`
/// and `ssh-rsa` the argument is the key's tag; an `X25519` stanza's is an ephemeral share that
/// names no recipient.
pub fn stanzas(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut binary = Vec::new();
    ArmoredReader::new(bytes)
        .read_to_end(&mut binary)
        .map_err(|e| format!("not an age file: {e}"))?;
    let end = binary
        .windows(4)
        .position(|w| w == b"\n---")
        .ok_or_else(|| "not an age file: its header has no end".to_owned())?;
    let header = std::str::from_utf8(&binary[..end])
        .map_err(|_| "not an age file: its header is not text".to_owned())?;
    let mut lines = header.lines();
    if lines.next() != Some("age-encryption.org/v1") {
        return Err("not an age file (no `age-encryption.org/v1` line)".to_owned());
    }
    Ok(lines
        .filter_map(|line| line.strip_prefix("-> "))
        // Grease stanzas (`-> x-grease ...`), which age adds at random to keep parsers lenient,
        // name no recipient.
        .filter(|stanza| !stanza.split(' ').next().unwrap_or_default().ends_with("-grease"))
        .map(|stanza| {
            let mut args = stanza.split(' ');
            let kind = args.next().unwrap_or_default().to_owned();
            (kind, args.next().unwrap_or_default().to_owned())
        })
        .collect())
}
