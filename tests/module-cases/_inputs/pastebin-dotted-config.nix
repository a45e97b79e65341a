{ config, lib, ... }:

let
  cfg = config.services.pastebin;
in
{
  meta.maintainers = [ ];

  options.services.pastebin = {
    enable = lib.mkEnableOption "the pastebin";
    domain = lib.mkOption {
      type = lib.types.str;
      default = "paste.example.com";
      description = "Domain the pastebin is served on.";
    };
  };

  config.systemd.services.pastebin = lib.mkIf cfg.enable {
    wantedBy = [ "multi-user.target" ];
    serviceConfig.DynamicUser = true;
  };
  config.services.nginx.virtualHosts = lib.mkIf cfg.enable {
    ${cfg.domain}.locations."/".proxyPass = "http://127.0.0.1:8088";
  };
}
