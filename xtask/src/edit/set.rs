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
//! A value under a wrapper is replaced inside it: `port = lib.mkDefault 80;` stays a default.

use rnix::ast;
use rowan::{ast::AstNode, TextRange, TextSize};

use super::attrpath::{attrpath_keys, display_path, quote_key, quote_string, AttrPath};
use super::layout::{
    blank_line_before, end_of_trailing_comment, indent_before, line_indent, line_start,
    spans_lines, Style,
};
use super::make::{lists_one_per_line, reindent_code, Snippet};
use super::query::{layers, lookup, refuse_several, Lookup, Target};
use super::rm::element_extent;
use super::shape::{shape, Entries, Shape};
use super::{same_syntax, Change, EditSet, Error, ErrorKind, NixFile, TextEdit};

pub fn set_attr(file: &NixFile, path: impl Into<AttrPath>, value: &str) -> Result<Change, Error> {
    set_attr_beside(file, path, value, None)
}

/// [`set_attr`], where a new binding that has no neighbour sharing its first keys goes after the
/// binding of `beside` (a user after the unit it runs, not at the end of the file), when that is
/// in the same set.
pub fn set_attr_beside(
    file: &NixFile,
    path: impl Into<AttrPath>,
    value: &str,
    beside: Option<&AttrPath>,
) -> Result<Change, Error> {
    let path = path.into();
    let snippet = Snippet::value(value)?;
    let style = Style::of(file.text());
    let text = file.text();
    let one_per_line = || lists_one_per_line(file);
    let mut edits = EditSet::new();
    let found = lookup(file, &path)?;
    refuse_several(&found, &path)?;
    match found {
        Lookup::Value { binding, inner, scope, .. } => {
            // The value is there when the VALUE is the value as written or any layer of it.
            let layers = binding.value().map(|v| layers(&v, &scope)).unwrap_or_default();
            if !layers.iter().any(|l| same_syntax(l.syntax(), snippet.expr.syntax())) {
                // A VALUE with a wrapper of its own (`mkForce 81`) replaces the one there.
                let own = matches!(shape(&snippet.expr, &scope), Shape::Around { value: true, .. });
                let replaced = match layers.first() {
                    Some(written) if own => written.clone(),
                    _ => inner,
                };
                let indent = line_indent(text, binding.syntax().text_range().start());
                let placed = snippet.placed(indent, &style, one_per_line);
                edits.push(TextEdit::replace(replaced.syntax().text_range(), style.lines(&placed)));
                if let Some(comment) = &snippet.comment {
                    let end = binding.syntax().text_range().end();
                    if end_of_trailing_comment(text, end) == end {
                        edits.push(TextEdit::insert(end, format!(" {comment}")));
                    }
                }
            }
        }
        // `a.b.c = 1; a.b.d = 2;` set as a whole: the first binding becomes `a.b = VALUE;`, the
        // others go, with their comments.
        Lookup::Piecewise { bindings, rest } => {
            let first = bindings[0].syntax();
            let indent = line_indent(text, first.text_range().start());
            let value = snippet.placed(indent, &style, one_per_line);
            let binding = with_comment(format!("{} = {value};", display_path(&rest)), &snippet);
            edits.push(TextEdit::replace(first.text_range(), style.lines(&binding)));
            for other in &bindings[1..] {
                edits.push(TextEdit::delete(element_extent(text, other.syntax())));
            }
        }
        Lookup::Missing { target, rest, sibling } => {
            let sibling = match (sibling, beside, &target) {
                (None, Some(beside), Target::Entries(entries)) => match lookup(file, beside) {
                    Ok(Lookup::Value { binding, .. })
                        if entries.attrpath_values().any(|b| b.syntax() == binding.syntax()) =>
                    {
                        Some((binding, 0))
                    }
                    _ => None,
                },
                (sibling, _, _) => sibling,
            };
            let value = snippet.placed("", &style, one_per_line);
            edits.push(insert_binding(
                file,
                &style,
                &target,
                &rest,
                sibling,
                &value,
                snippet.comment.as_deref(),
            )?);
        }
    }
    edits.finish(file)
}

