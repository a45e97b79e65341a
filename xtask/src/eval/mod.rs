//! Reading a machine's configuration without Nix: a lazy evaluator of the part of the language
//! hosts are written in, over rnix's syntax trees.
//!
//! What it evaluates, it evaluates as Nix does: literals, strings and their interpolations,
//! `let`, `rec`, `with`, functions and their default arguments, `import` of the repository's own
//! files, `//`, `++`, `if`, and the builtins and nixpkgs `lib` functions configurations use
//! (`toString`, `mapAttrs`, `optional`, `mkIf`, `mkMerge`, ...). What it cannot know (a package,
//! a flake input, nixpkgs' own modules) is a value of its own, [`Value::Unknown`], that says why
//! and where; it spreads through what depends on it instead of stopping the evaluation. So a
//! site whose port comes from `pkgs` is listed with no port and the place that was not followed.
//!
//! The NixOS module system's own values (`mkIf`, `mkMerge`, priorities, `mkOption`) stay values
//! ([`ModuleValue`]) for [`crate::host`] to merge as NixOS merges definitions.

mod builtins;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;
use rowan::TextRange;

use crate::edit::{self, NixFile};

pub use builtins::{lib, nixos_system, pkgs};

/// A file the evaluator read, by its index.
pub type FileId = usize;

/// Where something is written: a file and a range in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Place {
    pub file: FileId,
    pub range: TextRange,
}

/// Why a value is not known, and where the evaluation stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Unknown {
    pub why: String,
    pub place: Option<Place>,
}

#[derive(Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    /// An absolute path.
    Path(Rc<Path>),
    List(Rc<[Thunk]>),
    Set(Rc<Attrs>),
    Lambda(Rc<Closure>),
    /// A builtin, with the arguments it has been given so far.
    Builtin(Rc<Partial>),
    Module(Rc<ModuleValue>),
    /// A value the host's merged configuration holds at a path, read on demand (`config.a.b`).
    Config(Rc<[String]>),
    /// A package of nixpkgs (`pkgs.hello`, `pkgs.writeText "x" ...`): not built, but a string
    /// in `"${pkgs.hello}/bin/hello"` like any store path.
    Package(Rc<str>),
    Unknown(Rc<Unknown>),
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Path(p) => write!(f, "{}", p.display()),
            Value::List(l) => write!(f, "[{} items]", l.len()),
            Value::Set(s) => write!(f, "{{ {} }}", s.names().collect::<Vec<_>>().join(" ")),
            Value::Lambda(_) => f.write_str("<function>"),
            Value::Builtin(b) => write!(f, "<builtin {}>", b.name),
            Value::Module(m) => write!(f, "{m:?}"),
            Value::Config(p) => write!(f, "config.{}", p.join(".")),
            Value::Package(name) => write!(f, "<package {name}>"),
            Value::Unknown(u) => write!(f, "<unknown: {}>", u.why),
        }
    }
}

/// The module system's own values.
#[derive(Debug, Clone)]
pub enum ModuleValue {
    /// `mkIf cond content`.
    If { condition: Thunk, content: Thunk },
    /// `mkMerge [ ... ]`.
    Merge(Rc<[Thunk]>),
    /// `mkOverride priority content` (`mkDefault` is 1000, `mkForce` 50).
    Override { priority: i64, content: Thunk },
    /// `mkBefore`, `mkAfter`, `mkOrder`: the order of a list's parts, which reading ignores.
    Order(Thunk),
    /// `mkOption { default; ... }`, `mkEnableOption`.
    Option { default: Option<Thunk> },
}

/// An attribute set: each name with its value and where it is defined.
#[derive(Debug, Default)]
pub struct Attrs {
    entries: BTreeMap<String, (Thunk, Option<Place>)>,
    /// Attributes whose names cannot be known (`"vault.${identity.domain}"` with `identity`
    /// from the flake's arguments): kept, with why, so that nothing is dropped unsaid.
    pub unnamed: Vec<Unnamed>,
}

/// An attribute whose name cannot be computed: its value, where its name is written, and why.
#[derive(Debug, Clone)]
pub struct Unnamed {
    pub value: Thunk,
    pub place: Place,
    /// The name as written (`"vault.${identity.domain}"`).
    pub written: String,
    pub why: String,
}

impl Attrs {
    pub fn get(&self, name: &str) -> Option<&Thunk> {
        self.entries.get(name).map(|(t, _)| t)
    }

    pub fn place(&self, name: &str) -> Option<Place> {
        self.entries.get(name).and_then(|(_, p)| *p)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Thunk)> {
        self.entries.iter().map(|(k, (t, _))| (k.as_str(), t))
    }

    pub fn from_values(values: impl IntoIterator<Item = (String, Thunk)>) -> Attrs {
        Attrs {
            entries: values.into_iter().map(|(k, v)| (k, (v, None))).collect(),
            unnamed: Vec::new(),
        }
    }

