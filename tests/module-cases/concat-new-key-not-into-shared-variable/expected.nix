{ config, lib, ... }:

let
  common = {
    forceSSL = true;
    enableACME = true;
  };
in
{
  services.nginx.virtualHosts = {
    "a.example.com" = common // {
      root = "/srv/a";
      locations."/".extraConfig = "autoindex on;";
    };
    "b.example.com" = common // {
      root = "/srv/b";
    };
  };
}
