{ lib, ... }:
{
  services.nginx = lib.mkMerge [
    { virtualHosts."a.example".root = "/srv/a"; virtualHosts."c.example".root = "/srv/c"; }
    (lib.mkIf true { virtualHosts."b.example".root = "/srv/b"; })
  ];
}
