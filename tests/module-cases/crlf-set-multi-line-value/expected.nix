{ config, lib, pkgs, ... }:
let
    cfg = config.services.wiki;
in
{
    options.services.wiki.enable = lib.mkEnableOption "the team wiki";

    config = lib.mkIf cfg.enable {
        services.mediawiki = {
            enable = true;
            name = "Team wiki";
            webserver = "nginx";
            extensions = {
                VisualEditor = null;
            };
            extraConfig = ''
              $wgEnableUploads = true;
            '';
        };
        services.nginx.virtualHosts."wiki.example.com" = {
            forceSSL = true;
            enableACME = true;
        };
        networking.firewall.allowedTCPPorts = [
            80
            443
        ];
        services.phpfpm.pools.mediawiki.phpOptions = ''
            upload_max_filesize = 32M
        '';
        services.phpfpm.pools.mediawiki.settings = {
            "pm.max_children" = 32;
        };
    };
}
