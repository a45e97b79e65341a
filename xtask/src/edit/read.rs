//! Reading literal values out of a file without evaluating it: what the workflows need to know
//! about a repository (names, domains, ports, lists of files), with where each value sits.
//!
//! ```nix
//! { nmmm.monoliths.shop.port = 8081;            read(["nmmm", "monoliths"]) ==
//!   nmmm.monoliths.blog = { port = 8082; }; }     Set [shop: Set [port: Int 8081],
//!                                                      blog: Set [port: Int 8082]]
//! ```
//! Nested and dotted bindings merge as Nix merges them; keys computed by interpolation are left
//! out; anything that is not a literal is `Other` with its source text.

use std::ops::Range;

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;

use super::add::literal_list;
use super::add_line::indented_string;
use super::attrpath::{literal_keys, string_literal, AttrPath};
use super::query::{lookup, top_level_set, Lookup};
use super::{Error, NixFile};

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    Path(String),
    List(Vec<Node>),
    Set(Vec<(String, Node)>),
    /// A function, with what its body reads as (through `let ... in` and `with`).
    Function(Box<Node>),
    /// Not a literal: its source text.
    Other(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    /// Byte range of the binding that defines it (of the value, for list items).
    pub range: Range<usize>,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Set(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, n)| n),
            _ => None,
        }
    }

    pub fn at(&self, path: &[String]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(String, Node)] {
        match &self.value {
            Value::Set(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::List(items) => items,
            _ => &[],
        }
    }

    /// What a function's body reads as.
    pub fn body(&self) -> Option<&Node> {
        match &self.value {
            Value::Function(body) => Some(body),
            _ => None,
        }
    }

    /// The source text of a value that is not a literal.
    pub fn source(&self) -> Option<&str> {
        match &self.value {
            Value::Other(text) => Some(text),
            _ => None,
        }
    }
}

/// The file's top-level attribute set, read.
pub fn read_top_level(file: &NixFile) -> Result<Node, Error> {
    let set = top_level_set(file)?;
    Ok(read_set(&set))
}

/// The literal value of an expression, seeing through a call to its last argument when asked
/// for a list (`foldr f { } [ ... ]`), as the edit operations do.
pub fn read_expr(expr: &ast::Expr) -> Node {
    let range = expr.syntax().text_range();
    let range = usize::from(range.start())..usize::from(range.end());
    let value = match expr {
        ast::Expr::AttrSet(set) => return Node { range, ..read_set(set) },
        ast::Expr::Str(s) => {
            string_literal(s).map_or_else(|| Value::Other(s.to_string()), Value::Str)
        }
        ast::Expr::Literal(lit) => match lit.kind() {
            ast::LiteralKind::Integer(i) => {
                i.value().map_or(Value::Other(lit.to_string()), Value::Int)
            }
            _ => Value::Other(lit.to_string()),
        },
        ast::Expr::Ident(ident) => match ident.to_string().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => Value::Other(other.to_owned()),
        },
        ast::Expr::PathRel(p) => Value::Path(p.to_string()),
        ast::Expr::PathAbs(p) => Value::Path(p.to_string()),
        ast::Expr::List(list) => Value::List(list.items().map(|item| read_expr(&item)).collect()),
        ast::Expr::Lambda(lambda) => match lambda.body() {
            Some(body) => Value::Function(Box::new(read_expr(&body))),
            None => Value::Other(lambda.to_string()),
        },
        ast::Expr::LetIn(it) => match it.body() {
            Some(body) => return read_expr(&body),
            None => Value::Other(it.to_string()),
        },
        ast::Expr::With(it) => match it.body() {
            Some(body) => return read_expr(&body),
            None => Value::Other(it.to_string()),
        },
        ast::Expr::Paren(paren) => match paren.expr() {
            Some(inner) => return read_expr(&inner),
            None => Value::Other(paren.to_string()),
        },
        other => Value::Other(other.to_string()),
    };
    Node { value, range }
}

