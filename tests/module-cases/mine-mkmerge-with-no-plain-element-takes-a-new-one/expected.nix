{ config, lib, ... }:
{
  config = lib.mkMerge [
    (lib.mkIf config.a { services.x.enable = true; })
    (lib.mkIf config.b { services.y.enable = true; })
    { networking.hostName = "box"; }
  ];
}
