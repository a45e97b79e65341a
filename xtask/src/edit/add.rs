//! `nix add`: append an element to a list, creating the list when missing.
//!
//! ```nix
//! imports = [                      imports = [
//!   ./hardware.nix                   ./hardware.nix
//!   ../shop.nix # the shop   =>      ../shop.nix # the shop
//! ];                                 (import ./blog.nix { inherit pkgs; })
//!                                  ];
//! ```
//! One-line lists stay on one line (`[ ./a.nix ]` becomes `[ ./a.nix ./b.nix ]`), unless the file
//! writes its lists of several elements one per line; in `[ ... ] ++ extra` the literal list
//! grows, and so does a list passed last to a call; an element already there, as syntax, is not
//! added again. An element Nix would not read as one (`f x`, `x: y`) is parenthesised.

use rnix::ast;
use rowan::ast::AstNode;

use super::attrpath::AttrPath;
use super::layout::{indent_before, line_indent, Style};
use super::make::{lists_one_per_line, reindent_code, Snippet};
use super::query::{lookup, wrong_kind, Lookup};
use super::set::{insert_after, insert_binding, insert_into_empty};
use super::shape::strip_parens;
use super::{same_syntax, Change, EditSet, Error, ErrorKind, NixFile, TextEdit};

pub fn add_list_element(
    file: &NixFile,
    path: impl Into<AttrPath>,
    element: &str,
) -> Result<Change, Error> {
    let path = path.into();
    let new = Snippet::element(element)?;
    let style = Style::of(file.text());
    let text = file.text();
    let mut edits = EditSet::new();
    match lookup(file, &path)? {
        Lookup::Value { inner, .. } => {
            let list = literal_list(&inner)
                .ok_or_else(|| wrong_kind(inner.syntax(), &path.keys, "a list"))?;
            let items: Vec<ast::Expr> = list.items().collect();
            if items.iter().any(|item| same_element(item, &new.expr)) {
                return edits.finish(file);
            }
            let on_own_line = |item: &ast::Expr| {
                indent_before(text, item.syntax().text_range().start()).is_some()
            };
            let element = match &new.comment {
                Some(comment) => format!("{} {comment}", new.text),
                None => new.text.clone(),
            };
            // A list whose binding has a line of its own may take more lines.
            let own_line = |node: &rnix::SyntaxNode| {
                node.ancestors()
                    .find(|n| n.kind() == rnix::SyntaxKind::NODE_ATTRPATH_VALUE)
                    .is_some_and(|b| indent_before(text, b.text_range().start()).is_some())
            };
            let edit = match items.as_slice() {
                [only]
                    if !on_own_line(only)
                        && own_line(list.syntax())
                        && lists_one_per_line(file) =>
                {
                    one_per_line(text, &style, &list, &[only.syntax().text().to_string(), element])
                }
                [.., last] if new.comment.is_none() || on_own_line(last) => {
                    insert_after(text, &style, last.syntax(), &element)
                }
                [] if new.comment.is_none() => {
                    insert_into_empty(text, &style, list.syntax(), &element)
                }
                _ => {
                    return Err(Error::at(
                        list.syntax().text_range(),
                        ErrorKind::Unsupported(
                            "the list is on one line, where a comment after ELEMENT would hide \
                             its end; add the element without it"
                                .into(),
                        ),
                    ))
                }
            };
            edits.push(edit);
        }
        Lookup::Piecewise { bindings, .. } => {
            return Err(wrong_kind(bindings[0].syntax(), &path.keys, "a list"))
        }
        Lookup::Missing { target, rest, sibling } => {
            let value = format!("[ {} ]", new.text);
            let comment = new.comment.as_deref();
            edits.push(insert_binding(file, &style, &target, &rest, sibling, &value, comment)?);
        }
    }
    edits.finish(file)
}

/// Whether two list elements are the same syntax, parentheses aside.
pub(super) fn same_element(a: &ast::Expr, b: &ast::Expr) -> bool {
    same_syntax(strip_parens(a).syntax(), strip_parens(b).syntax())
}

/// The list rewritten with `items` one per line, at the indentation of the line it starts on.
fn one_per_line(text: &str, style: &Style, list: &ast::List, items: &[String]) -> TextEdit {
    let indent = line_indent(text, list.syntax().text_range().start());
    let inner = format!("{indent}{}", style.unit());
    let lines: String =
        items.iter().map(|i| format!("\n{inner}{}", reindent_code(i, &inner))).collect();
    TextEdit::replace(list.syntax().text_range(), style.lines(&format!("[{lines}\n{indent}]")))
}

/// The literal list a value is, or the one it concatenates with `++`.
pub(super) fn literal_list(value: &ast::Expr) -> Option<ast::List> {
    list_in(value, true)
}

/// `calls`: whether a list passed to a call counts (`foldr f { } [ ... ]`, `mkBefore [ ... ]`).
fn list_in(value: &ast::Expr, calls: bool) -> Option<ast::List> {
    match value {
        ast::Expr::List(list) => Some(list.clone()),
        ast::Expr::Paren(paren) => list_in(&paren.expr()?, calls),
        ast::Expr::With(with) => list_in(&with.body()?, calls),
        ast::Expr::LetIn(it) => list_in(&it.body()?, calls),
        // A list passed last to a call, as in `foldr f { } [ ./a.nix ]` or `mkBefore [ ... ]`.
        ast::Expr::Apply(apply) if calls => list_in(&apply.argument()?, calls),
        // The last literal list of a concatenation, so that the element lands at the end when
        // it can: `[ a ] ++ [ b ]` grows on the right, `[ a ] ++ extra` on the left; a list of
        // the concatenation itself before one passed to a call (`lib.optionals cond [ ... ]`
        // holds what only a condition adds).
        ast::Expr::BinOp(op) if op.operator() == Some(ast::BinOpKind::Concat) => {
            let sides = [op.rhs(), op.lhs()];
            let direct = sides.iter().flatten().find_map(|e| list_in(e, false));
            direct.or_else(|| {
                calls.then(|| sides.iter().flatten().find_map(|e| list_in(e, true))).flatten()
            })
        }
        _ => None,
    }
}
