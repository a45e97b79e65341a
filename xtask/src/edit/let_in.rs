//! The names a file binds in the `let ... in` around its top-level set: reading the strings they
//! stand for without evaluating Nix, giving a name a value, and growing a list bound to a name.
//!
//! ```nix
//! # set_let_binding host2 "\"ssh-ed25519 BBBB\""      # add_let_list_element hosts host2
//! let                                    let
//!   host1 = "ssh-ed25519 AAAA";            host1 = "ssh-ed25519 AAAA";
//!   hosts = [ host1 ];            =>       host2 = "ssh-ed25519 BBBB";
//! in                                       hosts = [ host1 host2 ];
//! { "a.age".publicKeys = hosts; }        in
//!                                        { "a.age".publicKeys = hosts; }
//! ```
//! [`resolve_strings`] reads a value made of string literals, lists, `++`, parentheses and names
//! of those `let`s (agenix's `secrets.nix` is written so), naming for each string the bindings
//! it came through. Anything else is an error at its place, never a guess.

use std::ops::Range;

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;

use super::add::same_element;
use super::attrpath::{attrpath_keys, string_literal, AttrPath, Key};
use super::layout::{line_indent, Style};
use super::make::{dedent_continuation, reindent_code, Snippet};
use super::query::{lookup, top_level_set, Lookup};
use super::set::insert_after;
use super::source::parse_expression;
use super::{same_syntax, Change, EditSet, Error, ErrorKind, NixFile, TextEdit};

/// One string a value statically evaluates to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedString {
    pub value: String,
    /// The `let` names it was reached through, outermost first (`["admins", "alice"]` for the
    /// `alice` of `admins ++ hosts`); empty for a literal written in place.
    pub names: Vec<String>,
    /// Byte range of the string literal.
    pub range: Range<usize>,
}

/// How deep names may refer to names: deeper is taken for a cycle.
const MAX_DEPTH: usize = 32;

/// The bindings of the `let`s between the file's start and its top-level set, outermost first.
pub fn read_let_bindings(file: &NixFile) -> Result<Vec<(String, super::Node)>, Error> {
    top_level_set(file)?;
    let mut bindings = Vec::new();
    for let_in in lets(file) {
        for (name, binding, value) in named_bindings(&let_in) {
            let mut node = super::read_expr(&value);
            let r = binding.syntax().text_range();
            node.range = usize::from(r.start())..usize::from(r.end());
            bindings.push((name, node));
        }
    }
    Ok(bindings)
}

/// The strings the value at `path` of the top-level set evaluates to; `None` when it is not
/// defined.
pub fn resolve_strings(
    file: &NixFile,
    path: &[String],
) -> Result<Option<Vec<ResolvedString>>, Error> {
    match lookup(file, &AttrPath::from(path))? {
        Lookup::Value { inner, .. } => Ok(Some(resolve(file, &inner, &[], 0)?)),
        Lookup::Missing { .. } => Ok(None),
        Lookup::Piecewise { bindings, .. } => Err(Error::at(
            bindings[0].syntax().text_range(),
            ErrorKind::WrongKind { path: path.join("."), expected: "a string or a list" },
        )),
    }
}

/// The strings the `let` name `name` stands for; `None` when no `let` binds it.
pub fn resolve_let_strings(
    file: &NixFile,
    name: &str,
) -> Result<Option<Vec<ResolvedString>>, Error> {
    match bound(file, name) {
        Some(value) => Ok(Some(resolve(file, &value, &[name.to_owned()], 0)?)),
        None => Ok(None),
    }
}

/// Binds `name` to `value` (a Nix expression) in the `let` that binds it, or adds the binding to
/// the innermost `let`, after the binding `after` names or after the last one.
pub fn set_let_binding(
    file: &NixFile,
    name: &str,
    value: &str,
    after: Option<&str>,
) -> Result<Change, Error> {
    let new_value = parse_expression(value, "VALUE")?;
    let value = dedent_continuation(value);
    let style = Style::of(file.text());
    let mut edits = EditSet::new();
    let all: Vec<(String, ast::AttrpathValue, ast::Expr)> =
        lets(file).iter().flat_map(named_bindings).collect();
    if let Some((_, binding, old)) = all.iter().rev().find(|(n, _, _)| n == name) {
        if !same_syntax(old.syntax(), new_value.syntax()) {
            let indent = line_indent(file.text(), binding.syntax().text_range().start());
            let text = style.lines(&reindent_code(&value, indent));
            edits.push(TextEdit::replace(old.syntax().text_range(), text));
        }
        return edits.finish(file);
    }
    let innermost = lets(file).pop().ok_or_else(|| {
        Error::new(ErrorKind::Unsupported(format!(
            "the file has no `let ... in` around its attribute set to bind `{name}` in; add one"
        )))
    })?;
    let anchor = named_bindings(&innermost)
        .into_iter()
        .rfind(|(n, _, _)| after.is_none_or(|a| a == n))
        .or_else(|| named_bindings(&innermost).into_iter().next_back())
        .ok_or_else(|| {
            Error::at(
                innermost.syntax().text_range(),
                ErrorKind::Unsupported("the file's `let` is empty; bind a name in it first".into()),
            )
        })?;
    let binding = format!("{} = {value};", name_key(name)?);
    edits.push(insert_after(file.text(), &style, anchor.1.syntax(), &binding));
    edits.finish(file)
}

