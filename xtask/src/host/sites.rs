//! The web sites of a host: nginx virtual hosts with a location that proxies to a TCP port (or
//! a unix socket) of the host itself, and what serves each: a systemd unit of the repository's
//! own (what NMMM calls a monolith), a NixOS module's service, a container, an NMMM monolith.
//!
//! ```nix
//! services.nginx.virtualHosts."notes.example.org" = {        # a site: notes.example.org, /
//!   locations."/".proxyPass = "http://127.0.0.1:${toString port}";   #   port 8081, from `let`
//!   locations."/oauth2/auth".extraConfig = "internal; ...";   # not a site: an auth sub-request
//! };
//! systemd.services.notes.environment.PORT = toString port;    # its upstream: systemd:notes
//! ```
//! Not every loopback proxy is a site: auth sub-requests (`internal;`, `/oauth2/`,
//! `/authelia`), `/metrics`, and proxies to other machines are left out, each said why. What
//! cannot be read is kept with `None` and the place that could not be followed.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::default_ports::DEFAULT_PORTS;
use super::Host;
use crate::eval::{Attrs, Place, Thunk, Value};

/// What serves a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upstream {
    /// A `systemd.services.<name>` of the repository's own.
    Systemd(String),
    /// A NixOS module's service, as `services.<name>`.
    Module(String),
    /// A `virtualisation.oci-containers.containers.<name>`.
    Container(String),
    Unknown,
}

impl std::fmt::Display for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Upstream::Systemd(n) => write!(f, "systemd:{n}"),
            Upstream::Module(n) => write!(f, "module:{n}"),
            Upstream::Container(n) => write!(f, "container:{n}"),
            Upstream::Unknown => f.write_str("unknown"),
        }
    }
}

/// Who wrote a site: NMMM's module, from an `nmmm.monoliths` entry, or the repository by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Nmmm,
    HandWritten,
}

/// One site: a domain and a location, proxied to a service of the host.
#[derive(Debug, Clone)]
pub struct Site {
    pub kind: Kind,
    /// The key under `services.nginx.virtualHosts` (or the monolith's name).
    pub key: String,
    pub domain: Option<String>,
    pub aliases: Vec<String>,
    /// The location: `/`, or the sub-path it is mounted on.
    pub path: String,
    pub port: Option<u16>,
    /// The unix socket it is proxied to, instead of a port.
    pub socket: Option<String>,
    pub upstream: Upstream,
    pub database: Option<String>,
    /// Where the site is defined: its vhost's definitions, then its service's.
    pub places: Vec<Place>,
    /// Where its location's proxy is written (`locations."/".proxyPass = ...`).
    pub target: Option<Place>,
    /// What could not be read, and where.
    pub unresolved: Vec<(String, Option<Place>)>,
}

/// Something that looks like a site and is not one, and why.
#[derive(Debug, Clone)]
pub struct NotSite {
    pub what: String,
    pub why: String,
    pub place: Option<Place>,
}

/// A TCP port the host uses, and what uses it.
#[derive(Debug, Clone)]
pub struct UsedPort {
    pub port: u16,
    pub by: String,
    pub upstream: Upstream,
    pub place: Option<Place>,
}

#[derive(Debug, Default)]
pub struct Sites {
    pub sites: Vec<Site>,
    pub not_sites: Vec<NotSite>,
    pub ports: Vec<UsedPort>,
}

/// Reads the host's sites, the ports it uses, and what looks like a site and is not.
pub fn read(host: &Host) -> Sites {
    let mut out = Sites::default();
    used_ports(host, &mut out);
    nmmm_monoliths(host, &mut out);
    vhosts(host, &mut out);
    module_vhosts(host, &mut out);
    for site in &mut out.sites {
        if site.upstream == Upstream::Unknown {
            let used = site.port.and_then(|p| {
                // A unit or module before what merely opens the port; of two that take it, the
                // one named like the site.
                let users: Vec<&UsedPort> = out.ports.iter().filter(|u| u.port == p).collect();
                let domain = site.domain.as_deref().unwrap_or(&site.key);
                let label = domain.split('.').next().unwrap_or("");
                let named = |u: &&&UsedPort| match &u.upstream {
                    Upstream::Systemd(n) | Upstream::Container(n) => {
                        n == label || site.key.contains(n.as_str())
                    }
                    Upstream::Module(n) => n.rsplit('.').next() == Some(label),
                    Upstream::Unknown => false,
                };
                users
                    .iter()
                    .find(named)
                    .or_else(|| users.iter().find(|u| u.upstream != Upstream::Unknown))
                    .or_else(|| users.first())
                    .copied()
            });
            if let Some(used) = used {
                site.upstream = used.upstream.clone();
                site.places.extend(used.place);
            } else if let Some(unit) = site.socket.as_deref().and_then(|s| socket_unit(host, s)) {
                site.places.extend(
                    host.definitions(&["systemd", "services", &unit]).first().and_then(|d| d.place),
                );
                site.upstream = Upstream::Systemd(unit);
            } else if let Some(service) =
                site.socket.as_deref().and_then(|s| socket_service(host, s))
            {
                site.upstream = service;
            }
        }
        if site.database.is_none() {
            site.database = database(host, &site.upstream);
        }
    }
    merge_locations(&mut out.sites);
    out.ports.sort_by_key(|p| p.port);
    out
}

