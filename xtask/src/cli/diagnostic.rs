//! Turning byte ranges into `FILE:LINE:COL: message` with the source line and a caret.

use rowan::TextSize;

use crate::edit::{Error, ErrorKind};

/// Line starts of a text, to map byte offsets to 1-based line and column.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let starts =
            std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { text, starts }
    }

    /// 1-based line and column (in characters) of `offset`.
    pub fn line_col(&self, offset: TextSize) -> (usize, usize) {
        let offset = usize::from(offset).min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let col = self.text[self.starts[line]..offset].chars().count() + 1;
        (line + 1, col)
    }

    /// The text of 1-based `line`, without its line break.
    pub fn line(&self, line: usize) -> &'a str {
        let start = self.starts[line - 1];
        let end = self.starts.get(line).map_or(self.text.len(), |&e| e - 1);
        self.text[start..end].trim_end_matches('\r')
    }
}

/// `FILE:LINE:COL: message`, the source line, a caret under the place, and what to do next.
pub fn render_error(file: &str, text: &str, error: &Error) -> String {
    let hint = match &error.kind {
        ErrorKind::Syntax(_) => Some("fix the file by hand so that it parses; nothing was changed"),
        ErrorKind::Internal(_) => Some("this is a bug in NMMM: please report it with the file"),
        _ => None,
    };
    let mut out = match error.range {
        Some(range) => {
            let index = LineIndex::new(text);
            let (line, col) = index.line_col(range.start());
            let source = index.line(line);
            let gutter = " ".repeat(line.to_string().len());
            let pad: String =
                source.chars().take(col - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
            format!(
                "{file}:{line}:{col}: {}\n{gutter} |\n{line} | {source}\n{gutter} | {pad}^\n",
                error.kind
            )
        }
        None => format!("{file}: {}\n", error.kind),
    };
    if let Some(hint) = hint {
        out.push_str(&format!("  = {hint}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_and_lines_start_at_one() {
        let index = LineIndex::new("ab\nçd\r\nx");
        assert_eq!(index.line_col(0.into()), (1, 1));
        assert_eq!(index.line_col(5.into()), (2, 2));
        assert_eq!(index.line(2), "çd");
        assert_eq!(index.line_col(8.into()), (3, 1));
    }
}
