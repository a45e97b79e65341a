//! Finding an attribute path in a file, however its attributes are written: nested
//! (`a = { b = 1; };`), dotted (`a.b = 1;`) or mixed, quoted or bare; and through what real
//! NixOS modules wrap their definitions in, at any depth:
//!
//! ```nix
//! { config, lib, ... }:
//! let cfg = config.services.shop; in
//! {
//!   options.services.shop.enable = lib.mkEnableOption "shop";
//!   config = lib.mkIf cfg.enable {                          # option paths resolve under `config`
//!     services.postgresql = lib.mkMerge [ { enable = true; } (lib.mkIf cfg.db { ... }) ];
//!     networking.firewall = { allowedTCPPorts = [ 80 ]; } // lib.optionalAttrs cfg.tls { ... };
//!     services.nginx.virtualHosts = vhosts;                  # a set bound in `let`: followed
//!   };
//! }
//! ```
//! - `mkMerge`: a defined path is edited in the element that defines it; a new one goes into the
//!   element that defines the longest prefix of it, else into the last plain set (never under a
//!   condition it did not have), else into a new element.
//! - `A // B` is shallow: a key is looked up in the rightmost operand that defines its first
//!   segment; a new first segment goes into the leftmost set literal.
//! - What is computed (`mapAttrs`, `import`, a function's result or argument) is refused where it
//!   stands: the engine never adds a definition beside something it cannot read.

use rnix::ast;
use rowan::ast::AstNode;
use rowan::TextRange;

use super::attrpath::{attrpath_keys, display_path, AttrPath, Root};
use super::shape::{
    binding_frame, frame_entries, is_plain_set, shape, Entries, Frame, Scope, Shape,
};
use super::{Error, ErrorKind, NixFile};

/// Where a path leads in a file.
#[derive(Debug, Clone)]
pub(super) enum Lookup {
    /// One binding defines exactly the path. `inner` is its value seen through what wraps it
    /// (`mkDefault 80` is `80`); `others` are the places of other definitions of the path (in
    /// other elements of a `mkMerge`).
    Value { binding: ast::AttrpathValue, inner: ast::Expr, others: Vec<TextRange>, scope: Scope },
    /// The path has no single value: these deeper bindings define its attributes. `rest` is
    /// the path as the set holding them sees it (`b` of `a.b` when they sit in `a = { ... }`).
    Piecewise { bindings: Vec<ast::AttrpathValue>, rest: Vec<String> },
    /// The path is not defined. `target` is where it would go, `rest` the segments missing
    /// there, and `sibling` the last binding of the target that shares the longest prefix with
    /// `rest` (as `a.b.c` does with a missing `a.b.d`), with that prefix's length.
    Missing { target: Target, rest: Vec<String>, sibling: Option<(ast::AttrpathValue, usize)> },
}

/// Where a missing path's binding goes.
#[derive(Debug, Clone)]
pub(super) enum Target {
    /// Among the bindings of an attribute set or a `let`.
    Entries(Entries),
    /// In a new element `{ ... }` of a `mkMerge` list with no unconditional set.
    MergeList(ast::List),
}

/// The attribute names a NixOS module keeps at its top level; every other path of a module with
/// `config` or `options` is an option definition, under `config`.
const MODULE_KEYS: &[&str] =
    &["imports", "options", "config", "meta", "disabledModules", "freeformType", "_file", "key"];

/// How deep variables and wrappers may nest before the engine gives up (a variable bound to
/// itself would never end).
const MAX_DEPTH: usize = 64;

/// The file's top-level attribute set, seen through function arguments, `let ... in`, `with`,
/// `assert` and parentheses.
pub(super) fn top_level_set(file: &NixFile) -> Result<ast::AttrSet, Error> {
    let (expr, _) = top(file)?;
    match &expr {
        ast::Expr::AttrSet(set) => Ok(set.clone()),
        other => Err(Error::at(other.syntax().text_range(), ErrorKind::NoTopLevelSet)),
    }
}

