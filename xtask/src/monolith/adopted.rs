//! `new-monolith` and `remove-monolith` on a host written by hand, in its own shape
//! ([`AdoptedLayout`]): a hardened systemd unit reading `PORT`, its own user, a database and
//! role by `ensure*` (peer authentication, no password), the vhost with TLS as the host's other
//! vhosts have it and `www.` redirected, and the port where the host keeps its ports.
//!
//! Everything it writes goes through the edit engine (`set_attr`, `add_list_element`) or is a
//! new file; `remove-monolith` takes back each piece with the engine's inverses, so adding and
//! removing restores the repository byte for byte.

use std::path::{Path, PathBuf};

use rnix::ast;
use rowan::ast::AstNode;

use super::names::role_name;
use super::new::{Added, NewMonolith};
use super::plan::{Plan, WorkflowError};
use super::{rebrand, template};
use crate::edit::{self, indent_unit, quote_key, quote_string, AttrPath};
use crate::repo::adopted::{AdoptedLayout, PortStore, Shape, Tls};
use crate::repo::scan::relative_nix_path;
use crate::repo::{attrpath, Kind, Monolith, Repo};

const VHOSTS: &[&str] = &["services", "nginx", "virtualHosts"];

/// How the new monolith's port is written where it is used.
struct PortRef {
    /// The expression: `port`, `ports.shop`, `config.my.ports.shop`, or the number.
    expr: String,
    /// A `let` binding the new file needs for it (`port = 8123;`, `ports = import ../ports.nix;`).
    binding: Option<String>,
    /// Whether the new file needs `config` among its arguments.
    config: bool,
}

pub fn plan_new(
    repo: &Repo,
    layout: &AdoptedLayout,
    new: &NewMonolith,
    plan: &mut Plan,
    added: &mut Added,
) -> Result<(), WorkflowError> {
    let (host, _) = repo.single_host().map_err(WorkflowError)?;
    let name = &new.name;
    refuse_other_web_servers(host)?;
    if let Some(existing) = host.definitions(&["systemd", "services", name]).first() {
        let place = existing.place.map(|p| crate::repo::place_of(host, p).to_string());
        return Err(WorkflowError(format!(
            "{}: the host has a systemd service `{name}` already",
            place.unwrap_or_default()
        )));
    }
    let port = added.port;
    let site_file = layout.site_file(name, &added.domain);
    let site_dir = match &site_file {
        Some(file) => file.parent().map(Path::to_owned).unwrap_or_default(),
        None => layout.shape.style_file().parent().map(Path::to_owned).unwrap_or_default(),
    };
    let style_text = plan.text(layout.shape.style_file()).unwrap_or_default();
    let unit = indent_unit(&style_text);
    // Formatted as the site it is modelled on is, else as the file it is added to.
    let model = layout.reference_file.as_deref().unwrap_or(layout.shape.style_file());
    let model_text = plan.text(model).unwrap_or_else(|| style_text.clone());
    let tight = Tight::of(&model_text);
    let per_line = repo.nix(model).is_some_and(edit::lists_one_per_line);

    if let Some(from) = &new.from {
        return copy_site(repo, layout, new, from, plan, added);
    }

    // Its source, from NMMM's template, where the host keeps its apps' sources, or beside the
    // file that runs it.
    let folder = layout.sources.as_deref().unwrap_or(&site_dir).join(name);
    let package = relative_nix_path(&site_dir, &folder);
    if repo.root.join(&folder).exists() {
        return Err(WorkflowError(format!("{}: the folder exists already", folder.display())));
    }
    for (path, text) in template::files(name) {
        plan.create(&folder.join(path), text)?;
    }
    let inline = site_file.is_none();
    let mut port_ref = port_ref(layout, name, port, site_file.as_deref(), plan, inline)?;
    // A module of options declares the port as its option, by default where the host keeps it.
    let mut port_default = None;
    if let Shape::OptionModule { .. } = &layout.shape {
        let default =
            if port_ref.expr == "port" { port.to_string() } else { port_ref.expr.clone() };
        port_default = Some(default);
        port_ref.expr = "cfg.port".into();
        if port_ref.binding.as_deref().is_some_and(|b| b.starts_with("port =")) {
            port_ref.binding = None;
        }
    }
    let domain = added.domain.clone();
    let role = role_name(name);
    let pieces = Pieces {
        name,
        package: &package,
        role: &role,
        domain: &domain,
        domain_ref: matches!(layout.shape, Shape::OptionModule { .. }).then_some("cfg.domain"),
        port: &port_ref,
        tls: &layout.tls,
        database: new.database,
        unit: &unit,
        tight,
        per_line,
    };

    match &layout.shape {
        Shape::FilePerSite { list_file, .. } | Shape::Split { list_file, .. } => {
            let file = site_file.expect("a file of its own");
            let vhosts_apart = matches!(layout.shape, Shape::Split { .. });
            plan.create(&file, pieces.file(layout, vhosts_apart))?;
            let import = layout.import_of(list_file, &file, name);
            plan.edit(list_file, |f| edit::add_list_element(f, attrpath(&["imports"]), &import))?;
            if let Shape::Split { vhosts_file, .. } = &layout.shape {
                for (key, value) in pieces.vhosts() {
                    let path = vhost_path(&key);
                    plan.edit(vhosts_file, |f| edit::set_attr(f, &path, &value))?;
                }
            }
        }
        Shape::OptionModule {
            list_file,
            prefix,
            domain: domain_option,
            enable_file,
            with_lib,
            ..
        } => {
            let file = site_file.expect("a file of its own");
            let options = OptionModule {
                prefix,
                domain: domain_option,
                with_lib: *with_lib,
                port_default: port_default.as_deref().unwrap_or_default(),
            };
            plan.create(&file, pieces.option_module(layout, &options))?;
            let import = layout.import_of(list_file, &file, name);
            plan.edit(list_file, |f| edit::add_list_element(f, attrpath(&["imports"]), &import))?;
            // Turned on where the host turns on its others.
            let path: Vec<String> = prefix.iter().cloned().chain([name.to_owned()]).collect();
            let on = pieces.set(&[
                "enable = true;".to_owned(),
                format!("{} = {};", quote_key(domain_option), quote_string(&domain)),
            ]);
            plan.edit(enable_file, |f| edit::set_attr(f, &path, &on))?;
        }
        Shape::Inline { file } => {
            let unit = AttrPath::from(attrpath(&["systemd", "services", name]));
            for (path, value) in pieces.bindings(layout) {
                plan.edit(file, |f| edit::set_attr_beside(f, &path, &value, Some(&unit)))?;
            }
            if new.database {
                super::database::ensure(plan, file, &role)?;
            }
        }
    }
    added.notes.push(format!(
        "its source is in {}/, from NMMM's template: put {name}'s own code there",
        folder.display()
    ));
    Ok(())
}

