//! Where things sit on their lines, and how the file indents: what new text must imitate.

use rowan::{TextRange, TextSize};

/// How a file writes its layout, read off the file itself.
#[derive(Debug, Clone)]
pub(super) struct Style<'a> {
    text: &'a str,
    /// One level of indentation, read off the file when first needed.
    unit: std::cell::OnceCell<String>,
    /// `\n` or `\r\n`, whichever the file uses.
    pub newline: &'static str,
}

impl<'a> Style<'a> {
    pub fn of(text: &'a str) -> Style<'a> {
        let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
        Style { text, unit: std::cell::OnceCell::new(), newline }
    }

    /// One level of indentation: two spaces, four, a tab...
    pub fn unit(&self) -> &str {
        self.unit.get_or_init(|| indent_unit(self.text))
    }

    /// How the file writes an empty set: `{ }`, or `{}` as alejandra does.
    pub fn empty_set(text: &str) -> &'static str {
        if text.matches("{}").count() > text.matches("{ }").count() {
            "{}"
        } else {
            "{ }"
        }
    }

    /// Converts text built with `\n` into the file's line endings.
    pub fn lines(&self, text: &str) -> String {
        if self.newline == "\n" {
            text.to_owned()
        } else {
            text.replace('\n', self.newline)
        }
    }
}

/// The most common step by which a line's indentation grows over the previous line's, read
/// off the first lines of the file (a file's style does not change halfway).
pub fn indent_unit(text: &str) -> String {
    let mut counts = [0usize; 9];
    let mut tabs = 0usize;
    let mut previous = 0usize;
    for line in text.lines().take(2000) {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with('\t') {
            tabs += 1;
        }
        let width = line.len() - line.trim_start_matches(' ').len();
        if width > previous && width - previous <= 8 {
            counts[width - previous] += 1;
        }
        previous = width;
    }
    let spaces: usize = counts.iter().sum();
    if tabs > spaces {
        return "\t".to_owned();
    }
    let best = (1..=8).max_by_key(|&n| (counts[n], n == 2)).filter(|&n| counts[n] > 0);
    " ".repeat(best.unwrap_or(2))
}

/// Offset of the start of the line holding `offset`.
pub(super) fn line_start(text: &str, offset: TextSize) -> TextSize {
    let at = usize::from(offset);
    TextSize::from(text[..at].rfind('\n').map_or(0, |i| i + 1) as u32)
}

/// Offset just past the end of the line holding `offset`, its line break included.
pub(super) fn line_end_with_break(text: &str, offset: TextSize) -> TextSize {
    let at = usize::from(offset);
    TextSize::from(text[at..].find('\n').map_or(text.len(), |i| at + i + 1) as u32)
}

/// The whitespace before `offset` when only whitespace stands there on its line.
pub(super) fn indent_before(text: &str, offset: TextSize) -> Option<&str> {
    let start = line_start(text, offset);
    let before = &text[TextRange::new(start, offset)];
    before.chars().all(|c| c == ' ' || c == '\t').then_some(before)
}

/// The indentation of the line holding `offset`, whatever follows it.
pub(super) fn line_indent(text: &str, offset: TextSize) -> &str {
    let start = usize::from(line_start(text, offset));
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// Extends `end` over what belongs to the same line after it: spaces and a trailing comment.
/// Returns the offset just before the line break (or before trailing spaces when no comment).
pub(super) fn end_of_trailing_comment(text: &str, end: TextSize) -> TextSize {
    let at = usize::from(end);
    let rest = &text[at..];
    let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let after = &rest[spaces..];
    if after.starts_with('#') {
        let len = after.find('\n').unwrap_or(after.len());
        let len = after[..len].trim_end_matches('\r').len();
        return TextSize::from((at + spaces + len) as u32);
    }
    if after.starts_with("/*") {
        if let Some(close) = after.find("*/") {
            if !after[..close].contains('\n') {
                return TextSize::from((at + spaces + close + 2) as u32);
            }
        }
    }
    end
}

/// Whether the line before the line holding `offset` is blank.
pub(super) fn blank_line_before(text: &str, offset: TextSize) -> bool {
    let start = usize::from(line_start(text, offset));
    let Some(before) = text[..start].strip_suffix('\n') else { return false };
    let previous = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    previous.trim().is_empty() && before.contains('\n')
}

/// Whether `range` of `text` contains a line break.
pub(super) fn spans_lines(text: &str, range: TextRange) -> bool {
    text[range].contains('\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indent_unit_is_read_off_the_file() {
        assert_eq!(Style::of("{\n  a = {\n    b = 1;\n  };\n}\n").unit(), "  ");
        assert_eq!(Style::of("{\n    a = {\n        b = 1;\n    };\n}\n").unit(), "    ");
        assert_eq!(Style::of("{\n\ta = {\n\t\tb = 1;\n\t};\n}\n").unit(), "\t");
        assert_eq!(Style::of("{ a = 1; }").unit(), "  ");
    }

    #[test]
    fn trailing_comments_stay_with_their_line() {
        let text = "a = 1; # one\nb = 2;";
        assert_eq!(end_of_trailing_comment(text, 6.into()), TextSize::from(12));
        assert_eq!(end_of_trailing_comment("a = 1;\n", 6.into()), TextSize::from(6));
    }
}
