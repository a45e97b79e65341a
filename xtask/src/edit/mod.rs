//! The edit engine: lossless queries and edits of Nix source through rnix's syntax tree.
//!
//! Nothing here knows about monoliths, files on disk or terminals. Every operation takes source
//! text, computes [`TextEdit`]s against the original tree, and [`EditSet::finish`] applies them,
//! re-parses the result and refuses it if it does not parse. Errors carry a byte range; only the
//! CLI turns ranges into line and column.

mod add;
mod add_line;
mod attrpath;
mod error;
mod grammar;
mod layout;
mod let_in;
mod make;
mod query;
mod read;
mod rm;
mod rm_element;
mod rm_line;
mod set;
mod shape;
mod source;
mod text_edit;

pub use add::add_list_element;
pub use add_line::{add_string_line, escape_indented_line};
pub use attrpath::{parse_attrpath, quote_key, quote_string, AttrPath, Root};
pub use error::{Error, ErrorKind};
pub use layout::indent_unit;
pub use let_in::{
    add_let_list_element, read_let_bindings, resolve_let_strings, resolve_strings, set_let_binding,
    ResolvedString,
};
pub use make::lists_one_per_line;
pub use query::get_value;
pub use read::{read_expr, read_list, read_string_lines, read_top_level, Node, Value};
pub use rm::{remove_attr, remove_attr_and_emptied_parents};
pub use rm_element::{remove_list_element, remove_list_elements_where};
pub use rm_line::remove_string_line;
pub use set::{set_attr, set_attr_beside};
pub use source::{same_syntax, NixFile};
pub use text_edit::{Change, EditSet, TextEdit};
