//! A NixOS host as its repository writes it, read without Nix: its modules, found from its entry
//! (`nmmm.toml`'s `entry`, a flake's `nixosConfigurations.<host>`, or the only
//! `configuration.nix`) by following `imports`; and its configuration, merged as NixOS merges
//! the modules' definitions (`mkIf`, `mkMerge`, priorities, option defaults), read on demand.
//!
//! [`sites`] reads the host's web sites from it. Nothing here knows about monoliths or edits.

pub mod default_ports;
pub mod sites;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::eval::{self, Attrs, ConfigSource, Evaluator, FileId, ModuleValue, Place, Thunk, Value};

pub use sites::{Site, Upstream};

/// One module of the host: its file (when it is one), its definitions and its declarations.
pub struct Module {
    pub file: Option<FileId>,
    pub config: Option<Thunk>,
    pub options: Option<Thunk>,
}

/// A host's configuration, as its modules define it.
pub struct Host {
    /// `nixosConfigurations.<name>`, colmena's node, or the entry's host name.
    pub name: String,
    /// Its first module's file, relative to the repository's root, when it is a file.
    pub entry: Option<PathBuf>,
    pub ev: Rc<Evaluator>,
    pub modules: Rc<Vec<Module>>,
    /// What could not be read (a flake input's module, an import of something computed), with
    /// where, for `check`.
    pub unread: Vec<(String, Option<Place>)>,
    /// Each file imported as a module, with the file whose `imports` names it.
    pub imported: Vec<(FileId, Option<FileId>)>,
}

/// Why a host could not be read.
#[derive(Debug)]
pub struct HostError(pub String);

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a host starts: its modules and the extra arguments they get.
struct Spec {
    name: String,
    modules: Vec<Thunk>,
    special_args: Option<Thunk>,
    /// The flake's outputs' arguments (`self` and its inputs), when the repository is a flake:
    /// the `inputs` and `self` hosts are given, by nearly every flake, in `specialArgs`.
    flake: Option<Thunk>,
}

/// The hosts of the repository at `root`: the one `entry` names, the flake's, or the only
/// `configuration.nix`.
pub fn hosts(root: &Path, entry: Option<&Path>) -> Result<Vec<Host>, HostError> {
    let names = discover(root, entry)?;
    let mut hosts = Vec::new();
    for name in names {
        // Each host is read by its own evaluator: `config` is the host's.
        let ev = Rc::new(Evaluator::new(root));
        let spec = specs(&ev, root, entry)?
            .into_iter()
            .find(|s| s.name == name)
            .expect("the same discovery");
        hosts.push(read(ev, spec));
    }
    Ok(hosts)
}

/// The names of the hosts, found as [`hosts`] finds them.
fn discover(root: &Path, entry: Option<&Path>) -> Result<Vec<String>, HostError> {
    let ev = Evaluator::new(root);
    Ok(specs(&ev, root, entry)?.into_iter().map(|s| s.name).collect())
}

fn specs(ev: &Evaluator, root: &Path, entry: Option<&Path>) -> Result<Vec<Spec>, HostError> {
    if let Some(entry) = entry {
        let path = root.join(entry);
        if !path.exists() {
            return Err(HostError(format!(
                "nmmm.toml: entry = {:?} is not a file of the repository",
                entry.display().to_string()
            )));
        }
        let name = entry_host_name(entry);
        let flake = root.join("flake.nix");
        return Ok(vec![Spec {
            name,
            modules: vec![Thunk::value(Value::Path(path.into()))],
            special_args: None,
            flake: flake.exists().then(|| flake_args(ev, &flake)).flatten().map(|(args, _)| args),
        }]);
    }
    let flake = root.join("flake.nix");
    if flake.exists() {
        let specs = flake_specs(ev, &flake);
        if !specs.is_empty() {
            return Ok(specs);
        }
    }
    let configurations: Vec<PathBuf> = crate::repo::scan::walk(root)
        .map(|e| e.path().to_owned())
        .filter(|p| p.file_name().is_some_and(|n| n == "configuration.nix"))
        .collect();
    match configurations.as_slice() {
        [one] => {
            let relative = one.strip_prefix(root).unwrap_or(one);
            Ok(vec![Spec {
                name: entry_host_name(relative),
                modules: vec![Thunk::value(Value::Path(one.as_path().into()))],
                special_args: None,
                flake: flake.exists().then(|| flake_args(ev, &flake)).flatten().map(|(args, _)| args),
            }])
        }
        [] => Err(HostError(format!(
            "cannot find the machine's configuration in {}: no flake with nixosConfigurations, and \
             no configuration.nix. Say where it starts in nmmm.toml (`cargo xtask init` writes one):\n  \
             entry = \"path/to/configuration.nix\"",
            root.display()
        ))),
        many => Err(HostError(format!(
            "several files look like the machine's entry file:\n{}\nSay which in nmmm.toml at the \
             repository's root, e.g.:\n  entry = {:?}",
            many.iter()
                .map(|p| format!("  {}", p.strip_prefix(root).unwrap_or(p).display()))
                .collect::<Vec<_>>()
                .join("\n"),
            many[0].strip_prefix(root).unwrap_or(&many[0]).display().to_string()
        ))),
    }
}

