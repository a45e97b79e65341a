//! `remove_string_line`: the inverse of `add-line`.
//!
//! ```nix
//! initialScript = ''               initialScript = ''
//!   CREATE ROLE a;          =>       CREATE ROLE a;
//!   CREATE ROLE b;                 '';
//! '';
//! ```
//! The line is matched as `add-line` would have written it (escaped, whitespace aside); a line
//! that is not there changes nothing.

use rowan::{ast::AstNode, TextRange, TextSize};

use super::add_line::{escape_indented_line, indented_string};
use super::attrpath::AttrPath;
use super::layout::{line_end_with_break, line_start};
use super::query::existing;
use super::{Change, EditSet, Error, NixFile, TextEdit};

pub fn remove_string_line(
    file: &NixFile,
    path: impl Into<AttrPath>,
    line: &str,
) -> Result<Change, Error> {
    let path = path.into();
    let wanted = escape_indented_line(line);
    let expected = "an indented string ''...''";
    let Some((_, string)) = existing(file, &path, expected, indented_string)? else {
        return EditSet::new().finish(file);
    };
    let text = file.text();
    let range = string.syntax().text_range();
    let body = TextRange::new(range.start() + TextSize::from(2), range.end() - TextSize::from(2));
    let mut edits = EditSet::new();
    let mut offset = usize::from(body.start());
    for (i, content) in text[body].split('\n').enumerate() {
        let at = TextSize::from(offset as u32);
        offset += content.len() + 1;
        // Only whole lines of the body: not the rest of the opening line, nor the closing one.
        if i == 0 || offset > usize::from(body.end()) + 1 {
            continue;
        }
        if content.trim() == wanted.trim() {
            let start = line_start(text, at);
            edits.push(TextEdit::delete(TextRange::new(start, line_end_with_break(text, at))));
            break;
        }
    }
    edits.finish(file)
}
