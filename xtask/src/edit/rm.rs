//! `nix rm`: remove an attribute with the comments that belong to it.
//!
//! ```nix
//! {                                {
//!   # The shop's port.               b = 2;
//!   a = 1; # production     =>     }
//!   b = 2;
//! }
//! ```
//! Comment lines directly above a binding and a comment after it on its line go with it; a
//! nested set left empty by the removal goes too.

use rnix::{ast, SyntaxKind, SyntaxNode};
use rowan::{ast::AstNode, NodeOrToken, TextRange, TextSize};

use super::attrpath::display_path;
use super::layout::{end_of_trailing_comment, indent_before, line_end_with_break, line_start};
use super::query::{lookup, Lookup};
use super::{Change, EditSet, Error, ErrorKind, NixFile, TextEdit};

pub fn remove_attr(file: &NixFile, path: &[String]) -> Result<Change, Error> {
    let bindings = match lookup(file, path)? {
        Lookup::Value { binding, .. } => vec![binding],
        Lookup::Piecewise { bindings, .. } => bindings,
        Lookup::Missing { .. } => {
            return Err(Error::new(ErrorKind::Missing { path: display_path(path) }))
        }
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
            TextRange::new(line_start(text, first), line_end_with_break(text, end))
        }
        None => {
            let before = &text[..usize::from(range.start())];
            let spaces = before.len() - before.trim_end_matches([' ', '\t']).len();
            TextRange::new(range.start() - TextSize::from(spaces as u32), end)
        }
    }
}

/// The start of the comment lines directly above `node` (no blank line between).
fn leading_comments_start(text: &str, node: &SyntaxNode) -> Option<TextSize> {
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
