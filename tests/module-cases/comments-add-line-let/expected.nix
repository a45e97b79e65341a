# Monitoring for the team's servers.
# Imported by every host in hosts/.
{ config, lib, pkgs, ... }:

let
  cfg = config.team.monitoring; # set in hosts/*.nix
  # Extra nginx snippets, one set per purpose.
  snippets = {
    # sent with every response
    headers = ''
      add_header X-Frame-Options DENY;
      add_header X-Content-Type-Options nosniff;
    '';
  };
in
{
  /* Options */
  options.team.monitoring = {
    enable = lib.mkEnableOption "team monitoring"; # off by default
  };

  config = lib.mkIf cfg.enable {
    # Exporters
    services.prometheus.exporters.node = {
      enable = true; # always on
      # systemd and textfile collectors
      enabledCollectors = [
        "systemd" # units
        "textfile"
      ];
      port = 9100;
    };

    /* Scrapes */
    services.prometheus = {
      enable = true;
      scrapeConfigs = [ ];
      # retention is set per host
    };

    services.nginx.appendHttpConfig = snippets.headers;

    systemd.tmpfiles.settings = lib.mkOrder 900 {
      # textfile collector directory
      "10-node-exporter" = {
        "/var/lib/node-exporter".d.mode = "0755";
      };
    };

    # firewall: only from the VPN
    networking.firewall.interfaces.wg0.allowedTCPPorts = [ 9100 ];
    # end of config
    # (add new definitions above)
  };
}
