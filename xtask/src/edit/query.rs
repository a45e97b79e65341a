//! Finding an attribute path in a file, however its attributes are written: nested
//! (`a = { b = 1; };`), dotted (`a.b = 1;`) or mixed, quoted or bare.

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;

use super::attrpath::{attrpath_keys, display_path};
use super::{Error, ErrorKind, NixFile};

/// Where a path leads in a file.
#[derive(Debug, Clone)]
pub(super) enum Lookup {
    /// One binding's value is exactly the path's value.
    Value { binding: ast::AttrpathValue, value: ast::Expr },
    /// The path has no single value: these deeper bindings define its attributes. `rest` is
    /// the path as the set holding them sees it (`b` of `a.b` when they sit in `a = { ... }`).
    Piecewise { bindings: Vec<ast::AttrpathValue>, rest: Vec<String> },
    /// The path is not defined. `set` is the deepest attribute set literal on the way, `rest` the
    /// segments missing below it, and `sibling` the last binding of `set` that shares the longest
    /// prefix with `rest` (as `a.b.c` does with a missing `a.b.d`), with that prefix's length.
    Missing { set: ast::AttrSet, rest: Vec<String>, sibling: Option<(ast::AttrpathValue, usize)> },
}

/// The file's top-level attribute set, seen through function arguments, `let ... in`, `with`,
/// `assert` and parentheses.
pub(super) fn top_level_set(file: &NixFile) -> Result<ast::AttrSet, Error> {
    let mut expr = file.root().expr();
    loop {
        expr = match expr {
            Some(ast::Expr::AttrSet(set)) => return Ok(set),
            Some(ast::Expr::Lambda(it)) => it.body(),
            Some(ast::Expr::LetIn(it)) => it.body(),
            Some(ast::Expr::With(it)) => it.body(),
            Some(ast::Expr::Assert(it)) => it.body(),
            Some(ast::Expr::Paren(it)) => it.expr(),
            Some(other) => {
                return Err(Error::at(other.syntax().text_range(), ErrorKind::NoTopLevelSet))
            }
            None => return Err(Error::new(ErrorKind::NoTopLevelSet)),
        }
    }
}

pub(super) fn lookup(file: &NixFile, path: &[String]) -> Result<Lookup, Error> {
    let set = top_level_set(file)?;
    lookup_in(&set, path, &[])
}

/// Resolves `path` inside `set`; `above` is the part of the full path that led to `set`, for
/// messages.
fn lookup_in(set: &ast::AttrSet, path: &[String], above: &[String]) -> Result<Lookup, Error> {
    let mut deeper = Vec::new();
    let mut nested_missing = None;
    let mut sibling: Option<(ast::AttrpathValue, usize)> = None;

    for binding in set.attrpath_values() {
        let Some(attrpath) = binding.attrpath() else {
            continue;
        };
        let keys = attrpath_keys(&attrpath);
        let common = keys.iter().zip(path).take_while(|(k, p)| k.is(p)).count();
        if common == 0 {
            continue;
        }
        if common == keys.len() {
            let Some(value) = binding.value() else {
                continue;
            };
            if common == path.len() {
                return Ok(Lookup::Value { binding, value });
            }
            let here = [above, &path[..common]].concat();
            match &value {
                ast::Expr::AttrSet(inner) => match lookup_in(inner, &path[common..], &here)? {
                    Lookup::Missing { set, rest, sibling } => {
                        nested_missing = Some(Lookup::Missing { set, rest, sibling })
                    }
                    found => return Ok(found),
                },
                _ => {
                    return Err(Error::at(
                        value.syntax().text_range(),
                        ErrorKind::NotAnAttrSet { path: display_path(&here) },
                    ))
                }
            }
        } else if common == path.len() {
            deeper.push(binding);
        } else if sibling.as_ref().is_none_or(|(_, best)| common >= *best) {
            sibling = Some((binding, common));
        }
    }

    if !deeper.is_empty() {
        return Ok(Lookup::Piecewise { bindings: deeper, rest: path.to_vec() });
    }
    if let Some(missing) = nested_missing {
        return Ok(missing);
    }
    if let Some(name) = inherited(set, path) {
        return Err(Error::at(
            name,
            ErrorKind::Unsupported(format!(
                "`{}` is brought in by `inherit`; edit that line by hand",
                display_path(&[above, &path[..1]].concat())
            )),
        ));
    }
    Ok(Lookup::Missing { set: set.clone(), rest: path.to_vec(), sibling })
}

fn inherited(set: &ast::AttrSet, path: &[String]) -> Option<rowan::TextRange> {
    set.inherits()
        .flat_map(|inherit| inherit.attrs())
        .find(|attr| super::attrpath::attr_key(attr).is(&path[0]))
        .map(|attr| attr.syntax().text_range())
}

/// The error for a path that holds something other than `expected`.
pub(super) fn wrong_kind(at: &rnix::SyntaxNode, path: &[String], expected: &'static str) -> Error {
    Error::at(at.text_range(), ErrorKind::WrongKind { path: display_path(path), expected })
}

/// The value at `path` and what `view` sees in it (a list, an indented string), for operations
/// that take something away: `None` when the path is not defined, so there is nothing to take.
pub(super) fn existing<T>(
    file: &NixFile,
    path: &[String],
    expected: &'static str,
    view: impl Fn(&ast::Expr) -> Option<T>,
) -> Result<Option<(ast::Expr, T)>, Error> {
    match lookup(file, path)? {
        Lookup::Value { value, .. } => match view(&value) {
            Some(seen) => Ok(Some((value, seen))),
            None => Err(wrong_kind(value.syntax(), path, expected)),
        },
        Lookup::Missing { .. } => Ok(None),
        Lookup::Piecewise { bindings, .. } => Err(wrong_kind(bindings[0].syntax(), path, expected)),
    }
}

/// `nix get`: the source text of the value at `path`.
pub fn get_value(file: &NixFile, path: &[String]) -> Result<String, Error> {
    match lookup(file, path)? {
        Lookup::Value { value, .. } => Ok(value.syntax().text().to_string()),
        Lookup::Piecewise { bindings, .. } => Err(Error::at(
            bindings[0].syntax().text_range(),
            ErrorKind::Piecewise { path: display_path(path) },
        )),
        Lookup::Missing { .. } => Err(Error::new(ErrorKind::Missing { path: display_path(path) })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(text: &str, path: &str) -> Result<String, Error> {
        let file = NixFile::parse(text).unwrap();
        get_value(&file, &super::super::parse_attrpath(path).unwrap())
    }

    #[test]
    fn nested_dotted_and_mixed_forms_are_one_path() {
        for text in [
            "{ a = { b = { c = 1; }; }; }",
            "{ a.b.c = 1; }",
            "{ a.b = { c = 1; }; }",
            "{ a = { b.c = 1; }; }",
            "{ config, ... }: let x = 2; in with x; rec { \"a\" = { ${\"b\"}.c = 1; }; }",
        ] {
            assert_eq!(get(text, "a.b.c").unwrap(), "1", "{text}");
        }
    }

    #[test]
    fn interpolated_keys_never_match_literals() {
        let text = "let d = \"a\"; in { ${d} = 1; \"${d}\" = 2; }";
        assert!(matches!(get(text, "a").unwrap_err().kind, ErrorKind::Missing { .. }));
    }

    #[test]
    fn a_path_through_a_value_that_is_not_a_set_is_an_error() {
        let err = get("{ a = import ./x.nix; }", "a.b").unwrap_err();
        assert!(matches!(err.kind, ErrorKind::NotAnAttrSet { .. }), "{err:?}");
    }
}
