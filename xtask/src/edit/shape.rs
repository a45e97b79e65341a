//! What an expression is to a path going through it: an attribute set literal, something around
//! one inner expression (parentheses, `let`, `with`, `assert`, `mkIf`, `mkDefault`, ...), a
//! `mkMerge` of several, an update `A // B`, a variable bound in the file, or something computed.
//!
//! ```nix
//! config = lib.mkIf cfg.enable (lib.mkMerge [      # Around → Merge
//!   { services.nginx.enable = true; }              #   Set
//!   (mkIf cfg.tls { networking.x = 1; })           #   Around (bare under `with lib;`)
//! ]);
//! virtualHosts = defaults // vhosts;               # Update [Var, Var]
//! virtualHosts = lib.mapAttrs mkHost sites;        # Computed
//! ```
//! Names are resolved as Nix resolves them: `let`, `rec` and function arguments first, innermost
//! first, and only then `with`.

use rnix::ast::{self, HasEntry};

use super::attrpath::{attr_key, attrpath_keys, Key};

/// The library functions that wrap one value (conditions, priorities, orders): their name and
/// how many arguments they take, the value last.
const WRAPPERS: &[(&str, usize)] = &[
    ("mkIf", 2),
    ("optionalAttrs", 2),
    ("mkDefault", 1),
    ("mkForce", 1),
    ("mkOverride", 2),
    ("mkOptionDefault", 1),
    ("mkBefore", 1),
    ("mkAfter", 1),
    ("mkOrder", 2),
    // An option's declaration: its attributes (`default`, `type`) are a set a path goes into.
    ("mkOption", 1),
];

/// A lexical scope on the way down from the file's top.
#[derive(Debug, Clone)]
pub(super) enum Frame {
    Let(ast::LetIn),
    Rec(ast::AttrSet),
    Lambda(ast::Lambda),
    With(ast::With),
}

/// The scopes around an expression, outermost first.
pub(super) type Scope = Vec<Frame>;

#[derive(Debug, Clone)]
pub(super) enum Shape {
    Set(ast::AttrSet),
    /// One inner expression, seen through what is around it; `frame` is the scope it opens.
    /// `value`: the inner expression is the value (`mkDefault 80` is `80` to `get` and `set`),
    /// not only what a path goes through (`mkOption { default = 80; }`).
    Around {
        inner: ast::Expr,
        frame: Option<Frame>,
        value: bool,
    },
    /// `mkMerge [ ... ]`: the literal list of its definitions.
    Merge(ast::List),
    /// `A // B // C`: the operands, left to right.
    Update(Vec<ast::Expr>),
    /// A variable bound by a `let` or `rec` set of the file: the frame's index in the scope.
    Var {
        name: String,
        frame: usize,
    },
    /// Anything else: a function's result, an import, a function argument...
    Computed,
}

/// What `expr` is, in `scope`.
pub(super) fn shape(expr: &ast::Expr, scope: &Scope) -> Shape {
    match expr {
        ast::Expr::AttrSet(set) => Shape::Set(set.clone()),
        ast::Expr::Paren(it) => around(it.expr(), None),
        ast::Expr::LetIn(it) => around(it.body(), Some(Frame::Let(it.clone()))),
        ast::Expr::With(it) => around(it.body(), Some(Frame::With(it.clone()))),
        ast::Expr::Assert(it) => around(it.body(), None),
        ast::Expr::BinOp(op) if op.operator() == Some(ast::BinOpKind::Update) => {
            let mut operands = Vec::new();
            flatten_update(expr, &mut operands);
            Shape::Update(operands)
        }
        ast::Expr::Apply(_) => {
            let (head, args) = call(expr);
            let Some(name) = head.and_then(|h| lib_function(&h, scope)) else {
                return Shape::Computed;
            };
            if name == "mkMerge" {
                return match args.as_slice() {
                    [list] => match strip_parens(list) {
                        ast::Expr::List(list) => Shape::Merge(list),
                        _ => Shape::Computed,
                    },
                    _ => Shape::Computed,
                };
            }
            match WRAPPERS.iter().find(|(n, _)| *n == name) {
                Some((_, arity)) if args.len() == *arity => Shape::Around {
                    inner: args.last().expect("arity is at least one").clone(),
                    frame: None,
                    value: name != "mkOption",
                },
                _ => Shape::Computed,
            }
        }
        ast::Expr::Ident(ident) => {
            let name = ident.to_string();
            match binding_frame(&name, scope) {
                Some((frame, Binding::Value)) => Shape::Var { name, frame },
                _ => Shape::Computed,
            }
        }
        _ => Shape::Computed,
    }
}

