//! Default listen ports of nixpkgs NixOS services, each read from the module that declares it.
//!
//! A host that enables `services.grafana` without setting a port still takes 3000: `check` must
//! count it, and `new-monolith` must not pick it. Each entry names the option whose default it is
//! (the path a host would write to change it), the default, and the file under
//! `nixos/modules/services/` of nixpkgs it was read from. Nothing here was guessed. Left out:
//! nextcloud and freshrss (php-fpm behind nginx, no TCP port of their own), harmonia and
//! woodpecker-server (their modules declare no port default: the program's own applies),
//! matrix-synapse (its port sits inside the default list of listeners) and every service whose
//! default could not be confirmed in nixpkgs (loki, influxdb2, plausible, nitter, gotify, ...).
//!
//! Where a module has no port option at all but opens a fixed port in the firewall (jellyfin,
//! jackett), `option` is the service itself and `note` says so: the port is the program's own and
//! is still taken when the service is enabled.

/// The default port of one nixpkgs service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultPort {
    /// The service as a host enables it: `services.<service>.enable`.
    pub service: &'static str,
    /// The option whose default the port is, as a host would write it to change it.
    pub option: &'static str,
    /// The TCP port the service listens on when the option is left alone.
    pub port: u16,
    /// The nixpkgs file the default was read from.
    pub source: &'static str,
    /// What else matters: the default listen address, a string-typed option, a unix socket.
    pub note: &'static str,
}

const fn entry(
    service: &'static str,
    option: &'static str,
    port: u16,
    source: &'static str,
    note: &'static str,
) -> DefaultPort {
    DefaultPort { service, option, port, source, note }
}

