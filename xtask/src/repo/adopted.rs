//! The shape new monoliths take in a host written by hand, read off how it writes its own sites:
//!
//! - one file per site, imported from a list: a new file beside the others, imported from that
//!   same list ([`Shape::FilePerSite`]);
//! - vhosts in one file and services in others: the vhost beside the vhosts, the service in a new
//!   file beside the services ([`Shape::Split`]);
//! - sites inline in one file: new bindings beside the existing ones ([`Shape::Inline`]);
//!
//! and where its ports live ([`PortStore`]): a set bound in `let`, a file of literals, an option
//! of the repository's own (`config.my.ports.<name>`), or in each site itself. TLS follows the
//! host too: each vhost's own ACME certificate, or a certificate every vhost shares
//! (`useACMEHost`, a wildcard).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rnix::ast;
use rowan::ast::AstNode;

use super::SourceFile;
use crate::eval::{FileId, Value};
use crate::host::{sites, Host, Upstream};

pub struct AdoptedLayout {
    pub shape: Shape,
    pub ports: PortStore,
    pub tls: Tls,
    /// Whether the host runs PostgreSQL already.
    pub postgresql: bool,
    /// Whether the host runs nginx already.
    pub nginx: bool,
    /// What the names of the files of its sites begin with (`foxden-` in `foxden-ci.nix`).
    pub file_prefix: String,
    /// Whether its sites' files are named after their domains (`www/md.example.org.nix`).
    pub files_by_domain: bool,
    /// How the list imports its sites' files when not by path: `inputs.self.nixosModules` for
    /// `inputs.self.nixosModules.ledger`.
    pub import_prefix: Option<String>,
    /// Where its apps' own sources are, when its sites name them (`pkgs` for `../pkgs/ledger`).
    pub sources: Option<PathBuf>,
    /// The file of the site new ones are modelled on, whose formatting they take.
    pub reference_file: Option<PathBuf>,
}

impl AdoptedLayout {
    /// The file of its own a new monolith `name` at `domain` gets, in the shapes that give it
    /// one.
    pub fn site_file(&self, name: &str, domain: &str) -> Option<PathBuf> {
        let stem = if self.files_by_domain { domain } else { name };
        match &self.shape {
            Shape::FilePerSite { dir, .. }
            | Shape::Split { dir, .. }
            | Shape::OptionModule { dir, .. } => {
                Some(dir.join(format!("{}{stem}.nix", self.file_prefix)))
            }
            Shape::Inline { .. } => None,
        }
    }

