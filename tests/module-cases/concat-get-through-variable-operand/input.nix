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
    };
    "b.example.com" = common // {
      root = "/srv/b";
    };
  };
}
