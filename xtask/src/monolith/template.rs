//! The monolith template (`templates/monolith`), built into the tool, and renaming it.

/// Path inside the new monolith's folder, and content.
const FILES: &[(&str, &str)] = &[
    (".gitignore", include_str!("../../../templates/monolith/.gitignore")),
    ("Cargo.lock", include_str!("../../../templates/monolith/Cargo.lock")),
    ("Cargo.toml", include_str!("../../../templates/monolith/Cargo.toml")),
    ("default.nix", include_str!("../../../templates/monolith/default.nix")),
    ("src/main.rs", include_str!("../../../templates/monolith/src/main.rs")),
];

/// The name the template answers to; every `"monolith"` string in it becomes the new name.
const TEMPLATE_NAME: &str = "monolith";

/// The template's files for a monolith called `name`.
pub fn files(name: &str) -> Vec<(String, String)> {
    FILES
        .iter()
        .map(|(path, text)| (path.to_string(), rename(path, text, TEMPLATE_NAME, name)))
        .collect()
}

/// Renames a monolith's source: the quoted name in its files, and the package's place in
/// `Cargo.lock`, which cargo keeps sorted by name.
pub fn rename(path: &str, text: &str, from: &str, to: &str) -> String {
    let renamed = text.replace(&format!("\"{from}\""), &format!("\"{to}\""));
    if path.ends_with("Cargo.lock") {
        sort_lock_packages(&renamed)
    } else {
        renamed
    }
}

/// Re-sorts the `[[package]]` blocks of a Cargo.lock by name, then version, as cargo writes them.
fn sort_lock_packages(lock: &str) -> String {
    const SEPARATOR: &str = "\n\n[[package]]\n";
    let mut parts = lock.split(SEPARATOR);
    let header = parts.next().unwrap_or_default();
    let mut packages: Vec<&str> = parts.map(|b| b.trim_end_matches('\n')).collect();
    let field = |block: &str, name: &str| {
        block
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_default()
            .trim_matches('"')
            .to_owned()
    };
    packages.sort_by_key(|b| (field(b, "name = "), field(b, "version = ")));
    let mut out = header.to_owned();
    for block in packages {
        out.push_str(SEPARATOR);
        out.push_str(block);
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renaming_keeps_the_lock_file_sorted_and_whole() {
        let lock = FILES[1].1;
        let renamed = rename("Cargo.lock", lock, "monolith", "zz-lastname");
        assert_eq!(renamed.len(), lock.len() + 3);
        let names: Vec<&str> = renamed
            .lines()
            .filter_map(|l| l.strip_prefix("name = \""))
            .map(|l| l.trim_end_matches('"'))
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert!(names.contains(&"zz-lastname"));
        // Renaming back gives the template byte for byte.
        assert_eq!(rename("Cargo.lock", &renamed, "zz-lastname", "monolith"), lock);
    }
}
