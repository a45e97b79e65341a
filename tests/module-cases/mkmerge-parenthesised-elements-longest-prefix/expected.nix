{ lib, pkgs, config, ... }:
with lib;
let cfg = config.homelab.proxy;
in
{
  options.homelab.proxy.enable = mkEnableOption "the reverse proxy";

  config = mkIf cfg.enable (mkMerge [
    ({
      services.nginx = {
        enable = true;
        recommendedProxySettings = true;
      };
      networking.firewall.allowedTCPPorts = [ 80 443 ];
    })
    ({
      services.nginx.virtualHosts."lab.example.com" = {
        root = "/var/lib/www";
        locations."/jellyfin/".proxyPass = "http://127.0.0.1:8096/";
        locations."/grafana/".proxyPass = "http://127.0.0.1:3000/";
      };
    })
  ]);
}
