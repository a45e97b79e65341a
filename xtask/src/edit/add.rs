//! `nix add`: append an element to a list, creating the list when missing.
//!
//! ```nix
//! imports = [                      imports = [
//!   ./hardware.nix                   ./hardware.nix
//!   ../shop.nix # the shop   =>      ../shop.nix # the shop
//! ];                                 ../blog.nix
//!                                  ];
//! ```
//! One-line lists stay on one line (`[ ./a.nix ]` becomes `[ ./a.nix ./b.nix ]`); in
//! `[ ... ] ++ extra` the literal list grows, and so does a list passed last to a call; an element already there, as syntax, is not added
//! again.

use rnix::ast;
use rowan::ast::AstNode;

use super::layout::{dedent_continuation, Style};
use super::query::{lookup, wrong_kind, Lookup};
use super::set::{insert_after, insert_binding, insert_into_empty};
use super::source::parse_expression;
use super::{same_syntax, Change, EditSet, Error, ErrorKind, NixFile};

pub fn add_list_element(file: &NixFile, path: &[String], element: &str) -> Result<Change, Error> {
    let new = parse_element(element)?;
    let element = dedent_continuation(element);
    let style = Style::of(file.text());
    let text = file.text();
    let mut edits = EditSet::new();
    match lookup(file, path)? {
        Lookup::Value { value, .. } => {
            let list =
                literal_list(&value).ok_or_else(|| wrong_kind(value.syntax(), path, "a list"))?;
            let items: Vec<ast::Expr> = list.items().collect();
            if items.iter().any(|item| same_syntax(item.syntax(), new.syntax())) {
                return edits.finish(file);
            }
            edits.push(match items.last() {
                Some(last) => insert_after(text, &style, last.syntax(), &element),
                None => insert_into_empty(text, &style, list.syntax(), &element),
            });
        }
        Lookup::Piecewise { bindings, .. } => {
            return Err(wrong_kind(bindings[0].syntax(), path, "a list"))
        }
        Lookup::Missing { set, rest, sibling } => {
            let value = format!("[ {element} ]");
            edits.push(insert_binding(file, &style, &set, &rest, sibling, &value));
        }
    }
    edits.finish(file)
}

/// The element as one list item: `f x` would be two, and is refused.
pub(super) fn parse_element(element: &str) -> Result<ast::Expr, Error> {
    let expr = parse_expression(element, "ELEMENT")?;
    let wrapped = format!("[ {element}\n]");
    let items = match parse_expression(&wrapped, "ELEMENT")? {
        ast::Expr::List(list) => list.items().count(),
        _ => 0,
    };
    if items != 1 {
        return Err(Error::new(ErrorKind::BadArgument(format!(
            "invalid ELEMENT `{element}`: it would be {items} list elements; \
             wrap it in parentheses to make it one"
        ))));
    }
    Ok(expr)
}

/// The literal list a value is, or the one it concatenates with `++`.
pub(super) fn literal_list(value: &ast::Expr) -> Option<ast::List> {
    match value {
        ast::Expr::List(list) => Some(list.clone()),
        ast::Expr::Paren(paren) => literal_list(&paren.expr()?),
        ast::Expr::With(with) => literal_list(&with.body()?),
        // A list passed last to a call, as in `foldr f { } [ ./a.nix ]`.
        ast::Expr::Apply(apply) => literal_list(&apply.argument()?),
        // The last literal list of a concatenation, so that the element lands at the end when
        // it can: `[ a ] ++ [ b ]` grows on the right, `[ a ] ++ extra` on the left.
        ast::Expr::BinOp(op) if op.operator() == Some(ast::BinOpKind::Concat) => {
            let rhs = op.rhs().and_then(|e| literal_list(&e));
            rhs.or_else(|| op.lhs().and_then(|e| literal_list(&e)))
        }
        _ => None,
    }
}
