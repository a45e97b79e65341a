{ lib, ... }:
let
  inherit (lib) mkIf;
in
{
  services.a = mkIf true {
    enable = true;
  };
}
