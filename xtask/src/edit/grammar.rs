//! The rules of Nix's own grammar that rnix's parser does not enforce, checked on what an edit
//! writes: rnix reads `[ x: x ]` as a list of one function and `{ a = 1; a = 2; }` as a set,
//! where Nix refuses both.
//!
//! - A list element is never a bare function (`[ (x: x) ]`).
//! - An attribute is defined once in a set or a `let`, except attribute set literals, which
//!   merge (`{ a = { b = 1; }; a.c = 2; }` is fine, `{ a = 1; a.b = 2; }` is not).
//! - A `let` binds no computed name (`let ${x} = 1; in`).

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use rnix::ast::{self, HasEntry};
use rnix::SyntaxNode;
use rowan::ast::AstNode;
use rowan::TextRange;

use super::attrpath::{attr_key, literal_keys, Key};
use super::shape::strip_parens;

/// The first place in `root` that Nix's grammar refuses, with why.
pub(super) fn violation(root: &SyntaxNode) -> Option<(TextRange, String)> {
    for node in root.descendants() {
        if let Some(list) = ast::List::cast(node.clone()) {
            if let Some(lambda) = list.items().find(|i| matches!(i, ast::Expr::Lambda(_))) {
                return Some((
                    lambda.syntax().text_range(),
                    "a function as a list element needs parentheses".into(),
                ));
            }
        } else if let Some(set) = ast::AttrSet::cast(node.clone()) {
            if let Some(found) = duplicate(&Bindings::of(set.attrpath_values(), set.inherits())) {
                return Some(found);
            }
        } else if let Some(let_in) = ast::LetIn::cast(node.clone()) {
            let bindings = Bindings::of(let_in.attrpath_values(), let_in.inherits());
            if let Some(range) = bindings.dynamic {
                return Some((range, "a `let` cannot bind a computed name".into()));
            }
            if let Some(found) = duplicate(&bindings) {
                return Some(found);
            }
        }
    }
    None
}

/// The static bindings of a set or a `let`.
struct Bindings {
    /// Each binding's keys, where its keys start, and its value when it is a set literal.
    entries: Vec<(Vec<String>, TextRange, Option<ast::AttrSet>)>,
    /// A binding with a computed key, if any.
    dynamic: Option<TextRange>,
}

impl Bindings {
    fn of(
        values: impl Iterator<Item = ast::AttrpathValue>,
        inherits: impl Iterator<Item = ast::Inherit>,
    ) -> Bindings {
        let mut entries = Vec::new();
        let mut dynamic = None;
        for binding in values {
            let Some(attrpath) = binding.attrpath() else { continue };
            match literal_keys(&attrpath) {
                Some(keys) => {
                    let set = binding.value().and_then(|v| match strip_parens(&v) {
                        ast::Expr::AttrSet(set) => Some(set),
                        _ => None,
                    });
                    entries.push((keys, attrpath.syntax().text_range(), set));
                }
                None => {
                    dynamic.get_or_insert(attrpath.syntax().text_range());
                }
            }
        }
        for inherit in inherits {
            for attr in inherit.attrs() {
                if let Key::Literal(name) = attr_key(&attr) {
                    entries.push((vec![name], attr.syntax().text_range(), None));
                }
            }
        }
        Bindings { entries, dynamic }
    }
}

/// What a name is defined as so far in one set: a value that does not merge, or a set that
/// does, with what it holds.
enum Defined {
    Value,
    Set(BTreeMap<String, Defined>),
}

fn duplicate(bindings: &Bindings) -> Option<(TextRange, String)> {
    let mut defined = BTreeMap::new();
    for (keys, range, set) in &bindings.entries {
        if let Err(path) = define(&mut defined, keys, set.as_ref()) {
            return Some((*range, format!("`{path}` is defined twice")));
        }
    }
    None
}

/// Records `keys` (with the literal set it is bound to, if any); `Err` with the path defined
/// twice.
fn define(
    defined: &mut BTreeMap<String, Defined>,
    keys: &[String],
    set: Option<&ast::AttrSet>,
) -> Result<(), String> {
    let (first, rest) = keys.split_first().expect("a binding has a key");
    let merges = !rest.is_empty() || set.is_some();
    let inner = match defined.entry(first.clone()) {
        Entry::Vacant(slot) if !merges => {
            slot.insert(Defined::Value);
            return Ok(());
        }
        Entry::Vacant(slot) => match slot.insert(Defined::Set(BTreeMap::new())) {
            Defined::Set(inner) => inner,
            Defined::Value => unreachable!("just inserted a set"),
        },
        Entry::Occupied(slot) => match slot.into_mut() {
            Defined::Set(inner) if merges => inner,
            _ => return Err(first.clone()),
        },
    };
    let nested = |e: String| format!("{first}.{e}");
    if !rest.is_empty() {
        return define(inner, rest, set).map_err(nested);
    }
    // A set literal's own bindings merge with what the name holds already.
    let set = set.expect("merges without more keys");
    let own = Bindings::of(set.attrpath_values(), set.inherits());
    for (keys, _, set) in &own.entries {
        define(inner, keys, set.as_ref()).map_err(nested)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Option<String> {
        violation(&rnix::Root::parse(text).syntax()).map(|(_, why)| why)
    }

    #[test]
    fn what_nix_refuses_and_rnix_reads() {
        assert_eq!(check("[ x: x ]").unwrap(), "a function as a list element needs parentheses");
        assert_eq!(check("{ a = 1; a = 2; }").unwrap(), "`a` is defined twice");
        assert_eq!(check("{ a = { b = 1; }; a.b = 2; }").unwrap(), "`a.b` is defined twice");
        assert_eq!(check("{ inherit a; a.b = 1; }").unwrap(), "`a` is defined twice");
        assert_eq!(check("let a = 1; a = 2; in a").unwrap(), "`a` is defined twice");
        assert!(check("let ${a} = 1; in 1").is_some());
        assert_eq!(check("{ ${\"a\"} = 1; a = 2; }").unwrap(), "`a` is defined twice");
    }

    #[test]
    fn what_nix_reads() {
        for text in [
            "[ (x: x) a.b ]",
            "{ a = { b = 1; }; a.c = 2; }",
            "{ a.b.c = 1; a.b = rec { d = 1; }; }",
            "{ a = { b = 1; }; a = ({ c = 2; }); }",
            "{ ${x} = 1; ${x} = 2; }",
        ] {
            assert_eq!(check(text), None, "{text}");
        }
    }
}
