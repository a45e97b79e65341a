{ config, lib, ... }:
let cfg = config.services.shop; in
{
  options.services.shop.enable = lib.mkEnableOption "shop";
  config = lib.mkIf cfg.enable {
    services.nginx.virtualHosts."shop.example.com".forceSSL = true;
    services.postgresql = lib.mkMerge [ { enable = true; } (lib.mkIf cfg.db { ensureDatabases = [ "shop" ]; }) ];
    networking.firewall = { allowedTCPPorts = [ 80 ]; } // lib.optionalAttrs cfg.tls { allowedTCPPorts = [ 443 ]; };
  };
}
