{ config, lib, pkgs, ... }:

with lib;

let
  cfg = config.services.shop;
in
{
  imports = [
    ./shop-backup.nix
  ];

  options.services.shop = {
    enable = mkEnableOption "the shop backend";
    port = mkOption {
      type = types.port;
      default = 4100;
      description = "Port the shop backend listens on.";
    };
    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Open ports 80 and 443 in the firewall.";
    };
  };

  config = mkIf cfg.enable {
    users.users.shop = {
      isSystemUser = true;
      group = "shop";
    };
    users.groups.shop = { };

    systemd.services.shop = {
      description = "Shop backend";
      wantedBy = [ "multi-user.target" ];
      after = [ "network.target" "postgresql.service" ];
      serviceConfig = {
        User = "shop";
        ExecStart = "${pkgs.hello}/bin/hello --port ${toString cfg.port}";
        Restart = "on-failure";
      };
    };

    services.nginx = {
      enable = true;
      virtualHosts."shop.example.com" = {
        forceSSL = true;
        enableACME = true;
        locations."/".proxyPass = "http://127.0.0.1:${toString cfg.port}";
      };
      recommendedProxySettings = true;
    };

    services.postgresql = mkMerge [
      {
        enable = true;
        ensureDatabases = [ "shop" ];
      }
      (mkIf cfg.openFirewall {
        enableTCPIP = true;
        authentication = ''
          host shop shop 10.0.0.0/8 scram-sha-256
        '';
      })
    ];

    networking.firewall = {
      allowedTCPPorts = [ 22 ];
    } // optionalAttrs cfg.openFirewall {
      allowedTCPPorts = [ 22 80 443 ];
    };
  };
}
