{ lib, ... }:
{
  services.postgresql = lib.mkMerge [
    (lib.mkIf true { ensureDatabases = [ "a" ]; })
    { ensureDatabases = [ "b" "c" ]; }
  ];
}
