{ lib, ... }:
{
  services.nginx = lib.mkMerge [
    { virtualHosts."a.example".root = "/srv/a"; }
    (lib.mkIf true { virtualHosts."b.example".root = "/srv/b"; })
  ];
}
