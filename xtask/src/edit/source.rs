use rnix::{ast, Parse, SyntaxKind, SyntaxNode};
use rowan::{TextRange, TextSize};

use super::{Error, ErrorKind};

/// A Nix source file held together with its lossless syntax tree.
pub struct NixFile {
    text: String,
    parse: Parse<ast::Root>,
}

impl NixFile {
    /// Parses `text`; a file with syntax errors is refused, naming the first error's place.
    pub fn parse(text: &str) -> Result<NixFile, Error> {
        let parse = ast::Root::parse(text);
        if let Some(err) = parse.errors().first() {
            return Err(syntax_error(err, text));
        }
        Ok(NixFile { text: text.to_owned(), parse })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn root(&self) -> ast::Root {
        self.parse.tree()
    }

    pub fn syntax(&self) -> SyntaxNode {
        self.parse.syntax()
    }
}

fn syntax_error(err: &rnix::ParseError, text: &str) -> Error {
    use rnix::ParseError as P;
    let end = TextRange::empty(TextSize::of(text));
    let (range, msg) = match err {
        P::Unexpected(r) => (*r, "unexpected input".to_owned()),
        P::UnexpectedExtra(r) => (*r, "unexpected input after the expression".to_owned()),
        P::UnexpectedWanted(got, r, wanted) => {
            (*r, format!("unexpected {}, expected {}", describe(*got), describe_any(wanted)))
        }
        P::UnexpectedDoubleBind(r) => (*r, "the pattern is bound twice".to_owned()),
        P::UnexpectedEOF => (end, "unexpected end of file".to_owned()),
        P::UnexpectedEOFWanted(wanted) => {
            (end, format!("unexpected end of file, expected {}", describe_any(wanted)))
        }
        P::DuplicatedArgs(r, name) => (*r, format!("the argument `{name}` is duplicated")),
        P::RecursionLimitExceeded => (end, "the expression nests too deeply".to_owned()),
        other => (end, other.to_string()),
    };
    Error::at(range, ErrorKind::Syntax(msg))
}

fn describe_any(kinds: &[SyntaxKind]) -> String {
    let names: Vec<String> = kinds.iter().map(|k| describe(*k)).collect();
    match names.as_slice() {
        [] => "something else".to_owned(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn describe(kind: SyntaxKind) -> String {
    use SyntaxKind::*;
    let token = match kind {
        TOKEN_SEMICOLON => ";",
        TOKEN_ASSIGN => "=",
        TOKEN_L_BRACE => "{",
        TOKEN_R_BRACE => "}",
        TOKEN_L_BRACK => "[",
        TOKEN_R_BRACK => "]",
        TOKEN_L_PAREN => "(",
        TOKEN_R_PAREN => ")",
        TOKEN_COLON => ":",
        TOKEN_COMMA => ",",
        TOKEN_DOT => ".",
        TOKEN_IN => "in",
        TOKEN_THEN => "then",
        TOKEN_ELSE => "else",
        TOKEN_STRING_END => "end of string",
        TOKEN_INTERPOL_END => "}",
        TOKEN_IDENT => return "an identifier".to_owned(),
        _ => {
            let name = format!("{kind:?}");
            let name = name.trim_start_matches("TOKEN_").trim_start_matches("NODE_");
            return name.to_lowercase().replace('_', " ");
        }
    };
    format!("`{token}`")
}

/// Whether two expressions are the same syntax: equal token for token, whitespace and comments
/// aside.
pub fn same_syntax(a: &SyntaxNode, b: &SyntaxNode) -> bool {
    let significant = |node: &SyntaxNode| {
        node.descendants_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| {
                !matches!(t.kind(), SyntaxKind::TOKEN_WHITESPACE | SyntaxKind::TOKEN_COMMENT)
            })
            .map(|t| (t.kind(), t.text().to_owned()))
            .collect::<Vec<_>>()
    };
    significant(a) == significant(b)
}

/// Parses a command-line Nix expression (a VALUE or ELEMENT) standing alone.
pub(super) fn parse_expression(text: &str, what: &str) -> Result<ast::Expr, Error> {
    let parse = ast::Root::parse(text);
    if let Some(err) = parse.errors().first() {
        let inner = syntax_error(err, text);
        let col = inner.range.map(|r| u32::from(r.start()) + 1).unwrap_or(1);
        return Err(Error::new(ErrorKind::BadArgument(format!(
            "invalid {what} `{text}`: {} (at character {col})",
            inner.kind.to_string().trim_start_matches("syntax error: ")
        ))));
    }
    parse
        .tree()
        .expr()
        .ok_or_else(|| Error::new(ErrorKind::BadArgument(format!("invalid {what}: it is empty"))))
}