/// The file's value below its function header and the scopes around it (`let`, `with`, ...).
fn top(file: &NixFile) -> Result<(ast::Expr, Scope), Error> {
    let mut expr = file.root().expr().ok_or_else(|| Error::new(ErrorKind::NoTopLevelSet))?;
    let mut scope = Scope::new();
    loop {
        expr = match &expr {
            ast::Expr::Lambda(lambda) => {
                scope.push(Frame::Lambda(lambda.clone()));
                lambda.body()
            }
            ast::Expr::LetIn(it) => {
                scope.push(Frame::Let(it.clone()));
                it.body()
            }
            ast::Expr::With(it) => {
                scope.push(Frame::With(it.clone()));
                it.body()
            }
            ast::Expr::Assert(it) => it.body(),
            ast::Expr::Paren(it) => it.expr(),
            _ => return Ok((expr, scope)),
        }
        .ok_or_else(|| Error::new(ErrorKind::NoTopLevelSet))?;
    }
}

pub(super) fn lookup(file: &NixFile, path: &AttrPath) -> Result<Lookup, Error> {
    let (expr, scope) = top(file)?;
    let keys = &path.keys;
    match path.root {
        Root::Value => {
            let keys = module_path(&expr, keys);
            let mut resolver = Resolver { depth: 0 };
            match resolver.expr(&expr, &keys, &[], &scope) {
                // A file whose value is not something a path goes through names it.
                Err(err) if matches!(err.kind, ErrorKind::NotAnAttrSet { ref path, .. } if path.is_empty()) => {
                    Err(Error { kind: ErrorKind::NoTopLevelSet, ..err })
                }
                other => other,
            }
        }
        Root::Let => {
            let lets: Vec<(usize, &ast::LetIn)> = scope
                .iter()
                .enumerate()
                .filter_map(|(i, f)| match f {
                    Frame::Let(it) => Some((i, it)),
                    _ => None,
                })
                .collect();
            let Some(&(innermost, _)) = lets.last() else {
                let at = TextRange::empty(expr.syntax().text_range().start());
                return Err(Error::at(at, ErrorKind::NoLet));
            };
            // The `let` that binds the first segment, innermost first; a new name goes into the
            // innermost one.
            let at = match binding_frame(&keys[0], &scope) {
                Some((i, _)) if matches!(scope[i], Frame::Let(_)) => i,
                _ => innermost,
            };
            let Frame::Let(it) = &scope[at] else { unreachable!("a let frame") };
            let mut resolver = Resolver { depth: 0 };
            resolver.entries(&Entries::Let(it.clone()), keys, &[], &scope[..=at].to_vec())
        }
    }
}

/// The path an option takes in a module: under `config` when the module's top-level set has
/// `config` or `options`.
fn module_path(expr: &ast::Expr, keys: &[String]) -> Vec<String> {
    let full_module = match expr {
        ast::Expr::AttrSet(set) => Entries::Set(set.clone()).attrpath_values().any(|b| {
            b.attrpath()
                .and_then(|p| p.attrs().next())
                .is_some_and(|a| matches!(super::attrpath::attr_key(&a), super::attrpath::Key::Literal(k) if k == "config" || k == "options"))
        }),
        _ => false,
    };
    if full_module && !MODULE_KEYS.contains(&keys[0].as_str()) {
        [vec!["config".to_owned()], keys.to_vec()].concat()
    } else {
        keys.to_vec()
    }
}

struct Resolver {
    depth: usize,
}

