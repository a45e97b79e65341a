{ lib, ... }:
{
  services.nginx = lib.mkMerge [
    { appendConfig = "a"; }
    (lib.mkIf true { appendConfig = "b"; })
  ];
}