/// Every known default, sorted by service.
pub const DEFAULT_PORTS: &[DefaultPort] = &[
    entry(
        "atuin",
        "services.atuin.port",
        8888,
        "nixos/modules/services/misc/atuin.nix",
        "host defaults to 127.0.0.1",
    ),
    entry(
        "audiobookshelf",
        "services.audiobookshelf.port",
        8000,
        "nixos/modules/services/web-apps/audiobookshelf.nix",
        "host defaults to 127.0.0.1",
    ),
    entry(
        "authelia",
        "services.authelia.instances.<name>.settings.server.address",
        9091,
        "nixos/modules/services/security/authelia.nix",
        "a string, \"tcp://:9091/\" (all interfaces), per instance; metrics on tcp://127.0.0.1:9959 when enabled",
    ),
    entry(
        "bazarr",
        "services.bazarr.listenPort",
        6767,
        "nixos/modules/services/misc/bazarr.nix",
        "",
    ),
    entry(
        "calibre-web",
        "services.calibre-web.listen.port",
        8083,
        "nixos/modules/services/web-apps/calibre-web.nix",
        "listen.ip defaults to ::1",
    ),
    entry(
        "code-server",
        "services.code-server.port",
        4444,
        "nixos/modules/services/web-apps/code-server.nix",
        "",
    ),
    entry(
        "forgejo",
        "services.forgejo.settings.server.HTTP_PORT",
        3000,
        "nixos/modules/services/misc/forgejo.nix",
        "HTTP_ADDR defaults to 0.0.0.0 (a socket path when PROTOCOL ends in +unix)",
    ),
    entry(
        "gitea",
        "services.gitea.settings.server.HTTP_PORT",
        3000,
        "nixos/modules/services/misc/gitea.nix",
        "HTTP_ADDR defaults to 0.0.0.0 (a socket path when PROTOCOL ends in +unix)",
    ),
    entry(
        "gotosocial",
        "services.gotosocial.settings.port",
        8080,
        "nixos/modules/services/web-apps/gotosocial.nix",
        "bind-address defaults to 127.0.0.1 (mkDefault inside settings)",
    ),
    entry(
        "grafana",
        "services.grafana.settings.server.http_port",
        3000,
        "nixos/modules/services/monitoring/grafana.nix",
        "http_addr defaults to 127.0.0.1",
    ),
    entry(
        "headscale",
        "services.headscale.port",
        8080,
        "nixos/modules/services/networking/headscale.nix",
        "address defaults to 127.0.0.1",
    ),
    entry(
        "hedgedoc",
        "services.hedgedoc.settings.port",
        3000,
        "nixos/modules/services/web-apps/hedgedoc.nix",
        "settings.host defaults to localhost; settings.path (a unix socket) replaces host and port",
    ),
    entry(
        "home-assistant",
        "services.home-assistant.config.http.server_port",
        8123,
        "nixos/modules/services/home-automation/home-assistant.nix",
        "config.http.server_host defaults to all interfaces",
    ),
    entry(
        "homepage-dashboard",
        "services.homepage-dashboard.listenPort",
        8082,
        "nixos/modules/services/misc/homepage-dashboard.nix",
        "",
    ),
    entry(
        "hydra",
        "services.hydra.port",
        3000,
        "nixos/modules/services/continuous-integration/hydra/default.nix",
        "listenHost \"*\" means all interfaces",
    ),
    entry(
        "immich",
        "services.immich.port",
        2283,
        "nixos/modules/services/web-apps/immich.nix",
        "host defaults to localhost; machine learning listens on localhost:3003 (a literal, no option)",
    ),
    entry(
        "jackett",
        "services.jackett",
        9117,
        "nixos/modules/services/misc/jackett.nix",
        "no port option in the module read: its openFirewall opens 9117, Jackett's own default",
    ),
    entry(
        "jellyfin",
        "services.jellyfin",
        8096,
        "nixos/modules/services/misc/jellyfin.nix",
        "no port option: the port is set in Jellyfin's web UI; openFirewall opens 8096 (HTTP) and 8920 (HTTPS)",
    ),
    entry(
        "jellyseerr",
        "services.jellyseerr.port",
        5055,
        "nixos/modules/services/misc/jellyseerr.nix",
        "",
    ),
    entry(
        "kavita",
        "services.kavita.port",
        5000,
        "nixos/modules/services/web-apps/kavita.nix",
        "ipAdresses defaults to 0.0.0.0 and ::",
    ),
    entry(
        "keycloak",
        "services.keycloak.settings.http-port",
        80,
        "nixos/modules/services/web-apps/keycloak.nix",
        "https-port defaults to 443; http-host defaults to all interfaces; almost always set by the host",
    ),
    entry(
        "komga",
        "services.komga.port",
        8080,
        "nixos/modules/services/web-apps/komga.nix",
        "",
    ),
    entry(
        "lidarr",
        "services.lidarr.settings.server.port",
        8686,
        "nixos/modules/services/misc/servarr/lidarr.nix",
        "declared by mkServarrSettingsOptions in servarr/settings-options.nix",
    ),
    entry(
        "lldap",
        "services.lldap.settings.http_port",
        17170,
        "nixos/modules/services/databases/lldap.nix",
        "http_host defaults to ::; the LDAP port settings.ldap_port defaults to 3890",
    ),
    entry(
        "mastodon",
        "services.mastodon.webPort",
        55001,
        "nixos/modules/services/web-apps/mastodon.nix",
        "used only with enableUnixSocket = false (the default, true, serves web on a unix socket); sidekiqPort defaults to 55002",
    ),
    entry(
        "mealie",
        "services.mealie.port",
        9000,
        "nixos/modules/services/web-apps/mealie.nix",
        "listenAddress defaults to 0.0.0.0",
    ),
    entry(
        "microbin",
        "services.microbin.settings.MICROBIN_PORT",
        8080,
        "nixos/modules/services/web-apps/microbin.nix",
        "a string, mkDefault \"8080\"; MICROBIN_BIND defaults to 0.0.0.0",
    ),
    entry(
        "miniflux",
        "services.miniflux.config.LISTEN_ADDR",
        8080,
        "nixos/modules/services/web-apps/miniflux.nix",
        "a string, \"localhost:8080\"",
    ),
    entry(
        "n8n",
        "services.n8n.settings.port",
        5678,
        "nixos/modules/services/misc/n8n.nix",
        "mkDefault inside settings",
    ),
    entry(
        "navidrome",
        "services.navidrome.settings.Port",
        4533,
        "nixos/modules/services/audio/navidrome.nix",
        "settings.Address defaults to 127.0.0.1",
    ),
    entry(
        "ntfy-sh",
        "services.ntfy-sh.settings.listen-http",
        2586,
        "nixos/modules/services/misc/ntfy-sh.nix",
        "a string, mkDefault \"127.0.0.1:2586\"",
    ),
    entry(
        "ollama",
        "services.ollama.port",
        11434,
        "nixos/modules/services/misc/ollama.nix",
        "host defaults to 127.0.0.1",
    ),
    entry(
        "open-webui",
        "services.open-webui.port",
        8080,
        "nixos/modules/services/misc/open-webui.nix",
        "host defaults to 127.0.0.1",
    ),
    entry(
        "outline",
        "services.outline.port",
        3000,
        "nixos/modules/services/web-apps/outline.nix",
        "",
    ),
    entry(
        "paperless",
        "services.paperless.port",
        28981,
        "nixos/modules/services/misc/paperless.nix",
        "address defaults to localhost",
    ),
    entry(
        "prometheus",
        "services.prometheus.port",
        9090,
        "nixos/modules/services/monitoring/prometheus/default.nix",
        "listenAddress defaults to 0.0.0.0 (older nixpkgs: listenAddress = \"0.0.0.0:9090\")",
    ),
    entry(
        "prometheus.alertmanager",
        "services.prometheus.alertmanager.port",
        9093,
        "nixos/modules/services/monitoring/prometheus/alertmanager.nix",
        "listenAddress defaults to \"\" (all interfaces)",
    ),
    entry(
        "prometheus.exporters.node",
        "services.prometheus.exporters.node.port",
        9100,
        "nixos/modules/services/monitoring/prometheus/exporters/node.nix",
        "the port is declared by the exporter file; exporters.nix adds the port option",
    ),
    entry(
        "prowlarr",
        "services.prowlarr.settings.server.port",
        9696,
        "nixos/modules/services/misc/servarr/prowlarr.nix",
        "declared by mkServarrSettingsOptions in servarr/settings-options.nix",
    ),
    entry(
        "radarr",
        "services.radarr.settings.server.port",
        7878,
        "nixos/modules/services/misc/servarr/radarr.nix",
        "declared by mkServarrSettingsOptions in servarr/settings-options.nix",
    ),
    entry(
        "readarr",
        "services.readarr.settings.server.port",
        8787,
        "nixos/modules/services/misc/servarr/readarr.nix",
        "declared by mkServarrSettingsOptions in servarr/settings-options.nix",
    ),
    entry(
        "sonarr",
        "services.sonarr.settings.server.port",
        8989,
        "nixos/modules/services/misc/servarr/sonarr.nix",
        "declared by mkServarrSettingsOptions in servarr/settings-options.nix",
    ),
    entry(
        "syncthing",
        "services.syncthing.guiAddress",
        8384,
        "nixos/modules/services/networking/syncthing.nix",
        "a string, \"127.0.0.1:8384\"",
    ),
    entry(
        "transmission",
        "services.transmission.settings.rpc-port",
        9091,
        "nixos/modules/services/torrent/transmission.nix",
        "rpc-bind-address defaults to 127.0.0.1; peer-port defaults to 51413",
    ),
    entry(
        "uptime-kuma",
        "services.uptime-kuma.settings.PORT",
        3001,
        "nixos/modules/services/monitoring/uptime-kuma.nix",
        "a string, mkDefault \"3001\"; HOST mkDefault \"127.0.0.1\"",
    ),
    entry(
        "vaultwarden",
        "services.vaultwarden.config.ROCKET_PORT",
        8222,
        "nixos/modules/services/security/vaultwarden/default.nix",
        "the default of the whole config set: ROCKET_ADDRESS \"::1\", ROCKET_PORT 8222; a host that sets config replaces the whole set, so ROCKET_PORT is then whatever it writes",
    ),
    entry(
        "vikunja",
        "services.vikunja.port",
        3456,
        "nixos/modules/services/web-apps/vikunja.nix",
        "",
    ),
    entry(
        "wiki-js",
        "services.wiki-js.settings.port",
        3000,
        "nixos/modules/services/web-apps/wiki-js.nix",
        "settings.bindIP defaults to 0.0.0.0",
    ),
];

