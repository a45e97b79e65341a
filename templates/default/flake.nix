{
  description = "A machine running monoliths with NMMM";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
    nmmm = {
      url = "github:nmmm/nmmm";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  # One machine. When it is not enough, add colmena to the inputs:
  #
  #   colmena = {
  #     url = "github:zhaofengli/colmena";
  #     inputs.nixpkgs.follows = "nixpkgs";
  #   };
  #
  # declare the hosts (`nmmm.hosts.web1 = { address = "web1.example.com"; capacity = 4; };`, one
  # entry each, in a module every host imports) and let NMMM make one NixOS configuration per
  # host, each with only the monoliths placed on it, and the hive colmena deploys:
  #
  #   outputs = { nixpkgs, nmmm, colmena, ... }:
  #     nmmm.lib.mkFleet {
  #       inherit nixpkgs colmena;
  #       modules = [ ./fleet.nix ./monoliths ];
  #       hostModules.web1 = [ ./hosts/web1/configuration.nix ];
  #       hostModules.web2 = [ ./hosts/web2/configuration.nix ];
  #     };
  #
  # `cargo xtask place` then shows which host runs each monolith and pins it there, and
  # `cargo xtask deploy --all` runs `colmena apply switch --on web1,web2`.
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
