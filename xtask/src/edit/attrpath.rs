//! Attribute paths: the user's dotted `ATTRPATH` and the keys written in the source.

use rnix::ast;
use rowan::ast::AstNode;

use super::{Error, ErrorKind};

/// Where an attribute path starts: in the file's value (its top-level set), or among the
/// bindings of the `let ... in` around it (`--let`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Root {
    #[default]
    Value,
    Let,
}

/// An attribute path and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub root: Root,
    pub keys: Vec<String>,
}

impl AttrPath {
    /// `keys` among the bindings of the `let ... in` around the file's value.
    pub fn in_let(keys: Vec<String>) -> AttrPath {
        AttrPath { root: Root::Let, keys }
    }
}

impl From<Vec<String>> for AttrPath {
    fn from(keys: Vec<String>) -> AttrPath {
        AttrPath { root: Root::Value, keys }
    }
}

impl From<&Vec<String>> for AttrPath {
    fn from(keys: &Vec<String>) -> AttrPath {
        AttrPath { root: Root::Value, keys: keys.clone() }
    }
}

impl From<&[String]> for AttrPath {
    fn from(keys: &[String]) -> AttrPath {
        AttrPath { root: Root::Value, keys: keys.to_vec() }
    }
}

impl<const N: usize> From<&[String; N]> for AttrPath {
    fn from(keys: &[String; N]) -> AttrPath {
        AttrPath { root: Root::Value, keys: keys.to_vec() }
    }
}

impl From<&AttrPath> for AttrPath {
    fn from(path: &AttrPath) -> AttrPath {
        path.clone()
    }
}

/// Splits `a.b."c.d".e` into its segments; quoted segments may contain dots and `\"`.
pub fn parse_attrpath(path: &str) -> Result<Vec<String>, Error> {
    let bad = |msg: String| Error::new(ErrorKind::BadAttrpath(msg));
    let mut segments = Vec::new();
    let mut chars = path.chars().peekable();
    loop {
        let mut segment = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => match chars.next() {
                        Some(n) => segment.push(n),
                        None => break,
                    },
                    '$' if chars.peek() == Some(&'{') => {
                        return Err(bad(format!(
                            "`{path}`: interpolation `${{` is not allowed in a path segment"
                        )))
                    }
                    c => segment.push(c),
                }
            }
            if !closed {
                return Err(bad(format!("`{path}`: unterminated quoted segment")));
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                if c == '"' || c == '$' || c.is_whitespace() {
                    return Err(bad(format!(
                        "`{path}`: `{c}` must be inside a quoted segment, as in `a.\"b c\"`"
                    )));
                }
                segment.push(c);
                chars.next();
            }
            if segment.is_empty() {
                return Err(bad(format!("`{path}`: empty segment")));
            }
        }
        segments.push(segment);
        match chars.next() {
            None => return Ok(segments),
            Some('.') => {}
            Some(c) => {
                return Err(bad(format!(
                    "`{path}`: expected `.` after a quoted segment, found `{c}`"
                )))
            }
        }
    }
}

/// A key as written in the source: a literal name, or one computed by interpolation, which never
/// equals a literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Key {
    Literal(String),
    Dynamic,
}

impl Key {
    pub(super) fn is(&self, name: &str) -> bool {
        matches!(self, Key::Literal(k) if k == name)
    }
}

pub(super) fn attr_key(attr: &ast::Attr) -> Key {
    match attr {
        ast::Attr::Ident(ident) => match ident.ident_token() {
            Some(token) => Key::Literal(token.text().to_owned()),
            // `or` parses as an identifier node without an identifier token.
            None => Key::Literal(ident.syntax().text().to_string()),
        },
        ast::Attr::Str(s) => string_literal(s).map_or(Key::Dynamic, Key::Literal),
        // `${"name"}` names a literal key; anything else is computed.
        ast::Attr::Dynamic(d) => match d.expr() {
            Some(ast::Expr::Str(s)) => string_literal(&s).map_or(Key::Dynamic, Key::Literal),
            _ => Key::Dynamic,
        },
    }
}

pub(super) fn attrpath_keys(path: &ast::Attrpath) -> Vec<Key> {
    path.attrs().map(|a| attr_key(&a)).collect()
}

/// The names of an attribute path when every one is literal; `None` when one is `${...}`.
pub(super) fn literal_keys(path: &ast::Attrpath) -> Option<Vec<String>> {
    attrpath_keys(path)
        .into_iter()
        .map(|k| match k {
            Key::Literal(k) => Some(k),
            Key::Dynamic => None,
        })
        .collect()
}

/// The value of a string without interpolation.
pub(super) fn string_literal(s: &ast::Str) -> Option<String> {
    let mut out = String::new();
    for part in s.normalized_parts() {
        match part {
            ast::InterpolPart::Literal(text) => out.push_str(&text),
            ast::InterpolPart::Interpolation(_) => return None,
        }
    }
    Some(out)
}

const KEYWORDS: &[&str] =
    &["assert", "else", "if", "in", "inherit", "let", "or", "rec", "then", "with"];

/// Writes a key as a careful person would: bare when it is an identifier, quoted otherwise.
pub fn quote_key(key: &str) -> String {
    let mut chars = key.chars();
    let bare = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '-'))
        && !KEYWORDS.contains(&key);
    if bare {
        key.to_owned()
    } else {
        quote_string(key)
    }
}

/// A double-quoted Nix string meaning exactly `value`.
pub fn quote_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub(super) fn display_path(segments: &[String]) -> String {
    segments.iter().map(|s| quote_key(s)).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_segments_keep_dots() {
        assert_eq!(
            parse_attrpath(r#"services.nginx.virtualHosts."www.a.com".forceSSL"#).unwrap(),
            ["services", "nginx", "virtualHosts", "www.a.com", "forceSSL"]
        );
        assert_eq!(parse_attrpath(r#""a\"b".c"#).unwrap(), ["a\"b", "c"]);
    }

    #[test]
    fn malformed_paths_are_refused() {
        for bad in ["", "a..b", "a.", r#"a."b"#, r#"a."${x}""#, "a b", r#"a."b"c"#] {
            assert!(parse_attrpath(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn keys_are_quoted_only_when_needed() {
        assert_eq!(quote_key("forceSSL"), "forceSSL");
        assert_eq!(quote_key("www.a.com"), "\"www.a.com\"");
        assert_eq!(quote_key("in"), "\"in\"");
        assert_eq!(quote_key("a${b}"), "\"a\\${b}\"");
        assert_eq!(quote_key("9lives"), "\"9lives\"");
    }
}