fn set(value: Value) -> Option<Rc<Attrs>> {
    match value {
        Value::Set(s) => Some(s),
        _ => None,
    }
}

fn string(host: &Host, value: Option<&Thunk>) -> Option<String> {
    match host.ev.coerce_to_string(host.ev.force_plain(value?), true) {
        Value::Str(s) => Some(s.to_string()),
        _ => None,
    }
}

/// A port from a value: a number, or a string holding one (`"3001"`, `"127.0.0.1:8080"`).
fn port_of(value: &Value) -> Option<u16> {
    match value {
        Value::Int(i) => u16::try_from(*i).ok(),
        Value::Str(s) => {
            let digits = s.rsplit(':').next().unwrap_or(s).trim();
            digits.parse().ok()
        }
        _ => None,
    }
}

fn used_ports(host: &Host, out: &mut Sites) {
    let mut add = |port: u16, by: String, upstream: Upstream, place: Option<Place>| {
        out.ports.push(UsedPort { port, by, upstream, place });
    };
    // The repository's own units: `PORT` and addresses in their environment, ports in their
    // command lines.
    if let Some(services) = set(host.config(&["systemd", "services"])) {
        for (name, service) in services.iter() {
            let Some(service) = set(host.ev.force_plain(service)) else { continue };
            let place = services.place(name);
            let upstream = Upstream::Systemd(name.to_owned());
            let mut ports = Vec::new();
            if let Some(env) = service.get("environment").and_then(|e| set(host.ev.force_plain(e)))
            {
                for (key, value) in env.iter() {
                    let value = host.ev.force_plain(value);
                    let key = key.to_uppercase();
                    if key.ends_with("PORT") {
                        ports.extend(port_of(&value));
                    } else if ["ADDR", "LISTEN", "BIND"].iter().any(|k| key.contains(k)) {
                        // A URL is where a service reaches another, not where it listens.
                        if let Some(text) = value.as_str().filter(|t| !t.contains("://")) {
                            ports.extend(ports_in_command(text));
                        }
                    }
                }
            }
            for command in unit_commands(host, &service) {
                ports.extend(ports_in_command(&command));
            }
            ports.dedup();
            for port in ports {
                add(port, format!("systemd.services.{name}"), upstream.clone(), place);
            }
        }
    }
    // Containers: the host's side of `ports`.
    if let Some(containers) = set(host.config(&["virtualisation", "oci-containers", "containers"]))
    {
        for (name, container) in containers.iter() {
            let Some(container) = set(host.ev.force_plain(container)) else { continue };
            if let Some(Value::List(ports)) = container.get("ports").map(|p| host.ev.force_plain(p))
            {
                for mapping in ports.iter() {
                    if let Value::Str(m) = host.ev.force_plain(mapping) {
                        let parts: Vec<&str> =
                            m.split('/').next().unwrap_or("").split(':').collect();
                        let host_port = match parts.as_slice() {
                            [_, host, _] | [host, _] => host.parse().ok(),
                            _ => None,
                        };
                        if let Some(port) = host_port {
                            add(
                                port,
                                format!("virtualisation.oci-containers.containers.{name}"),
                                Upstream::Container(name.to_owned()),
                                containers.place(name),
                            );
                        }
                    }
                }
            }
        }
    }
    // NixOS modules enabled, at their port or nixpkgs' default; `instances.<name>` of each.
    for known in DEFAULT_PORTS {
        let option: Vec<&str> = known.option.split('.').collect();
        let named = option.iter().position(|k| *k == "<name>");
        let instances: Vec<(Vec<String>, Vec<String>)> = match named {
            Some(at) => match set(host.config(&option[..at])) {
                Some(all) => all
                    .names()
                    .map(|name| {
                        let service: Vec<String> = option[..at]
                            .iter()
                            .map(|k| (*k).to_owned())
                            .chain([name.to_owned()])
                            .collect();
                        let port: Vec<String> = service
                            .iter()
                            .cloned()
                            .chain(option[at + 1..].iter().map(|k| (*k).to_owned()))
                            .collect();
                        (service, port)
                    })
                    .collect(),
                None => Vec::new(),
            },
            None => {
                let service = std::iter::once("services")
                    .chain(known.service.split('.'))
                    .map(str::to_owned)
                    .collect();
                vec![(service, option.iter().map(|k| (*k).to_owned()).collect())]
            }
        };
        for (service, option) in instances {
            let enable: Vec<&str> = service.iter().map(String::as_str).chain(["enable"]).collect();
            if host.config(&enable).as_bool() != Some(true) {
                continue;
            }
            let option: Vec<&str> = option.iter().map(String::as_str).collect();
            let port = port_of(&host.config(&option)).unwrap_or(known.port);
            let place = host.definitions(&enable).first().and_then(|d| d.place);
            add(port, option.join("."), Upstream::Module(service.join(".")), place);
        }
    }
    for (service, option, default, label) in [
        (
            &["services", "nginx"][..],
            &["services", "nginx", "defaultHTTPListenPort"][..],
            80,
            "nginx",
        ),
        (&["services", "nginx"], &["services", "nginx", "defaultSSLListenPort"], 443, "nginx"),
        (
            &["services", "postgresql"],
            &["services", "postgresql", "settings", "port"],
            5432,
            "services.postgresql",
        ),
    ] {
        let enable: Vec<&str> = service.iter().copied().chain(["enable"]).collect();
        if host.config(&enable).as_bool() == Some(true) {
            let port = port_of(&host.config(option)).unwrap_or(default);
            add(port, label.to_owned(), Upstream::Module(service.join(".")), None);
        }
    }
    // Any other service the host turns on: the ports its own settings name (`port`,
    // `http_port`, `listenAddress = "[::1]:9000"`), a few levels down.
    let known: Vec<&str> = DEFAULT_PORTS.iter().map(|k| k.service).collect();
    if let Some(services) = set(host.config(&["services"])) {
        for (name, service) in services.iter() {
            if known.contains(&name) || ["nginx", "postgresql", "openssh"].contains(&name) {
                continue;
            }
            let Some(service) = set(host.ev.force_plain(service)) else { continue };
            if service.get("enable").map(|e| host.ev.force_plain(e).as_bool()) != Some(Some(true)) {
                continue;
            }
            let place = services.place(name);
            let mut found = Vec::new();
            settings_ports(host, &service, &format!("services.{name}"), 0, &mut found);
            for (port, option) in found {
                add(port, option, Upstream::Module(format!("services.{name}")), place);
            }
        }
    }
    if host.config(&["services", "openssh", "enable"]).as_bool() == Some(true) {
        let ports = match host.config(&["services", "openssh", "ports"]) {
            Value::List(l) => l.iter().filter_map(|p| port_of(&host.ev.force_plain(p))).collect(),
            _ => vec![22],
        };
        for port in ports {
            add(port, "services.openssh".into(), Upstream::Module("services.openssh".into()), None);
        }
    }
    if let Value::List(open) = host.config(&["networking", "firewall", "allowedTCPPorts"]) {
        for port in open.iter().filter_map(|p| port_of(&host.ev.force_plain(p))) {
            add(port, "networking.firewall.allowedTCPPorts".into(), Upstream::Unknown, None);
        }
    }
}

