use std::fmt;

use rowan::TextRange;

/// An engine error: what went wrong, and where in the source (when it is about the source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub range: Option<TextRange>,
    pub kind: ErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file does not parse.
    Syntax(String),
    /// The ATTRPATH argument is malformed.
    BadAttrpath(String),
    /// A VALUE, ELEMENT or LINE argument is not what it must be.
    BadArgument(String),
    /// The file's top-level expression is not an attribute set.
    NoTopLevelSet,
    /// A prefix of the path holds a value that is not an attribute set the engine can read:
    /// `what` says what it is (a function's result, a variable from elsewhere, a number...).
    NotAnAttrSet { path: String, what: String },
    /// `--let`, but the file's value has no `let ... in` around it.
    NoLet,
    /// The path is defined in several places (elements of a `mkMerge`).
    Several { path: String, count: usize },
    /// The path is not defined.
    Missing { path: String },
    /// The path is defined by several deeper attributes, so it has no single value.
    Piecewise { path: String },
    /// The value at the path is not of the kind the operation needs.
    WrongKind { path: String, expected: &'static str },
    /// The attribute exists in a form the engine does not edit (e.g. `inherit`).
    Unsupported(String),
    /// An edit produced text that does not parse: a bug, reported instead of written.
    Internal(String),
}

impl Error {
    pub fn at(range: TextRange, kind: ErrorKind) -> Error {
        Error { range: Some(range), kind }
    }

    pub fn new(kind: ErrorKind) -> Error {
        Error { range: None, kind }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Syntax(msg) => write!(f, "syntax error: {msg}"),
            ErrorKind::BadAttrpath(msg) => write!(f, "invalid attribute path: {msg}"),
            ErrorKind::BadArgument(msg) => f.write_str(msg),
            ErrorKind::NoTopLevelSet => f.write_str(
                "the file's top-level expression is not an attribute set \
                 (after function arguments, `let ... in` and `with`)",
            ),
            ErrorKind::NotAnAttrSet { path, what } => {
                let path = if path.is_empty() {
                    "the file's value".to_owned()
                } else {
                    format!("`{path}`")
                };
                write!(f, "{path} is not an attribute set the engine can read")?;
                if !what.is_empty() {
                    write!(f, " ({what})")?;
                }
                f.write_str(", so the path cannot go through it; edit it by hand")
            }
            ErrorKind::NoLet => f.write_str(
                "--let: the file's value has no `let ... in` around it (after the function header)",
            ),
            ErrorKind::Several { path, count } => write!(
                f,
                "`{path}` is defined in {count} places (elements of a `mkMerge`), here and \
                 elsewhere; name a path inside one of them, or edit them by hand"
            ),
            ErrorKind::Missing { path } => write!(f, "`{path}` is not defined"),
            ErrorKind::Piecewise { path } => {
                write!(f, "`{path}` is defined piecewise by several attributes; name one of them")
            }
            ErrorKind::WrongKind { path, expected } => write!(f, "`{path}` is not {expected}"),
            ErrorKind::Unsupported(msg) => f.write_str(msg),
            ErrorKind::Internal(msg) => write!(f, "internal error: {msg}"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl std::error::Error for Error {}