/// The port's reference, and the edit that keeps it where the host keeps its ports.
fn port_ref(
    layout: &AdoptedLayout,
    name: &str,
    port: u16,
    site_file: Option<&Path>,
    plan: &mut Plan,
    inline: bool,
) -> Result<PortRef, WorkflowError> {
    let key = quote_key(name);
    match &layout.ports {
        PortStore::Let { file, name: set }
            if inline && matches!(&layout.shape, Shape::Inline { file: f } if f == file) =>
        {
            let path = AttrPath::in_let(vec![set.clone(), name.to_owned()]);
            plan.edit(file, |f| edit::set_attr(f, path.clone(), &port.to_string()))?;
            Ok(PortRef { expr: format!("{set}.{key}"), binding: None, config: false })
        }
        PortStore::File { file, var } => {
            plan.edit(file, |f| edit::set_attr(f, vec![name.to_owned()], &port.to_string()))?;
            let binding = site_file.map(|site| {
                let dir = site.parent().unwrap_or(Path::new(""));
                format!("{var} = import {};", relative_nix_path(dir, file))
            });
            Ok(PortRef { expr: format!("{var}.{key}"), binding, config: false })
        }
        PortStore::Option { file, path } => {
            let full: Vec<String> = path.iter().cloned().chain([name.to_owned()]).collect();
            plan.edit(file, |f| edit::set_attr(f, &full, &port.to_string()))?;
            Ok(PortRef {
                expr: format!("config.{}.{key}", path.join(".")),
                binding: None,
                config: true,
            })
        }
        // Where the vhost is in another file, a `let` of the site's would not reach it: the
        // number on both sides, as the host writes it.
        _ if site_file.is_some() && !matches!(layout.shape, Shape::Split { .. }) => Ok(PortRef {
            expr: "port".into(),
            binding: Some(format!("port = {port};")),
            config: false,
        }),
        _ => Ok(PortRef { expr: port.to_string(), binding: None, config: false }),
    }
}

/// The comment on a server turned on for monolith `name` alone, inline in a file of the host's.
fn enabled_for(name: &str) -> String {
    format!("# for {name}, by cargo xtask new-monolith")
}

