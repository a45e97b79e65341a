//! The decrypted content: `NAME=value` lines as systemd's `EnvironmentFile=` reads them.
//! Comments and blank lines stay as they are; a value with characters systemd would take
//! specially is written in double quotes with `"`, `\`, `` ` `` and `$` escaped.

/// What setting a key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Added,
    Replaced,
    Unchanged,
}

pub struct EnvFile {
    lines: Vec<String>,
}

impl EnvFile {
    pub fn parse(text: &str) -> EnvFile {
        EnvFile { lines: text.lines().map(str::to_owned).collect() }
    }

    pub fn text(&self) -> String {
        self.lines.iter().map(|l| format!("{l}\n")).collect()
    }

    /// The keys, in file order.
    pub fn keys(&self) -> Vec<String> {
        self.lines.iter().filter_map(|l| key_of(l)).map(str::to_owned).collect()
    }

    /// Sets `key` to `value`, replacing its line where it has one.
    pub fn set(&mut self, key: &str, value: &str) -> Outcome {
        let line = format!("{key}={}", quote(value));
        match self.lines.iter().position(|l| key_of(l) == Some(key)) {
            Some(i) if self.lines[i] == line => Outcome::Unchanged,
            Some(i) => {
                self.lines[i] = line;
                // A key written twice: systemd takes the last, so the others go.
                let mut n = 0;
                self.lines.retain(|l| {
                    n += 1;
                    n - 1 <= i || key_of(l) != Some(key)
                });
                Outcome::Replaced
            }
            None => {
                self.lines.push(line);
                Outcome::Added
            }
        }
    }

    /// Removes the lines of `key`; whether there were any.
    pub fn remove(&mut self, key: &str) -> bool {
        let before = self.lines.len();
        self.lines.retain(|l| key_of(l) != Some(key));
        self.lines.len() != before
    }
}

/// A name systemd and every shell accept for an environment variable.
pub fn check_key(key: &str) -> Result<(), String> {
    let mut chars = key.chars();
    let first = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if first && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(())
    } else {
        Err(format!(
            "`{key}` is not an environment variable name: use letters, digits and `_`, \
             not starting with a digit"
        ))
    }
}

/// Whether a value can be written on one line. The message never quotes the value.
pub fn check_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        Err("the value is empty: give it on standard input".to_owned())
    } else if value.contains(['\n', '\r', '\0']) {
        Err("the value has a line break or a NUL byte: a secret is one line".to_owned())
    } else {
        Ok(())
    }
}

fn key_of(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') || trimmed.starts_with(';') {
        return None;
    }
    let (key, _) = trimmed.split_once('=')?;
    let key = key.trim_end();
    check_key(key).ok().map(|()| key)
}

fn quote(value: &str) -> String {
    let plain = value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.,:/@%+=~^".contains(c));
    if plain {
        return value.to_owned();
    }
    let mut out = String::from("\"");
    for c in value.chars() {
        if matches!(c, '"' | '\\' | '`' | '$') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_set_replaced_and_removed_around_comments() {
        let mut env = EnvFile::parse("# payments\nSTRIPE_KEY=old\n\nA=1\n");
        assert_eq!(env.set("STRIPE_KEY", "sk_live"), Outcome::Replaced);
        assert_eq!(env.set("STRIPE_KEY", "sk_live"), Outcome::Unchanged);
        assert_eq!(env.set("SMTP_PASSWORD", "a b\"$c"), Outcome::Added);
        assert_eq!(env.keys(), ["STRIPE_KEY", "A", "SMTP_PASSWORD"]);
        assert!(env.remove("A"));
        assert!(!env.remove("A"));
        assert_eq!(env.text(), "# payments\nSTRIPE_KEY=sk_live\n\nSMTP_PASSWORD=\"a b\\\"\\$c\"\n");
    }

    #[test]
    fn keys_and_values_are_checked_without_quoting_the_value() {
        assert!(check_key("STRIPE_KEY").is_ok());
        assert!(check_key("1X").is_err());
        assert!(check_key("A-B").is_err());
        let err = check_value("line one\nhunter2").unwrap_err();
        assert!(!err.contains("hunter2"));
    }
}