    pub fn from_placed(values: impl IntoIterator<Item = (String, Thunk, Option<Place>)>) -> Attrs {
        Attrs {
            entries: values.into_iter().map(|(k, v, p)| (k, (v, p))).collect(),
            unnamed: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

pub struct Closure {
    param: ast::Param,
    body: ast::Expr,
    env: Env,
    file: FileId,
}

/// A builtin function and the arguments it has so far.
pub struct Partial {
    pub name: &'static str,
    pub arity: usize,
    pub args: Vec<Thunk>,
    pub run: fn(&Evaluator, &[Thunk]) -> Value,
}

#[derive(Clone)]
pub struct Thunk(Rc<RefCell<State>>);

enum State {
    Expr { expr: ast::Expr, env: Env, file: FileId },
    Native(Box<dyn FnOnce(&Evaluator) -> Value>),
    Busy,
    Done(Value),
}

impl std::fmt::Debug for Thunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.0.borrow() {
            State::Done(v) => write!(f, "{v:?}"),
            _ => f.write_str("<thunk>"),
        }
    }
}

impl Thunk {
    pub fn value(value: Value) -> Thunk {
        Thunk(Rc::new(RefCell::new(State::Done(value))))
    }

    pub fn native(f: impl FnOnce(&Evaluator) -> Value + 'static) -> Thunk {
        Thunk(Rc::new(RefCell::new(State::Native(Box::new(f)))))
    }

    fn expr(expr: ast::Expr, env: Env, file: FileId) -> Thunk {
        Thunk(Rc::new(RefCell::new(State::Expr { expr, env, file })))
    }

    /// Where the expression of an unevaluated thunk is written.
    pub fn place(&self) -> Option<Place> {
        match &*self.0.borrow() {
            State::Expr { expr, file, .. } => {
                Some(Place { file: *file, range: expr.syntax().text_range() })
            }
            State::Done(Value::Unknown(u)) => u.place,
            _ => None,
        }
    }
}

/// A scope: names bound by `let`, `rec` or a function, or the attributes of a `with`.
#[derive(Clone)]
pub struct Env(Rc<EnvNode>);

struct EnvNode {
    kind: EnvKind,
    parent: Option<Env>,
}

enum EnvKind {
    Vars(RefCell<HashMap<String, Thunk>>),
    With(Thunk),
}

impl Env {
    fn child(&self, kind: EnvKind) -> Env {
        Env(Rc::new(EnvNode { kind, parent: Some(self.clone()) }))
    }

    fn vars(&self) -> Env {
        self.child(EnvKind::Vars(RefCell::new(HashMap::new())))
    }

    fn bind(&self, name: String, value: Thunk) {
        if let EnvKind::Vars(vars) = &self.0.kind {
            vars.borrow_mut().insert(name, value);
        }
    }

    /// The value of a name: bound lexically, else by the innermost `with` that has it.
    fn lookup(&self, name: &str, ev: &Evaluator) -> Option<Thunk> {
        let mut env = Some(self);
        while let Some(e) = env {
            if let EnvKind::Vars(vars) = &e.0.kind {
                if let Some(t) = vars.borrow().get(name) {
                    return Some(t.clone());
                }
            }
            env = e.0.parent.as_ref();
        }
        let mut env = Some(self);
        while let Some(e) = env {
            if let EnvKind::With(scope) = &e.0.kind {
                match ev.force(scope) {
                    Value::Set(attrs) => {
                        if let Some(t) = attrs.get(name) {
                            return Some(t.clone());
                        }
                    }
                    // A `with` of something unknown may bind anything.
                    Value::Unknown(u) => return Some(Thunk::value(Value::Unknown(u))),
                    _ => {}
                }
            }
            env = e.0.parent.as_ref();
        }
        None
    }
}

/// The host's merged configuration, asked by `config.a.b` lookups during evaluation.
pub trait ConfigSource {
    fn config(&self, ev: &Evaluator, path: &[String]) -> Value;
}

pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    pub parsed: Result<NixFile, edit::Error>,
}

/// How much work one evaluation may do before it gives up on what is left (a configuration that
/// recurses forever, or a huge generated one).
const FUEL: u64 = 5_000_000;
const MAX_DEPTH: u32 = 400;

pub struct Evaluator {
    /// The repository's root: `import` reads files under it, and nothing else.
    root: PathBuf,
    files: RefCell<Vec<Rc<SourceFile>>>,
    by_path: RefCell<HashMap<PathBuf, (FileId, Thunk)>>,
    /// Files that were imported but do not parse, with their error.
    pub broken: RefCell<Vec<(FileId, edit::Error)>>,
    base: Env,
    config: RefCell<Option<Rc<dyn ConfigSource>>>,
    fuel: Cell<u64>,
    depth: Cell<u32>,
}