/// A monolith's site is an nginx vhost: a host that turns nginx off, or serves its sites with
/// another web server on 80 and 443, gets none, and is told why.
fn refuse_other_web_servers(host: &crate::host::Host) -> Result<(), WorkflowError> {
    let place_of = |path: &[&str]| {
        host.definitions(path)
            .first()
            .and_then(|d| d.place)
            .map(|p| format!("{}: ", crate::repo::place_of(host, p)))
            .unwrap_or_default()
    };
    if host.config(&["services", "nginx", "enable"]).as_bool() == Some(false)
        && !host.definitions(&["services", "nginx", "enable"]).is_empty()
    {
        return Err(WorkflowError(format!(
            "{}the host turns nginx off: a monolith's site is an nginx virtual host; add it by hand \
             to the web server the host uses",
            place_of(&["services", "nginx", "enable"])
        )));
    }
    for server in ["caddy", "traefik", "httpd"] {
        if host.config(&["services", server, "enable"]).as_bool() == Some(true) {
            return Err(WorkflowError(format!(
                "{}the host serves its sites with {server}: a monolith's site is an nginx virtual \
                 host, and nginx cannot take 80 and 443 beside it; add it by hand to {server}",
                place_of(&["services", server, "enable"])
            )));
        }
    }
    Ok(())
}

/// `text` indented by `unit`, its empty lines left empty.
fn indent(text: &str, unit: &str) -> String {
    text.split('\n')
        .map(|line| if line.is_empty() { String::new() } else { format!("{unit}{line}") })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The path of a vhost: `services.nginx.virtualHosts."shop.example.com"`.
fn vhost_path(key: &str) -> Vec<String> {
    VHOSTS.iter().map(|s| (*s).to_owned()).chain([key.to_owned()]).collect()
}

/// How a new module of options is written: the host's prefix and domain option, its `lib`.
struct OptionModule<'a> {
    prefix: &'a [String],
    domain: &'a str,
    with_lib: bool,
    /// The port option's default: a number, or where the host keeps ports (`ports.shop`).
    port_default: &'a str,
}

/// The pieces of a new monolith, as Nix text indented by `unit`.
struct Pieces<'a> {
    name: &'a str,
    /// Its source's folder, as the file that runs it names it (`./shop`, `../pkgs/shop`).
    package: &'a str,
    role: &'a str,
    domain: &'a str,
    /// The domain as an expression, where the file takes it from an option (`cfg.domain`).
    domain_ref: Option<&'a str>,
    port: &'a PortRef,
    tls: &'a Tls,
    database: bool,
    unit: &'a str,
    tight: Tight,
    /// Whether lists of several names go one a line (nixfmt's way).
    per_line: bool,
}

/// How the host's Nix is formatted: nixpkgs-fmt's `[ a b ]`, `{ }` and `{ pkgs, ... }:`, or
/// alejandra's `[a b]`, `{}`, `{pkgs, ...}: {` and `in {`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tight {
    No,
    Yes,
}

impl Tight {
    /// Read off `text`: which way most of its lists and empty sets are written.
    fn of(text: &str) -> Tight {
        let mut tight = text.matches("{}").count() as isize - text.matches("{ }").count() as isize;
        let bytes = text.as_bytes();
        for (at, _) in text.match_indices('[') {
            match bytes.get(at + 1) {
                Some(b' ' | b'\n' | b'\r' | b'\t' | b']') | None => tight -= 1,
                Some(_) => tight += 1,
            }
        }
        if text.contains("}: {") || text.contains("}: let") || text.contains("\nin {") {
            tight += 2;
        }
        if tight > 0 {
            Tight::Yes
        } else {
            Tight::No
        }
    }
}

