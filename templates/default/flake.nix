{
  description = "A machine running monoliths with NMMM";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
    nmmm = {
      url = "github:nmmm/nmmm";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs =
    { nixpkgs, nmmm, ... }:
    {
      nixosConfigurations.machine = nixpkgs.lib.nixosSystem {
        modules = [
          nmmm.nixosModules.default
          ./hosts/machine/configuration.nix
        ];
      };
    };
}