/// A host's name from its entry file: the folder holding `configuration.nix` (`hosts/web1/`), or
/// the file's own name.
fn entry_host_name(entry: &Path) -> String {
    let stem = entry.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    if matches!(stem.as_str(), "configuration" | "default") {
        if let Some(dir) = entry.parent().and_then(|d| d.file_name()) {
            return dir.to_string_lossy().into_owned();
        }
        return "machine".to_owned();
    }
    stem
}

/// The flake's `nixosConfigurations` (and colmena nodes), each with its modules.
fn flake_specs(ev: &Evaluator, flake: &Path) -> Vec<Spec> {
    let Some((args, called)) = flake_args(ev, flake) else { return Vec::new() };
    let Value::Set(outputs) = ev.force_plain(&called) else { return Vec::new() };
    let mut specs = Vec::new();
    if let Some(Value::Set(configurations)) =
        outputs.get("nixosConfigurations").map(|t| ev.force_plain(t))
    {
        for (name, system) in configurations.iter() {
            if let Some(mut spec) = system_spec(ev, name, system) {
                spec.flake = Some(args.clone());
                specs.push(spec);
            }
        }
    }
    specs
}

/// The arguments a flake's `outputs` is called with (`self` and the inputs), and its outputs.
fn flake_args(ev: &Evaluator, flake: &Path) -> Option<(Thunk, Thunk)> {
    let Value::Set(top) = ev.force_plain(&ev.import(flake)) else { return None };
    let inputs: Vec<String> = match top.get("inputs").map(|t| ev.force_plain(t)) {
        Some(Value::Set(inputs)) => inputs.names().map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let outputs = top.get("outputs").cloned()?;
    let urls: HashMap<String, String> = match top.get("inputs").map(|t| ev.force_plain(t)) {
        Some(Value::Set(decls)) => decls
            .iter()
            .filter_map(|(name, decl)| {
                let url = match ev.force_plain(decl) {
                    Value::Str(url) => url.to_string(),
                    Value::Set(d) => {
                        d.get("url").and_then(|u| ev.force_plain(u).as_str().map(str::to_owned))?
                    }
                    _ => return None,
                };
                Some((name.to_owned(), url))
            })
            .collect(),
        _ => HashMap::new(),
    };
    // `self` is the outputs themselves, and the flake's source (`"${self}/modules"`): each
    // output read from the outputs when asked for, so that the source is known while the
    // outputs are being computed.
    let outputs_cell: Rc<RefCell<Option<Thunk>>> = Rc::new(RefCell::new(None));
    let root = flake.parent().unwrap_or(Path::new("/")).to_owned();
    let mut own: Vec<(String, Thunk)> =
        vec![("outPath".into(), Thunk::value(Value::Str(root.display().to_string().into())))];
    for output in FLAKE_OUTPUTS {
        let cell = outputs_cell.clone();
        own.push((
            (*output).to_owned(),
            Thunk::native(move |ev| match cell.borrow().clone() {
                Some(outputs) => ev.select(ev.force(&outputs), output, None),
                None => Value::Null,
            }),
        ));
    }
    // `self.inputs`: the inputs, `self` among them.
    let args_cell: Rc<RefCell<Option<Thunk>>> = Rc::new(RefCell::new(None));
    let cell = args_cell.clone();
    own.push((
        "inputs".into(),
        Thunk::native(move |ev| cell.borrow().as_ref().map_or(Value::Null, |a| ev.force(a))),
    ));
    let self_thunk = Thunk::value(Value::Set(Rc::new(Attrs::from_values(own))));
    let mut args: Vec<(String, Thunk)> = vec![("self".into(), self_thunk)];
    for name in &inputs {
        args.push((name.clone(), flake_input(name, urls.get(name).map(String::as_str))));
    }
    let args = Thunk::value(Value::Set(Rc::new(Attrs::from_values(args))));
    *args_cell.borrow_mut() = Some(args.clone());
    let called = {
        let (outputs, args) = (outputs.clone(), args.clone());
        Thunk::native(move |ev| ev.call(ev.force(&outputs), args, None))
    };
    *outputs_cell.borrow_mut() = Some(called.clone());
    Some((args, called))
}

/// The outputs a flake's `self` is read for.
const FLAKE_OUTPUTS: &[&str] = &[
    "nixosConfigurations",
    "nixosModules",
    "darwinConfigurations",
    "darwinModules",
    "colmena",
    "colmenaHive",
    "lib",
    "overlays",
    "packages",
    "legacyPackages",
    "flakeModules",
    "modules",
];

/// A flake input as far as hosts use it: nixpkgs' `lib` (with `nixosSystem`), NMMM's `lib`
/// (with `mkFleet`); anything else is unknown.
fn flake_input(name: &str, url: Option<&str>) -> Thunk {
    let url = url.unwrap_or("");
    if name.starts_with("nixpkgs")
        || name == "nixos"
        || url.contains("nixpkgs")
        || url.contains("NixOS/nixpkgs")
    {
        return Thunk::value(Value::Set(Rc::new(Attrs::from_values([
            ("lib".to_owned(), eval::lib()),
            (
                "legacyPackages".to_owned(),
                eval::unknown(format!("the packages of flake input `{name}`"), None),
            ),
        ]))));
    }
    if name == "flake-parts" || url.contains("flake-parts") {
        let mk_flake = Thunk::value(Value::Builtin(Rc::new(eval::Partial {
            name: "mkFlake",
            arity: 2,
            args: Vec::new(),
            run: mk_flake,
        })));
        return Thunk::value(Value::Set(Rc::new(Attrs::from_values([(
            "lib".to_owned(),
            Thunk::value(Value::Set(Rc::new(Attrs::from_values([(
                "mkFlake".to_owned(),
                mk_flake,
            )])))),
        )]))));
    }
    if name == "nmmm" || url.contains("/nmmm") {
        let mk_fleet = Thunk::value(Value::Builtin(Rc::new(eval::Partial {
            name: "mkFleet",
            arity: 1,
            args: Vec::new(),
            run: mk_fleet,
        })));
        // Its module makes services and vhosts from `nmmm.monoliths`, which are read as they are.
        let module = Thunk::value(Value::Set(Rc::default()));
        return Thunk::value(Value::Set(Rc::new(Attrs::from_values([
            (
                "lib".to_owned(),
                Thunk::value(Value::Set(Rc::new(Attrs::from_values([(
                    "mkFleet".to_owned(),
                    mk_fleet,
                )])))),
            ),
            (
                "nixosModules".to_owned(),
                Thunk::value(Value::Set(Rc::new(Attrs::from_values([(
                    "default".to_owned(),
                    module,
                )])))),
            ),
        ]))));
    }
    eval::unknown(format!("flake input `{name}` is not read"), None)
}

/// flake-parts' `mkFlake { inherit inputs; } module`: its modules read twice, once for the
/// arguments they give each other (`_module.args`), then for the `flake` outputs they define,
/// merged. `perSystem` and flake-parts' own options are not read.
fn mk_flake(ev: &Evaluator, args: &[Thunk]) -> Value {
    let given = args[0].clone();
    let inputs = Thunk::native(move |ev| ev.select(ev.force(&given), "inputs", None));
    let module_args = |extra: Vec<(String, Thunk)>| {
        let from = inputs.clone();
        let mut all: Vec<(String, Thunk)> = vec![
            ("inputs".into(), inputs.clone()),
            ("self".into(), Thunk::native(move |ev| ev.select(ev.force(&from), "self", None))),
            ("lib".into(), eval::lib()),
        ];
        for name in
            ["config", "options", "withSystem", "getSystem", "flake-parts-lib", "moduleWithSystem"]
        {
            all.push((name.into(), eval::unknown(format!("flake-parts' `{name}`"), None)));
        }
        for (name, value) in extra {
            all.retain(|(n, _)| *n != name);
            all.push((name, value));
        }
        Thunk::value(Value::Set(Rc::new(Attrs::from_values(all))))
    };
    // Every module, its imports followed, as the set it makes with `args`.
    let root = args[1].clone();
    let modules = |with: &Thunk| -> Vec<Rc<Attrs>> {
        let mut out = Vec::new();
        let mut seen: HashSet<PathBuf> = HashSet::new();
        let mut todo: Vec<Thunk> = vec![root.clone()];
        while let Some(module) = todo.pop() {
            let value = match ev.force_plain(&module) {
                Value::Path(path) => {
                    let path =
                        if path.is_dir() { path.join("default.nix") } else { path.to_path_buf() };
                    if !seen.insert(path.clone()) || !path.exists() {
                        continue;
                    }
                    ev.force_plain(&ev.import(&path))
                }
                other => other,
            };
            let value = match value {
                Value::Lambda(_) | Value::Builtin(_) => {
                    ev.force_plain(&Thunk::value(ev.call(value, with.clone(), None)))
                }
                other => other,
            };
            let Value::Set(set) = value else { continue };
            if let Some(Value::List(imports)) = set.get("imports").map(|i| ev.force_plain(i)) {
                todo.extend(imports.iter().rev().cloned());
            }
            // `config = { flake = ...; }` in a module that declares options.
            match set.get("config").map(|c| ev.force_plain(c)) {
                Some(Value::Set(config)) if set.get("options").is_some() => out.push(config),
                _ => out.push(set),
            }
        }
        out
    };
    let field = |set: &Attrs, path: &[&str]| -> Option<Rc<Attrs>> {
        let mut value = Value::Set(Rc::new(Attrs::from_values(
            set.iter().map(|(k, v)| (k.to_owned(), v.clone())),
        )));
        for key in path {
            value = match value {
                Value::Set(s) => ev.force_plain(s.get(key)?),
                _ => return None,
            };
        }
        match value {
            Value::Set(s) => Some(s),
            _ => None,
        }
    };
    // First the arguments the modules give each other, then what they define with them.
    let first = modules(&module_args(Vec::new()));
    let given: Vec<(String, Thunk)> = first
        .iter()
        .filter_map(|m| field(m, &["_module", "args"]))
        .flat_map(|a| a.iter().map(|(k, v)| (k.to_owned(), v.clone())).collect::<Vec<_>>())
        .collect();
    let second = modules(&module_args(given));
    let mut flake: Option<Thunk> = None;
    for module in &second {
        if let Some(defined) = module.get("flake") {
            flake = Some(match flake {
                None => defined.clone(),
                Some(earlier) => eval::merge_sets(earlier, defined.clone()),
            });
        }
    }
    flake.map_or_else(|| Value::Set(Rc::default()), |f| ev.force_plain(&f))
}

/// NMMM's `mkFleet { modules; hostModules; }`: one NixOS system per host, of the shared modules
/// and the host's own (`lib/fleet.nix`).
fn mk_fleet(ev: &Evaluator, args: &[Thunk]) -> Value {
    let Value::Set(given) = ev.force_plain(&args[0]) else {
        return Value::Unknown(Rc::new(eval::Unknown {
            why: "mkFleet of something unknown".into(),
            place: None,
        }));
    };
    let shared: Vec<Thunk> = match given.get("modules").map(|t| ev.force_plain(t)) {
        Some(Value::List(l)) => l.to_vec(),
        _ => Vec::new(),
    };
    let mut systems = Vec::new();
    if let Some(Value::Set(per_host)) = given.get("hostModules").map(|t| ev.force_plain(t)) {
        for (host, own) in per_host.iter() {
            let own: Vec<Thunk> = match ev.force_plain(own) {
                Value::List(l) => l.to_vec(),
                _ => Vec::new(),
            };
            let modules: Vec<Thunk> = shared.iter().chain(&own).cloned().collect();
            let args = Attrs::from_values([(
                "modules".to_owned(),
                Thunk::value(Value::List(modules.into())),
            )]);
            systems.push((
                host.to_owned(),
                Thunk::value(eval::nixos_system(Thunk::value(Value::Set(Rc::new(args))))),
            ));
        }
    }
    Value::Set(Rc::new(Attrs::from_values([(
        "nixosConfigurations".to_owned(),
        Thunk::value(Value::Set(Rc::new(Attrs::from_values(systems)))),
    )])))
}

/// The modules and special arguments of a `nixosSystem { ... }`.
fn system_spec(ev: &Evaluator, name: &str, system: &Thunk) -> Option<Spec> {
    let Value::Set(system) = ev.force_plain(system) else { return None };
    system.get("__nmmmNixosSystem")?;
    let Value::Set(args) = ev.force_plain(system.get("args")?) else { return None };
    let modules = match args.get("modules").map(|t| ev.force_plain(t)) {
        Some(Value::List(l)) => l.to_vec(),
        _ => Vec::new(),
    };
    Some(Spec {
        name: name.to_owned(),
        modules,
        special_args: args.get("specialArgs").cloned(),
        flake: None,
    })
}

/// Reads the host's modules, following `imports`, and makes its configuration readable.
fn read(ev: Rc<Evaluator>, spec: Spec) -> Host {
    let mut args: Vec<(String, Thunk)> = vec![
        ("config".into(), Thunk::value(Value::Config(Rc::new([])))),
        ("lib".into(), eval::lib()),
        ("pkgs".into(), eval::pkgs()),
        ("options".into(), eval::unknown("the host's option declarations".into(), None)),
        ("modulesPath".into(), eval::unknown("nixpkgs' modules".into(), None)),
        ("utils".into(), eval::unknown("nixpkgs' utils".into(), None)),
        ("name".into(), Thunk::value(Value::Str(spec.name.clone().into()))),
    ];
    // What a flake gives its hosts, unless they are given other values by those names.
    if let Some(flake) = &spec.flake {
        let given = flake.clone();
        args.push(("inputs".into(), given.clone()));
        args.push((
            "self".into(),
            Thunk::native(move |ev| match ev.force_plain(&given) {
                Value::Set(set) => set.get("self").map_or(Value::Null, |s| ev.force(s)),
                other => other,
            }),
        ));
    }
    if let Some(special) = &spec.special_args {
        if let Value::Set(special) = ev.force_plain(special) {
            for (name, value) in special.iter() {
                args.retain(|(n, _)| n != name);
                args.push((name.to_owned(), value.clone()));
            }
        }
    }
    let args = Thunk::value(Value::Set(Rc::new(Attrs::from_values(args))));
    let mut reader = Reader {
        ev: &ev,
        args,
        modules: Vec::new(),
        seen: HashSet::new(),
        unread: Vec::new(),
        imported: Vec::new(),
    };
    // The host's own module: the one named after the host (`hosts/vps/configuration.nix`), or
    // a `configuration.nix`, or the last, after those it shares (`./common`, a flake input's).
    let mut files: Vec<PathBuf> = Vec::new();
    for module in &spec.modules {
        if let Value::Path(p) = ev.force(module) {
            let file = if p.is_dir() { p.join("default.nix") } else { p.to_path_buf() };
            files.push(file.strip_prefix(ev.root()).map(Path::to_owned).unwrap_or(file));
        }
        reader.module(module.clone(), None);
    }
    let named = |f: &&PathBuf| {
        f.iter().any(|part| *part == *spec.name) || f.file_stem().is_some_and(|s| *s == *spec.name)
    };
    let entry = files
        .iter()
        .rfind(named)
        .or_else(|| files.iter().rfind(|f| f.file_name().is_some_and(|n| n == "configuration.nix")))
        .or(files.last())
        .cloned();
    let Reader { modules, unread, imported, .. } = reader;
    let modules = Rc::new(modules);
    ev.set_config(Rc::new(Merged {
        modules: modules.clone(),
        memo: RefCell::new(HashMap::new()),
        busy: RefCell::new(HashSet::new()),
    }));
    Host { name: spec.name, entry, ev, modules, unread, imported }
}

struct Reader<'a> {
    ev: &'a Evaluator,
    args: Thunk,
    modules: Vec<Module>,
    seen: HashSet<PathBuf>,
    unread: Vec<(String, Option<Place>)>,
    imported: Vec<(FileId, Option<FileId>)>,
}

