//! New syntax from the command line, made as text in the file's style and valid for Nix's own
//! grammar by construction (rust-analyzer's `make`).
//!
//! - A VALUE goes wherever a binding's value goes; a trailing `# comment` moves after the `;`.
//! - An ELEMENT that Nix would not read as one list element (a call, a function, `-x`, `a + b`,
//!   `if`, `let`, `with`, `assert`) is parenthesised: `final: prev: { }` becomes
//!   `(final: prev: { })`. rnix reads some of these as one element where Nix does not.
//! - Continuation lines take the indentation of where they land, except lines that start inside
//!   a string, whose meaning their indentation is part of.
//! - A list of several elements written on one line is written one element per line where the
//!   file writes its lists that way.

use rnix::{ast, SyntaxKind};
use rowan::ast::AstNode;
use rowan::{TextRange, TextSize};

use super::layout::Style;
use super::source::parse_expression;
use super::{Error, ErrorKind, NixFile};

/// A VALUE or ELEMENT, parsed, with its text ready to be placed.
#[derive(Debug, Clone)]
pub(super) struct Snippet {
    pub expr: ast::Expr,
    /// The expression's text, its continuation lines dedented, without a trailing comment.
    pub text: String,
    /// A `# comment` that ended the argument, for after the `;`.
    pub comment: Option<String>,
}

impl Snippet {
    /// A VALUE: any expression.
    pub fn value(text: &str) -> Result<Snippet, Error> {
        Snippet::parse(text, "VALUE")
    }

    /// An ELEMENT: one list element, parenthesised when it would otherwise not be one.
    pub fn element(text: &str) -> Result<Snippet, Error> {
        let mut snippet = Snippet::parse(text, "ELEMENT")?;
        if !is_list_item(&snippet.expr) {
            snippet.text = format!("({})", snippet.text);
            snippet.expr = parse_expression(&snippet.text, "ELEMENT")?;
        }
        Ok(snippet)
    }

    fn parse(text: &str, what: &str) -> Result<Snippet, Error> {
        // Errors point into the argument as it was given.
        parse_expression(text, what)?;
        let text = dedent_continuation(text);
        let expr = parse_expression(&text, what)?;
        // What follows the expression is whitespace and comments.
        let (body, rest) = text.split_at(usize::from(expr.syntax().text_range().end()));
        let rest = rest.trim();
        let comment = match rest {
            "" => None,
            _ if rest.starts_with('#') && !rest.contains('\n') => Some(rest.to_owned()),
            _ => {
                return Err(Error::new(ErrorKind::BadArgument(format!(
                    "invalid {what} `{text}`: only one comment may follow it, on its last line"
                ))))
            }
        };
        let text = body.trim_end().to_owned();
        let expr = parse_expression(&text, what)?;
        Ok(Snippet { expr, text, comment })
    }

    /// The text as it lands at a line indented by `indent`, in `style`.
    pub fn placed(
        &self,
        indent: &str,
        style: &Style,
        one_per_line: impl FnOnce() -> bool,
    ) -> String {
        let text = match &self.expr {
            ast::Expr::List(list) if one_line_list(list) && one_per_line() => {
                let items: Vec<String> =
                    list.items().map(|i| i.syntax().text().to_string()).collect();
                let inner: String =
                    items.iter().map(|i| format!("\n{}{i}", style.unit())).collect();
                format!("[{inner}\n]")
            }
            _ => self.text.clone(),
        };
        reindent_code(&text, indent)
    }
}

/// Whether Nix reads `expr` as one list element: a variable, a literal, a string, a path, a
/// list, a set, parentheses, or an attribute selection.
pub(super) fn is_list_item(expr: &ast::Expr) -> bool {
    matches!(
        expr,
        ast::Expr::Ident(_)
            | ast::Expr::Literal(_)
            | ast::Expr::Str(_)
            | ast::Expr::PathAbs(_)
            | ast::Expr::PathRel(_)
            | ast::Expr::PathHome(_)
            | ast::Expr::PathSearch(_)
            | ast::Expr::List(_)
            | ast::Expr::AttrSet(_)
            | ast::Expr::Paren(_)
            | ast::Expr::Select(_)
            | ast::Expr::CurPos(_)
    )
}

fn one_line_list(list: &ast::List) -> bool {
    let text = list.syntax().text().to_string();
    list.items().count() >= 2
        && !text.contains('\n')
        && !list.syntax().descendants_with_tokens().any(|t| t.kind() == SyntaxKind::TOKEN_COMMENT)
}

/// Whether the file writes its lists of several simple elements (strings, numbers, paths,
/// names) one element per line. Lists of sets or calls, such as a `mkMerge`'s, say nothing about
/// how a list of names is written.
pub fn lists_one_per_line(file: &NixFile) -> bool {
    let (mut per_line, mut one_line) = (0, 0);
    for list in file.syntax().descendants().filter_map(ast::List::cast) {
        let items: Vec<ast::Expr> = list.items().collect();
        let simple = |i: &ast::Expr| {
            is_list_item(i)
                && !matches!(i, ast::Expr::AttrSet(_) | ast::Expr::List(_) | ast::Expr::Paren(_))
        };
        if items.len() < 2 || !items.iter().all(simple) {
            continue;
        }
        let text = file.text();
        let own_line = items
            .iter()
            .all(|i| super::layout::indent_before(text, i.syntax().text_range().start()).is_some());
        if own_line {
            per_line += 1;
        } else {
            one_line += 1;
        }
    }
    per_line > one_line
}