/// Appends `element` to the list literal bound to `name` (or the literal list of its `++`); an
/// element already there, as syntax, is not added again.
pub fn add_let_list_element(file: &NixFile, name: &str, element: &str) -> Result<Change, Error> {
    let new = Snippet::element(element)?;
    let element = new.text.clone();
    let style = Style::of(file.text());
    let value = bound(file, name).ok_or_else(|| {
        Error::new(ErrorKind::Missing { path: format!("{name} (a name bound by `let`)") })
    })?;
    let list = super::add::literal_list(&value)
        .ok_or_else(|| super::query::wrong_kind(value.syntax(), &[name.to_owned()], "a list"))?;
    let items: Vec<ast::Expr> = list.items().collect();
    let mut edits = EditSet::new();
    if items.iter().any(|item| same_element(item, &new.expr)) {
        return edits.finish(file);
    }
    edits.push(match items.last() {
        Some(last) => insert_after(file.text(), &style, last.syntax(), &element),
        None => super::set::insert_into_empty(file.text(), &style, list.syntax(), &element),
    });
    edits.finish(file)
}

/// A name as a `let` binds it: a plain identifier, since a quoted name could not be referred to.
fn name_key(name: &str) -> Result<&str, Error> {
    let mut chars = name.chars();
    let first = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '\''));
    const KEYWORDS: &[&str] =
        &["if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"];
    if first && rest && !KEYWORDS.contains(&name) {
        Ok(name)
    } else {
        Err(Error::new(ErrorKind::BadArgument(format!(
            "`{name}` cannot be a name in Nix: use letters, digits, `_` and `-`, starting with a letter"
        ))))
    }
}

/// The `let`s on the way from the file's start to its top-level set, outermost first.
fn lets(file: &NixFile) -> Vec<ast::LetIn> {
    let mut found = Vec::new();
    let mut expr = file.root().expr();
    while let Some(e) = expr {
        expr = match e {
            ast::Expr::Lambda(it) => it.body(),
            ast::Expr::LetIn(it) => {
                let body = it.body();
                found.push(it);
                body
            }
            ast::Expr::With(it) => it.body(),
            ast::Expr::Assert(it) => it.body(),
            ast::Expr::Paren(it) => it.expr(),
            _ => None,
        };
    }
    found
}

/// A `let`'s bindings of one literal name each (`a = ...;`, not `a.b = ...;`).
fn named_bindings(let_in: &ast::LetIn) -> Vec<(String, ast::AttrpathValue, ast::Expr)> {
    let_in
        .attrpath_values()
        .filter_map(|binding| {
            let keys = attrpath_keys(&binding.attrpath()?);
            let value = binding.value()?;
            match keys.as_slice() {
                [Key::Literal(name)] => Some((name.clone(), binding, value)),
                _ => None,
            }
        })
        .collect()
}

/// The value the innermost `let` binding `name` gives it.
fn bound(file: &NixFile, name: &str) -> Option<ast::Expr> {
    lets(file)
        .iter()
        .flat_map(named_bindings)
        .rfind(|(n, _, _)| n == name)
        .map(|(_, _, value)| value)
}

