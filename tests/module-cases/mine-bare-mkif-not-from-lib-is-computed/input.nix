{ mkIf, ... }:
{
  a = mkIf true { b = 1; };
}
