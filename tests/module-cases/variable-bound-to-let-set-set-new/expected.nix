{ config, lib, pkgs, sites, redisServers, ... }:

let
  mkBackup = name: {
    description = "Back up ${name}";
    startAt = "daily";
    script = "${pkgs.restic}/bin/restic backup /var/lib/${name}";
  };
  hosts = {
    "10.0.0.2" = [ "db.internal" ];
    "10.0.0.3" = [ "cache.internal" ];
  };
  hardening = {
    serviceConfig = {
      ProtectSystem = "strict";
      PrivateTmp = true;
    };
  };
in
{
  services.nginx = {
    enable = true;
    virtualHosts = lib.mapAttrs (name: port: {
      forceSSL = true;
      enableACME = true;
      locations."/".proxyPass = "http://127.0.0.1:${toString port}";
    }) sites;
    upstreams = import ./upstreams.nix;
  };

  systemd.services.shop = lib.recursiveUpdate hardening {
    description = "Shop";
    serviceConfig.ExecStart = "${pkgs.hello}/bin/hello";
  };

  users.users = lib.genAttrs [ "alice" "bob" ] (name: {
    isNormalUser = true;
    extraGroups = [ "wheel" ];
  });

  services.redis.servers = redisServers;

  systemd.services.shop-backup = mkBackup "shop";

  networking.hosts = hosts;
}