impl Evaluator {
    pub fn new(root: &Path) -> Evaluator {
        let base = Env(Rc::new(EnvNode {
            kind: EnvKind::Vars(RefCell::new(HashMap::new())),
            parent: None,
        }));
        let ev = Evaluator {
            root: root.to_owned(),
            files: RefCell::new(Vec::new()),
            by_path: RefCell::new(HashMap::new()),
            broken: RefCell::new(Vec::new()),
            base,
            config: RefCell::new(None),
            fuel: Cell::new(FUEL),
            depth: Cell::new(0),
        };
        builtins::install(&ev, &ev.base);
        ev
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn set_config(&self, source: Rc<dyn ConfigSource>) {
        *self.config.borrow_mut() = Some(source);
    }

    pub fn file(&self, id: FileId) -> Rc<SourceFile> {
        self.files.borrow()[id].clone()
    }

    /// Every file read so far.
    pub fn files(&self) -> Vec<Rc<SourceFile>> {
        self.files.borrow().clone()
    }

    /// The file's path relative to the repository's root.
    pub fn relative(&self, id: FileId) -> PathBuf {
        let path = self.file(id).path.clone();
        path.strip_prefix(&self.root).map(Path::to_owned).unwrap_or(path)
    }

    /// `FILE:LINE` of a place, relative to the root.
    pub fn line_of(&self, place: Place) -> (PathBuf, usize, usize) {
        let file = self.file(place.file);
        let (line, col) = crate::cli::LineIndex::new(&file.text).line_col(place.range.start());
        (self.relative(place.file), line, col)
    }

    /// The value of the file at `path` (a directory means its `default.nix`), read once.
    pub fn import(&self, path: &Path) -> Thunk {
        let path = if path.is_dir() { path.join("default.nix") } else { path.to_owned() };
        if let Some((_, thunk)) = self.by_path.borrow().get(&path) {
            return thunk.clone();
        }
        if !path.starts_with(&self.root) {
            return unknown(format!("{} is outside the repository", path.display()), None);
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) => return unknown(format!("{}: {err}", path.display()), None),
        };
        let parsed = NixFile::parse(&text);
        let id = {
            let mut files = self.files.borrow_mut();
            files.push(Rc::new(SourceFile { path: path.clone(), text, parsed }));
            files.len() - 1
        };
        let file = self.file(id);
        let thunk = match &file.parsed {
            Ok(nix) => match nix.root().expr() {
                Some(expr) => Thunk::expr(expr, self.base.clone(), id),
                None => unknown("the file is empty".into(), None),
            },
            Err(err) => {
                self.broken.borrow_mut().push((id, err.clone()));
                unknown(format!("{} does not parse", path.display()), None)
            }
        };
        self.by_path.borrow_mut().insert(path, (id, thunk.clone()));
        thunk
    }

    /// The id of a file read by [`Evaluator::import`].
    pub fn file_id(&self, path: &Path) -> Option<FileId> {
        let path = if path.is_dir() { path.join("default.nix") } else { path.to_owned() };
        self.by_path.borrow().get(&path).map(|(id, _)| *id)
    }

    /// The value of a thunk, evaluated once.
    pub fn force(&self, thunk: &Thunk) -> Value {
        let state = std::mem::replace(&mut *thunk.0.borrow_mut(), State::Busy);
        let value = match state {
            State::Done(value) => {
                *thunk.0.borrow_mut() = State::Done(value.clone());
                return value;
            }
            State::Busy => {
                *thunk.0.borrow_mut() = State::Busy;
                return Value::Unknown(Rc::new(Unknown {
                    why: "its value depends on itself".into(),
                    place: None,
                }));
            }
            State::Expr { expr, env, file } => self.eval(&expr, &env, file),
            State::Native(f) => f(self),
        };
        *thunk.0.borrow_mut() = State::Done(value.clone());
        value
    }

    /// Forces through the module system's priorities and orders (not conditions or merges).
    pub fn force_plain(&self, thunk: &Thunk) -> Value {
        let mut value = self.force(thunk);
        loop {
            value = match &value {
                Value::Module(m) => match &**m {
                    ModuleValue::Override { content, .. } | ModuleValue::Order(content) => {
                        self.force(content)
                    }
                    ModuleValue::If { condition, content } => match self.force(condition) {
                        Value::Bool(true) => self.force(content),
                        _ => return value,
                    },
                    _ => return value,
                },
                Value::Config(path) => match self.config.borrow().clone() {
                    Some(source) => source.config(self, path),
                    None => return value,
                },
                _ => return value,
            }
        }
    }

    fn eval(&self, expr: &ast::Expr, env: &Env, file: FileId) -> Value {
        let place = Place { file, range: expr.syntax().text_range() };
        let fuel = self.fuel.get();
        if fuel == 0 || self.depth.get() > MAX_DEPTH {
            return Value::Unknown(Rc::new(Unknown {
                why: "it takes too long to read without Nix".into(),
                place: Some(place),
            }));
        }
        self.fuel.set(fuel - 1);
        self.depth.set(self.depth.get() + 1);
        let value = self.eval_inner(expr, env, file, place);
        self.depth.set(self.depth.get() - 1);
        value
    }

    fn lazy(&self, expr: Option<ast::Expr>, env: &Env, file: FileId) -> Thunk {
        match expr {
            Some(expr) => Thunk::expr(expr, env.clone(), file),
            None => Thunk::value(Value::Null),
        }
    }