/// The items of the list at `path`, seeing through `++` and calls as `add` does; `None` when
/// the path holds no such list.
pub fn read_list(file: &NixFile, path: impl Into<AttrPath>) -> Result<Option<Vec<Node>>, Error> {
    Ok(match lookup(file, &path.into())? {
        Lookup::Value { inner, .. } => {
            literal_list(&inner).map(|list| list.items().map(|item| read_expr(&item)).collect())
        }
        _ => None,
    })
}

/// A line of an indented string as written, and its byte range.
pub type SourceLine = (String, Range<usize>);

/// The source lines of the indented string at `path` (as written, escapes and all), with their
/// byte ranges; `None` when the path holds no such string.
pub fn read_string_lines(
    file: &NixFile,
    path: impl Into<AttrPath>,
) -> Result<Option<Vec<SourceLine>>, Error> {
    let Lookup::Value { inner, .. } = lookup(file, &path.into())? else {
        return Ok(None);
    };
    let Some(string) = indented_string(&inner) else {
        return Ok(None);
    };
    let range = string.syntax().text_range();
    let (start, end) = (usize::from(range.start()) + 2, usize::from(range.end()) - 2);
    let mut lines = Vec::new();
    let mut offset = start;
    for (i, line) in file.text()[start..end].split('\n').enumerate() {
        if i > 0 && !line.trim().is_empty() {
            lines.push((line.trim().to_owned(), offset..offset + line.len()));
        }
        offset += line.len() + 1;
    }
    Ok(Some(lines))
}

fn read_set(set: &ast::AttrSet) -> Node {
    let range = set.syntax().text_range();
    let mut node = Node {
        value: Value::Set(Vec::new()),
        range: usize::from(range.start())..usize::from(range.end()),
    };
    for binding in set.attrpath_values() {
        let (Some(attrpath), Some(value)) = (binding.attrpath(), binding.value()) else {
            continue;
        };
        let Some(keys) = literal_keys(&attrpath) else { continue };
        let r = binding.syntax().text_range();
        let binding_range = usize::from(r.start())..usize::from(r.end());
        let mut value = read_expr(&value);
        value.range = binding_range.clone();
        insert(&mut node, &keys, value, &binding_range);
    }
    node
}

fn insert(node: &mut Node, keys: &[String], value: Node, range: &Range<usize>) {
    let Value::Set(entries) = &mut node.value else {
        return;
    };
    let (first, rest) = keys.split_first().expect("a binding has a key");
    let position = entries.iter().position(|(k, _)| k == first);
    if rest.is_empty() {
        match position {
            // `a = { x = 1; }; a.y = 2;` merge.
            Some(i) => {
                if let (Value::Set(old), Value::Set(new)) = (&mut entries[i].1.value, value.value) {
                    old.extend(new);
                }
            }
            None => entries.push((first.clone(), value)),
        }
        return;
    }
    let i = position.unwrap_or_else(|| {
        entries.push((first.clone(), Node { value: Value::Set(Vec::new()), range: range.clone() }));
        entries.len() - 1
    });
    insert(&mut entries[i].1, rest, value, range);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_and_dotted_bindings_merge() {
        let file = NixFile::parse(
            "{ pkgs, ... }: { m.shop.port = 8081; m.blog = { port = 8082; db = false; }; m.x = pkgs.hello; }",
        )
        .unwrap();
        let top = read_top_level(&file).unwrap();
        let m = top.get("m").unwrap();
        let names: Vec<&str> = m.entries().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["shop", "blog", "x"]);
        assert_eq!(m.at(&["blog".into(), "port".into()]).unwrap().as_int(), Some(8082));
        assert_eq!(m.get("blog").unwrap().get("db").unwrap().as_bool(), Some(false));
        assert_eq!(m.get("x").unwrap().source(), Some("pkgs.hello"));
        let shop = m.get("shop").unwrap();
        assert_eq!(&file.text()[shop.range.clone()], "m.shop.port = 8081;");
    }
}