impl Resolver {
    /// Resolves `path` inside the value `expr`; `above` is the part of the full path that led
    /// there, for messages.
    fn expr(
        &mut self,
        expr: &ast::Expr,
        path: &[String],
        above: &[String],
        scope: &Scope,
    ) -> Result<Lookup, Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(computed(expr, above, "it nests too deeply to follow"));
        }
        let found = match shape(expr, scope) {
            Shape::Set(set) => {
                let mut scope = scope.clone();
                if set.rec_token().is_some() {
                    scope.push(Frame::Rec(set.clone()));
                }
                self.entries(&Entries::Set(set), path, above, &scope)
            }
            Shape::Around { inner, frame, .. } => {
                let mut scope = scope.clone();
                scope.extend(frame);
                self.expr(&inner, path, above, &scope)
            }
            Shape::Merge(list) => self.merge(&list, path, above, scope),
            Shape::Update(operands) => self.update(expr, &operands, path, above, scope),
            Shape::Var { name, frame } => {
                let entries = frame_entries(&scope[frame]).expect("variables are let or rec bound");
                let keys = [vec![name], path.to_vec()].concat();
                let inner = scope[..=frame].to_vec();
                self.entries(&entries, &keys, above, &inner)
            }
            Shape::Computed => Err(computed(expr, above, "")),
        };
        self.depth -= 1;
        found
    }

    /// Resolves `path` among the bindings of a set or a `let`.
    fn entries(
        &mut self,
        entries: &Entries,
        path: &[String],
        above: &[String],
        scope: &Scope,
    ) -> Result<Lookup, Error> {
        let mut deeper = Vec::new();
        let mut nested_missing = None;
        let mut sibling: Option<(ast::AttrpathValue, usize)> = None;

        for binding in entries.attrpath_values() {
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
                    let inner = self.unwrap(&value, scope);
                    let scope = scope.clone();
                    return Ok(Lookup::Value { binding, inner, others: Vec::new(), scope });
                }
                let here = [above, &path[..common]].concat();
                match self.expr(&value, &path[common..], &here, scope)? {
                    missing @ Lookup::Missing { .. } => nested_missing = Some(missing),
                    found => return Ok(found),
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
        if let Some(name) = inherited(entries, path) {
            return Err(Error::at(
                name,
                ErrorKind::Unsupported(format!(
                    "`{}` is brought in by `inherit`; edit that line by hand",
                    display_path(&[above, &path[..1]].concat())
                )),
            ));
        }
        Ok(Lookup::Missing {
            target: Target::Entries(entries.clone()),
            rest: path.to_vec(),
            sibling,
        })
    }

    /// `mkMerge [ ... ]`: the element that defines the path, or where a new one goes.
    fn merge(
        &mut self,
        list: &ast::List,
        path: &[String],
        above: &[String],
        scope: &Scope,
    ) -> Result<Lookup, Error> {
        let mut defined: Vec<(ast::Expr, Lookup)> = Vec::new();
        let mut missing: Vec<(ast::Expr, Lookup)> = Vec::new();
        let mut unreadable = None;
        for item in list.items() {
            match self.expr(&item, path, above, scope) {
                Ok(found @ Lookup::Missing { .. }) => missing.push((item, found)),
                Ok(found) => defined.push((item, found)),
                Err(err) if is_computed(&err) => {
                    unreadable.get_or_insert(err);
                }
                Err(err) => return Err(err),
            }
        }
        if !defined.is_empty() {
            // The last unconditional definition, else the last one.
            let chosen = defined
                .iter()
                .rposition(|(item, _)| is_plain_set(item))
                .unwrap_or(defined.len() - 1);
            let places: Vec<TextRange> = defined
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != chosen)
                .map(|(_, (item, _))| item.syntax().text_range())
                .collect();
            return Ok(match defined.swap_remove(chosen).1 {
                Lookup::Value { binding, inner, mut others, scope } => {
                    others.extend(places);
                    Lookup::Value { binding, inner, others, scope }
                }
                found => found,
            });
        }
        // An element the engine cannot read may define the path already.
        if let Some(err) = unreadable {
            return Err(err);
        }
        let depth = |found: &Lookup| match found {
            Lookup::Missing { rest, sibling, .. } => {
                path.len() - rest.len() + sibling.as_ref().map_or(0, |(_, n)| *n)
            }
            _ => 0,
        };
        let deepest = missing.iter().map(|(_, m)| depth(m)).max().unwrap_or(0);
        if deepest > 0 {
            let best = missing
                .iter()
                .enumerate()
                .filter(|(_, (_, m))| depth(m) == deepest)
                .max_by_key(|(i, (item, _))| (is_plain_set(item), *i))
                .map(|(i, _)| i)
                .expect("one element is that deep");
            return Ok(missing.swap_remove(best).1);
        }
        if let Some(last) = missing.iter().rposition(|(item, _)| is_plain_set(item)) {
            return Ok(missing.swap_remove(last).1);
        }
        Ok(Lookup::Missing {
            target: Target::MergeList(list.clone()),
            rest: path.to_vec(),
            sibling: None,
        })
    }

    /// `A // B`: shallow, so the rightmost operand that defines the first segment has it all.
    fn update(
        &mut self,
        whole: &ast::Expr,
        operands: &[ast::Expr],
        path: &[String],
        above: &[String],
        scope: &Scope,
    ) -> Result<Lookup, Error> {
        for operand in operands.iter().rev() {
            match self.expr(operand, &path[..1], above, scope)? {
                Lookup::Missing { .. } => continue,
                _ => return self.expr(operand, path, above, scope),
            }
        }
        match operands.iter().find(|o| is_plain_set(o)) {
            Some(set) => self.expr(set, path, above, scope),
            None => Err(computed(whole, above, "none of its operands is an attribute set literal")),
        }
    }

    /// A value seen through what wraps it: `mkDefault 80` is `80`, `(x)` is `x`, `with pkgs; [ ]`
    /// is `[ ]`.
    fn unwrap(&mut self, expr: &ast::Expr, scope: &Scope) -> ast::Expr {
        match shape(expr, scope) {
            Shape::Around { inner, frame, value: true } => {
                let mut scope = scope.clone();
                scope.extend(frame);
                self.unwrap(&inner, &scope)
            }
            _ => expr.clone(),
        }
    }
}