    fn eval_inner(&self, expr: &ast::Expr, env: &Env, file: FileId, place: Place) -> Value {
        let unknown_here =
            |why: String| Value::Unknown(Rc::new(Unknown { why, place: Some(place) }));
        match expr {
            ast::Expr::Literal(lit) => match lit.kind() {
                ast::LiteralKind::Integer(i) => i
                    .value()
                    .map_or_else(|_| unknown_here("a number out of range".into()), Value::Int),
                ast::LiteralKind::Float(x) => {
                    x.value().map_or_else(|_| unknown_here("a number".into()), Value::Float)
                }
                ast::LiteralKind::Uri(_) => Value::Str(lit.syntax().text().to_string().into()),
            },
            ast::Expr::Str(s) => self.eval_string(s, env, file),
            ast::Expr::PathRel(p) => {
                // `./hosts/${hostname}`: the parts, interpolated as a string would be.
                let mut text = String::new();
                for part in p.parts() {
                    match part {
                        ast::InterpolPart::Literal(literal) => {
                            text.push_str(rnix::ast::AstToken::syntax(&literal).text())
                        }
                        ast::InterpolPart::Interpolation(interpol) => {
                            let value =
                                interpol.expr().map_or(Value::Null, |e| self.eval(&e, env, file));
                            match self.coerce_to_string(value, false) {
                                Value::Str(s) => text.push_str(&s),
                                Value::Unknown(u) => return Value::Unknown(u),
                                _ => return unknown_here(
                                    "a path built with `${...}` of something that is not a string"
                                        .into(),
                                ),
                            }
                        }
                    }
                }
                let dir = self.file(file).path.parent().unwrap_or(Path::new("")).to_owned();
                match crate::repo::scan::resolve(&dir, &text) {
                    Some(path) => Value::Path(path.into()),
                    None => unknown_here(format!("`{text}` leaves the file system's root")),
                }
            }
            ast::Expr::PathAbs(p) => {
                Value::Path(PathBuf::from(p.syntax().text().to_string()).into())
            }
            ast::Expr::PathHome(_) | ast::Expr::PathSearch(_) => {
                unknown_here(format!("`{}` is outside the repository", expr.syntax().text()))
            }
            ast::Expr::Ident(ident) => {
                let name = ident.to_string();
                match env.lookup(&name, self) {
                    Some(thunk) => self.force(&thunk),
                    None => unknown_here(format!("`{name}` is not defined here")),
                }
            }
            ast::Expr::Paren(p) => match p.expr() {
                Some(inner) => self.eval(&inner, env, file),
                None => Value::Null,
            },
            ast::Expr::LetIn(it) => {
                let scope = env.vars();
                self.bind_entries(it, env, &scope, file);
                match it.body() {
                    Some(body) => self.eval(&body, &scope, file),
                    None => Value::Null,
                }
            }
            ast::Expr::LegacyLet(it) => {
                let scope = env.vars();
                let attrs = self.bind_entries(it, env, &scope, file);
                match attrs.get("body") {
                    Some(body) => self.force(body),
                    None => unknown_here("`let { }` without `body`".into()),
                }
            }
            ast::Expr::With(it) => {
                let scope = env.child(EnvKind::With(self.lazy(it.namespace(), env, file)));
                match it.body() {
                    Some(body) => self.eval(&body, &scope, file),
                    None => Value::Null,
                }
            }
            ast::Expr::Assert(it) => match it.body() {
                Some(body) => self.eval(&body, env, file),
                None => Value::Null,
            },
            ast::Expr::IfElse(it) => {
                let condition = match it.condition() {
                    Some(c) => self.eval(&c, env, file),
                    None => Value::Null,
                };
                match self.plain(condition) {
                    Value::Bool(true) => {
                        it.body().map_or(Value::Null, |b| self.eval(&b, env, file))
                    }
                    Value::Bool(false) => {
                        it.else_body().map_or(Value::Null, |b| self.eval(&b, env, file))
                    }
                    Value::Unknown(u) => Value::Unknown(u),
                    _ => unknown_here("an `if` on something that is not a boolean".into()),
                }
            }
            ast::Expr::AttrSet(set) => {
                let scope = if set.rec_token().is_some() { env.vars() } else { env.clone() };
                let attrs = self.bind_entries(set, env, &scope, file);
                Value::Set(Rc::new(attrs))
            }
            ast::Expr::List(list) => {
                Value::List(list.items().map(|item| Thunk::expr(item, env.clone(), file)).collect())
            }
            ast::Expr::Lambda(lambda) => match (lambda.param(), lambda.body()) {
                (Some(param), Some(body)) => {
                    Value::Lambda(Rc::new(Closure { param, body, env: env.clone(), file }))
                }
                _ => unknown_here("an incomplete function".into()),
            },
            ast::Expr::Apply(apply) => {
                let function = match apply.lambda() {
                    Some(f) => self.eval(&f, env, file),
                    None => return Value::Null,
                };
                let argument = self.lazy(apply.argument(), env, file);
                self.call(function, argument, Some(place))
            }
            ast::Expr::Select(select) => {
                let base = match select.expr() {
                    Some(b) => self.eval(&b, env, file),
                    None => return Value::Null,
                };
                let keys = match select.attrpath() {
                    Some(path) => self.keys(&path, env, file),
                    None => return Value::Null,
                };
                let mut value = base;
                for key in keys {
                    let Some(key) = key else {
                        value = unknown_here("an attribute name built with `${...}`".into());
                        break;
                    };
                    value = self.select(value, &key, Some(place));
                    if let Value::Unknown(u) = &value {
                        if u.why.starts_with("no attribute") {
                            if let Some(default) = select.default_expr() {
                                return self.eval(&default, env, file);
                            }
                        }
                        break;
                    }
                }
                value
            }
            ast::Expr::HasAttr(has) => {
                let mut value = match has.expr() {
                    Some(e) => self.eval(&e, env, file),
                    None => return Value::Null,
                };
                let keys = has.attrpath().map(|p| self.keys(&p, env, file)).unwrap_or_default();
                for key in keys {
                    let Some(key) = key else { return unknown_here("a computed name".into()) };
                    match self.plain(value) {
                        Value::Set(attrs) => match attrs.get(&key) {
                            Some(t) => value = self.force(t),
                            None => return Value::Bool(false),
                        },
                        Value::Unknown(u) => return Value::Unknown(u),
                        _ => return Value::Bool(false),
                    }
                }
                Value::Bool(true)
            }
            ast::Expr::UnaryOp(op) => {
                let value = op.expr().map_or(Value::Null, |e| self.eval(&e, env, file));
                match (op.operator(), self.plain(value)) {
                    (Some(ast::UnaryOpKind::Invert), Value::Bool(b)) => Value::Bool(!b),
                    (Some(ast::UnaryOpKind::Negate), Value::Int(i)) => Value::Int(-i),
                    (Some(ast::UnaryOpKind::Negate), Value::Float(x)) => Value::Float(-x),
                    (_, Value::Unknown(u)) => Value::Unknown(u),
                    _ => unknown_here("an operator on the wrong kind of value".into()),
                }
            }
            ast::Expr::BinOp(op) => self.binop(op, env, file, place),
            ast::Expr::CurPos(_) => unknown_here("`__curPos`".into()),
            ast::Expr::Root(root) => root.expr().map_or(Value::Null, |e| self.eval(&e, env, file)),
            ast::Expr::Error(_) => unknown_here("a syntax error".into()),
        }
    }

