//! `nix add-line`: append a line to an indented string `''...''`.
//!
//! ```nix
//! initialScript = pkgs.writeText "init" ''        initialScript = pkgs.writeText "init" ''
//!   CREATE DATABASE shop;                   =>      CREATE DATABASE shop;
//! '';                                               CREATE DATABASE blog;
//!                                                 '';
//! ```
//! The string may be the value itself or the last argument of a call. The new line takes the
//! string's indentation; `${` and `''` in it are escaped so that the string means what was typed;
//! a line already there is not added again.

use rnix::{ast, SyntaxKind};
use rowan::{ast::AstNode, TextRange, TextSize};

use super::attrpath::AttrPath;
use super::layout::{line_indent, Style};
use super::query::{lookup, wrong_kind, Lookup};
use super::set::insert_binding;
use super::{Change, EditSet, Error, ErrorKind, NixFile, TextEdit};

pub fn add_string_line(
    file: &NixFile,
    path: impl Into<AttrPath>,
    line: &str,
) -> Result<Change, Error> {
    let path = path.into();
    if line.contains('\n') || line.contains('\r') {
        return Err(Error::new(ErrorKind::BadArgument(
            "invalid LINE: it must be a single line; add lines one at a time".to_owned(),
        )));
    }
    let escaped = escape_indented_line(line);
    let style = Style::of(file.text());
    let mut edits = EditSet::new();
    match lookup(file, &path)? {
        Lookup::Value { inner, .. } => {
            let string = indented_string(&inner).ok_or_else(|| {
                wrong_kind(
                    inner.syntax(),
                    &path.keys,
                    "an indented string ''...'' (or a call ending in one)",
                )
            })?;
            if let Some(edit) = append_line(file.text(), &style, &string, &escaped)? {
                edits.push(edit);
            }
        }
        Lookup::Piecewise { bindings, .. } => {
            return Err(wrong_kind(bindings[0].syntax(), &path.keys, "a string"))
        }
        Lookup::Missing { target, rest, sibling } => {
            // Spaces, which Nix takes away from an indented string's lines; tabs it keeps.
            let value = format!("''\n{}{escaped}\n''", style.unit().replace('\t', "  "));
            edits.push(insert_binding(file, &style, &target, &rest, sibling, &value, None)?);
        }
    }
    edits.finish(file)
}

/// Escapes a line for an indented string: `''` becomes `'''` and `${` becomes `''${`.
pub fn escape_indented_line(line: &str) -> String {
    line.replace("''", "'''").replace("${", "''${")
}

pub(super) fn indented_string(value: &ast::Expr) -> Option<ast::Str> {
    match value {
        ast::Expr::Str(s) => {
            let open = s.syntax().first_token()?;
            (open.kind() == SyntaxKind::TOKEN_STRING_START && open.text() == "''")
                .then(|| s.clone())
        }
        ast::Expr::Apply(apply) => indented_string(&apply.argument()?),
        ast::Expr::Paren(paren) => indented_string(&paren.expr()?),
        _ => None,
    }
}

fn append_line(
    text: &str,
    style: &Style,
    string: &ast::Str,
    escaped: &str,
) -> Result<Option<TextEdit>, Error> {
    let range = string.syntax().text_range();
    let content_start = range.start() + TextSize::from(2);
    let content = &text[TextRange::new(content_start, range.end() - TextSize::from(2))];
    if !content.contains('\n') {
        return Err(Error::at(
            range,
            ErrorKind::Unsupported(
                "the string is on one line; write it over several lines first".to_owned(),
            ),
        ));
    }
    // Lines of the body, with their offsets; the rest of the opening `''` line is not one.
    let mut lines = Vec::new();
    let mut offset = usize::from(content_start);
    for (i, line) in content.split('\n').enumerate() {
        if i > 0 {
            lines.push((offset, line.trim_end_matches('\r')));
        }
        offset += line.len() + 1;
    }
    let body: Vec<&(usize, &str)> = lines.iter().filter(|(_, l)| !l.trim().is_empty()).collect();
    if body.iter().any(|(_, l)| l.trim() == escaped.trim()) {
        return Ok(None);
    }
    let edit = match body.last() {
        Some((last_offset, last)) => {
            let indent = body
                .iter()
                .map(|(_, l)| &l[..l.len() - l.trim_start_matches([' ', '\t']).len()])
                .min_by_key(|i| i.len())
                .unwrap_or("");
            let at = TextSize::from((last_offset + last.len()) as u32);
            TextEdit::insert(at, style.lines(&format!("\n{indent}{escaped}")))
        }
        None => {
            let indent = format!("{}{}", line_indent(text, range.start()), style.unit());
            TextEdit::insert(content_start, style.lines(&format!("\n{indent}{escaped}")))
        }
    };
    Ok(Some(edit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_make_the_string_mean_what_was_typed() {
        assert_eq!(escape_indented_line("a ${b} c"), "a ''${b} c");
        assert_eq!(escape_indented_line("it''s"), "it'''s");
        assert_eq!(escape_indented_line("''${"), "'''''${");
    }
}