fn resolve(
    file: &NixFile,
    expr: &ast::Expr,
    names: &[String],
    depth: usize,
) -> Result<Vec<ResolvedString>, Error> {
    let unsupported =
        |what: String| Error::at(expr.syntax().text_range(), ErrorKind::Unsupported(what));
    if depth > MAX_DEPTH {
        return Err(unsupported(format!("`{}` refers to itself", names.join("` -> `"))));
    }
    match expr {
        ast::Expr::Str(s) => {
            let value = string_literal(s).ok_or_else(|| {
                unsupported(format!("`{s}` is not a plain string: write it without `${{...}}`"))
            })?;
            let r = s.syntax().text_range();
            let range = usize::from(r.start())..usize::from(r.end());
            Ok(vec![ResolvedString { value, names: names.to_vec(), range }])
        }
        ast::Expr::List(list) => {
            let mut all = Vec::new();
            for item in list.items() {
                all.extend(resolve(file, &item, names, depth + 1)?);
            }
            Ok(all)
        }
        ast::Expr::Paren(paren) => match paren.expr() {
            Some(inner) => resolve(file, &inner, names, depth + 1),
            None => Err(unsupported("an empty `( )`".into())),
        },
        ast::Expr::BinOp(op) if op.operator() == Some(ast::BinOpKind::Concat) => {
            let (Some(lhs), Some(rhs)) = (op.lhs(), op.rhs()) else {
                return Err(unsupported("an incomplete `++`".into()));
            };
            let mut all = resolve(file, &lhs, names, depth + 1)?;
            all.extend(resolve(file, &rhs, names, depth + 1)?);
            Ok(all)
        }
        ast::Expr::Ident(ident) => {
            let name = ident.to_string();
            let value = bound(file, &name).ok_or_else(|| {
                unsupported(format!("`{name}` is not a name the file's `let ... in` binds"))
            })?;
            let mut deeper = names.to_vec();
            deeper.push(name);
            resolve(file, &value, &deeper, depth + 1)
        }
        other => Err(unsupported(format!(
            "`{other}` cannot be read without evaluating Nix: write strings, lists, `++` and \
             names bound by the file's `let ... in`"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = "let\n  alice = \"ssh-ed25519 A\";\n  admins = [ alice ];\n  web1 = \"ssh-ed25519 W\";\n  hosts = [ web1 ];\nin\n{\n  \"shop.env.age\".publicKeys = admins ++ hosts;\n  \"blog.env.age\" = { publicKeys = [ alice \"age1x\" ]; armor = true; };\n}\n";

    fn strings(found: Vec<ResolvedString>) -> Vec<(String, Vec<String>)> {
        found.into_iter().map(|s| (s.value, s.names)).collect()
    }

    #[test]
    fn names_lists_and_concatenations_resolve_to_their_strings() {
        let file = NixFile::parse(RULES).unwrap();
        let path = ["shop.env.age".to_owned(), "publicKeys".to_owned()];
        let found = resolve_strings(&file, &path).unwrap().unwrap();
        assert_eq!(
            strings(found),
            [
                ("ssh-ed25519 A".to_owned(), vec!["admins".to_owned(), "alice".to_owned()]),
                ("ssh-ed25519 W".to_owned(), vec!["hosts".to_owned(), "web1".to_owned()]),
            ]
        );
        let path = ["blog.env.age".to_owned(), "publicKeys".to_owned()];
        let found = resolve_strings(&file, &path).unwrap().unwrap();
        assert_eq!(
            strings(found),
            [("ssh-ed25519 A".to_owned(), vec!["alice".to_owned()]), ("age1x".to_owned(), vec![]),]
        );
    }

    #[test]
    fn what_needs_evaluation_is_an_error_at_its_place() {
        let text = "let keys = import ./keys.nix; in { \"a.age\".publicKeys = keys; x = y; }";
        let file = NixFile::parse(text).unwrap();
        let err = resolve_strings(&file, &["a.age".into(), "publicKeys".into()]).unwrap_err();
        assert_eq!(&text[err.range.unwrap()], "import ./keys.nix");
        let err = resolve_strings(&file, &["x".into()]).unwrap_err();
        assert!(err.to_string().contains("`y` is not a name"), "{err}");
        let cycle = NixFile::parse("let a = b; b = a; in { x = a; }").unwrap();
        assert!(resolve_strings(&cycle, &["x".into()]).is_err());
    }

    #[test]
    fn a_binding_is_added_after_its_anchor_and_a_list_grows() {
        let file = NixFile::parse(RULES).unwrap();
        let change = set_let_binding(&file, "web2", "\"ssh-ed25519 V\"", Some("web1")).unwrap();
        let file = NixFile::parse(&change.after).unwrap();
        let change = add_let_list_element(&file, "hosts", "web2").unwrap();
        assert!(change.after.contains(
            "  web1 = \"ssh-ed25519 W\";\n  web2 = \"ssh-ed25519 V\";\n  hosts = [ web1 web2 ];\n"
        ));
        let file = NixFile::parse(&change.after).unwrap();
        assert!(add_let_list_element(&file, "hosts", "web2").unwrap().is_noop());
        let replaced = set_let_binding(&file, "web2", "\"ssh-ed25519 Z\"", None).unwrap();
        assert!(replaced.after.contains("  web2 = \"ssh-ed25519 Z\";\n"));
        assert!(set_let_binding(&file, "in", "1", None).is_err());
    }
}