/// The names a module's top level keeps beside `config`.
const MODULE_KEYS: &[&str] = &[
    "imports",
    "options",
    "config",
    "meta",
    "disabledModules",
    "freeformType",
    "_file",
    "key",
    "_class",
];

impl Reader<'_> {
    /// Reads a module written in `file` (a path: the file it names).
    fn module(&mut self, module: Thunk, file: Option<FileId>) {
        let place = module.place();
        let value = match self.ev.force_plain(&module) {
            // `"${self}/modules/nginx.nix"`: a path of the repository, as a string.
            Value::Str(s) if Path::new(&*s).starts_with(self.ev.root()) => {
                Value::Path(PathBuf::from(&*s).into())
            }
            other => other,
        };
        match value {
            Value::Path(path) => {
                let path =
                    if path.is_dir() { path.join("default.nix") } else { path.to_path_buf() };
                if !self.seen.insert(path.clone()) {
                    return;
                }
                if !path.exists() {
                    let shown = path.strip_prefix(self.ev.root()).unwrap_or(&path);
                    self.unread.push((format!("{} does not exist", shown.display()), place));
                    return;
                }
                let value = self.ev.import(&path);
                let imported = self.ev.file_id(&path);
                if let Some(id) = imported {
                    self.imported.push((id, file));
                }
                self.module(value, imported);
            }
            Value::Lambda(_) | Value::Builtin(_) => {
                let called = self.ev.call(self.ev.force(&module), self.args.clone(), place);
                self.module(Thunk::value(called), file);
            }
            Value::Set(attrs) => {
                // A module that is already a set (`import ./modules`): the file it is written in.
                let file =
                    file.or_else(|| attrs.names().find_map(|n| attrs.place(n)).map(|p| p.file));
                self.attrs(&attrs, file)
            }
            Value::Unknown(u) => {
                self.unread.push((format!("a module: {}", u.why), u.place.or(place)))
            }
            _ => self.unread.push(("a module that is not a set or a function".into(), place)),
        }
    }

    fn attrs(&mut self, attrs: &Rc<Attrs>, file: Option<FileId>) {
        if let Some(imports) = attrs.get("imports") {
            match self.ev.force_plain(imports) {
                Value::List(items) => {
                    for item in items.iter() {
                        self.module(item.clone(), file);
                    }
                }
                Value::Unknown(u) => {
                    self.unread.push((format!("imports: {}", u.why), u.place.or(imports.place())))
                }
                _ => {}
            }
        }
        let full = attrs.get("config").is_some() || attrs.get("options").is_some();
        let config = if full {
            attrs.get("config").cloned()
        } else {
            let own = attrs
                .iter()
                .filter(|(name, _)| !MODULE_KEYS.contains(name))
                .map(|(name, value)| (name.to_owned(), value.clone(), attrs.place(name)));
            Some(Thunk::value(Value::Set(Rc::new(Attrs::from_placed(own)))))
        };
        self.modules.push(Module { file, config, options: attrs.get("options").cloned() });
    }
}

