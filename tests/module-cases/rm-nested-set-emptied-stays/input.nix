{ config, lib, ... }:

let
  cfg = config.site;
in
{
  config = lib.mkIf cfg.enable {
    services.nginx = {
      recommendedTlsSettings = true;
      virtualHosts = {
        "a.example.com" = {
          forceSSL = true;
          enableACME = true;
        };
      };
    };
  };
}
