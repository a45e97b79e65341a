//! `remove_list_element`: the inverse of `add`.
//!
//! ```nix
//! imports = [                      imports = [
//!   ./hardware.nix                   ./hardware.nix
//!   ../shop.nix          =>        ];
//! ];
//! ```
//! `remove_list_elements_where` takes those whose value passes a test instead.
//! The element goes with its line (or with the space before it in a one-line list); a list left
//! empty goes with its binding, so that adding and removing restores the file. An element that
//! is not there changes nothing.

use rnix::ast;
use rowan::ast::AstNode;

use super::add::{literal_list, same_element};
use super::attrpath::AttrPath;
use super::make::Snippet;
use super::query::existing;
use super::read::{read_expr, Node};
use super::rm::{element_extent, remove_attr_and_emptied_parents};
use super::{Change, EditSet, Error, NixFile, TextEdit};

pub fn remove_list_element(
    file: &NixFile,
    path: impl Into<AttrPath>,
    element: &str,
) -> Result<Change, Error> {
    let wanted = Snippet::element(element)?;
    remove_items(file, &path.into(), |item| same_element(item, &wanted.expr))
}

/// Removes every element of the list at `path` whose value `matches` accepts, as
/// [`read_expr`] reads it: `{ name = "shop"; ... }` found by its `name`, say.
pub fn remove_list_elements_where(
    file: &NixFile,
    path: impl Into<AttrPath>,
    matches: impl Fn(&Node) -> bool,
) -> Result<Change, Error> {
    remove_items(file, &path.into(), |item| matches(&read_expr(item)))
}

fn remove_items(
    file: &NixFile,
    path: &AttrPath,
    matches: impl Fn(&ast::Expr) -> bool,
) -> Result<Change, Error> {
    let Some((value, list)) = existing(file, path, "a list", literal_list)? else {
        return EditSet::new().finish(file);
    };
    let items: Vec<ast::Expr> = list.items().collect();
    let gone: Vec<&ast::Expr> = items.iter().filter(|item| matches(item)).collect();
    // The list is the whole value and loses every element: the binding goes, with the sets
    // it leaves empty, as `add` made them.
    if !gone.is_empty() && gone.len() == items.len() && value.syntax() == list.syntax() {
        return remove_attr_and_emptied_parents(file, path);
    }
    let mut edits = EditSet::new();
    for item in gone {
        edits.push(TextEdit::delete(element_extent(file.text(), item.syntax())));
    }
    edits.finish(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remove_where(text: &str, name: &str) -> String {
        let file = NixFile::parse(text).unwrap();
        let path = vec!["users".to_owned()];
        remove_list_elements_where(&file, &path, |u| {
            u.get("name").and_then(Node::as_str) == Some(name)
        })
        .unwrap()
        .after
    }

    #[test]
    fn elements_are_found_by_their_value_and_an_emptied_list_takes_its_binding() {
        let text =
            "{\n  users = [\n    { name = \"a\"; }\n    { name = \"b\"; } # b\n  ];\n  x = 1;\n}\n";
        assert_eq!(
            remove_where(text, "b"),
            "{\n  users = [\n    { name = \"a\"; }\n  ];\n  x = 1;\n}\n"
        );
        assert_eq!(remove_where(text, "c"), text);
        let one = "{\n  users = [ { name = \"a\"; } ];\n  x = 1;\n}\n";
        assert_eq!(remove_where(one, "a"), "{\n  x = 1;\n}\n");
    }
}
