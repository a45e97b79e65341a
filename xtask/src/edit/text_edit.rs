use rowan::{TextRange, TextSize};

use super::{grammar, Error, ErrorKind, NixFile};

/// Replace the text in `range` of the original source with `insert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    pub range: TextRange,
    pub insert: String,
}

impl TextEdit {
    pub fn insert(at: TextSize, text: impl Into<String>) -> TextEdit {
        TextEdit { range: TextRange::empty(at), insert: text.into() }
    }

    pub fn replace(range: TextRange, text: impl Into<String>) -> TextEdit {
        TextEdit { range, insert: text.into() }
    }

    pub fn delete(range: TextRange) -> TextEdit {
        TextEdit { range, insert: String::new() }
    }
}

/// Edits queued against one immutable original source.
#[derive(Debug, Default)]
pub struct EditSet {
    edits: Vec<TextEdit>,
}

/// The original text and the edited text side by side: what the diff preview and the writer need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub before: String,
    pub after: String,
}

impl Change {
    pub fn is_noop(&self) -> bool {
        self.before == self.after
    }
}

impl EditSet {
    pub fn new() -> EditSet {
        EditSet::default()
    }

    pub fn push(&mut self, edit: TextEdit) {
        self.edits.push(edit);
    }

    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// Applies the edits to `file`'s text, re-parses the result and refuses it if it does not
    /// parse. Edits must not overlap; insertions at one offset keep their queued order.
    pub fn finish(mut self, file: &NixFile) -> Result<Change, Error> {
        let before = file.text();
        self.edits.sort_by_key(|e| (e.range.start(), e.range.end()));
        let after = apply(before, &self.edits, TextSize::from(0))?;
        verify(file, &self.edits)?;
        Ok(Change { before: before.to_owned(), after })
    }
}

fn apply(text: &str, edits: &[TextEdit], base: TextSize) -> Result<String, Error> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut cursor = TextSize::from(0);
    for edit in edits {
        let range = edit.range - base;
        if range.start() < cursor {
            return Err(Error::at(edit.range, ErrorKind::Internal("overlapping edits".to_owned())));
        }
        out.push_str(&text[TextRange::new(cursor, range.start())]);
        out.push_str(&edit.insert);
        cursor = range.end();
    }
    out.push_str(&text[usize::from(cursor)..]);
    Ok(out)
}

/// Re-parses what the edits touched. An attribute set, list or string delimits itself: when its
/// edited text parses alone as one node of the same kind, the file around it, unchanged, parses
/// as before. So only the smallest such node holding every edit strictly inside its delimiters
/// is re-parsed, and the whole file when there is none; a 6,000-line file is not re-parsed for
/// one changed port.
fn verify(file: &NixFile, edits: &[TextEdit]) -> Result<(), Error> {
    let (Some(first), Some(last)) = (edits.first(), edits.last()) else {
        return Ok(());
    };
    let span = TextRange::new(first.range.start(), last.range.end());
    let covering = match file.syntax().covering_element(span) {
        rowan::NodeOrToken::Node(node) => Some(node),
        rowan::NodeOrToken::Token(token) => token.parent(),
    };
    let scope = covering.into_iter().flat_map(|node| node.ancestors()).find(|node| {
        let range = node.text_range();
        self_delimiting(node.kind()) && range.start() < span.start() && span.end() < range.end()
    });
    let (text, base, kind) = match &scope {
        Some(node) => (node.text().to_string(), node.text_range().start(), Some(node.kind())),
        None => (file.text().to_owned(), TextSize::from(0), None),
    };
    let edited = apply(&text, edits, base)?;
    let parse = rnix::Root::parse(&edited);
    // The edited node must parse as one node of its kind, spanning all of its text.
    let same_kind = kind.is_none_or(|kind| {
        parse.tree().expr().is_some_and(|expr| {
            let node = rowan::ast::AstNode::syntax(&expr);
            node.kind() == kind && node.text_range().len() == TextSize::of(edited.as_str())
        })
    });
    if !parse.errors().is_empty() || !same_kind {
        return Err(Error::new(ErrorKind::Internal("the edited file would not parse".to_owned())));
    }
    // What rnix reads but Nix refuses, unless the file had it before.
    if let Some((_, why)) = grammar::violation(&parse.syntax()) {
        let original = scope.unwrap_or_else(|| file.syntax());
        if grammar::violation(&original).is_none() {
            return Err(Error::new(ErrorKind::Internal(format!(
                "the edited file would not be valid Nix: {why}"
            ))));
        }
    }
    Ok(())
}

fn self_delimiting(kind: rnix::SyntaxKind) -> bool {
    use rnix::SyntaxKind::*;
    matches!(kind, NODE_ATTR_SET | NODE_LIST | NODE_STRING)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(text: &str, at: u32, insert: &str) -> Result<Change, Error> {
        let file = NixFile::parse(text).unwrap();
        let mut edits = EditSet::new();
        edits.push(TextEdit::insert(at.into(), insert));
        edits.finish(&file)
    }

    #[test]
    fn a_broken_edit_inside_a_nested_set_is_refused() {
        let text = "{ a = { b = 1; }; c = [ 1 ]; }";
        assert!(edit(text, 14, " d = 2;").is_ok());
        assert!(edit(text, 14, " d = ;").is_err());
        assert!(edit(text, 14, " } ; {").is_err(), "an edit that rebalances braces");
        assert!(edit(text, 25, " ]; x = [").is_err(), "an edit that escapes its list");
        assert!(edit(text, 25, " 2").is_ok());
    }

    #[test]
    fn a_broken_edit_at_the_top_level_is_refused() {
        assert!(edit("{ a = 1; }", 8, " b = 2;").is_ok());
        assert!(edit("{ a = 1; }", 8, " b = 2").is_err());
        assert!(edit("{ a = 1; }", 10, " ;").is_err());
    }

    #[test]
    fn a_broken_edit_inside_a_string_is_refused() {
        let text = "{ s = ''\n  x\n''; }";
        assert!(edit(text, 12, "\n  y").is_ok());
        assert!(edit(text, 12, "\n  y''").is_err());
    }
}