    /// A value through the module system's wrappers and `config` references, for operators.
    fn plain(&self, value: Value) -> Value {
        self.force_plain(&Thunk::value(value))
    }

    fn binop(&self, op: &ast::BinOp, env: &Env, file: FileId, place: Place) -> Value {
        use ast::BinOpKind as K;
        let unknown_here =
            |why: &str| Value::Unknown(Rc::new(Unknown { why: why.into(), place: Some(place) }));
        let Some(kind) = op.operator() else { return unknown_here("an operator") };
        let lhs = || op.lhs().map_or(Value::Null, |e| self.plain(self.eval(&e, env, file)));
        let rhs = || op.rhs().map_or(Value::Null, |e| self.plain(self.eval(&e, env, file)));
        match kind {
            K::And => match lhs() {
                Value::Bool(false) => Value::Bool(false),
                Value::Bool(true) => rhs(),
                Value::Unknown(u) => match rhs() {
                    Value::Bool(false) => Value::Bool(false),
                    _ => Value::Unknown(u),
                },
                _ => unknown_here("`&&` on something that is not a boolean"),
            },
            K::Or => match lhs() {
                Value::Bool(true) => Value::Bool(true),
                Value::Bool(false) => rhs(),
                Value::Unknown(u) => match rhs() {
                    Value::Bool(true) => Value::Bool(true),
                    _ => Value::Unknown(u),
                },
                _ => unknown_here("`||` on something that is not a boolean"),
            },
            K::Implication => match lhs() {
                Value::Bool(false) => Value::Bool(true),
                Value::Bool(true) => rhs(),
                other => other,
            },
            _ => {
                let (a, b) = (lhs(), rhs());
                // `eachDefaultSystem (...) // { nixosConfigurations = ...; }`: what the right
                // side sets is known whatever the left holds; the rest is not read.
                if let (K::Update, Value::Unknown(_), Value::Set(right)) = (kind, &a, &b) {
                    return Value::Set(right.clone());
                }
                // `{ nixosConfigurations = ...; } // eachDefaultSystem (...)`: read as what the
                // left side sets, which the right, made per system, leaves alone.
                if let (K::Update, Value::Set(left), Value::Unknown(_)) = (kind, &a, &b) {
                    return Value::Set(left.clone());
                }
                if let Value::Unknown(u) = &a {
                    return Value::Unknown(u.clone());
                }
                if let Value::Unknown(u) = &b {
                    return Value::Unknown(u.clone());
                }
                match (kind, a, b) {
                    (K::Concat, Value::List(x), Value::List(y)) => {
                        Value::List(x.iter().chain(y.iter()).cloned().collect())
                    }
                    (K::Update, Value::Set(x), Value::Set(y)) => {
                        let mut entries = x.entries.clone();
                        entries.extend(y.entries.iter().map(|(k, v)| (k.clone(), v.clone())));
                        let unnamed = x.unnamed.iter().chain(&y.unnamed).cloned().collect();
                        Value::Set(Rc::new(Attrs { entries, unnamed }))
                    }
                    (K::Add, Value::Int(x), Value::Int(y)) => Value::Int(x.wrapping_add(y)),
                    (K::Add, Value::Str(x), Value::Str(y)) => Value::Str(format!("{x}{y}").into()),
                    (K::Add, Value::Str(x), Value::Path(y)) => {
                        Value::Str(format!("{x}{}", y.display()).into())
                    }
                    (K::Add, Value::Path(x), Value::Str(y)) => {
                        Value::Path(PathBuf::from(format!("{}{y}", x.display())).into())
                    }
                    (K::Sub, Value::Int(x), Value::Int(y)) => Value::Int(x.wrapping_sub(y)),
                    (K::Mul, Value::Int(x), Value::Int(y)) => Value::Int(x.wrapping_mul(y)),
                    (K::Div, Value::Int(x), Value::Int(y)) if y != 0 => Value::Int(x / y),
                    (K::Equal, x, y) => {
                        self.equal(&x, &y).map_or_else(|| unknown_here("a comparison"), Value::Bool)
                    }
                    (K::NotEqual, x, y) => self
                        .equal(&x, &y)
                        .map_or_else(|| unknown_here("a comparison"), |e| Value::Bool(!e)),
                    (K::Less, Value::Int(x), Value::Int(y)) => Value::Bool(x < y),
                    (K::LessOrEq, Value::Int(x), Value::Int(y)) => Value::Bool(x <= y),
                    (K::More, Value::Int(x), Value::Int(y)) => Value::Bool(x > y),
                    (K::MoreOrEq, Value::Int(x), Value::Int(y)) => Value::Bool(x >= y),
                    (K::Less, Value::Str(x), Value::Str(y)) => Value::Bool(x < y),
                    _ => unknown_here("an operator on values it does not take"),
                }
            }
        }
    }

