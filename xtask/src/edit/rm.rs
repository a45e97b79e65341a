//! `nix rm`: remove an attribute with the comments that belong to it, and nothing else.
//!
//! ```nix
//! {                                {
//!   # The shop's port.               b = 2;
//!   a = 1; # production     =>       c = { };
//!   b = 2;                         }
//!   c.d = 3;     # rm a, then rm c.d
//! }
//! ```
//! Comment lines directly above a binding and a comment after it on its line go with it. A set
//! the removal empties stays, as `name = { };`: removing `c.d` says nothing about `c`.
//! [`remove_attr_and_emptied_parents`] takes the emptied parents too, for the workflows that
//! take back exactly what they added.

use rnix::{ast, SyntaxKind, SyntaxNode};
use rowan::{ast::AstNode, NodeOrToken, TextRange, TextSize};

use super::attrpath::{attrpath_keys, display_path, AttrPath, Key};
use super::layout::{
    blank_line_before, end_of_trailing_comment, indent_before, line_end_with_break, line_start,
    Style,
};
use super::query::{lookup, not_defined, refuse_several, Lookup};
use super::set::inside_delimiters;
use super::{Change, EditSet, Error, NixFile, TextEdit};

pub fn remove_attr(file: &NixFile, path: impl Into<AttrPath>) -> Result<Change, Error> {
    let path = path.into();
    let found = lookup(file, &path)?;
    refuse_several(&found, &path)?;
    let (bindings, rest) = match found {
        Lookup::Value { binding, .. } => {
            let keys = binding.attrpath().map(|p| attrpath_keys(&p)).unwrap_or_default();
            let rest = keys
                .into_iter()
                .map(|k| match k {
                    Key::Literal(k) => k,
                    Key::Dynamic => String::new(),
                })
                .collect();
            (vec![binding], rest)
        }
        Lookup::Piecewise { bindings, rest } => (bindings, rest),
        missing @ Lookup::Missing { .. } => return Err(not_defined(&missing, &path)),
    };
    let text = file.text();
    let nodes: Vec<SyntaxNode> = bindings.iter().map(|b| b.syntax().clone()).collect();
    let container = nodes[0].parent().expect("a binding sits in a set or a let");
    let others: Vec<ast::AttrpathValue> = container
        .children()
        .filter(|c| !nodes.contains(c))
        .filter_map(ast::AttrpathValue::cast)
        .collect();
    let mut edits = EditSet::new();
    // `a.b.c = 1;` alone under `a.b`: `a.b` stays, empty.
    let parent = &rest[..rest.len() - 1];
    let parent_stays = !parent.is_empty()
        && !others.iter().any(|o| {
            let keys = o.attrpath().map(|p| attrpath_keys(&p)).unwrap_or_default();
            keys.len() >= parent.len() && keys.iter().zip(parent).all(|(k, p)| k.is(p))
        });
    if parent_stays {
        let first = &bindings[0];
        let attrs: Vec<ast::Attr> =
            first.attrpath().map(|p| p.attrs().collect()).unwrap_or_default();
        let keys = match attrs.get(parent.len().wrapping_sub(1)) {
            // Written as the source writes it, when the binding spells the parent itself.
            Some(last) if attrs.len() > parent.len() => {
                let start = first.syntax().text_range().start();
                text[TextRange::new(start, last.syntax().text_range().end())].to_owned()
            }
            _ => display_path(parent),
        };
        // Its comment on the line was about the value that goes.
        let range = first.syntax().text_range();
        let end = end_of_trailing_comment(text, range.end());
        let empty = Style::empty_set(text);
        edits.push(TextEdit::replace(
            TextRange::new(range.start(), end),
            format!("{keys} = {empty};"),
        ));
        for other in &nodes[1..] {
            edits.push(TextEdit::delete(element_extent(text, other)));
        }
        return edits.finish(file);
    }
    let extents: Vec<TextRange> = nodes.iter().map(|n| element_extent(text, n)).collect();
    match ast::AttrSet::cast(container.clone()) {
        // The set is left with nothing but whitespace: it is written `{ }`.
        Some(set) if emptied(text, &set, &extents) => {
            let inside = if Style::empty_set(text) == "{}" { "" } else { " " };
            edits.push(TextEdit::replace(inside_delimiters(set.syntax()), inside));
        }
        _ => {
            for extent in extents {
                edits.push(TextEdit::delete(extent));
            }
        }
    }
    edits.finish(file)
}