/// A definition of an option: its value, its priority, and where it is written.
#[derive(Debug, Clone)]
pub struct Definition {
    pub value: Thunk,
    pub priority: i64,
    pub place: Option<Place>,
}

/// The merged configuration: each path's definitions from every module, merged on demand.
struct Merged {
    modules: Rc<Vec<Module>>,
    memo: RefCell<HashMap<Vec<String>, Value>>,
    busy: RefCell<HashSet<Vec<String>>>,
}

impl ConfigSource for Merged {
    fn config(&self, ev: &Evaluator, path: &[String]) -> Value {
        if let Some(value) = self.memo.borrow().get(path) {
            return value.clone();
        }
        if !self.busy.borrow_mut().insert(path.to_vec()) {
            return Value::Unknown(Rc::new(eval::Unknown {
                why: format!("`config.{}` depends on itself", path.join(".")),
                place: None,
            }));
        }
        let value = self.merge(ev, path);
        self.busy.borrow_mut().remove(path);
        self.memo.borrow_mut().insert(path.to_vec(), value.clone());
        value
    }
}

impl Merged {
    fn merge(&self, ev: &Evaluator, path: &[String]) -> Value {
        let defs = definitions(ev, &self.modules, path);
        if defs.is_empty() {
            return default_of(ev, &self.modules, path);
        }
        let best = defs.iter().map(|d| d.priority).min().expect("not empty");
        let defs: Vec<&Definition> = defs.iter().filter(|d| d.priority == best).collect();
        let mut values: Vec<(Value, Option<Place>)> =
            defs.iter().map(|d| (ev.force_plain(&d.value), d.place)).collect();
        // A definition nobody can read (`LUNs // { inherit tgtd; }` over a submodule's values)
        // does not hide what the others define: their sets and lists merge without it.
        let known = |v: &Value| !matches!(v, Value::Unknown(_));
        if values.iter().any(|(v, _)| !known(v))
            && values
                .iter()
                .filter(|(v, _)| known(v))
                .all(|(v, _)| matches!(v, Value::Set(_) | Value::List(_)))
            && values.iter().any(|(v, _)| known(v))
        {
            values.retain(|(v, _)| known(v));
        }
        if values.iter().all(|(v, _)| matches!(v, Value::Set(_))) {
            let mut names: Vec<(String, Option<Place>)> = Vec::new();
            for (value, _) in &values {
                if let Value::Set(attrs) = value {
                    for name in attrs.names() {
                        if !names.iter().any(|(n, _)| n == name) {
                            names.push((name.to_owned(), attrs.place(name)));
                        }
                    }
                }
            }
            let entries = names.into_iter().map(|(name, place)| {
                let child: Vec<String> = path.iter().cloned().chain([name.clone()]).collect();
                (
                    name,
                    Thunk::native(move |ev| {
                        ev.force_plain(&Thunk::value(Value::Config(child.into())))
                    }),
                    place,
                )
            });
            let mut merged = Attrs::from_placed(entries);
            for (value, _) in &values {
                if let Value::Set(attrs) = value {
                    merged.unnamed.extend(attrs.unnamed.iter().cloned());
                }
            }
            return Value::Set(Rc::new(merged));
        }
        if values.iter().all(|(v, _)| matches!(v, Value::List(_))) {
            let mut all = Vec::new();
            for (value, _) in &values {
                if let Value::List(items) = value {
                    all.extend(items.iter().cloned());
                }
            }
            return Value::List(all.into());
        }
        // Lines (`extraConfig`) join; other values are one definition, the same one made in
        // several modules (which NixOS merges), or conflicting ones (which NixOS refuses): the
        // first known one.
        let lines = path.last().is_some_and(|key| {
            key.ends_with("Config")
                || key.ends_with("script")
                || key.ends_with("Script")
                || key == "text"
        });
        if lines && values.len() > 1 && values.iter().all(|(v, _)| matches!(v, Value::Str(_))) {
            let joined: Vec<&str> = values.iter().filter_map(|(v, _)| v.as_str()).collect();
            return Value::Str(joined.join("\n").into());
        }
        values
            .iter()
            .find(|(v, _)| !matches!(v, Value::Unknown(_)))
            .or(values.first())
            .map(|(v, _)| v.clone())
            .expect("not empty")
    }
}

