//! `nix set`: give an attribute a value, creating it and its parents when missing.
//!
//! ```nix
//! # set services.nginx.enable true        # set networking.firewall.allowedUDPPorts [ 53 ]
//! { services.nginx = {                   { networking.firewall.allowedTCPPorts = [ 22 ];
//!     recommendedProxySettings = true;  =>   networking.firewall.allowedUDPPorts = [ 53 ];
//!     enable = true;                       }
//!   };
//! }
//! ```
//! New bindings take the form of their neighbours: dotted beside dotted, nested beside nested,
//! at the neighbours' indentation, after the last of them and before a set's trailing comments.

use rnix::ast::{self, HasEntry};
use rowan::{ast::AstNode, TextRange};

use super::attrpath::{attrpath_keys, display_path, quote_key};
use super::layout::{
    dedent_continuation, end_of_trailing_comment, indent_before, line_indent, line_start, reindent,
    spans_lines, Style,
};
use super::query::{lookup, Lookup};
use super::rm::element_extent;
use super::source::parse_expression;
use super::{same_syntax, Change, EditSet, Error, NixFile, TextEdit};

pub fn set_attr(file: &NixFile, path: &[String], value: &str) -> Result<Change, Error> {
    let new_value = parse_expression(value, "VALUE")?;
    let value = dedent_continuation(value);
    let style = Style::of(file.text());
    let mut edits = EditSet::new();
    match lookup(file, path)? {
        Lookup::Value { binding, value: old } => {
            if !same_syntax(old.syntax(), new_value.syntax()) {
                let indent = line_indent(file.text(), binding.syntax().text_range().start());
                let text = style.lines(&reindent(&value, indent));
                edits.push(TextEdit::replace(old.syntax().text_range(), text));
            }
        }
        // `a.b.c = 1; a.b.d = 2;` set as a whole: the first binding becomes `a.b = VALUE;`, the
        // others go, with their comments.
        Lookup::Piecewise { bindings, rest } => {
            let first = bindings[0].syntax();
            let indent = line_indent(file.text(), first.text_range().start());
            let binding = format!("{} = {};", display_path(&rest), reindent(&value, indent));
            edits.push(TextEdit::replace(first.text_range(), style.lines(&binding)));
            for other in &bindings[1..] {
                edits.push(TextEdit::delete(element_extent(file.text(), other.syntax())));
            }
        }
        Lookup::Missing { set, rest, sibling } => {
            edits.push(insert_binding(file, &style, &set, &rest, sibling, &value));
        }
    }
    edits.finish(file)
}

/// The edit that adds `rest = value;` to `set`, written the way the set's bindings are.
pub(super) fn insert_binding(
    file: &NixFile,
    style: &Style,
    set: &ast::AttrSet,
    rest: &[String],
    sibling: Option<(ast::AttrpathValue, usize)>,
    value: &str,
) -> TextEdit {
    let text = file.text();
    let nested = sibling.is_none() && rest.len() > 1 && prefers_nested(set);
    let binding = if nested {
        nested_binding(rest, value, &style.unit)
    } else {
        format!("{} = {value};", display_path(rest))
    };
    let anchor = match sibling {
        Some((binding, _)) => Some(binding.syntax().clone()),
        None => set.entries().last().map(|e| e.syntax().clone()),
    };
    match anchor {
        Some(anchor) => insert_after(text, style, &anchor, &binding),
        None => insert_into_empty(text, style, set.syntax(), &binding),
    }
}

/// Inserts `item` after the binding or list element `anchor`: on a line of its own at the
/// anchor's indentation (after a comment on the anchor's line) when the anchor has a line of its
/// own, else beside it on its line.
pub(super) fn insert_after(
    text: &str,
    style: &Style,
    anchor: &rnix::SyntaxNode,
    item: &str,
) -> TextEdit {
    let range = anchor.text_range();
    match indent_before(text, range.start()) {
        Some(indent) => {
            let at = end_of_trailing_comment(text, range.end());
            let insert = format!("\n{indent}{}", reindent(item, indent));
            TextEdit::insert(at, style.lines(&insert))
        }
        None => {
            let indent = line_indent(text, range.start());
            let insert = format!(" {}", reindent(item, indent));
            TextEdit::insert(range.end(), style.lines(&insert))
        }
    }
}

/// Inserts `item` into an empty `{ }` or `[ ]` (which may hold comments).
pub(super) fn insert_into_empty(
    text: &str,
    style: &Style,
    container: &rnix::SyntaxNode,
    item: &str,
) -> TextEdit {
    let range = container.text_range();
    let (open, close) =
        (range.start() + rowan::TextSize::from(1), range.end() - rowan::TextSize::from(1));
    let inside = TextRange::new(open, close);
    if spans_lines(text, inside) {
        if let Some(indent) = indent_before(text, close) {
            let inner = format!("{indent}{}", style.unit);
            let insert = format!("{inner}{}\n", reindent(item, &inner));
            return TextEdit::insert(line_start(text, close), style.lines(&insert));
        }
    }
    let indent = line_indent(text, range.start());
    let insert = format!(" {} ", reindent(item, &format!("{indent}{}", style.unit)));
    if text[inside].trim().is_empty() {
        TextEdit::replace(inside, style.lines(&insert))
    } else {
        // Only comments inside, on one line: keep them and add after.
        TextEdit::insert(close, style.lines(&format!("{} ", insert.trim_end())))
    }
}

/// Whether a set writes sub-attributes nested (`a = { b = 1; };`) rather than dotted (`a.b = 1;`).
fn prefers_nested(set: &ast::AttrSet) -> bool {
    let (mut nested, mut dotted) = (0, 0);
    for binding in set.attrpath_values() {
        let keys = binding.attrpath().map(|p| attrpath_keys(&p).len()).unwrap_or(0);
        if keys > 1 {
            dotted += 1;
        } else if matches!(binding.value(), Some(ast::Expr::AttrSet(_))) {
            nested += 1;
        }
    }
    nested > dotted
}

fn nested_binding(rest: &[String], value: &str, unit: &str) -> String {
    match rest {
        [last] => format!("{} = {value};", quote_key(last)),
        [first, tail @ ..] => {
            let inner = nested_binding(tail, value, unit);
            format!("{} = {{\n{unit}{}\n}};", quote_key(first), reindent(&inner, unit))
        }
        [] => unreachable!("a binding has at least one key"),
    }
}
