//! The monolith workflows: new, remove, list, check, init. They read a repository through
//! [`crate::repo`], change it through the edit engine's operations, and know nothing of syntax
//! trees.

mod adopted;
pub mod check;
mod database;
pub mod names;
pub mod new;
mod plan;
pub mod remove;
mod template;

pub use plan::{Plan, WorkflowError};
pub use template::files as template_files;

/// Rewrites a copied monolith's text for its new name in one pass: each of `pairs` (old, new)
/// where it appears, then the old name where it starts a word (`massapp`, `massapp_port`,
/// `massappDomain`; not `bigmassapp`), in lowercase, Capitalised and UPPERCASE.
pub fn rebrand(text: &str, pairs: &[(String, String)], from: &str, to: &str) -> String {
    let capital = |s: &str| {
        let mut c = s.chars();
        c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
    };
    let mut rules: Vec<(String, String)> = pairs.to_vec();
    let names = [
        (from.to_owned(), to.to_owned()),
        (capital(from), capital(to)),
        (from.to_uppercase(), to.to_uppercase()),
    ];
    // Longest first, so that a domain containing the name is replaced whole.
    rules.sort_by_key(|(old, _)| std::cmp::Reverse(old.len()));
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    'scan: while i < text.len() {
        let rest = &text[i..];
        for (old, new) in &rules {
            if !old.is_empty() && rest.starts_with(old.as_str()) {
                out.push_str(new);
                i += old.len();
                continue 'scan;
            }
        }
        let word_start = !text[..i].chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric());
        if word_start {
            for (old, new) in &names {
                if rest.starts_with(old.as_str()) {
                    out.push_str(new);
                    i += old.len();
                    continue 'scan;
                }
            }
        }
        let c = rest.chars().next().expect("not at the end");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// A database line of the copied monolith's, made safe: no superuser, no password. Lines that
/// are about nothing else are dropped.
pub fn sanitize_sql(line: &str) -> Option<String> {
    let upper = line.to_uppercase();
    if upper.contains("SUPERUSER") {
        return None;
    }
    let mut line = line.to_owned();
    if let Some(at) = line.to_uppercase().find("PASSWORD") {
        // From `WITH` (or `ENCRYPTED`) before it to the end of the quoted password.
        let head = line[..at].trim_end();
        let head = head.strip_suffix_ci("ENCRYPTED").map(str::trim_end).unwrap_or(head);
        let head = head.strip_suffix_ci("WITH").map(str::trim_end).unwrap_or(head);
        let tail = &line[at + "PASSWORD".len()..];
        let tail = tail.trim_start();
        let tail = match tail.strip_prefix('\'') {
            Some(quoted) => quoted.find('\'').map_or("", |end| &quoted[end + 1..]),
            None => tail.trim_start_matches(|c: char| !c.is_whitespace() && c != ';'),
        };
        line = format!("{head}{tail}");
    }
    let words: Vec<&str> = line.trim_end_matches(';').split_whitespace().collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
    if matches!(upper.as_slice(), [a, b, _] if a == "ALTER" && (b == "USER" || b == "ROLE")) {
        return None;
    }
    Some(line)
}

trait StripSuffixCi {
    fn strip_suffix_ci(&self, suffix: &str) -> Option<&str>;
}

impl StripSuffixCi for str {
    fn strip_suffix_ci(&self, suffix: &str) -> Option<&str> {
        let cut = self.len().checked_sub(suffix.len())?;
        (self.is_char_boundary(cut) && self[cut..].eq_ignore_ascii_case(suffix))
            .then(|| &self[..cut])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebranding_renames_words_that_start_with_the_name() {
        let pairs = [("massapp.com".to_owned(), "massapp2.example".to_owned())];
        assert_eq!(
            rebrand(
                "lib.massapp_port lib.massappDomain Massapp MASSAPP bigmassapp massapp.com",
                &pairs,
                "massapp",
                "shop"
            ),
            "lib.shop_port lib.shopDomain Shop SHOP bigmassapp massapp2.example"
        );
    }

    #[test]
    fn database_lines_lose_superuser_and_passwords() {
        assert_eq!(
            sanitize_sql("CREATE USER shop_prod WITH PASSWORD 'secret';").as_deref(),
            Some("CREATE USER shop_prod;")
        );
        assert_eq!(
            sanitize_sql(
                "create role shop with login encrypted password 'x' valid until 'infinity';"
            )
            .as_deref(),
            Some("create role shop with login valid until 'infinity';")
        );
        assert_eq!(sanitize_sql("ALTER USER shop_prod WITH SUPERUSER;"), None);
        assert_eq!(sanitize_sql("ALTER USER shop_prod WITH PASSWORD 'x';"), None);
        assert_eq!(
            sanitize_sql("CREATE DATABASE shop_prod;").as_deref(),
            Some("CREATE DATABASE shop_prod;")
        );
    }
}