/// Every definition of `path` in the modules, through `mkIf` (a false condition defines
/// nothing), `mkMerge` and priorities.
pub fn definitions(ev: &Evaluator, modules: &[Module], path: &[String]) -> Vec<Definition> {
    let mut defs = Vec::new();
    for module in modules {
        if let Some(config) = &module.config {
            walk(ev, config, path, 100, config.place(), &mut defs);
        }
    }
    defs
}

fn walk(
    ev: &Evaluator,
    value: &Thunk,
    path: &[String],
    priority: i64,
    place: Option<Place>,
    out: &mut Vec<Definition>,
) {
    match ev.force(value) {
        Value::Module(m) => match &*m {
            ModuleValue::If { condition, content } => match ev.force_plain(condition) {
                Value::Bool(false) => {}
                // What a condition nobody can know guards is counted: better a site listed
                // than one missed.
                _ => walk(ev, content, path, priority, place, out),
            },
            ModuleValue::Merge(items) => {
                for item in items.iter() {
                    walk(ev, item, path, priority, item.place().or(place), out);
                }
            }
            ModuleValue::Override { priority, content } => {
                walk(ev, content, path, *priority, place, out)
            }
            ModuleValue::Order(content) => walk(ev, content, path, priority, place, out),
            ModuleValue::Option { .. } => {}
        },
        Value::Set(attrs) => match path.split_first() {
            None => out.push(Definition { value: value.clone(), priority, place }),
            Some((first, rest)) => {
                if let Some(child) = attrs.get(first) {
                    walk(ev, child, rest, priority, attrs.place(first).or(place), out);
                }
            }
        },
        Value::Config(p) => {
            let resolved = Thunk::value(ev.force_plain(&Thunk::value(Value::Config(p))));
            walk(ev, &resolved, path, priority, place, out);
        }
        _ if path.is_empty() => out.push(Definition { value: value.clone(), priority, place }),
        // Something unknown, or not a set, has nothing to say about a deeper path.
        _ => {}
    }
}