impl Pieces<'_> {
    fn empty(&self) -> &'static str {
        match self.tight {
            Tight::Yes => "{}",
            Tight::No => "{ }",
        }
    }

    /// A list literal of `items`: on one line, or one a line as the host writes them.
    fn list(&self, items: &[&str]) -> String {
        if self.per_line && items.len() > 1 {
            let lines: String = items.iter().map(|i| format!("{}{i}\n", self.unit)).collect();
            return format!("[\n{lines}]");
        }
        match self.tight {
            Tight::Yes => format!("[{}]", items.join(" ")),
            Tight::No => format!("[ {} ]", items.join(" ")),
        }
    }

    /// A file's head: its arguments, the `with` and `let` bindings before its set, and the
    /// set's opening brace.
    fn head(&self, formals: &[&str], with: Option<&str>, bindings: &[String]) -> String {
        let u = self.unit;
        let mut out = match self.tight {
            Tight::Yes if formals.len() <= 2 => format!("{{{}}}:", formals.join(", ")),
            // One a line, each with its comma but `...`.
            Tight::Yes => format!(
                "{{\n{}}}:",
                formals
                    .iter()
                    .map(|f| if *f == "..." { format!("{u}{f}\n") } else { format!("{u}{f},\n") })
                    .collect::<String>()
            ),
            Tight::No => format!("{{ {} }}:", formals.join(", ")),
        };
        let lets: String = bindings.iter().map(|b| format!("{u}{b}\n")).collect();
        match self.tight {
            Tight::Yes => {
                if let Some(with) = with {
                    out.push_str(&format!("\nwith {with};"));
                }
                if bindings.is_empty() {
                    out.push_str(" {\n");
                } else {
                    out.push_str(&format!(" let\n{lets}in {{\n"));
                }
            }
            Tight::No => {
                let apart = if with.is_some() { "\n" } else { "" };
                out.push('\n');
                if let Some(with) = with {
                    out.push_str(&format!("\nwith {with};\n"));
                }
                if !bindings.is_empty() {
                    out.push_str(&format!("{apart}let\n{lets}in\n"));
                }
                out.push_str("{\n");
            }
        }
        out
    }

    /// A set literal of `lines`, one binding a line.
    fn set(&self, lines: &[String]) -> String {
        let body: String = lines.iter().map(|l| format!("{}\n", indent(l, self.unit))).collect();
        format!("{{\n{body}}}")
    }

    fn port_string(&self) -> String {
        match self.port.expr.parse::<u16>() {
            Ok(n) => quote_string(&n.to_string()),
            Err(_) => format!("toString {}", self.port.expr),
        }
    }

    fn service(&self) -> String {
        let mut environment = vec![format!("PORT = {};", self.port_string())];
        let mut after = vec!["\"network.target\""];
        if self.database {
            environment.push(format!(
                "DATABASE_URL = {};",
                quote_string(&format!("postgresql:///{}?host=/run/postgresql", self.role))
            ));
            after.push("\"postgresql.service\"");
        }
        let hardening = [
            "ProtectSystem = \"strict\";",
            "ProtectHome = true;",
            "PrivateTmp = true;",
            "PrivateDevices = true;",
            "NoNewPrivileges = true;",
            "CapabilityBoundingSet = \"\";",
            &format!(
                "RestrictAddressFamilies = {};",
                self.list(&["\"AF_INET\"", "\"AF_INET6\"", "\"AF_UNIX\""])
            ),
            "RestrictNamespaces = true;",
            "RestrictRealtime = true;",
            "RestrictSUIDSGID = true;",
            "LockPersonality = true;",
            "ProtectClock = true;",
            "ProtectControlGroups = true;",
            "ProtectHostname = true;",
            "ProtectKernelLogs = true;",
            "ProtectKernelModules = true;",
            "ProtectKernelTunables = true;",
            "ProtectProc = \"invisible\";",
            "RemoveIPC = true;",
            "SystemCallArchitectures = \"native\";",
            &format!(
                "SystemCallFilter = {};",
                self.list(&["\"@system-service\"", "\"~@privileged\""])
            ),
        ];
        let mut service_config = vec![
            format!(
                "ExecStart = \"${{pkgs.callPackage {} {}}}/bin/{}\";",
                self.package,
                self.empty(),
                self.name
            ),
            format!("User = {};", quote_string(self.role)),
            format!("Group = {};", quote_string(self.role)),
            "Restart = \"on-failure\";".to_owned(),
            format!("StateDirectory = {};", quote_string(self.name)),
            "StateDirectoryMode = \"0750\";".to_owned(),
            "UMask = \"0027\";".to_owned(),
        ];
        service_config.extend(hardening.iter().map(|l| (*l).to_owned()));
        let description = match self.domain_ref {
            // A monolith's name is letters, digits and dashes: nothing to escape.
            Some(domain) => format!("\"{} (${{{domain}}})\"", self.name),
            None => quote_string(&format!("{} ({})", self.name, self.domain)),
        };
        let mut lines = vec![
            format!("description = {description};"),
            format!("wantedBy = {};", self.list(&["\"multi-user.target\""])),
            format!("after = {};", self.list(&after)),
        ];
        if self.database {
            lines.push(format!("requires = {};", self.list(&["\"postgresql.service\""])));
        }
        lines.push(format!("environment = {};", self.set(&environment)));
        lines.push(format!("serviceConfig = {};", self.set(&service_config)));
        self.set(&lines)
    }

    fn tls_lines(&self, domain: &str) -> Vec<String> {
        match self.tls {
            Tls::Shared { cert, .. } if self.tls.covers(domain) => {
                vec!["forceSSL = true;".into(), format!("useACMEHost = {};", quote_string(cert))]
            }
            _ => vec!["forceSSL = true;".into(), "enableACME = true;".into()],
        }
    }

    /// The vhost and its `www.` redirect, by key.
    fn vhosts(&self) -> Vec<(String, String)> {
        // A string with the port's reference interpolated: written, not quoted.
        let target = match self.port.expr.parse::<u16>() {
            Ok(n) => quote_string(&format!("http://127.0.0.1:{n}")),
            Err(_) => format!("\"http://127.0.0.1:${{toString {}}}\"", self.port.expr),
        };
        let location =
            self.set(&[format!("proxyPass = {target};"), "proxyWebsockets = true;".into()]);
        let mut main = self.tls_lines(self.domain);
        main.push(format!("locations.\"/\" = {location};"));
        let www = format!("www.{}", self.domain);
        let mut redirect = self.tls_lines(&www);
        let to = self.domain_ref.map_or_else(|| quote_string(self.domain), str::to_owned);
        redirect.push(format!("globalRedirect = {to};"));
        vec![(self.domain.to_owned(), self.set(&main)), (www, self.set(&redirect))]
    }

    /// The keys of the vhosts as written: `"shop.example.com"`, or `${cfg.domain}` where the
    /// domain is an option.
    fn vhost_keys(&self) -> [String; 2] {
        match self.domain_ref {
            Some(domain) => [format!("${{{domain}}}"), format!("\"www.${{{domain}}}\"")],
            None => [quote_string(self.domain), quote_string(&format!("www.{}", self.domain))],
        }
    }

    fn user(&self) -> String {
        self.set(&["isSystemUser = true;".into(), format!("group = {};", quote_string(self.role))])
    }

    /// The bindings, by path, for a file that holds sites inline.
    fn bindings(&self, layout: &AdoptedLayout) -> Vec<(Vec<String>, String)> {
        // The unit first: its user and group go beside it where the file has no users yet.
        let mut all = vec![
            (attrpath(&["systemd", "services", self.name]), self.service()),
            (attrpath(&["users", "users", self.role]), self.user()),
            (attrpath(&["users", "groups", self.role]), self.empty().to_owned()),
        ];
        // Turned on for this monolith: said so, for `remove-monolith` to turn it off again.
        if self.database && !layout.postgresql {
            all.push((
                attrpath(&["services", "postgresql", "enable"]),
                format!("true {}", enabled_for(self.name)),
            ));
        }
        if !layout.nginx {
            all.push((
                attrpath(&["services", "nginx", "enable"]),
                format!("true {}", enabled_for(self.name)),
            ));
        }
        for (key, value) in self.vhosts() {
            all.push((vhost_path(&key), value));
        }
        all
    }

    /// A file of its own: the unit, its user, its database, and (unless the host keeps vhosts
    /// apart) its vhosts.
    fn file(&self, layout: &AdoptedLayout, vhosts_apart: bool) -> String {
        let mut out = format!(
            "# {} ({}): added by `cargo xtask new-monolith`; its source is in {}.\n",
            self.name, self.domain, self.package
        );
        let formals: &[&str] =
            if self.port.config { &["config", "pkgs", "..."] } else { &["pkgs", "..."] };
        let bindings: Vec<String> = self.port.binding.iter().cloned().collect();
        out.push_str(&self.head(formals, None, &bindings));
        out.push_str(&format!("{}\n", self.body(layout, vhosts_apart)));
        out
    }

    /// The set a file of its own holds: the unit, its user, its database, and (unless the host
    /// keeps vhosts apart) its vhosts.
    fn body(&self, layout: &AdoptedLayout, vhosts_apart: bool) -> String {
        let u = self.unit;
        let mut blocks = vec![
            format!("users.users.{} = {};", quote_key(self.role), self.user()),
            format!("users.groups.{} = {};", quote_key(self.role), self.empty()),
            format!("systemd.services.{} = {};", quote_key(self.name), self.service()),
        ];
        if self.database {
            let role = quote_string(self.role);
            let mut postgres = Vec::new();
            if !layout.postgresql {
                postgres.push("enable = true;".to_owned());
            }
            postgres.push(format!("ensureDatabases = {};", self.list(&[&role])));
            postgres.push(format!(
                "ensureUsers = [\n{u}{}\n];",
                self.set(&[format!("name = {role};"), "ensureDBOwnership = true;".into()])
                    .replace('\n', &format!("\n{u}"))
            ));
            blocks.push(format!("services.postgresql = {};", self.set(&postgres)));
        }
        if !vhosts_apart {
            if !layout.nginx {
                blocks.push("services.nginx.enable = true;".to_owned());
            }
            for ((_, value), key) in self.vhosts().into_iter().zip(self.vhost_keys()) {
                blocks.push(format!("services.nginx.virtualHosts.{key} = {value};"));
            }
        }
        let body: Vec<String> = blocks.iter().map(|b| indent(b, u)).collect();
        format!("{}\n}}", body.join("\n\n"))
    }

    /// A module of options of its own, as the host writes its apps: `enable`, `port` and the
    /// domain as options, the rest under `config = mkIf cfg.enable`.
    fn option_module(&self, layout: &AdoptedLayout, options: &OptionModule) -> String {
        let u = self.unit;
        let lib = if options.with_lib { "" } else { "lib." };
        let path: Vec<String> =
            options.prefix.iter().map(|k| quote_key(k)).chain([quote_key(self.name)]).collect();
        let path = path.join(".");
        let mut out = format!(
            "# {} ({}): added by `cargo xtask new-monolith`; its source is in {}.\n",
            self.name, self.domain, self.package
        );
        let mut bindings = vec![format!("cfg = config.{path};")];
        bindings.extend(self.port.binding.clone());
        out.push_str(&self.head(
            &["config", "lib", "pkgs", "..."],
            options.with_lib.then_some("lib"),
            &bindings,
        ));
        let declared = self.set(&[
            format!("enable = {lib}mkEnableOption {};", quote_string(self.name)),
            format!(
                "port = {lib}mkOption {};",
                self.set(&[
                    format!("type = {lib}types.port;"),
                    format!("default = {};", options.port_default)
                ])
            ),
            format!("{} = {lib}mkOption {{ type = {lib}types.str; }};", quote_key(options.domain)),
        ]);
        let config = format!("{lib}mkIf cfg.enable {{\n{}", self.body(layout, false));
        let blocks = [format!("options.{path} = {declared};"), format!("config = {config};")];
        let body: Vec<String> = blocks.iter().map(|b| indent(b, u)).collect();
        out.push_str(&format!("{}\n}}\n", body.join("\n\n")));
        out
    }
}