fn with_comment(binding: String, snippet: &Snippet) -> String {
    match &snippet.comment {
        Some(comment) => format!("{binding} {comment}"),
        None => binding,
    }
}

/// The edit that adds `rest = value;` where a missing path goes, written the way the
/// neighbouring bindings are.
pub(super) fn insert_binding(
    file: &NixFile,
    style: &Style,
    target: &Target,
    rest: &[String],
    sibling: Option<(ast::AttrpathValue, usize)>,
    value: &str,
    comment: Option<&str>,
) -> Result<TextEdit, Error> {
    let text = file.text();
    let comment = comment.map(|c| format!(" {c}")).unwrap_or_default();
    let entries = match target {
        Target::Entries(entries) => entries,
        // A `mkMerge` with no unconditional set: a new element holds the binding.
        Target::MergeList(list) => {
            let binding = format!("{} = {value};{comment}", display_path(rest));
            let element = if binding.contains('\n') || !comment.is_empty() {
                format!("{{\n{}{}\n}}", style.unit(), reindent_code(&binding, style.unit()))
            } else {
                format!("{{ {binding} }}")
            };
            return Ok(match list.items().last() {
                Some(last) => insert_after(text, style, last.syntax(), &element),
                None => insert_into_empty(text, style, list.syntax(), &element),
            });
        }
    };
    let nested = sibling.is_none() && rest.len() > 1 && prefers_nested(entries);
    let keys = written_keys(text, entries, rest, sibling.as_ref());
    let binding = if nested {
        nested_binding(&keys, value, &comment, style.unit())
    } else {
        format!("{} = {value};{comment}", keys.join("."))
    };
    // A module's `imports` comes first, as every module writes it, set apart from the rest.
    if let (None, [only], Entries::Set(_)) = (&sibling, rest, entries) {
        if only == "imports" {
            if let Some(first) = entries.entries().next() {
                let node = first.syntax();
                let start = super::rm::leading_comments_start(text, node)
                    .unwrap_or(node.text_range().start());
                if let Some(indent) = indent_before(text, start) {
                    let insert = format!("{}\n\n{indent}", reindent_code(&binding, indent));
                    return Ok(TextEdit::insert(start, style.lines(&insert)));
                }
            }
        }
    }
    let anchor = match sibling {
        Some((binding, _)) => Some(binding.syntax().clone()),
        None => entries.entries().last().map(|e| e.syntax().clone()),
    };
    match (anchor, entries) {
        (Some(anchor), _) => Ok(insert_after(text, style, &anchor, &binding)),
        (None, Entries::Set(set)) => Ok(insert_into_empty(text, style, set.syntax(), &binding)),
        (None, Entries::Let(it)) => Err(Error::at(
            it.syntax().text_range(),
            ErrorKind::Unsupported("this `let` has no binding to put a new one beside".into()),
        )),
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
            // Blocks set apart by blank lines: what follows one is too.
            let first = super::rm::leading_comments_start(text, anchor).unwrap_or(range.start());
            let apart =
                spans_lines(text, range) && blank_line_before(text, line_start(text, first));
            let gap = if apart { "\n\n" } else { "\n" };
            let insert = format!("{gap}{indent}{}", reindent_code(item, indent));
            TextEdit::insert(at, style.lines(&insert))
        }
        None => {
            let indent = line_indent(text, range.start());
            let insert = format!(" {}", reindent_code(item, indent));
            TextEdit::insert(range.end(), style.lines(&insert))
        }
    }
}