/// The strings of `text` (Nix code) whose lines hold their own indentation: double-quoted
/// strings, and indented strings whose first line holds text (`fixed`); and the indented
/// strings that start with a line break (`movable`): Nix takes their common indentation of
/// spaces away, so shifting all their lines by the same spaces keeps their value.
struct Strings {
    fixed: Vec<TextRange>,
    movable: Vec<TextRange>,
}

fn strings(text: &str) -> Strings {
    let mut found = Strings { fixed: Vec::new(), movable: Vec::new() };
    // Open strings: where each starts, and whether its lines may move.
    let mut open: Vec<(usize, bool)> = Vec::new();
    let mut offset = 0;
    let mut just_opened = false;
    for (kind, token) in rnix::tokenize(text) {
        // What opens an indented string decides: a line break (after spaces) lets it move.
        if just_opened {
            if let Some((_, movable)) = open.last_mut() {
                *movable &= kind == SyntaxKind::TOKEN_STRING_CONTENT
                    && token.trim_start_matches([' ', '\t']).starts_with(['\n', '\r']);
            }
            just_opened = false;
        }
        match kind {
            SyntaxKind::TOKEN_STRING_START => {
                open.push((offset, token == "''"));
                just_opened = true;
            }
            SyntaxKind::TOKEN_STRING_END => {
                if let Some((start, movable)) = open.pop() {
                    let range = TextRange::new(
                        TextSize::from(start as u32 + 1),
                        TextSize::from((offset + token.len()) as u32),
                    );
                    if movable { &mut found.movable } else { &mut found.fixed }.push(range);
                }
            }
            _ => {}
        }
        offset += token.len();
    }
    found
}

/// Whether the line starting at `offset` starts inside one of `ranges`.
fn inside(ranges: &[TextRange], offset: usize) -> bool {
    let at = TextSize::from(offset as u32);
    ranges.iter().any(|r| r.start() <= at && at < r.end())
}

/// Indents every line of `text` after the first by `indent`, leaving blank lines empty and the
/// lines that start inside a string as they are.
pub(super) fn reindent_code(text: &str, indent: &str) -> String {
    if !text.contains('\n') {
        return text.to_owned();
    }
    let strings = strings(text);
    // Nix takes only spaces away from an indented string's lines: tabs would be its text.
    let spaces = indent.replace('\t', "  ");
    let mut out = String::with_capacity(text.len());
    let mut offset = 0;
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.trim().is_empty() && !inside(&strings.fixed, offset) {
                out.push_str(if inside(&strings.movable, offset) { &spaces } else { indent });
            }
        }
        out.push_str(line);
        offset += line.len() + 1;
    }
    out
}

/// Removes the common indentation of a multi-line argument's continuation lines, so that it can
/// be re-indented where it lands; lines that start inside a string keep theirs.
pub(super) fn dedent_continuation(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let text = text.trim();
    let strings = strings(text).fixed;
    let mut starts = Vec::new();
    let mut offset = 0;
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 && !inside(&strings, offset) {
            starts.push((offset, line));
        }
        offset += line.len() + 1;
    }
    let common = starts
        .iter()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(_, l)| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(text.len());
    let mut offset = 0;
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if inside(&strings, offset) {
                out.push_str(line);
            } else {
                out.push_str(line.get(common..).unwrap_or(line.trim_start()));
            }
        } else {
            out.push_str(line);
        }
        offset += line.len() + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_nix_would_split_are_parenthesised() {
        for (given, placed) in [
            ("final: prev: { }", "(final: prev: { })"),
            ("import ./x.nix { inherit pkgs; }", "(import ./x.nix { inherit pkgs; })"),
            ("-1", "(-1)"),
            ("!x", "(!x)"),
            ("a + b", "(a + b)"),
            ("if a then b else c", "(if a then b else c)"),
            ("./x.nix", "./x.nix"),
            ("pkgs.hello", "pkgs.hello"),
            ("{ a = 1; }", "{ a = 1; }"),
        ] {
            assert_eq!(Snippet::element(given).unwrap().text, placed);
        }
    }

    #[test]
    fn a_trailing_comment_is_kept_apart() {
        let snippet = Snippet::value("8080 # the shop").unwrap();
        assert_eq!(
            (snippet.text.as_str(), snippet.comment.as_deref()),
            ("8080", Some("# the shop"))
        );
        assert!(Snippet::value("8080 # a\n# b").is_err());
    }

    #[test]
    fn lines_inside_strings_keep_their_indentation() {
        let text = "{\n  a = \"x\n  y\";\n  b = ''\n    z\n  '';\n}";
        assert_eq!(
            reindent_code(text, "    "),
            "{\n      a = \"x\n  y\";\n      b = ''\n        z\n      '';\n    }"
        );
        assert_eq!(dedent_continuation("[\n    \"a\n  b\"\n  ]"), "[\n  \"a\n  b\"\n]");
    }
}
