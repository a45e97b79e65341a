//! `remove_list_element`: the inverse of `add`.
//!
//! ```nix
//! imports = [                      imports = [
//!   ./hardware.nix                   ./hardware.nix
//!   ../shop.nix          =>        ];
//! ];
//! ```
//! The element goes with its line (or with the space before it in a one-line list); a list left
//! empty goes with its binding, so that adding and removing restores the file. An element that
//! is not there changes nothing.

use rowan::ast::AstNode;

use super::add::{literal_list, parse_element};
use super::query::existing;
use super::rm::{element_extent, remove_attr};
use super::{same_syntax, Change, EditSet, Error, NixFile, TextEdit};

pub fn remove_list_element(
    file: &NixFile,
    path: &[String],
    element: &str,
) -> Result<Change, Error> {
    let wanted = parse_element(element)?;
    let Some((value, list)) = existing(file, path, "a list", literal_list)? else {
        return EditSet::new().finish(file);
    };
    let items: Vec<_> = list.items().collect();
    let Some(item) = items.iter().find(|i| same_syntax(i.syntax(), wanted.syntax())) else {
        return EditSet::new().finish(file);
    };
    // The list is the whole value and this was its last element: the binding goes.
    if items.len() == 1 && value.syntax() == list.syntax() {
        return remove_attr(file, path);
    }
    let mut edits = EditSet::new();
    edits.push(TextEdit::delete(element_extent(file.text(), item.syntax())));
    edits.finish(file)
}