/// The entry whose option is `option` (`services.grafana.settings.server.http_port`).
pub fn default_port(option: &str) -> Option<&'static DefaultPort> {
    DEFAULT_PORTS.iter().find(|p| p.option == option)
}

/// The entry of the service `service` (`grafana`, `prometheus.exporters.node`).
pub fn service_default_port(service: &str) -> Option<&'static DefaultPort> {
    DEFAULT_PORTS.iter().find(|p| p.service == service)
}

/// The default listen address of a service whose sites proxy to it through its own option
/// (`"http://${cfg.http_addr}:${toString cfg.http_port}"`), read from nixpkgs like the ports:
/// grafana's `http_addr` (nixos/modules/services/monitoring/grafana.nix), and gitea's and
/// forgejo's `HTTP_ADDR`, a socket under `/run` when `PROTOCOL` ends in `+unix`, else `0.0.0.0`
/// (nixos/modules/services/misc/gitea.nix, nixos/modules/services/misc/forgejo.nix).
/// `setting` reads another option of the host.
pub fn default_address(option: &str, setting: impl Fn(&str) -> Option<String>) -> Option<String> {
    match option {
        "services.grafana.settings.server.http_addr" => Some("127.0.0.1".into()),
        "services.gitea.settings.server.HTTP_ADDR"
        | "services.forgejo.settings.server.HTTP_ADDR" => {
            let service = option.split('.').nth(1).expect("services.<name>");
            let protocol = setting(&format!("services.{service}.settings.server.PROTOCOL"));
            Some(if protocol.is_some_and(|p| p.ends_with("+unix")) {
                format!("/run/{service}/{service}.sock")
            } else {
                "0.0.0.0".into()
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_and_services_are_unique_and_sorted() {
        for pair in DEFAULT_PORTS.windows(2) {
            assert!(
                pair[0].service < pair[1].service,
                "{} before {}",
                pair[0].service,
                pair[1].service
            );
        }
        for p in DEFAULT_PORTS {
            assert!(p.option.starts_with(&format!("services.{}", p.service)), "{}", p.option);
            assert!(p.source.starts_with("nixos/modules/services/"), "{}", p.source);
            assert_eq!(default_port(p.option), Some(p));
            assert_eq!(service_default_port(p.service), Some(p));
        }
    }

    #[test]
    fn looks_up_by_option() {
        assert_eq!(
            default_port("services.grafana.settings.server.http_port").map(|p| p.port),
            Some(3000)
        );
        assert_eq!(
            default_port("services.gitea.settings.server.HTTP_PORT").map(|p| p.port),
            Some(3000)
        );
        assert_eq!(default_port("services.nextcloud.port"), None);
    }
}