    /// Whether two values are equal; `None` when that cannot be known.
    pub fn equal(&self, a: &Value, b: &Value) -> Option<bool> {
        match (a, b) {
            (Value::Unknown(_), _) | (_, Value::Unknown(_)) => None,
            (Value::Null, Value::Null) => Some(true),
            (Value::Bool(x), Value::Bool(y)) => Some(x == y),
            (Value::Int(x), Value::Int(y)) => Some(x == y),
            (Value::Float(x), Value::Float(y)) => Some(x == y),
            (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => {
                Some(*x as f64 == *y)
            }
            (Value::Str(x), Value::Str(y)) => Some(x == y),
            (Value::Path(x), Value::Path(y)) => Some(x == y),
            (Value::List(x), Value::List(y)) => {
                if x.len() != y.len() {
                    return Some(false);
                }
                for (a, b) in x.iter().zip(y.iter()) {
                    if !self.equal(&self.force_plain(a), &self.force_plain(b))? {
                        return Some(false);
                    }
                }
                Some(true)
            }
            (Value::Set(x), Value::Set(y)) => {
                if x.names().ne(y.names()) {
                    return Some(false);
                }
                for (name, a) in x.iter() {
                    let b = y.get(name)?;
                    if !self.equal(&self.force_plain(a), &self.force_plain(b))? {
                        return Some(false);
                    }
                }
                Some(true)
            }
            (Value::Lambda(_) | Value::Builtin(_), _)
            | (_, Value::Lambda(_) | Value::Builtin(_)) => Some(false),
            (Value::Module(_) | Value::Config(_) | Value::Package(_), _)
            | (_, Value::Module(_) | Value::Config(_) | Value::Package(_)) => None,
            _ => Some(false),
        }
    }

    /// `value.key`.
    pub fn select(&self, value: Value, key: &str, place: Option<Place>) -> Value {
        match value {
            Value::Set(attrs) => match attrs.get(key) {
                Some(t) => self.force(t),
                None => {
                    Value::Unknown(Rc::new(Unknown { why: format!("no attribute `{key}`"), place }))
                }
            },
            Value::Config(path) => {
                let mut path = path.to_vec();
                path.push(key.to_owned());
                Value::Config(path.into())
            }
            Value::Module(_) => self.select(self.plain(value), key, place),
            // `pkgs.lib` is lib; every other attribute of a package set is a package too.
            Value::Package(name) => match (&*name, key) {
                ("pkgs", "lib") => self.force(&lib()),
                ("pkgs", "callPackage") => self.force(&builtins::call_package()),
                ("pkgs", "writeText") => self.force(&builtins::write_text()),
                _ => Value::Package(key.into()),
            },
            Value::Unknown(u) => Value::Unknown(u),
            _ => Value::Unknown(Rc::new(Unknown {
                why: format!("`.{key}` of something that is not a set"),
                place,
            })),
        }
    }

    /// Calls a function with one argument.
    pub fn call(&self, function: Value, argument: Thunk, place: Option<Place>) -> Value {
        match self.plain(function) {
            Value::Lambda(closure) => self.apply(&closure, argument),
            Value::Builtin(partial) => {
                let mut args = partial.args.clone();
                args.push(argument);
                if args.len() == partial.arity {
                    (partial.run)(self, &args)
                } else {
                    Value::Builtin(Rc::new(Partial { args, ..*partial }))
                }
            }
            // Functor sets (`{ __functor = self: x: ...; }`).
            Value::Set(attrs) if attrs.get("__functor").is_some() => {
                let functor = self.force(attrs.get("__functor").expect("checked"));
                let with_self = self.call(functor, Thunk::value(Value::Set(attrs.clone())), place);
                self.call(with_self, argument, place)
            }
            Value::Unknown(u) => Value::Unknown(u),
            // `pkgs.writeShellScript "x" ...`: a package.
            Value::Package(name) => Value::Package(name),
            _ => Value::Unknown(Rc::new(Unknown {
                why: "a call of something that is not a function".into(),
                place,
            })),
        }
    }

    fn apply(&self, closure: &Closure, argument: Thunk) -> Value {
        let scope = closure.env.vars();
        match &closure.param {
            ast::Param::IdentParam(p) => {
                if let Some(name) = p.ident() {
                    scope.bind(name.to_string(), argument);
                }
            }
            ast::Param::Pattern(pattern) => {
                if let Some(name) = pattern.pat_bind().and_then(|b| b.ident()) {
                    scope.bind(name.to_string(), argument.clone());
                }
                let given = self.force_plain(&argument);
                for entry in pattern.pat_entries() {
                    let Some(name) = entry.ident().map(|i| i.to_string()) else { continue };
                    let value = match &given {
                        Value::Set(attrs) => attrs.get(&name).cloned(),
                        _ => None,
                    };
                    let value = value.unwrap_or_else(|| match entry.default() {
                        Some(default) => Thunk::expr(default, scope.clone(), closure.file),
                        None => match &given {
                            Value::Unknown(u) => Thunk::value(Value::Unknown(u.clone())),
                            _ => unknown(
                                format!("the function's argument `{name}` is not given"),
                                None,
                            ),
                        },
                    });
                    scope.bind(name, value);
                }
            }
        }
        self.eval(&closure.body, &scope, closure.file)
    }

    /// The names of an attribute path; `None` for one computed from something unknown.
    fn keys(&self, path: &ast::Attrpath, env: &Env, file: FileId) -> Vec<Option<String>> {
        path.attrs().map(|attr| self.key(&attr, env, file)).collect()
    }

    fn key(&self, attr: &ast::Attr, env: &Env, file: FileId) -> Option<String> {
        self.key_or_why(attr, env, file).ok()
    }

    /// The name an attribute's key makes, or why it cannot be known.
    fn key_or_why(&self, attr: &ast::Attr, env: &Env, file: FileId) -> Result<String, String> {
        let value = match attr {
            ast::Attr::Ident(ident) => return Ok(ident.syntax().text().to_string()),
            ast::Attr::Str(s) => self.eval_string(s, env, file),
            ast::Attr::Dynamic(d) => {
                d.expr().map_or(Value::Null, |e| self.plain(self.eval(&e, env, file)))
            }
        };
        match value {
            Value::Str(s) => Ok(s.to_string()),
            Value::Unknown(u) => Err(u.why.clone()),
            other => Err(format!("the name is {other:?}, not a string")),
        }
    }

    fn eval_string(&self, s: &ast::Str, env: &Env, file: FileId) -> Value {
        let mut out = String::new();
        for part in s.normalized_parts() {
            match part {
                ast::InterpolPart::Literal(text) => out.push_str(&text),
                ast::InterpolPart::Interpolation(interpol) => {
                    let value = interpol.expr().map_or(Value::Null, |e| self.eval(&e, env, file));
                    match self.coerce_to_string(value, false) {
                        Value::Str(s) => out.push_str(&s),
                        other => return other,
                    }
                }
            }
        }
        Value::Str(out.into())
    }

    /// A value as `"${...}"` (or `toString`, with `to_string`) turns it into a string.
    pub fn coerce_to_string(&self, value: Value, to_string: bool) -> Value {
        match self.plain(value) {
            Value::Str(s) => Value::Str(s),
            Value::Path(p) => Value::Str(p.display().to_string().into()),
            Value::Int(i) if to_string => Value::Str(i.to_string().into()),
            Value::Float(x) if to_string => Value::Str(x.to_string().into()),
            Value::Bool(b) if to_string => Value::Str(if b { "1" } else { "" }.into()),
            Value::Null if to_string => Value::Str("".into()),
            Value::List(items) if to_string => {
                let mut parts = Vec::new();
                for item in items.iter() {
                    match self.coerce_to_string(self.force(item), true) {
                        Value::Str(s) => parts.push(s.to_string()),
                        other => return other,
                    }
                }
                Value::Str(parts.join(" ").into())
            }
            Value::Package(name) => {
                Value::Str(format!("/nix/store/00000000000000000000000000000000-{name}").into())
            }
            Value::Set(attrs) => match attrs.get("outPath").or_else(|| attrs.get("__toString")) {
                Some(t) => self.coerce_to_string(self.force(t), to_string),
                None => Value::Unknown(Rc::new(Unknown {
                    why: "a set in a string".into(),
                    place: None,
                })),
            },
            Value::Unknown(u) => Value::Unknown(u),
            // A number in `"${...}"` is an error in Nix; read it as `toString` would.
            Value::Int(i) => Value::Str(i.to_string().into()),
            _ => Value::Unknown(Rc::new(Unknown {
                why: "a value that is not a string, in a string".into(),
                place: None,
            })),
        }
    }

    /// The bindings of a set or `let`: values evaluated in `scope` (the set itself for `rec`
    /// and `let`), bound into `scope` when it is a new scope; `inherit` read from `outer`. Only
    /// the first name of each binding is evaluated now: `a.${x} = 1;` makes `a` a set whose
    /// names are evaluated when it is, as in Nix (NixOS modules name attributes after `config`).
    fn bind_entries(
        &self,
        entries: &impl HasEntry,
        outer: &Env,
        scope: &Env,
        file: FileId,
    ) -> Attrs {
        let mut groups: BTreeMap<String, (Vec<Pending>, Place)> = BTreeMap::new();
        let mut attrs = Attrs::default();
        for binding in entries.attrpath_values() {
            let Some(path) = binding.attrpath() else { continue };
            let mut keys = path.attrs();
            let Some(first) = keys.next() else { continue };
            let place = Place { file, range: binding.syntax().text_range() };
            let pending = Pending { rest: keys.collect(), value: binding.value(), place };
            match self.key_or_why(&first, scope, file) {
                Ok(key) => groups.entry(key).or_insert_with(|| (Vec::new(), place)).0.push(pending),
                Err(why) => attrs.unnamed.push(self.unnamed(&first, pending, why, scope, file)),
            }
        }
        for (key, (pendings, place)) in groups {
            attrs.entries.insert(key, (self.group(pendings, scope, file), Some(place)));
        }
        for inherit in entries.inherits() {
            let from =
                inherit.from().and_then(|f| f.expr()).map(|e| Thunk::expr(e, outer.clone(), file));
            for attr in inherit.attrs() {
                let Some(name) = self.key(&attr, outer, file) else { continue };
                let place = Place { file, range: attr.syntax().text_range() };
                let value = match &from {
                    Some(from) => {
                        let (from, name) = (from.clone(), name.clone());
                        Thunk::native(move |ev| {
                            let base = ev.force(&from);
                            ev.select(base, &name, Some(place))
                        })
                    }
                    // `inherit x;` reads `x` from the scope around the set.
                    None => outer.lookup(&name, self).unwrap_or_else(|| {
                        unknown(format!("`{name}` is not defined here"), Some(place))
                    }),
                };
                attrs.entries.insert(name, (value, Some(place)));
            }
        }
        if !std::ptr::eq(Rc::as_ptr(&outer.0), Rc::as_ptr(&scope.0)) {
            for (name, (value, _)) in &attrs.entries {
                scope.bind(name.clone(), value.clone());
            }
        }
        attrs
    }

    /// The value of the bindings that share a name: one binding's value, or the set that its
    /// deeper names and set literals make together.
    fn group(&self, mut pendings: Vec<Pending>, env: &Env, file: FileId) -> Thunk {
        if pendings.len() == 1 && pendings[0].rest.is_empty() {
            let pending = pendings.pop().expect("one");
            return self.lazy(pending.value, env, file);
        }
        let env = env.clone();
        Thunk::native(move |ev| ev.nested_set(pendings, &env, file))
    }

    /// An attribute whose name `first` cannot be known: the value its binding makes.
    fn unnamed(
        &self,
        first: &ast::Attr,
        pending: Pending,
        why: String,
        env: &Env,
        file: FileId,
    ) -> Unnamed {
        let place = Place { file, range: first.syntax().text_range() };
        Unnamed {
            value: self.group(vec![pending], env, file),
            place,
            written: first.syntax().text().to_string(),
            why,
        }
    }

    fn nested_set(&self, pendings: Vec<Pending>, env: &Env, file: FileId) -> Value {
        let mut groups: BTreeMap<String, (Vec<Pending>, Place)> = BTreeMap::new();
        let mut whole = Vec::new();
        let mut attrs = Attrs::default();
        for pending in pendings {
            let Some((first, rest)) = pending.rest.split_first() else {
                whole.push(self.lazy(pending.value, env, file));
                continue;
            };
            let deeper =
                Pending { rest: rest.to_vec(), value: pending.value, place: pending.place };
            match self.key_or_why(first, env, file) {
                Ok(key) => {
                    groups.entry(key).or_insert_with(|| (Vec::new(), pending.place)).0.push(deeper)
                }
                Err(why) => attrs.unnamed.push(self.unnamed(first, deeper, why, env, file)),
            }
        }
        for (key, (pendings, place)) in groups {
            attrs.entries.insert(key, (self.group(pendings, env, file), Some(place)));
        }
        // `a = { x = 1; }; a.y = 2;`: the set literal merges with the deeper names.
        for value in whole {
            match self.force(&value) {
                Value::Set(set) => {
                    for (key, (value, place)) in &set.entries {
                        let merged = match attrs.entries.get(key) {
                            Some((existing, _)) => merge_sets(existing.clone(), value.clone()),
                            None => value.clone(),
                        };
                        attrs.entries.insert(key.clone(), (merged, *place));
                    }
                    attrs.unnamed.extend(set.unnamed.iter().cloned());
                }
                other => return other,
            }
        }
        Value::Set(Rc::new(attrs))
    }
}

/// A binding whose first names are taken: the names left and the value.
struct Pending {
    rest: Vec<ast::Attr>,
    value: Option<ast::Expr>,
    place: Place,
}

/// Two set values bound to one name, merged when both are sets.
pub fn merge_sets(a: Thunk, b: Thunk) -> Thunk {
    Thunk::native(move |ev| match (ev.force(&a), ev.force(&b)) {
        (Value::Set(x), Value::Set(y)) => {
            let mut entries = x.entries.clone();
            for (k, v) in &y.entries {
                let merged = match entries.get(k) {
                    Some((existing, place)) => (merge_sets(existing.clone(), v.0.clone()), *place),
                    None => v.clone(),
                };
                entries.insert(k.clone(), merged);
            }
            let unnamed = x.unnamed.iter().chain(&y.unnamed).cloned().collect();
            Value::Set(Rc::new(Attrs { entries, unnamed }))
        }
        (_, other) => other,
    })
}

/// A thunk holding an unknown value.
pub fn unknown(why: String, place: Option<Place>) -> Thunk {
    Thunk::value(Value::Unknown(Rc::new(Unknown { why, place })))
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn unknown(&self) -> Option<&Unknown> {
        match self {
            Value::Unknown(u) => Some(u),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