fn around(inner: Option<ast::Expr>, frame: Option<Frame>) -> Shape {
    match inner {
        Some(inner) => Shape::Around { inner, frame, value: true },
        None => Shape::Computed,
    }
}

fn flatten_update(expr: &ast::Expr, out: &mut Vec<ast::Expr>) {
    match expr {
        ast::Expr::BinOp(op) if op.operator() == Some(ast::BinOpKind::Update) => {
            for side in [op.lhs(), op.rhs()].into_iter().flatten() {
                flatten_update(&side, out);
            }
        }
        other => out.push(other.clone()),
    }
}

/// The function and the arguments of a call `f a b`.
pub(super) fn call(expr: &ast::Expr) -> (Option<ast::Expr>, Vec<ast::Expr>) {
    let mut args = Vec::new();
    let mut head = Some(expr.clone());
    while let Some(ast::Expr::Apply(apply)) = &head {
        args.extend(apply.argument());
        head = apply.lambda();
    }
    args.reverse();
    (head, args)
}

pub(super) fn strip_parens(expr: &ast::Expr) -> ast::Expr {
    match expr {
        ast::Expr::Paren(p) => p.expr().map_or_else(|| expr.clone(), |e| strip_parens(&e)),
        other => other.clone(),
    }
}

/// Whether `expr` is an attribute set literal, parentheses aside: no condition, no priority.
pub(super) fn is_plain_set(expr: &ast::Expr) -> bool {
    matches!(strip_parens(expr), ast::Expr::AttrSet(_))
}

/// The name of the nixpkgs library function `head` is: `lib.mkIf`, `pkgs.lib.mkIf`,
/// `lib.modules.mkIf`, or a bare `mkIf` under `with lib;` or `inherit (lib) mkIf;`.
fn lib_function(head: &ast::Expr, scope: &Scope) -> Option<&'static str> {
    let known =
        |name: &str| WRAPPERS.iter().map(|(n, _)| *n).chain(["mkMerge"]).find(|n| *n == name);
    match head {
        ast::Expr::Select(select) => {
            if select.default_expr().is_some() {
                return None;
            }
            let keys = attrpath_keys(&select.attrpath()?);
            let Some(Key::Literal(name)) = keys.last() else { return None };
            let base = select.expr()?;
            let through_lib = match keys.len() {
                // lib.mkIf, lib.modules.mkIf / pkgs.lib.mkIf
                1 => is_lib(&base),
                2 => is_lib(&base) || (is_ident(&base, "pkgs") && keys[0].is("lib")),
                3 => is_ident(&base, "pkgs") && keys[0].is("lib"),
                _ => false,
            };
            through_lib.then(|| known(name)).flatten()
        }
        ast::Expr::Ident(ident) => {
            let name = known(&ident.to_string())?;
            match binding_frame(name, scope) {
                Some((_, Binding::FromLib)) => Some(name),
                Some(_) => None,
                None => scope
                    .iter()
                    .any(|f| matches!(f, Frame::With(w) if w.namespace().is_some_and(|n| is_lib(&n))))
                    .then_some(name),
            }
        }
        _ => None,
    }
}

fn is_ident(expr: &ast::Expr, name: &str) -> bool {
    matches!(expr, ast::Expr::Ident(i) if i.to_string() == name)
}