/// `expr` and what it wraps, down to its inner value: `mkDefault (80)`, `(80)`, `80`.
pub(super) fn layers(expr: &ast::Expr, scope: &Scope) -> Vec<ast::Expr> {
    let mut layers = vec![expr.clone()];
    let mut scope = scope.clone();
    while let Shape::Around { inner, frame, value: true } = shape(layers.last().unwrap(), &scope) {
        scope.extend(frame);
        layers.push(inner);
    }
    layers
}

/// The error for a path that goes through `expr`, which the engine cannot read.
fn computed(expr: &ast::Expr, above: &[String], why: &str) -> Error {
    let what = match expr {
        ast::Expr::Apply(_) => {
            let (head, _) = super::shape::call(expr);
            let head = head.map(|h| h.syntax().text().to_string()).unwrap_or_default();
            format!("the result of `{head}`")
        }
        ast::Expr::Ident(ident) => match ident.to_string().as_str() {
            "true" | "false" | "null" => "not an attribute set".to_owned(),
            name => format!("the variable `{name}`, which is not bound to a set in this file"),
        },
        ast::Expr::Select(_) => format!("`{}`, read from elsewhere", expr.syntax().text()),
        ast::Expr::AttrSet(_) | ast::Expr::BinOp(_) => String::new(),
        _ => "not an attribute set".to_owned(),
    };
    let what = match (what.is_empty(), why.is_empty()) {
        (false, false) => format!("{what}: {why}"),
        (false, true) => what,
        (true, _) => why.to_owned(),
    };
    Error::at(
        expr.syntax().text_range(),
        ErrorKind::NotAnAttrSet { path: display_path(above), what },
    )
}

fn is_computed(err: &Error) -> bool {
    matches!(err.kind, ErrorKind::NotAnAttrSet { .. })
}

fn inherited(entries: &Entries, path: &[String]) -> Option<rowan::TextRange> {
    entries
        .inherits()
        .flat_map(|inherit| inherit.attrs())
        .find(|attr| super::attrpath::attr_key(attr).is(&path[0]))
        .map(|attr| attr.syntax().text_range())
}

/// The error for a path that holds something other than `expected`.
pub(super) fn wrong_kind(at: &rnix::SyntaxNode, path: &[String], expected: &'static str) -> Error {
    Error::at(at.text_range(), ErrorKind::WrongKind { path: display_path(path), expected })
}

/// The error for a path defined in several places, for operations that need one value.
fn several(path: &[String], others: &[TextRange]) -> Error {
    Error::at(others[0], ErrorKind::Several { path: display_path(path), count: others.len() + 1 })
}