/// `--from SITE`: a copy of a hand-written monolith that has a file of its own, with every name,
/// domain and port rebranded.
fn copy_site(
    repo: &Repo,
    layout: &AdoptedLayout,
    new: &NewMonolith,
    from: &str,
    plan: &mut Plan,
    added: &mut Added,
) -> Result<(), WorkflowError> {
    let source = find_site(repo, from)?;
    if source.kind != Kind::Monolith {
        return Err(WorkflowError(format!(
            "{}: `{from}` is served by {}, not by a monolith of the repository's own: it is not \
             copied; leave out --from to start from NMMM's template",
            source.place, source.upstream
        )));
    }
    let list_file = match &layout.shape {
        Shape::FilePerSite { list_file, .. } | Shape::Split { list_file, .. } => list_file,
        Shape::OptionModule { .. } => {
            return Err(WorkflowError(format!(
                "{}: the host's apps are modules of options, turned on elsewhere; --from copies a \
                 site that is a file of its own. Leave out --from to add `{}` as a module like \
                 the others",
                layout.shape.style_file().display(),
                new.name
            )))
        }
        Shape::Inline { file } => {
            return Err(WorkflowError(format!(
                "{}: the host writes its sites inline; --from copies a site that has a file of its \
                 own. Leave out --from to add `{}` beside the others",
                file.display(),
                new.name
            )))
        }
    };
    let file = source
        .files
        .iter()
        .find(|f| f.extension().is_some_and(|e| e == "nix"))
        .cloned()
        .ok_or_else(|| {
            WorkflowError(format!("{}: `{from}` has no file of its own to copy", source.place))
        })?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some(domain) = &source.domain {
        pairs.push((domain.clone(), added.domain.clone()));
    }
    let mut text = rebrand(&plan.text(&file).unwrap_or_default(), &pairs, from, &new.name);
    if let Some(old) = source.port {
        text = super::new::replace_number(&text, old, added.port);
    }
    let target =
        layout.site_file(&new.name, &added.domain).expect("a shape with files of their own");
    // The site's own source, where its file names it by its name (`../pkgs/notes`): copied and
    // renamed with it, so that the copy builds.
    let source_dir = file.parent().unwrap_or(Path::new(""));
    let own = own_paths(repo.nix(&file), source_dir, from);
    for folder in own.into_iter().filter(|f| repo.root.join(f).exists()) {
        let renamed: PathBuf =
            folder.iter().map(|part| if part == from { new.name.as_ref() } else { part }).collect();
        if repo.root.join(&renamed).exists() {
            return Err(WorkflowError(format!(
                "{}: exists already; the copy of {} would go there",
                renamed.display(),
                folder.display()
            )));
        }
        if repo.root.join(&folder).is_dir() {
            for (path, text) in super::new::copy_folder(&repo.root.join(&folder), from, &new.name)?
            {
                plan.create(&renamed.join(path), text)?;
            }
        } else {
            let text = std::fs::read_to_string(repo.root.join(&folder))
                .map_err(|e| WorkflowError(format!("{}: cannot copy: {e}", folder.display())))?;
            plan.create(
                &renamed,
                super::template::rename(&renamed.to_string_lossy(), &text, from, &new.name),
            )?;
        }
        added.notes.push(format!("{} is a copy of {}", renamed.display(), folder.display()));
    }
    plan.create(&target, text)?;
    let import = layout.import_of(list_file, &target, &new.name);
    plan.edit(list_file, |f| edit::add_list_element(f, attrpath(&["imports"]), &import))?;
    added.notes.push(format!(
        "{} is a copy of {}: point its package at {}'s own code",
        target.display(),
        file.display(),
        new.name
    ));
    Ok(())
}