/// The inside of a `{ ... }` (after `rec`) or `[ ... ]`: between its delimiters.
pub(super) fn inside_delimiters(container: &rnix::SyntaxNode) -> TextRange {
    let range = container.text_range();
    let open = container
        .children_with_tokens()
        .find(|t| {
            matches!(t.kind(), rnix::SyntaxKind::TOKEN_L_BRACE | rnix::SyntaxKind::TOKEN_L_BRACK)
        })
        .map_or(range.start(), |t| t.text_range().start());
    TextRange::new(open + TextSize::from(1), range.end() - TextSize::from(1))
}

/// Inserts `item` into an empty `{ }` or `[ ]` (which may hold comments).
pub(super) fn insert_into_empty(
    text: &str,
    style: &Style,
    container: &rnix::SyntaxNode,
    item: &str,
) -> TextEdit {
    let inside = inside_delimiters(container);
    let close = inside.end();
    if spans_lines(text, inside) {
        if let Some(indent) = indent_before(text, close) {
            let inner = format!("{indent}{}", style.unit());
            let insert = format!("{inner}{}\n", reindent_code(item, &inner));
            return TextEdit::insert(line_start(text, close), style.lines(&insert));
        }
    }
    let indent = line_indent(text, container.text_range().start());
    let insert = format!(" {} ", reindent_code(item, &format!("{indent}{}", style.unit())));
    if text[inside].trim().is_empty() {
        TextEdit::replace(inside, style.lines(&insert))
    } else {
        // Only comments inside, on one line: keep them and add after.
        TextEdit::insert(close, style.lines(&format!("{} ", insert.trim_end())))
    }
}

/// Whether a set writes sub-attributes nested (`a = { b = 1; };`) rather than dotted (`a.b = 1;`).
fn prefers_nested(entries: &Entries) -> bool {
    let (mut nested, mut dotted) = (0, 0);
    for binding in entries.attrpath_values() {
        let keys = binding.attrpath().map(|p| attrpath_keys(&p).len()).unwrap_or(0);
        if keys > 1 {
            dotted += 1;
        } else if matches!(binding.value(), Some(ast::Expr::AttrSet(_))) {
            nested += 1;
        }
    }
    nested > dotted
}

/// The keys of a new binding as the neighbours write them: the prefix it shares with `sibling`
/// as the sibling spells it, and the first key quoted where the set's bindings quote keys that
/// need no quotes (`"motd".text` beside `"issue".text`).
fn written_keys(
    text: &str,
    entries: &Entries,
    rest: &[String],
    sibling: Option<&(ast::AttrpathValue, usize)>,
) -> Vec<String> {
    let shared: Vec<String> = sibling
        .and_then(|(binding, common)| {
            let attrs: Vec<ast::Attr> = binding.attrpath()?.attrs().take(*common).collect();
            Some(attrs.iter().map(|a| text[a.syntax().text_range()].to_owned()).collect())
        })
        .unwrap_or_default();
    let quotes_bare = || {
        let (mut quoted, mut bare) = (0, 0);
        for first in entries.attrpath_values().filter_map(|b| b.attrpath()?.attrs().next()) {
            match &first {
                ast::Attr::Str(_) => {
                    let written = first.syntax().text().to_string();
                    let key = written.trim_matches('"');
                    if quote_key(key) == key {
                        quoted += 1;
                    }
                }
                ast::Attr::Ident(_) => bare += 1,
                ast::Attr::Dynamic(_) => {}
            }
        }
        quoted > bare
    };
    rest.iter()
        .enumerate()
        .map(|(i, key)| match shared.get(i) {
            Some(written) => written.clone(),
            None if i == 0 && quote_key(key) == *key && quotes_bare() => quote_string(key),
            None => quote_key(key),
        })
        .collect()
}

fn nested_binding(keys: &[String], value: &str, comment: &str, unit: &str) -> String {
    match keys {
        [last] => format!("{last} = {value};{comment}"),
        [first, tail @ ..] => {
            let inner = nested_binding(tail, value, comment, unit);
            format!("{first} = {{\n{unit}{}\n}};", reindent_code(&inner, unit))
        }
        [] => unreachable!("a binding has at least one key"),
    }
}