/// The ports a service's settings name, with the option each is at: keys that say port
/// (`port`, `http_port`, `HTTP_PORT`, `rtmpPort`) holding a number, and keys that say address
/// (`listenAddress`, `bind`, `address`) holding `host:port`.
fn settings_ports(host: &Host, set_: &Attrs, at: &str, depth: usize, out: &mut Vec<(u16, String)>) {
    if depth > 3 {
        return;
    }
    for (key, value) in set_.iter() {
        let lower = key.to_lowercase();
        let port_key = lower == "port" || lower.ends_with("port") || lower.ends_with("_port");
        let address_key = ["address", "listen", "bind", "addr"].iter().any(|k| lower.contains(k));
        if !(port_key
            || address_key
            || matches!(key, "settings" | "config" | "server" | "web" | "http"))
        {
            continue;
        }
        match host.ev.force_plain(value) {
            Value::Int(p) if port_key => {
                if let Ok(port) = u16::try_from(p) {
                    out.push((port, format!("{at}.{key}")));
                }
            }
            Value::Str(text) if address_key && !text.contains("://") => {
                for port in ports_in_command(&text) {
                    out.push((port, format!("{at}.{key}")));
                }
            }
            Value::Set(inner) => {
                settings_ports(host, &inner, &format!("{at}.{key}"), depth + 1, out)
            }
            _ => {}
        }
    }
}