/// The paths a site's file writes that name the site (`../pkgs/notes`, `./notes`) and exist,
/// relative to the repository's root: its own source.
fn own_paths(file: Option<&edit::NixFile>, dir: &Path, name: &str) -> Vec<PathBuf> {
    let Some(file) = file else { return Vec::new() };
    let mut paths: Vec<PathBuf> = file
        .syntax()
        .descendants()
        .filter_map(ast::PathRel::cast)
        .filter_map(|p| {
            let written = p.syntax().text().to_string();
            let path = crate::repo::scan::resolve(dir, &written)?;
            path.iter().any(|part| part == name).then_some(path)
        })
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

fn find_site<'r>(repo: &'r Repo, name: &str) -> Result<&'r Monolith, WorkflowError> {
    repo.inventory.monoliths.iter().find(|m| m.name == name).ok_or_else(|| {
        let known: Vec<&str> = repo.inventory.monoliths.iter().map(|m| m.name.as_str()).collect();
        WorkflowError(format!("no site `{name}` here; there are: {}", known.join(", ")))
    })
}

/// Takes back what `plan_new` added for `monolith`: its file and import (or its bindings), its
/// port, its source folder.
pub fn plan_remove(
    repo: &Repo,
    layout: &AdoptedLayout,
    monolith: &Monolith,
    plan: &mut Plan,
) -> Result<Vec<String>, WorkflowError> {
    let (host, _) = repo.single_host().map_err(WorkflowError)?;
    if monolith.kind != Kind::Monolith {
        return Err(WorkflowError(format!(
            "{}: `{}` is served by {}, not a monolith: remove it by hand",
            monolith.place, monolith.name, monolith.upstream
        )));
    }
    let name = &monolith.name;
    let role = role_name(name);
    let file_of = |path: &[&str]| -> Option<PathBuf> {
        host.definitions(path).first().and_then(|d| d.place).map(|p| host.ev.relative(p.file))
    };
    let unit_file = file_of(&["systemd", "services", name])
        .ok_or_else(|| WorkflowError(format!("{}: no unit `{name}`", monolith.place)))?;
    // A file of its own: imported from a list, holding this site alone.
    let own_file = host
        .imported
        .iter()
        .find(|(f, _)| host.ev.relative(*f) == unit_file)
        .and_then(|(_, by)| *by)
        .map(|by| host.ev.relative(by))
        .filter(|_| {
            repo.inventory.monoliths.iter().filter(|m| m.files.contains(&unit_file)).count() == 1
        });
    let dir = unit_file.parent().map(Path::to_owned).unwrap_or_default();
    match &own_file {
        Some(list_file) => {
            // By its path, or as the host imports its apps (`inputs.self.nixosModules.shop`).
            let list_dir = list_file.parent().unwrap_or(Path::new(""));
            let by_path = relative_nix_path(list_dir, &unit_file);
            let by_style = layout.import_of(list_file, &unit_file, name);
            let listed = |import: &str| {
                repo.nix(list_file).is_some_and(|f| {
                    edit::remove_list_element(f, attrpath(&["imports"]), import)
                        .is_ok_and(|change| !change.is_noop())
                })
            };
            let import = if listed(&by_path) { by_path } else { by_style };
            plan.edit(list_file, |f| {
                edit::remove_list_element(f, attrpath(&["imports"]), &import)
            })?;
            plan.delete(&unit_file);
            if let Shape::Split { .. } = &layout.shape {
                remove_vhosts(host, monolith, plan)?;
            }
            // A module of options: what turns it on goes with it.
            let unit_id =
                host.imported.iter().map(|(f, _)| *f).find(|f| host.ev.relative(*f) == unit_file);
            if let Some((path, _)) =
                unit_id.and_then(|id| crate::repo::adopted::app_options(host, id))
            {
                let refs: Vec<&str> = path.iter().map(String::as_str).collect();
                let mut files: Vec<PathBuf> = host
                    .definitions(&refs)
                    .iter()
                    .filter_map(|d| d.place)
                    .map(|p| host.ev.relative(p.file))
                    .filter(|f| *f != unit_file)
                    .collect();
                files.dedup();
                for file in files {
                    plan.edit(&file, |f| edit::remove_attr_and_emptied_parents(f, &path))?;
                }
            }
        }
        None => {
            let mut paths: Vec<Vec<String>> = vec![
                attrpath(&["systemd", "services", name]),
                attrpath(&["users", "users", &role]),
                attrpath(&["users", "groups", &role]),
            ];
            paths.retain(|p| {
                let refs: Vec<&str> = p.iter().map(String::as_str).collect();
                !host.definitions(&refs).is_empty()
            });
            for path in paths {
                let refs: Vec<&str> = path.iter().map(String::as_str).collect();
                if let Some(file) = file_of(&refs) {
                    plan.edit(&file, |f| edit::remove_attr_and_emptied_parents(f, &path))?;
                }
            }
            remove_vhosts(host, monolith, plan)?;
            // A server turned on for this monolith, when nothing else needs it now.
            let alone = |database: bool| {
                !repo.inventory.monoliths.iter().any(|m| {
                    m.name != monolith.name
                        && m.host == monolith.host
                        && (!database || m.database.is_some())
                })
            };
            for (server, database) in [("postgresql", true), ("nginx", false)] {
                let path = attrpath(&["services", server, "enable"]);
                let refs: Vec<&str> = path.iter().map(String::as_str).collect();
                let definitions = host.definitions(&refs);
                let [only] = definitions.as_slice() else { continue };
                let Some(place) = only.place else { continue };
                let file = host.ev.relative(place.file);
                let text = repo.files.get(&file).map(|f| f.text.as_str()).unwrap_or_default();
                let start = usize::from(place.range.start());
                let line = text[start..].lines().next().unwrap_or_default();
                if line.ends_with(&enabled_for(name)) && alone(database) {
                    plan.edit(&file, |f| edit::remove_attr_and_emptied_parents(f, &path))?;
                }
            }
            let databases = file_of(&["services", "postgresql", "ensureDatabases"]);
            let users = file_of(&["services", "postgresql", "ensureUsers"]);
            super::database::unensure(plan, &role, databases.as_deref(), users.as_deref())?;
        }
    }
    // Its port, where the host keeps ports.
    match &layout.ports {
        PortStore::Let { file, name: set } if own_file.is_none() => {
            let path = AttrPath::in_let(vec![set.clone(), name.to_owned()]);
            plan.edit(file, |f| edit::remove_attr_and_emptied_parents(f, path.clone()))?;
        }
        PortStore::File { file, .. }
            if repo
                .nix(file)
                .is_some_and(|f| edit::get_value(f, vec![name.to_owned()]).is_ok()) =>
        {
            plan.edit(file, |f| edit::remove_attr_and_emptied_parents(f, vec![name.to_owned()]))?;
        }
        PortStore::Option { file, path } => {
            let full: Vec<String> = path.iter().cloned().chain([name.to_owned()]).collect();
            if repo.nix(file).is_some_and(|f| edit::get_value(f, &full).is_ok()) {
                plan.edit(file, |f| edit::remove_attr_and_emptied_parents(f, &full))?;
            }
        }
        _ => {}
    }
    // Its own source: what its unit's file names by its name (`./shop`, `../pkgs/shop`) and no
    // other file of the host uses.
    let dir_of = |file: &Path| file.parent().map(Path::to_owned).unwrap_or_default();
    let others: Vec<PathBuf> = repo
        .host_files()
        .into_iter()
        .filter(|f| *f != unit_file)
        .flat_map(|f| own_paths(repo.nix(&f), &dir_of(&f), name))
        .collect();
    for source in own_paths(repo.nix(&unit_file), &dir, name) {
        if others.contains(&source) || !repo.root.join(&source).exists() {
            continue;
        }
        for entry in
            walkdir::WalkDir::new(repo.root.join(&source)).into_iter().filter_map(Result::ok)
        {
            if entry.file_type().is_file() {
                plan.delete(entry.path().strip_prefix(&repo.root).unwrap_or(entry.path()));
            }
        }
    }
    let mut notes = Vec::new();
    if let Some(database) = &monolith.database {
        notes.push(format!(
            "the database and role `{database}` stay on the server: drop them there when their data can go"
        ));
    }
    Ok(notes)
}

/// Removes the site's vhost and its `www.` redirect.
fn remove_vhosts(
    host: &crate::host::Host,
    monolith: &Monolith,
    plan: &mut Plan,
) -> Result<(), WorkflowError> {
    let Some(domain) = &monolith.domain else { return Ok(()) };
    for key in [domain.clone(), format!("www.{domain}")] {
        let path = vhost_path(&key);
        let refs: Vec<&str> = path.iter().map(String::as_str).collect();
        let Some(file) =
            host.definitions(&refs).first().and_then(|d| d.place).map(|p| host.ev.relative(p.file))
        else {
            continue;
        };
        plan.edit(&file, |f| edit::remove_attr_and_emptied_parents(f, &path))?;
    }
    Ok(())
}