    /// How the list imports `file`, the file of monolith `name`: as the list imports the others.
    pub fn import_of(&self, list_file: &Path, file: &Path, name: &str) -> String {
        match &self.import_prefix {
            Some(prefix) => format!("{prefix}.{}", crate::edit::quote_key(name)),
            None => {
                super::scan::relative_nix_path(list_file.parent().unwrap_or(Path::new("")), file)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// A new file `dir/NAME.nix`, imported from the `imports` of `list_file`.
    FilePerSite { list_file: PathBuf, dir: PathBuf },
    /// The service in a new file as above; the vhost in `vhosts_file`, beside the others.
    Split { list_file: PathBuf, dir: PathBuf, vhosts_file: PathBuf },
    /// Everything in `file`, beside the sites there.
    Inline { file: PathBuf },
    /// A module of options of the host's own, one per app (`options.kit.services.wiki = {
    /// enable; port; domain; }` and `config = mkIf cfg.enable { ... }`), in `dir/NAME.nix`
    /// imported from `list_file`, and turned on in `enable_file` (`kit.services.wiki = {
    /// enable = true; domain = "..."; }`).
    OptionModule {
        list_file: PathBuf,
        dir: PathBuf,
        /// The options' prefix: `kit.services`.
        prefix: Vec<String>,
        /// The option that names the domain: `domain`, `hostname`.
        domain: String,
        enable_file: PathBuf,
        /// Whether the modules say `with lib;` (and so `mkOption`, not `lib.mkOption`).
        with_lib: bool,
    },
}

impl Shape {
    /// The file that shows how the host writes: the list new files are imported from, or the
    /// file that holds the sites.
    pub fn style_file(&self) -> &Path {
        match self {
            Shape::FilePerSite { list_file, .. }
            | Shape::Split { list_file, .. }
            | Shape::OptionModule { list_file, .. } => list_file,
            Shape::Inline { file } => file,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortStore {
    /// Written where the site is (`let port = 8081;` in its own file).
    InSite,
    /// `let NAME = { notes = 4100; }` in `file`: referenced as `NAME.<monolith>`.
    Let { file: PathBuf, name: String },
    /// A file of literals imported as `VAR = import ./ports.nix`: referenced as `VAR.<monolith>`.
    File { file: PathBuf, var: String },
    /// An option of the repository's (`my.ports`), set in `file`: referenced as
    /// `config.my.ports.<monolith>`.
    Option { file: PathBuf, path: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// `enableACME = true; forceSSL = true;` on each vhost.
    Acme,
    /// `useACMEHost = CERT; forceSSL = true;`, a certificate the host shares between vhosts,
    /// with the names it covers (`*.example.org`).
    Shared { cert: String, names: Vec<String> },
}

impl Tls {
    /// Whether the shared certificate covers `domain`.
    pub fn covers(&self, domain: &str) -> bool {
        match self {
            Tls::Acme => true,
            Tls::Shared { names, .. } => names.iter().any(|name| match name.strip_prefix("*.") {
                Some(parent) => domain.split_once('.').is_some_and(|(_, rest)| rest == parent),
                None => name == domain,
            }),
        }
    }
}

impl AdoptedLayout {
    /// The shape of the first host's hand-written sites.
    pub fn detect(
        root: &Path,
        files: &BTreeMap<PathBuf, SourceFile>,
        hosts: &[(Host, sites::Sites)],
        shared: &std::collections::BTreeSet<PathBuf>,
    ) -> AdoptedLayout {
        let Some((host, sites)) = hosts.first() else {
            return AdoptedLayout {
                shape: Shape::Inline { file: PathBuf::new() },
                ports: PortStore::InSite,
                tls: Tls::Acme,
                postgresql: false,
                nginx: false,
                file_prefix: String::new(),
                files_by_domain: false,
                import_prefix: None,
                sources: None,
                reference_file: None,
            };
        };
        let hand_written: Vec<&sites::Site> =
            sites.sites.iter().filter(|s| s.kind == sites::Kind::HandWritten).collect();
        // The host's own services first: they are what a monolith is.
        let reference = hand_written
            .iter()
            .copied()
            .rfind(|s| matches!(s.upstream, Upstream::Systemd(_)))
            .or_else(|| hand_written.last().copied());
        let entry = host.entry.clone().unwrap_or_default();
        let entry_dir = entry.parent().map(Path::to_owned).unwrap_or_default();
        let fallback = Shape::FilePerSite { list_file: entry.clone(), dir: entry_dir.clone() };
        let shape = reference
            .and_then(|site| shape_of(files, host, sites, site))
            // Where the vhosts are computed (`mapAttrs`), a new one cannot go beside them: the
            // monolith gets a file of its own.
            .filter(|shape| editable(files, shape))
            // A list other hosts import too would give them the monolith: the host's own
            // entry imports it instead.
            .map(|shape| match shape {
                Shape::FilePerSite { list_file, dir } if shared.contains(&list_file) => {
                    Shape::FilePerSite { list_file: entry.clone(), dir }
                }
                Shape::Split { list_file, dir, vhosts_file }
                    if shared.contains(&list_file) || shared.contains(&vhosts_file) =>
                {
                    Shape::FilePerSite { list_file: entry.clone(), dir }
                }
                Shape::Inline { file } if shared.contains(&file) => {
                    Shape::FilePerSite { list_file: entry.clone(), dir: entry_dir.clone() }
                }
                other => other,
            })
            .unwrap_or(fallback);
        // Where most of its sites keep their ports, the reference's way on a tie.
        let mut stores: Vec<(PortStore, usize)> = Vec::new();
        for site in reference.into_iter().chain(hand_written.iter().copied()) {
            let Some(store) = port_store(root, files, host, site) else { continue };
            match stores.iter_mut().find(|(s, _)| *s == store) {
                Some((_, count)) => *count += 1,
                None => stores.push((store, 1)),
            }
        }
        let kept = stores.iter().filter(|(s, _)| *s != PortStore::InSite);
        let ports =
            kept.max_by_key(|(_, count)| *count).map_or(PortStore::InSite, |(s, _)| s.clone());
        let (file_prefix, files_by_domain) = file_names(host, sites, &shape);
        let import_prefix = reference.and_then(|site| import_prefix(files, host, site, &shape));
        let sources = reference.and_then(|site| sources_of(files, host, site));
        let reference_file =
            reference.and_then(|site| site.places.last()).map(|p| host.ev.relative(p.file));
        AdoptedLayout {
            reference_file,
            shape,
            ports,
            file_prefix,
            files_by_domain,
            import_prefix,
            sources,
            tls: tls(host, &hand_written),
            postgresql: host.config(&["services", "postgresql", "enable"]).as_bool() == Some(true),
            nginx: host.config(&["services", "nginx", "enable"]).as_bool() == Some(true),
        }
    }
}

/// Whether new bindings can go where the shape puts them.
fn editable(files: &BTreeMap<PathBuf, SourceFile>, shape: &Shape) -> bool {
    let probe = |file: &PathBuf, path: &[&str]| {
        let Some(nix) = files.get(file).and_then(|f| f.parsed.as_ref().ok()) else { return false };
        let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
        crate::edit::set_attr(nix, path, "{ }").is_ok()
    };
    match shape {
        Shape::FilePerSite { list_file, .. } => {
            probe(list_file, &["imports", "nmmmProbe"]) || files.contains_key(list_file)
        }
        Shape::OptionModule { list_file, enable_file, prefix, .. } => {
            let path: Vec<&str> = prefix.iter().map(String::as_str).chain(["nmmm-probe"]).collect();
            files.contains_key(list_file) && probe(enable_file, &path)
        }
        Shape::Split { vhosts_file, list_file, .. } => {
            files.contains_key(list_file)
                && probe(vhosts_file, &["services", "nginx", "virtualHosts", "probe.invalid"])
        }
        Shape::Inline { file } => {
            probe(file, &["services", "nginx", "virtualHosts", "probe.invalid"])
                && probe(file, &["systemd", "services", "nmmm-probe"])
        }
    }
}

/// Where a site is written: its vhost's file, its service's file, and who imports them.
fn shape_of(
    files: &BTreeMap<PathBuf, SourceFile>,
    host: &Host,
    sites: &sites::Sites,
    site: &sites::Site,
) -> Option<Shape> {
    let vhost_file = site.places.first()?.file;
    let service_file = match &site.upstream {
        Upstream::Systemd(unit) => host
            .definitions(&["systemd", "services", unit])
            .first()
            .and_then(|d| d.place)
            .map(|p| p.file),
        Upstream::Module(service) => {
            let path: Vec<&str> = service.split('.').collect();
            host.definitions(&path).first().and_then(|d| d.place).map(|p| p.file)
        }
        _ => None,
    }
    .unwrap_or(vhost_file);
    let importer =
        |file: FileId| host.imported.iter().find(|(f, _)| *f == file).and_then(|(_, by)| *by);
    let sites_in = |file: FileId| {
        sites
            .sites
            .iter()
            .filter(|s| {
                s.kind == sites::Kind::HandWritten
                    && s.places.first().is_some_and(|p| p.file == file)
            })
            .count()
    };
    let relative = |file: FileId| host.ev.relative(file);
    let dir_of = |file: FileId| relative(file).parent().map(Path::to_owned).unwrap_or_default();
    // A service of nixpkgs (hydra, grafana) in a file with others is the host's concern, not
    // an app of its own: a new monolith does not go into the monitoring's file, but into a file
    // of its own beside it.
    let own_app = matches!(site.upstream, Upstream::Systemd(_));
    if !own_app && sites_in(vhost_file) > 1 {
        let list = importer(vhost_file)?;
        return Some(Shape::FilePerSite { list_file: relative(list), dir: dir_of(vhost_file) });
    }
    if vhost_file == service_file {
        // A file of its own, imported from a list.
        if let Some(list) = importer(service_file).filter(|_| sites_in(service_file) == 1) {
            if let Some((prefix, domain, enable_file)) = option_module(host, service_file, site) {
                let with_lib = files
                    .get(&relative(service_file))
                    .is_some_and(|f| f.text.contains("with lib;"));
                return Some(Shape::OptionModule {
                    list_file: relative(list),
                    dir: dir_of(service_file),
                    prefix,
                    domain,
                    enable_file: relative(enable_file),
                    with_lib,
                });
            }
            return Some(Shape::FilePerSite {
                list_file: relative(list),
                dir: dir_of(service_file),
            });
        }
        return Some(Shape::Inline { file: relative(vhost_file) });
    }
    match importer(service_file) {
        Some(list) => Some(Shape::Split {
            list_file: relative(list),
            dir: dir_of(service_file),
            vhosts_file: relative(vhost_file),
        }),
        None => Some(Shape::Inline { file: relative(vhost_file) }),
    }
}

/// How the files of sites are named, in the list new files are imported from: the beginning
/// they share (`foxden-` for `foxden-ci.nix` and `foxden-monitoring.nix`; none for `notes.nix`
/// and `forge.nix`), and whether each is named after its site's domain (`md.example.org.nix`).
fn file_names(host: &Host, sites: &sites::Sites, shape: &Shape) -> (String, bool) {
    let list = match shape {
        Shape::FilePerSite { list_file, .. }
        | Shape::Split { list_file, .. }
        | Shape::OptionModule { list_file, .. } => list_file,
        Shape::Inline { .. } => return (String::new(), false),
    };
    let files: Vec<(String, Vec<&str>)> = host
        .imported
        .iter()
        .filter(|(_, by)| by.is_some_and(|by| host.ev.relative(by) == *list))
        .filter_map(|(file, _)| {
            let domains: Vec<&str> = sites
                .sites
                .iter()
                .filter(|s| s.places.iter().any(|p| p.file == *file))
                .filter_map(|s| s.domain.as_deref())
                .collect();
            let stem = host.ev.relative(*file).file_stem()?.to_string_lossy().into_owned();
            (!domains.is_empty()).then_some((stem, domains))
        })
        .collect();
    let by_domain =
        files.len() >= 2 && files.iter().all(|(stem, domains)| domains.contains(&stem.as_str()));
    (common_prefix(&files.into_iter().map(|(stem, _)| stem).collect::<Vec<_>>()), by_domain)
}

/// What the stems share up to a `-` or `_` (`foxden-`), when there are two or more.
fn common_prefix(stems: &[String]) -> String {
    let [first, rest @ ..] = stems else { return String::new() };
    if rest.is_empty() {
        return String::new();
    }
    let mut common = first.as_str();
    for stem in rest {
        let len = common
            .chars()
            .zip(stem.chars())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a.len_utf8())
            .sum();
        common = &common[..len];
    }
    match common.rfind(['-', '_']) {
        Some(at) => common[..=at].to_owned(),
        None => String::new(),
    }
}

/// How the list imports the reference site's file, when not by its path: the attribute path
/// before its name (`inputs.self.nixosModules` in `inputs.self.nixosModules.ledger`).
fn import_prefix(
    files: &BTreeMap<PathBuf, SourceFile>,
    host: &Host,
    site: &sites::Site,
    shape: &Shape,
) -> Option<String> {
    let list = match shape {
        Shape::FilePerSite { list_file, .. }
        | Shape::Split { list_file, .. }
        | Shape::OptionModule { list_file, .. } => list_file,
        Shape::Inline { .. } => return None,
    };
    let file = host.ev.relative(site.places.last()?.file);
    let stem = file.file_stem()?.to_string_lossy().into_owned();
    let text = &files.get(list)?.text;
    let by_path = super::scan::relative_nix_path(list.parent().unwrap_or(Path::new("")), &file);
    if text.contains(&by_path) {
        return None;
    }
    let pattern = format!(
        r"([A-Za-z_][A-Za-z0-9_'-]*(?:\.[A-Za-z_][A-Za-z0-9_'-]*)*)\.{}\b",
        regex::escape(&stem)
    );
    let found = regex::Regex::new(&pattern).ok()?.captures(text)?;
    Some(found.get(1)?.as_str().to_owned())
}

/// Where the host keeps its apps' sources: the folder holding the one the reference site's
/// file names by the site's name (`pkgs` for `callPackage ../pkgs/ledger { }`).
fn sources_of(
    files: &BTreeMap<PathBuf, SourceFile>,
    host: &Host,
    site: &sites::Site,
) -> Option<PathBuf> {
    let Upstream::Systemd(name) = &site.upstream else { return None };
    let file = host.ev.relative(site.places.last()?.file);
    let dir = file.parent().unwrap_or(Path::new(""));
    let nix = files.get(&file)?.parsed.as_ref().ok()?;
    nix.syntax().descendants().filter_map(ast::PathRel::cast).find_map(|p| {
        let path = super::scan::resolve(dir, &p.syntax().text().to_string())?;
        let named = path.file_name().is_some_and(|n| *n == **name);
        let folder = path.parent()?.to_owned();
        // Beside the site's own file is where new sources go anyway.
        (named && folder != dir && host.ev.root().join(&path).is_dir()).then_some(folder)
    })
}

/// The names a module of options gives the option that holds its app's domain.
const DOMAIN_OPTIONS: &[&str] =
    &["domain", "hostname", "hostName", "host", "fqdn", "serverName", "virtualHost"];

/// When `file` declares the options of one app (`options.kit.services.wiki = { enable; ...;
/// domain; }`), turned on in another file and naming `site`'s domain: the options' prefix, the
/// domain's option and the file that turns it on.
fn option_module(
    host: &Host,
    file: FileId,
    site: &sites::Site,
) -> Option<(Vec<String>, String, FileId)> {
    let (path, options) = app_options(host, file)?;
    let (_, prefix) = path.split_last()?;
    let domain = DOMAIN_OPTIONS.iter().find(|name| {
        options.get(name).is_some() && {
            let full: Vec<&str> = path.iter().map(String::as_str).chain([**name]).collect();
            host.config(&full).as_str() == Some(site.key.as_str())
        }
    })?;
    let enable: Vec<&str> = path.iter().map(String::as_str).chain(["enable"]).collect();
    let enable_file = host
        .definitions(&enable)
        .iter()
        .filter_map(|d| d.place)
        .map(|p| p.file)
        .find(|f| *f != file)?;
    Some((prefix.to_vec(), (*domain).to_owned(), enable_file))
}

/// The options of one app `file` declares, `options.kit.services.wiki = { enable; ... }`: their
/// path (`kit.services.wiki`) and the options themselves.
pub fn app_options(
    host: &Host,
    file: FileId,
) -> Option<(Vec<String>, std::rc::Rc<crate::eval::Attrs>)> {
    let module = host.modules.iter().find(|m| m.file == Some(file) && m.options.is_some())?;
    let mut path: Vec<String> = Vec::new();
    let mut options = match host.ev.force_plain(module.options.as_ref()?) {
        Value::Set(set) => set,
        _ => return None,
    };
    while options.get("enable").is_none() {
        let only = {
            let mut names = options.names();
            let (Some(only), None) = (names.next(), names.next()) else { return None };
            only.to_owned()
        };
        options = match host.ev.force_plain(options.get(&only)?) {
            Value::Set(set) => set,
            _ => return None,
        };
        path.push(only);
    }
    (!path.is_empty()).then_some((path, options))
}

/// How the site's port is written in its proxy: `${toString ports.notes}`, `${toString port}`,
/// `${toString config.my.ports.ledger}`.
fn port_store(
    root: &Path,
    files: &BTreeMap<PathBuf, SourceFile>,
    host: &Host,
    site: &sites::Site,
) -> Option<PortStore> {
    let target = site.target?;
    let file = host.ev.relative(target.file);
    let source = files.get(&file)?;
    let nix = source.parsed.as_ref().ok()?;
    let node = nix.syntax().covering_element(target.range);
    let node = match node {
        rowan::NodeOrToken::Node(n) => n,
        rowan::NodeOrToken::Token(t) => t.parent()?,
    };
    let interpolation = node.descendants().find_map(ast::Interpol::cast)?;
    let mut expr = interpolation.expr()?;
    // `toString x`, `builtins.toString x`.
    if let ast::Expr::Apply(apply) = &expr {
        if apply.lambda().is_some_and(|f| f.syntax().text().to_string().ends_with("toString")) {
            expr = apply.argument()?;
        }
    }
    // `port`, bound in a `let` of the file to where the port is kept (`config.my.ports.ledger`).
    if let ast::Expr::Ident(name) = &expr {
        let name = name.syntax().text().to_string();
        let bound = nix.syntax().descendants().filter_map(ast::LetIn::cast).find_map(|let_in| {
            use rnix::ast::HasEntry;
            let_in
                .attrpath_values()
                .find(|b| b.attrpath().is_some_and(|p| p.syntax().text() == name.as_str()))
        });
        if let Some(value) =
            bound.and_then(|b| b.value()).filter(|v| matches!(v, ast::Expr::Select(_)))
        {
            expr = value;
        }
    }
    let ast::Expr::Select(select) = expr else { return Some(PortStore::InSite) };
    let keys: Vec<String> =
        select.attrpath()?.attrs().map(|a| a.syntax().text().to_string()).collect();
    let base = select.expr()?.syntax().text().to_string();
    if base == "config" {
        // An option of the repository's, `config.my.ports.<name>`: set where most are.
        let path: Vec<String> = keys[..keys.len().checked_sub(1)?].to_vec();
        let refs: Vec<&str> = path.iter().map(String::as_str).collect();
        // A set of ports only (`my.ports = { ledger = 8101; wiki = 8102; }`), not the settings
        // of a service that hold its port among others (`services.vaultwarden.config`).
        // (Groups of ports inside it, `minio = { s3 = 9000; web = 9001; }`, are ports too.)
        let is_port = |v: &Value| matches!(v, Value::Int(p) if (1..=65535).contains(p));
        let only_ports = |value: &Value| match value {
            Value::Set(set) => {
                let values: Vec<Value> = set.iter().map(|(_, v)| host.ev.force_plain(v)).collect();
                values.iter().filter(|v| is_port(v)).count() >= 2
                    && values.iter().all(|v| match v {
                        Value::Set(group) => {
                            group.iter().all(|(_, p)| is_port(&host.ev.force_plain(p)))
                        }
                        other => is_port(other),
                    })
            }
            _ => false,
        };
        if !only_ports(&host.config(&refs)) {
            return Some(PortStore::InSite);
        }
        let definition = host
            .definitions(&refs)
            .into_iter()
            .filter_map(|d| {
                let count = match host.ev.force_plain(&d.value) {
                    Value::Set(s) => s.len(),
                    _ => 0,
                };
                Some((count, d.place?.file))
            })
            .max_by_key(|(count, _)| *count)?;
        return Some(PortStore::Option { file: host.ev.relative(definition.1), path });
    }
    if keys.len() != 1 {
        return Some(PortStore::InSite);
    }
    // `ports.notes`: `ports` bound in a `let` of this file, to a set or to a file of literals.
    let binding = nix.syntax().descendants().filter_map(ast::LetIn::cast).find_map(|let_in| {
        use rnix::ast::HasEntry;
        let_in
            .attrpath_values()
            .find(|b| b.attrpath().is_some_and(|p| p.syntax().text().to_string() == base))
    })?;
    match binding.value()? {
        ast::Expr::AttrSet(_) => Some(PortStore::Let { file, name: base }),
        ast::Expr::Apply(apply)
            if apply.lambda().is_some_and(|f| f.syntax().text() == "import") =>
        {
            let path = apply.argument()?.syntax().text().to_string();
            let dir = file.parent().unwrap_or(Path::new(""));
            let ports_file = super::scan::resolve(dir, &path)?;
            let ports_file = if root.join(&ports_file).is_dir() {
                ports_file.join("default.nix")
            } else {
                ports_file
            };
            Some(PortStore::File { file: ports_file, var: base })
        }
        _ => Some(PortStore::InSite),
    }
}

/// How the host's hand-written vhosts do TLS: a certificate they share, or each its own.
fn tls(host: &Host, sites: &[&sites::Site]) -> Tls {
    for site in sites {
        let cert = host.config(&["services", "nginx", "virtualHosts", &site.key, "useACMEHost"]);
        if let Value::Str(cert) = cert {
            let mut names = Vec::new();
            if let Value::Str(domain) = host.config(&["security", "acme", "certs", &cert, "domain"])
            {
                names.push(domain.to_string());
            } else {
                names.push(cert.to_string());
            }
            if let Value::List(extra) =
                host.config(&["security", "acme", "certs", &cert, "extraDomainNames"])
            {
                names.extend(
                    extra.iter().filter_map(|e| host.ev.force_plain(e).as_str().map(str::to_owned)),
                );
            }
            return Tls::Shared { cert: cert.to_string(), names };
        }
    }
    Tls::Acme
}
