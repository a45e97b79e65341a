//! `lib/backup/steps.sh`, built into the tool, with the machine's layout ahead of it: the same
//! text `lib/backup.nix`'s `stepsScript` makes for the backup unit (a test holds them equal).

/// The backup and restore steps, as shell functions.
pub const STEPS: &str = include_str!("../../../lib/backup/steps.sh");

/// Where a machine keeps what the steps work on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// Where its file system starts: empty on a machine; the tests lay one out under a
    /// temporary directory.
    pub root: String,
    /// The system user PostgreSQL runs as, whose peer login is the superuser.
    pub postgres_user: String,
}

impl Machine {
    /// A NixOS machine: lib/backup.nix's `nixosMachine`.
    pub fn nixos() -> Machine {
        Machine { root: String::new(), postgres_user: "postgres".to_owned() }
    }

    pub fn state_directory(&self, domain: &str) -> String {
        format!("{}/var/lib/{domain}", self.root)
    }
}

/// The steps after the machine's layout, as `stepsScript` in lib/backup.nix writes them.
pub fn steps_script(machine: &Machine) -> String {
    format!(
        "root={}\npostgres_user={}\n{STEPS}",
        quote(&machine.root),
        quote(&machine.postgres_user)
    )
}

/// One POSIX shell word, always single-quoted, as lib/backup.nix's `shellQuote`.
pub fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_comes_first_and_quoted() {
        let machine = Machine { root: "/tmp/it's".to_owned(), postgres_user: "nobody".to_owned() };
        let script = steps_script(&machine);
        assert!(script.starts_with("root='/tmp/it'\\''s'\npostgres_user='nobody'\n# The backup"));
        assert!(script.ends_with(STEPS));
    }
}