/// Whether removing `extents` leaves only whitespace between the set's braces.
fn emptied(text: &str, set: &ast::AttrSet, extents: &[TextRange]) -> bool {
    let inside = inside_delimiters(set.syntax());
    let mut cursor = inside.start();
    let mut rest = String::new();
    let mut sorted = extents.to_vec();
    sorted.sort_by_key(|r| r.start());
    for extent in sorted {
        if extent.start() > cursor {
            rest.push_str(&text[TextRange::new(cursor, extent.start())]);
        }
        cursor = cursor.max(extent.end());
    }
    if cursor < inside.end() {
        rest.push_str(&text[TextRange::new(cursor, inside.end())]);
    }
    rest.trim().is_empty()
}

/// Removes the binding at `path` and, when that empties its set, the binding holding the set,
/// up to the top: the inverse of a `set` or `add` that created them.
pub fn remove_attr_and_emptied_parents(
    file: &NixFile,
    path: impl Into<AttrPath>,
) -> Result<Change, Error> {
    let path = path.into();
    let found = lookup(file, &path)?;
    refuse_several(&found, &path)?;
    let bindings = match found {
        Lookup::Value { binding, .. } => vec![binding],
        Lookup::Piecewise { bindings, .. } => bindings,
        missing @ Lookup::Missing { .. } => return Err(not_defined(&missing, &path)),
    };
    let mut edits = EditSet::new();
    for node in prune_emptied(bindings) {
        edits.push(TextEdit::delete(element_extent(file.text(), &node)));
    }
    edits.finish(file)
}

/// When removing `bindings` leaves their set empty and that set is the value of a binding, that
/// binding goes instead, up to the top-level set.
fn prune_emptied(bindings: Vec<ast::AttrpathValue>) -> Vec<SyntaxNode> {
    let nodes: Vec<SyntaxNode> = bindings.iter().map(|b| b.syntax().clone()).collect();
    let Some(set) = nodes[0].parent().and_then(ast::AttrSet::cast) else {
        return nodes;
    };
    let remaining = set.syntax().children().filter(|c| !nodes.contains(c)).count();
    match set.syntax().parent().and_then(ast::AttrpathValue::cast) {
        Some(owner) if remaining == 0 => prune_emptied(vec![owner]),
        _ => nodes,
    }
}

/// The text a binding occupies: its line with leading comment lines and a trailing comment when
/// it stands on its own line, or itself with the space before it inside a one-line set.
pub(super) fn element_extent(text: &str, node: &SyntaxNode) -> TextRange {
    let range = node.text_range();
    let end = end_of_trailing_comment(text, range.end());
    match indent_before(text, range.start()) {
        Some(_) => {
            let first = leading_comments_start(text, node).unwrap_or(range.start());
            let start = line_start(text, first);
            let end = line_end_with_break(text, end);
            // A paragraph of its own between blank lines (or a blank line and the end of its
            // set): its blank line above goes with it, so one blank line stays, not two.
            let rest = &text[usize::from(end)..];
            let next = rest.split('\n').next().unwrap_or("").trim();
            let last = next.starts_with(['}', ']']) || next == "in" || next.starts_with("in ");
            if blank_line_before(text, start) && (next.is_empty() && rest.contains('\n') || last) {
                let blank = line_start(text, start - TextSize::from(1));
                return TextRange::new(blank, end);
            }
            // The first binding of a set, set apart from the rest below it: its blank line goes
            // with it.
            let before = text[..usize::from(start)].trim_end_matches(['\n', '\r', ' ', '\t']);
            if before.ends_with('{') && next.is_empty() && rest.contains('\n') {
                return TextRange::new(start, line_end_with_break(text, end));
            }
            TextRange::new(start, end)
        }
        None => {
            let before = &text[..usize::from(range.start())];
            let spaces = before.len() - before.trim_end_matches([' ', '\t']).len();
            TextRange::new(range.start() - TextSize::from(spaces as u32), end)
        }
    }
}

/// The start of the comment lines directly above `node` (no blank line between).
pub(super) fn leading_comments_start(text: &str, node: &SyntaxNode) -> Option<TextSize> {
    let mut first = None;
    let mut element = node.prev_sibling_or_token();
    while let Some(NodeOrToken::Token(ws)) = element {
        if ws.kind() != SyntaxKind::TOKEN_WHITESPACE || ws.text().matches('\n').count() != 1 {
            break;
        }
        match ws.prev_sibling_or_token() {
            Some(NodeOrToken::Token(comment))
                if comment.kind() == SyntaxKind::TOKEN_COMMENT
                    && indent_before(text, comment.text_range().start()).is_some() =>
            {
                first = Some(comment.text_range().start());
                element = comment.prev_sibling_or_token();
            }
            _ => break,
        }
    }
    first
}
