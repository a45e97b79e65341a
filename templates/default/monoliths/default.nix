# The monoliths of this machine, one entry each; their sources sit next to this file.
# `cargo xtask new-monolith <name> --domain <domain>` adds one.
{ pkgs, ... }:
{
  nmmm.monoliths = {
    hello = {
      domain = "hello.example.com";
      port = 8081;
      package = pkgs.callPackage ./hello { };
    };
  };
}