/// The command lines of a unit: `ExecStart` (one or several) and `script`.
fn unit_commands(host: &Host, service: &Attrs) -> Vec<String> {
    let mut commands = Vec::new();
    if let Some(config) = service.get("serviceConfig").and_then(|c| set(host.ev.force_plain(c))) {
        match config.get("ExecStart").map(|e| host.ev.force_plain(e)) {
            Some(Value::List(items)) => {
                commands.extend(items.iter().filter_map(|i| string(host, Some(i))))
            }
            Some(_) => commands.extend(string(host, config.get("ExecStart"))),
            None => {}
        }
    }
    commands.extend(string(host, service.get("script")));
    commands
}

/// The unit whose command line or runtime folder holds the socket `path`.
fn socket_unit(host: &Host, path: &str) -> Option<String> {
    let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or(path);
    let services = set(host.config(&["systemd", "services"]))?;
    let found = services.iter().find_map(|(name, service)| {
        let service = set(host.ev.force_plain(service))?;
        let runtime = service
            .get("serviceConfig")
            .and_then(|c| set(host.ev.force_plain(c)))
            .and_then(|c| string(host, c.get("RuntimeDirectory")))
            .map(|d| format!("/run/{d}"));
        let mentions = unit_commands(host, &service).iter().any(|c| c.contains(path))
            || runtime.as_deref() == Some(dir);
        mentions.then(|| name.to_owned())
    });
    found
}

/// The module service a socket under `/run/<name>/` belongs to, when it is enabled.
fn socket_service(host: &Host, path: &str) -> Option<Upstream> {
    let name = path.strip_prefix("/run/")?.split('/').next()?;
    (host.config(&["services", name, "enable"]).as_bool() == Some(true))
        .then(|| Upstream::Module(format!("services.{name}")))
}

/// Ports a command line listens on: `--port 8080`, `--port=8080`, `-p 8080`, `127.0.0.1:8080`,
/// `localhost:8080`, `[::1]:8080`, `0.0.0.0:8080`, `:8080`.
pub fn ports_in_command(command: &str) -> Vec<u16> {
    let mut ports = Vec::new();
    let words: Vec<&str> =
        command.split(|c: char| c.is_whitespace() || c == '"' || c == '\'').collect();
    for (i, word) in words.iter().enumerate() {
        let flag_value = match *word {
            "--port" | "-p" | "--listen-port" | "--http-port" => words.get(i + 1).copied(),
            w => w.strip_prefix("--port=").or_else(|| w.strip_prefix("--listen-port=")),
        };
        if let Some(port) = flag_value.and_then(|v| v.parse().ok()) {
            ports.push(port);
            continue;
        }
        for host in ["127.0.0.1:", "localhost:", "[::1]:", "0.0.0.0:", "[::]:"] {
            if let Some(at) = word.find(host) {
                let digits: String =
                    word[at + host.len()..].chars().take_while(char::is_ascii_digit).collect();
                if let Ok(port) = digits.parse() {
                    ports.push(port);
                }
            }
        }
        if let Some(digits) = word.strip_prefix(':') {
            if let Ok(port) = digits.parse() {
                ports.push(port);
            }
        }
    }
    ports.dedup();
    ports
}

