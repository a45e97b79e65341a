use rowan::{TextRange, TextSize};

use super::{Error, ErrorKind, NixFile};

/// Replace the text in `range` of the original source with `insert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    pub range: TextRange,
    pub insert: String,
}

impl TextEdit {
    pub fn insert(at: TextSize, text: impl Into<String>) -> TextEdit {
        TextEdit {
            range: TextRange::empty(at),
            insert: text.into(),
        }
    }

    pub fn replace(range: TextRange, text: impl Into<String>) -> TextEdit {
        TextEdit {
            range,
            insert: text.into(),
        }
    }

    pub fn delete(range: TextRange) -> TextEdit {
        TextEdit {
            range,
            insert: String::new(),
        }
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
        let mut after = String::with_capacity(before.len() + 64);
        let mut cursor = TextSize::from(0);
        for edit in &self.edits {
            if edit.range.start() < cursor {
                return Err(Error::at(
                    edit.range,
                    ErrorKind::Internal("overlapping edits".to_owned()),
                ));
            }
            after.push_str(&before[TextRange::new(cursor, edit.range.start())]);
            after.push_str(&edit.insert);
            cursor = edit.range.end();
        }
        after.push_str(&before[usize::from(cursor)..]);
        if let Err(err) = NixFile::parse(&after) {
            return Err(Error {
                range: None,
                kind: ErrorKind::Internal(format!("the edited file would not parse: {}", err.kind)),
            });
        }
        Ok(Change {
            before: before.to_owned(),
            after,
        })
    }
}