/// The value of an option nobody defines: its declared default (the repository's own
/// `mkOption`s, or a known nixpkgs default), else `false` for `enable`, else unknown.
fn default_of(ev: &Evaluator, modules: &[Module], path: &[String]) -> Value {
    for module in modules {
        let Some(options) = &module.options else { continue };
        if let Some(value) = declared_default(ev, options, path) {
            return value;
        }
    }
    let dotted = path.join(".");
    if let Some(known) = default_ports::default_port(&dotted) {
        return Value::Int(i64::from(known.port));
    }
    if let Some(value) = default_ports::default_address(&dotted, |protocol| {
        let path: Vec<String> = protocol.split('.').map(str::to_owned).collect();
        ev.force_plain(&Thunk::value(Value::Config(path.into()))).as_str().map(str::to_owned)
    }) {
        return Value::Str(value.into());
    }
    // Services are off unless a module turns them on (`services.x.enable`,
    // `services.x.instances.y.enable`); deeper `enable`s have defaults of their own.
    let service_switch = path.last().is_some_and(|k| k == "enable")
        && matches!(
            path.first().map(String::as_str),
            Some("services" | "programs" | "virtualisation")
        )
        && (path.len() == 3 || (path.len() == 5 && path[2] == "instances"));
    match path.last().map(String::as_str) {
        Some("enable") if service_switch => Value::Bool(false),
        _ => Value::Unknown(Rc::new(eval::Unknown {
            why: format!("`{dotted}` is not set here, and nixpkgs' default for it is not read"),
            place: None,
        })),
    }
}

