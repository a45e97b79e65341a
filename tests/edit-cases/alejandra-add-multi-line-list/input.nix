{
  config,
  pkgs,
  ...
}: let
  port = 8080;
in {
  networking.firewall.allowedTCPPorts = [
    80
    443
  ];
  services.postgresql = {
    enable = true;
    ensureDatabases = ["shop"];
  };
}