/// The value at `path` and what `view` sees in it (a list, an indented string), for operations
/// that take something away: `None` when the path is not defined, so there is nothing to take.
pub(super) fn existing<T>(
    file: &NixFile,
    path: &AttrPath,
    expected: &'static str,
    view: impl Fn(&ast::Expr) -> Option<T>,
) -> Result<Option<(ast::Expr, T)>, Error> {
    match lookup(file, path)? {
        Lookup::Value { inner, .. } => match view(&inner) {
            Some(seen) => Ok(Some((inner, seen))),
            None => Err(wrong_kind(inner.syntax(), &path.keys, expected)),
        },
        Lookup::Missing { .. } => Ok(None),
        Lookup::Piecewise { bindings, .. } => {
            Err(wrong_kind(bindings[0].syntax(), &path.keys, expected))
        }
    }
}

/// `nix get`: the source text of the value at `path`, seen through what wraps it.
pub fn get_value(file: &NixFile, path: impl Into<AttrPath>) -> Result<String, Error> {
    let path = &path.into();
    match lookup(file, path)? {
        Lookup::Value { others, .. } if !others.is_empty() => Err(several(&path.keys, &others)),
        Lookup::Value { inner, .. } => Ok(inner.syntax().text().to_string()),
        Lookup::Piecewise { bindings, .. } => Err(Error::at(
            bindings[0].syntax().text_range(),
            ErrorKind::Piecewise { path: display_path(&path.keys) },
        )),
        missing @ Lookup::Missing { .. } => Err(not_defined(&missing, path)),
    }
}

/// The error for a path that is not defined, at the set where it would be.
pub(super) fn not_defined(found: &Lookup, path: &AttrPath) -> Error {
    let kind = ErrorKind::Missing { path: display_path(&path.keys) };
    match found {
        Lookup::Missing { target: Target::Entries(entries), .. } => {
            let node = match entries {
                Entries::Set(set) => set.syntax().clone(),
                Entries::Let(it) => it.syntax().clone(),
            };
            Error::at(TextRange::empty(node.text_range().start()), kind)
        }
        Lookup::Missing { target: Target::MergeList(list), .. } => {
            Error::at(TextRange::empty(list.syntax().text_range().start()), kind)
        }
        _ => Error::new(kind),
    }
}

/// The single value at `path` for an operation that replaces or removes it.
pub(super) fn refuse_several(found: &Lookup, path: &AttrPath) -> Result<(), Error> {
    match found {
        Lookup::Value { others, .. } if !others.is_empty() => Err(several(&path.keys, others)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(text: &str, path: &str) -> Result<String, Error> {
        let file = NixFile::parse(text).unwrap();
        get_value(&file, super::super::parse_attrpath(path).unwrap())
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
    fn paths_go_through_module_wrappers_at_any_depth() {
        for text in [
            "{ lib, ... }: { a = lib.mkIf true { b = lib.mkDefault 1; }; }",
            "{ lib, ... }: { a = lib.mkMerge [ { x = 2; } (lib.mkIf c { b = 1; }) ]; }",
            "{ lib, ... }: with lib; { a = mkIf c (mkMerge [ { b = mkForce 1; } ]); }",
            "{ pkgs, ... }: { a = pkgs.lib.optionalAttrs c { b = pkgs.lib.mkOverride 10 1; }; }",
            "{ lib, ... }: let inherit (lib) mkIf; in { a = mkIf c { b = 1; }; }",
            "{ a = { b = 2; } // { b = 1; }; }",
            "let x = { b = 1; }; in { a = x; }",
            "{ a = let y = 2; in with y; (assert true; { b = 1; }); }",
        ] {
            assert_eq!(get(text, "a.b").unwrap(), "1", "{text}");
        }
    }

    #[test]
    fn interpolated_keys_never_match_literals() {
        let text = "let d = \"a\"; in { ${d} = 1; \"${d}\" = 2; }";
        assert!(matches!(get(text, "a").unwrap_err().kind, ErrorKind::Missing { .. }));
    }

    #[test]
    fn a_path_through_a_value_that_is_not_a_set_is_an_error() {
        for text in [
            "{ a = import ./x.nix; }",
            "{ lib, ... }: { a = lib.mapAttrs f x; }",
            "{ x, ... }: { a = x; }",
            "{ a = mkIf c { b = 1; }; }",
        ] {
            let err = get(text, "a.b").unwrap_err();
            assert!(matches!(err.kind, ErrorKind::NotAnAttrSet { .. }), "{text}: {err:?}");
        }
    }
}