/// NMMM's own monoliths: `nmmm.monoliths.<name> = { domain; port; ... }`.
fn nmmm_monoliths(host: &Host, out: &mut Sites) {
    let Some(monoliths) = set(host.config(&["nmmm", "monoliths"])) else { return };
    for (name, monolith) in monoliths.iter() {
        let Some(m) = set(host.ev.force_plain(monolith)) else { continue };
        let place = monoliths.place(name);
        let mut unresolved = Vec::new();
        let domain = string(host, m.get("domain"));
        if domain.is_none() {
            unresolved
                .push(("domain".to_owned(), m.get("domain").and_then(|d| d.place()).or(place)));
        }
        let port = m.get("port").and_then(|p| port_of(&host.ev.force_plain(p)));
        if port.is_none() {
            unresolved.push(("port".to_owned(), m.get("port").and_then(|p| p.place()).or(place)));
        }
        let database_on = match m.get("database").map(|d| host.ev.force_plain(d)) {
            Some(Value::Set(d)) => d
                .get("enable")
                .map(|e| host.ev.force_plain(e).as_bool() != Some(false))
                .unwrap_or(true),
            _ => true,
        };
        if let Some(port) = port {
            out.ports.push(UsedPort {
                port,
                by: format!("nmmm.monoliths.{name}"),
                upstream: Upstream::Systemd(name.to_owned()),
                place,
            });
        }
        let aliases = match m.get("aliases").map(|a| host.ev.force_plain(a)) {
            Some(Value::List(l)) => l
                .iter()
                .filter_map(|a| host.ev.force_plain(a).as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        out.sites.push(Site {
            kind: Kind::Nmmm,
            key: name.to_owned(),
            domain,
            aliases,
            path: "/".into(),
            port,
            socket: None,
            upstream: Upstream::Systemd(name.to_owned()),
            database: database_on.then(|| name.replace('-', "_")),
            places: place.into_iter().collect(),
            target: None,
            unresolved,
        });
    }
}

/// A proxy found in a vhost: its location, its target, and where.
struct Proxy {
    path: String,
    /// The URL, or where and why it could not be read.
    target: Result<String, (Option<Place>, String)>,
    /// The location's own nginx lines.
    lines: String,
    place: Option<Place>,
}

fn vhosts(host: &Host, out: &mut Sites) {
    let Some(vhosts) = set(host.config(&["services", "nginx", "virtualHosts"])) else { return };
    let upstreams = set(host.config(&["services", "nginx", "upstreams"]));
    // Each vhost by its name; those whose names cannot be known by their names as written,
    // listed with the domain unresolved, never dropped.
    let named = vhosts.iter().map(|(key, vhost)| {
        let definitions: Vec<Place> = host
            .definitions(&["services", "nginx", "virtualHosts", key])
            .iter()
            .filter_map(|d| d.place)
            .collect();
        (key.to_owned(), vhost.clone(), vhosts.place(key), definitions, None)
    });
    let unnamed = vhosts.unnamed.iter().map(|u| {
        let name = Some((u.why.clone(), u.place));
        (
            u.written.trim_matches('"').to_owned(),
            u.value.clone(),
            Some(u.place),
            vec![u.place],
            name,
        )
    });
    let all: Vec<_> = named.chain(unnamed).collect();
    for (key, vhost, vhost_place, definitions, unknown_name) in all {
        let key = key.as_str();
        let Some(v) = set(host.ev.force_plain(&vhost)) else { continue };
        let mut unresolved = Vec::new();
        let domain = match v.get("serverName").map(|s| host.ev.force_plain(s)) {
            Some(Value::Str(s)) => Some(s.to_string()),
            None | Some(Value::Null) => match &unknown_name {
                None => Some(key.to_owned()),
                Some((_, place)) => {
                    unresolved.push(("domain".to_owned(), Some(*place)));
                    None
                }
            },
            Some(Value::Unknown(u)) => {
                unresolved.push(("domain".to_owned(), u.place.or(v.place("serverName"))));
                None
            }
            Some(_) => None,
        };
        let aliases = match v.get("serverAliases").map(|a| host.ev.force_plain(a)) {
            Some(Value::List(l)) => l
                .iter()
                .filter_map(|a| host.ev.force_plain(a).as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        let mut proxies = Vec::new();
        if let Some(locations) = v.get("locations").and_then(|l| set(host.ev.force_plain(l))) {
            for (path, location) in locations.iter() {
                let Some(loc) = set(host.ev.force_plain(location)) else { continue };
                let place = locations.place(path);
                let lines = string(host, loc.get("extraConfig")).unwrap_or_default();
                match loc.get("proxyPass").map(|p| host.ev.force_plain(p)) {
                    Some(Value::Str(target)) => proxies.push(Proxy {
                        path: path.to_owned(),
                        target: Ok(target.to_string()),
                        lines,
                        place,
                    }),
                    Some(Value::Unknown(u)) => proxies.push(Proxy {
                        path: path.to_owned(),
                        target: Err((u.place.or(place), u.why.clone())),
                        lines,
                        place,
                    }),
                    _ => {
                        // A raw `proxy_pass` in the location's own lines.
                        if let Some(target) = proxy_pass_in(&lines) {
                            proxies.push(Proxy {
                                path: path.to_owned(),
                                target: Ok(target),
                                lines,
                                place,
                            });
                        }
                    }
                }
            }
        }
        // `location /x { proxy_pass ...; }` blocks in the vhost's own lines.
        if let Some(lines) = string(host, v.get("extraConfig")) {
            for (path, block) in location_blocks(&lines) {
                if let Some(target) = proxy_pass_in(&block) {
                    proxies.push(Proxy {
                        path,
                        target: Ok(target),
                        lines: block,
                        place: v.place("extraConfig").or(vhost_place),
                    });
                }
            }
        }
        let places: Vec<Place> =
            if definitions.is_empty() { vhost_place.into_iter().collect() } else { definitions };
        for proxy in proxies {
            let what = format!("{} location {}", domain.as_deref().unwrap_or(key), proxy.path);
            if proxy.lines.split(';').any(|l| l.trim() == "internal") || is_auth_path(&proxy.path) {
                out.not_sites.push(NotSite {
                    what,
                    why: "an authentication endpoint (auth sub-request or sign-in), not a site"
                        .into(),
                    place: proxy.place,
                });
                continue;
            }
            if proxy.path.trim_end_matches('/') == "/metrics" {
                out.not_sites.push(NotSite {
                    what,
                    why: "metrics, not a site".into(),
                    place: proxy.place,
                });
                continue;
            }
            let mut site_unresolved = unresolved.clone();
            let (port, socket, upstream) = match &proxy.target {
                Err((place, why)) => {
                    site_unresolved.push(("port".to_owned(), *place));
                    (None, None, option_service(host, why))
                }
                Ok(target) => match parse_target(target, upstreams.as_deref(), host) {
                    Target::Loopback(port) => (Some(port), None, Upstream::Unknown),
                    Target::Socket(path) => (None, Some(path), Upstream::Unknown),
                    Target::Elsewhere(address) => {
                        out.not_sites.push(NotSite {
                            what,
                            why: format!("proxied to {address}, another machine"),
                            place: proxy.place,
                        });
                        continue;
                    }
                    Target::Unreadable => {
                        site_unresolved.push(("port".to_owned(), proxy.place));
                        (None, None, Upstream::Unknown)
                    }
                },
            };
            out.sites.push(Site {
                kind: Kind::HandWritten,
                key: key.to_owned(),
                domain: domain.clone(),
                aliases: aliases.clone(),
                path: proxy.path,
                port,
                socket,
                upstream,
                database: None,
                places: places.clone(),
                target: proxy.place,
                unresolved: site_unresolved,
            });
        }
    }
}

/// nixpkgs modules that make their own nginx vhost, from options of theirs: the service, the
/// option naming the domain, and the option that turns the vhost off (on unless set false).
/// What the vhost proxies to is the module's own business: the port is not read.
const MODULE_VHOSTS: &[(&str, &str, Option<&str>)] = &[
    ("pretix", "nginx.domain", Some("nginx.enable")),
    ("pretalx", "nginx.domain", Some("nginx.enable")),
    ("nextcloud", "hostName", None),
];

fn module_vhosts(host: &Host, out: &mut Sites) {
    for (service, domain_option, switch) in MODULE_VHOSTS {
        let at = |option: &str| -> Vec<String> {
            ["services", service]
                .iter()
                .map(|s| (*s).to_owned())
                .chain(option.split('.').map(str::to_owned))
                .collect()
        };
        let read = |option: &str| {
            let path = at(option);
            let refs: Vec<&str> = path.iter().map(String::as_str).collect();
            (host.config(&refs), host.definitions(&refs).first().and_then(|d| d.place))
        };
        let (enabled, place) = read("enable");
        if enabled.as_bool() != Some(true)
            || switch.is_some_and(|s| read(s).0.as_bool() == Some(false))
        {
            continue;
        }
        let (Value::Str(domain), domain_place) = read(domain_option) else { continue };
        if out.sites.iter().any(|s| s.domain.as_deref() == Some(&*domain)) {
            continue;
        }
        let places: Vec<Place> = domain_place.into_iter().chain(place).collect();
        out.sites.push(Site {
            kind: Kind::HandWritten,
            key: domain.to_string(),
            domain: Some(domain.to_string()),
            aliases: Vec::new(),
            path: "/".into(),
            port: None,
            socket: None,
            upstream: Upstream::Module(format!("services.{service}")),
            database: None,
            target: None,
            unresolved: vec![("port".to_owned(), places.first().copied())],
            places,
        });
    }
}

/// Locations of one vhost that reach the same service are one site, at the shortest path
/// (`/` and its websocket endpoint `/api/live/`).
fn merge_locations(sites: &mut Vec<Site>) {
    let mut kept: Vec<Site> = Vec::new();
    sites.sort_by(|a, b| (&a.key, a.path.len()).cmp(&(&b.key, b.path.len())));
    for site in sites.drain(..) {
        let same = kept.iter().any(|k| {
            k.kind == site.kind
                && k.key == site.key
                && (k.port.is_some() || k.socket.is_some())
                && k.port == site.port
                && k.socket == site.socket
        });
        if !same {
            kept.push(site);
        }
    }
    *sites = kept;
}

fn is_auth_path(path: &str) -> bool {
    let p = path.trim_end_matches('/').to_lowercase();
    p.starts_with("/oauth2")
        || p.contains("authelia")
        || p.contains("authentik")
        || p.ends_with("/auth")
        || p.contains("/outpost.goauthentik.io")
}

/// The module service an option named in an unknown value belongs to, when it is enabled:
/// `services.gitea` for "`services.gitea.settings.server.HTTP_ADDR` is not set here".
fn option_service(host: &Host, why: &str) -> Upstream {
    let Some(start) = why.find("`services.") else { return Upstream::Unknown };
    let option: Vec<&str> = why[start + 1..].split('`').next().unwrap_or("").split('.').collect();
    for len in (2..option.len()).rev() {
        let enable: Vec<&str> = option[..len].iter().copied().chain(["enable"]).collect();
        if host.config(&enable).as_bool() == Some(true) {
            return Upstream::Module(option[..len].join("."));
        }
    }
    Upstream::Unknown
}

/// The target of a `proxy_pass` line in nginx lines.
fn proxy_pass_in(lines: &str) -> Option<String> {
    let at = lines.find("proxy_pass")?;
    let rest = lines[at + "proxy_pass".len()..].trim_start();
    let target: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != ';').collect();
    (!target.is_empty()).then_some(target)
}

/// `location PATH { ... }` blocks of nginx lines, with their bodies.
fn location_blocks(lines: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut rest = lines;
    while let Some(at) = rest.find("location") {
        let after = &rest[at + "location".len()..];
        let Some(open) = after.find('{') else { break };
        let head: Vec<&str> = after[..open].split_whitespace().collect();
        // `location = /x`, `location ^~ /x`: the path is the last word.
        let path = head.last().map(|s| (*s).to_owned()).unwrap_or_else(|| "/".into());
        let body = &after[open + 1..];
        let close = body.find('}').unwrap_or(body.len());
        blocks.push((path, body[..close].to_owned()));
        rest = &body[close..];
    }
    blocks
}

enum Target {
    Loopback(u16),
    Socket(String),
    Elsewhere(String),
    Unreadable,
}

/// Where `http://127.0.0.1:8080/x` (or `http://unix:/run/x.sock`, or `http://backend` with an
/// upstream of that name) goes.
fn parse_target(target: &str, upstreams: Option<&Attrs>, host: &Host) -> Target {
    let Some((scheme, rest)) = target.split_once("://") else { return Target::Unreadable };
    if !matches!(scheme, "http" | "https" | "grpc" | "uwsgi") {
        return Target::Unreadable;
    }
    if let Some(socket) = rest.strip_prefix("unix:") {
        return Target::Socket(socket.split(':').next().unwrap_or(socket).to_owned());
    }
    let authority = rest.split('/').next().unwrap_or(rest);
    let (address, port) = match authority.rsplit_once(':') {
        Some((a, p))
            if !a.ends_with(':') && p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty() =>
        {
            (a, p.parse().ok())
        }
        _ => (authority, None),
    };
    let address = address.trim_start_matches('[').trim_end_matches(']');
    if matches!(address, "127.0.0.1" | "localhost" | "::1" | "0.0.0.0" | "::")
        || address.starts_with("127.")
    {
        return match port {
            Some(port) => Target::Loopback(port),
            None => Target::Loopback(if scheme == "https" { 443 } else { 80 }),
        };
    }
    // An upstream block of this vhost's nginx: its first server.
    if let Some(servers) = upstreams
        .and_then(|u| u.get(address))
        .and_then(|u| set(host.ev.force_plain(u)))
        .and_then(|u| u.get("servers").and_then(|s| set(host.ev.force_plain(s))))
    {
        if let Some(server) = servers.names().next() {
            return parse_target(&format!("{scheme}://{server}"), None, host);
        }
    }
    Target::Elsewhere(authority.to_owned())
}

/// The PostgreSQL database of what serves a site: the one named after its unit in
/// `ensureDatabases` or its `DATABASE_URL`, or the one its NixOS module makes.
fn database(host: &Host, upstream: &Upstream) -> Option<String> {
    let ensured: Vec<String> = match host.config(&["services", "postgresql", "ensureDatabases"]) {
        Value::List(l) => {
            l.iter().filter_map(|d| host.ev.force_plain(d).as_str().map(str::to_owned)).collect()
        }
        _ => Vec::new(),
    };
    match upstream {
        Upstream::Systemd(unit) => {
            let url =
                match host.config(&["systemd", "services", unit, "environment", "DATABASE_URL"]) {
                    Value::Str(s) => Some(s.to_string()),
                    _ => None,
                };
            if let Some(name) = url.as_deref().and_then(database_in_url) {
                return Some(name);
            }
            let wanted = unit.replace('-', "_");
            ensured
                .into_iter()
                .find(|d| *d == *unit || *d == wanted)
                // `CREATE DATABASE shop_prod;` in `initialScript`: a database named after it.
                .or_else(|| {
                    initial_script_databases(host).into_iter().find(|d| d.starts_with(&wanted))
                })
        }
        Upstream::Module(service) => {
            let path: Vec<&str> = service.split('.').collect();
            let name = path.last().copied().unwrap_or("");
            let option = |keys: &[&str]| {
                let full: Vec<&str> = path.iter().copied().chain(keys.iter().copied()).collect();
                host.config(&full)
            };
            let db_name = || {
                option(&["database", "name"])
                    .as_str()
                    .map_or_else(|| name.to_owned(), str::to_owned)
            };
            // How modules make their own database: `database.type = "postgres"` (gitea,
            // forgejo), `database.createLocally` (paperless, mealie...), `database.enable`
            // (immich); hydra and miniflux always do.
            match option(&["database", "type"]) {
                Value::Str(t) if t.starts_with("postgres") => return Some(db_name()),
                _ => {}
            }
            if option(&["database", "createLocally"]).as_bool() == Some(true)
                || (name == "immich" && option(&["database", "enable"]).as_bool() != Some(false))
                || matches!(name, "hydra" | "miniflux")
            {
                return Some(db_name());
            }
            ensured.into_iter().find(|d| d == name)
        }
        _ => None,
    }
}

/// The databases `services.postgresql.initialScript` creates (`CREATE DATABASE x;`), whether
/// it is a file of the repository or `pkgs.writeText name '' ... ''`.
pub fn initial_script_databases(host: &Host) -> Vec<String> {
    let text = match host.config(&["services", "postgresql", "initialScript"]) {
        Value::Path(p) => std::fs::read_to_string(&*p).unwrap_or_default(),
        Value::Set(s) => string(host, s.get("__nmmmText")).unwrap_or_default(),
        _ => String::new(),
    };
    let mut found = Vec::new();
    for statement in text.split(';') {
        let words: Vec<&str> = statement.split_whitespace().collect();
        if let [create, database, name, ..] = words.as_slice() {
            if create.eq_ignore_ascii_case("create") && database.eq_ignore_ascii_case("database") {
                found.push(name.trim_matches('"').to_owned());
            }
        }
    }
    found
}

/// `notes` of `postgres:///notes?host=/run/postgresql` or `postgresql://u@localhost/notes`.
fn database_in_url(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let path = rest.split_once('/')?.1;
    let name: String =
        path.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
    (!name.is_empty()).then_some(name)
}

/// The sites by domain and path, for lookups.
pub fn by_domain(sites: &[Site]) -> BTreeMap<(String, String), &Site> {
    sites.iter().filter_map(|s| Some(((s.domain.clone()?, s.path.clone()), s))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_read_off_command_lines() {
        assert_eq!(
            ports_in_command("/bin/wiki --listen 127.0.0.1:7310 --data /var/lib/wiki"),
            [7310]
        );
        assert_eq!(ports_in_command("app --port 9000"), [9000]);
        assert_eq!(ports_in_command("app --port=9001 -x"), [9001]);
        assert_eq!(ports_in_command("gunicorn -b [::1]:8000 app:app"), [8000]);
        assert!(ports_in_command("app --workers 4").is_empty());
    }

    #[test]
    fn raw_nginx_lines_give_their_locations_and_targets() {
        let lines = "client_max_body_size 1G;\nlocation /hydra/ {\n  proxy_pass http://localhost:3001/;\n}\n";
        let blocks = location_blocks(lines);
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].0, "/hydra/");
        assert_eq!(proxy_pass_in(&blocks[0].1).as_deref(), Some("http://localhost:3001/"));
        assert_eq!(
            database_in_url("postgres:///notes?host=/run/postgresql").as_deref(),
            Some("notes")
        );
    }
}