fn declared_default(ev: &Evaluator, options: &Thunk, path: &[String]) -> Option<Value> {
    let mut value = ev.force(options);
    for (i, key) in path.iter().enumerate() {
        value = match value {
            Value::Module(m) => match &*m {
                // An option holding a set: its default, then the rest of the path inside.
                ModuleValue::Option { default } => {
                    let mut inner = ev.force_plain(default.as_ref()?);
                    for key in &path[i..] {
                        inner = match inner {
                            Value::Set(s) => ev.force_plain(s.get(key)?),
                            _ => return None,
                        };
                    }
                    return Some(inner);
                }
                _ => return None,
            },
            Value::Set(s) => ev.force(s.get(key)?),
            _ => return None,
        };
    }
    match value {
        Value::Module(m) => match &*m {
            ModuleValue::Option { default } => Some(ev.force_plain(default.as_ref()?)),
            _ => None,
        },
        _ => None,
    }
}

impl Host {
    /// The host's merged configuration at `path` (`["services", "nginx", "virtualHosts"]`).
    pub fn config(&self, path: &[&str]) -> Value {
        let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
        self.ev.force_plain(&Thunk::value(Value::Config(path.into())))
    }

    /// Where `path` is defined, each definition's place.
    pub fn definitions(&self, path: &[&str]) -> Vec<Definition> {
        let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
        definitions(&self.ev, &self.modules, &path)
    }

    /// The files the host is made of, relative to the repository's root.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> =
            self.modules.iter().filter_map(|m| m.file).map(|f| self.ev.relative(f)).collect();
        files.sort();
        files.dedup();
        files
    }
}
