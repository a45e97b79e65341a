# An example fleet: two hosts, six monoliths, deployed with colmena.
#
# tests/nix/fleet-tests.nix evaluates its outputs with stand-ins for nixpkgs and colmena and
# checks each host's vhosts and the colmena nodes against tests/fleet/expected.nix.
{
  description = "Two hosts running six monoliths with NMMM";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
    nmmm = {
      url = "github:nmmm/nmmm";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    colmena = {
      url = "github:zhaofengli/colmena";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs =
    {
      nixpkgs,
      nmmm,
      colmena,
      ...
    }:
    nmmm.lib.mkFleet {
      inherit nixpkgs colmena;
      modules = [
        ./fleet.nix
        ./monoliths
      ];
      hostModules = {
        web1 = [ ./hosts/web1.nix ];
        web2 = [ ./hosts/web2.nix ];
      };
    };
}
