{
  description = "NMMM: many monoliths on one NixOS machine, each a few lines of Nix";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      # Pure functions over builtins: usable (and tested) without building anything.
      lib = import ./lib;

      # Only the module arguments `config` and `lib` are used, so the module evaluates with
      # nothing from nixpkgs but its lib.
      nixosModules.default = ./modules/nmmm.nix;

      templates = {
        default = {
          path = ./templates/default;
          description = "A machine repository running monoliths with NMMM";
          welcomeText = ''
            # A machine of monoliths

            Next steps:

            1. Put your server's `hardware-configuration.nix` in `hosts/machine/` (run
               `nixos-generate-config --show-hardware-config` on it) and your SSH key in
               `hosts/machine/configuration.nix`.
            2. Set `nmmm.acmeEmail` there and the example monolith's `domain` in
               `monoliths/default.nix`; point the domain's DNS at the server.
            3. Add monoliths with `cargo xtask new-monolith <name> --domain <domain>`.
            4. Set `nmmm.hosts.machine.address` there too, then deploy with `cargo xtask deploy`.

            README.md has the details.
          '';
        };

        monolith = {
          path = ./templates/monolith;
          description = "A small Rust web service for NMMM: reads PORT and DATABASE_URL";
          welcomeText = ''
            # A new monolith

            Next steps:

            1. Rename it: `name` in `Cargo.toml`, `DEFAULT_NAME` in `src/main.rs` and `pname` in
               `default.nix` (`cargo xtask new-monolith` does this for you).
            2. Add it to the machine:
               `nmmm.monoliths.<name> = { domain = "..."; port = ...; package = pkgs.callPackage ./<dir> { }; };`
            3. Run it locally: `PORT=8080 DATABASE_URL=postgresql:///<name>?host=/run/postgresql cargo run`.
          '';
        };
      };

      packages = forAllSystems (pkgs: rec {
        # The Rust tool (the `xtask` crate); `nmmm` is the same package.
        default = pkgs.rustPlatform.buildRustPackage {
          pname = "nmmm";
          version = (pkgs.lib.importTOML ./xtask/Cargo.toml).package.version;
          src = pkgs.lib.fileset.toSource {
            root = ./.;
            # The monolith template is built into the tool (`new-monolith` copies it), and so
            # are the backup and restore steps (`restore` runs them on the host).
            fileset = pkgs.lib.fileset.unions [
              ./Cargo.toml
              ./Cargo.lock
              ./xtask
              ./templates/monolith
              ./lib/backup/steps.sh
            ];
          };
          cargoLock.lockFile = ./Cargo.lock;
          cargoBuildFlags = [
            "--package"
            "xtask"
          ];
          # The tests need nix-instantiate, a PostgreSQL server, restic and crates.io (to build
          # the template service), none of which the build sandbox has; .ci/run runs them.
          doCheck = false;
          meta = {
            description = "Adds, removes, checks and deploys the monoliths of an NMMM machine";
            license = pkgs.lib.licenses.mit;
            mainProgram = "xtask";
          };
        };
        nmmm = default;
        monolith-template = pkgs.callPackage ./templates/monolith { };
      });

      apps = forAllSystems (pkgs: {
        default = {
          type = "app";
          program = pkgs.lib.getExe self.packages.${pkgs.stdenv.hostPlatform.system}.default;
          meta.description = "Run the NMMM tool";
        };
      });

      checks = forAllSystems (pkgs: {
        vm = import ./tests/vm/two-monoliths.nix {
          inherit pkgs;
          nmmmModule = self.nixosModules.default;
        };
        inherit (self.packages.${pkgs.stdenv.hostPlatform.system}) default monolith-template;
      });
    };
}