/// `lib`, `pkgs.lib` or `config.lib`: nixpkgs' library.
fn is_lib(expr: &ast::Expr) -> bool {
    match expr {
        ast::Expr::Ident(i) => i.to_string() == "lib",
        ast::Expr::Select(s) => {
            let keys = s.attrpath().map(|p| attrpath_keys(&p)).unwrap_or_default();
            s.default_expr().is_none()
                && matches!(keys.as_slice(), [k] if k.is("lib"))
                && s.expr().is_some_and(|b| is_ident(&b, "pkgs"))
        }
        _ => false,
    }
}

/// How a name is bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Binding {
    /// By a binding with a value in a `let` or `rec` set.
    Value,
    /// By `inherit (lib) name;` or `name = lib.name;`.
    FromLib,
    /// Otherwise: a function argument, another `inherit`.
    Opaque,
}

/// The innermost frame that binds `name` lexically (not through `with`), and how.
pub(super) fn binding_frame(name: &str, scope: &Scope) -> Option<(usize, Binding)> {
    for (i, frame) in scope.iter().enumerate().rev() {
        let found = match frame {
            Frame::Let(it) => entries_bind(it, name),
            Frame::Rec(it) => entries_bind(it, name),
            Frame::Lambda(lambda) => lambda_binds(lambda, name).then_some(Binding::Opaque),
            Frame::With(_) => None,
        };
        if let Some(how) = found {
            return Some((i, how));
        }
    }
    None
}

fn entries_bind(entries: &impl HasEntry, name: &str) -> Option<Binding> {
    for binding in entries.attrpath_values() {
        let keys = binding.attrpath().map(|p| attrpath_keys(&p)).unwrap_or_default();
        if keys.first().is_some_and(|k| k.is(name)) {
            let from_lib = keys.len() == 1
                && matches!(binding.value(), Some(ast::Expr::Select(s))
                    if s.expr().is_some_and(|b| is_lib(&b))
                        && s.attrpath().and_then(|p| p.attrs().last()).is_some_and(|a| attr_key(&a).is(name)));
            return Some(if from_lib { Binding::FromLib } else { Binding::Value });
        }
    }
    for inherit in entries.inherits() {
        if inherit.attrs().any(|a| attr_key(&a).is(name)) {
            let from_lib = inherit.from().and_then(|f| f.expr()).is_some_and(|e| is_lib(&e));
            return Some(if from_lib { Binding::FromLib } else { Binding::Opaque });
        }
    }
    None
}

fn lambda_binds(lambda: &ast::Lambda, name: &str) -> bool {
    match lambda.param() {
        Some(ast::Param::IdentParam(p)) => p.ident().is_some_and(|i| i.to_string() == name),
        Some(ast::Param::Pattern(p)) => {
            p.pat_bind().and_then(|b| b.ident()).is_some_and(|i| i.to_string() == name)
                || p.pat_entries().any(|e| e.ident().is_some_and(|i| i.to_string() == name))
        }
        None => false,
    }
}

/// The entries (bindings) of a `let` or `rec` frame, for a variable bound there.
pub(super) fn frame_entries(frame: &Frame) -> Option<Entries> {
    match frame {
        Frame::Let(it) => Some(Entries::Let(it.clone())),
        Frame::Rec(it) => Some(Entries::Set(it.clone())),
        _ => None,
    }
}

/// Something that holds bindings: an attribute set or a `let`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Entries {
    Set(ast::AttrSet),
    Let(ast::LetIn),
}

impl Entries {
    pub fn attrpath_values(&self) -> Box<dyn Iterator<Item = ast::AttrpathValue>> {
        match self {
            Entries::Set(it) => Box::new(it.attrpath_values()),
            Entries::Let(it) => Box::new(it.attrpath_values()),
        }
    }

    pub fn inherits(&self) -> Box<dyn Iterator<Item = ast::Inherit>> {
        match self {
            Entries::Set(it) => Box::new(it.inherits()),
            Entries::Let(it) => Box::new(it.inherits()),
        }
    }

    pub fn entries(&self) -> Box<dyn Iterator<Item = ast::Entry>> {
        match self {
            Entries::Set(it) => Box::new(it.entries()),
            Entries::Let(it) => Box::new(it.entries()),
        }
    }
}
