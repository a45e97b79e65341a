# The NixOS module: `nmmm.monoliths.<name> = { domain; port; package; }` and the machine runs it.
#
# This file declares options and nothing else; ../lib turns their values into the nginx vhosts,
# ACME certificates, systemd services, users and PostgreSQL entries, and lists the problems that
# become assertions. It needs nothing from nixpkgs but `lib` (`pkgs` is only used by the caller
# to build packages). `options` tells whether agenix's module is imported (it declares `age`).
{
  config,
  lib,
  options,
  ...
}:
let
  inherit (lib) mkOption types literalExpression;

  cfg = config.nmmm;
  nmmm = import ../lib;

  monolithModule =
    { name, config, ... }:
    {
      options = {
        domain = mkOption {
          type = types.str;
          example = "shop.example.com";
          description = ''
            The host name the monolith is served under. nginx proxies it to the service, and
            with {option}`acme` it names the monolith's certificate.
          '';
        };

        aliases = mkOption {
          type = types.listOf types.str;
          default = [ ];
          example = [ "shop.example.org" ];
          description = ''
            More host names that serve the same monolith, each with its own vhost. With
            {option}`acme` they are names on the domain's certificate, not certificates of their
            own.
          '';
        };

        www = mkOption {
          type = types.bool;
          default = true;
          description = "Whether `www.` followed by the domain redirects to the domain.";
        };

        acme = mkOption {
          type = types.bool;
          default = true;
          description = ''
            Whether to serve the monolith over HTTPS only (nginx's `forceSSL`) with one Let's Encrypt
            certificate covering the domain, `www.` and the aliases. Enabling it accepts the
            certificate authority's terms ({option}`security.acme.acceptTerms`); set
            {option}`nmmm.acmeEmail` too.
          '';
        };

        port = mkOption {
          type = types.port;
          example = 8081;
          description = ''
            The TCP port the service listens on at 127.0.0.1, passed to it as `PORT`. Each monolith
            needs its own, from 1024 up. The firewall keeps it closed: only nginx reaches it.
          '';
        };

        package = mkOption {
          type = types.package;
          example = literalExpression "pkgs.callPackage ./monoliths/${name} { }";
          description = ''
            The package of the monolith; {option}`exec` runs its main program by default.
          '';
        };

        exec = mkOption {
          type = types.str;
          default = lib.getExe config.package;
          defaultText = literalExpression "lib.getExe package";
          example = literalExpression ''"''${pkgs.${name}}/bin/${name}-server"'';
          description = "The program the service runs.";
        };

        args = mkOption {
          type = types.listOf types.str;
          default = [ ];
          example = [
            "--workers"
            "4"
          ];
          description = "Arguments passed to {option}`exec`, each quoted for systemd.";
        };

        environment = mkOption {
          type = types.attrsOf types.str;
          default = { };
          example = {
            RUST_LOG = "info";
          };
          description = ''
            Environment variables of the service. They end up in the Nix store: put secrets in
            {option}`environmentFile`. `PORT` and `DATABASE_URL` are set by NMMM and win.
          '';
        };

        environmentFile = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "/run/secrets/${name}.env";
          description = ''
            An absolute path on the machine to a file of `NAME=value` lines (systemd's
            `EnvironmentFile`), read when the service starts. A string, not a Nix path, so the
            secrets never get copied into the world-readable Nix store.
          '';
        };

        secrets = mkOption {
          type = types.nullOr types.path;
          default = null;
          example = literalExpression "./secrets/${name}.env.age";
          description = ''
            An age-encrypted file of `NAME=value` lines, such as `secrets/${name}.env.age` as
            `cargo xtask secret set ${name} KEY` writes it. Encrypted, it is safe in the repository
            and in the Nix store. agenix decrypts it on the machine into a file only the
            monolith's user can read ({option}`age.secrets."nmmm-<name>"`), and the service
            reads it as an `EnvironmentFile`. Needs agenix's NixOS module
            (`agenix.nixosModules.default`).
          '';
        };

        host = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "web1";
          description = ''
            The host of {option}`nmmm.hosts` that runs the monolith. When null, NMMM places it
            on the host with the most free capacity; `cargo xtask place` writes that choice back
            here, so that adding a monolith never moves another.
          '';
        };

        database.enable = mkOption {
          type = types.bool;
          default = true;
          description = ''
            Whether the monolith gets a PostgreSQL database and a role, both named after it with
            `-` replaced by `_`. The role owns the database and nothing else, has no password and
            no superuser rights, and logs in over the unix socket with peer authentication as the
            service's own system user. The service gets `DATABASE_URL`.
          '';
        };
      };
    };

  hostModule = _: {
    options = {
      address = mkOption {
        type = types.str;
        example = "web1.example.com";
        description = "The host name or IP address at which the host is reached over SSH.";
      };

      user = mkOption {
        type = types.str;
        default = "root";
        description = ''
          The SSH user deployments log in as. Any other user than root activates the new
          system with sudo.
        '';
      };

      capacity = mkOption {
        type = types.nullOr types.ints.positive;
        default = null;
        example = 4;
        description = ''
          How many monoliths the host runs at most, or null for no limit. Placement never
          exceeds it.
        '';
      };

      tags = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "eu" ];
        description = "colmena tags of the host (`colmena apply --on @tag`).";
      };

      buildOnTarget = mkOption {
        type = types.bool;
        default = false;
        description = "Whether colmena builds the host's system on the host itself.";
      };
    };
  };

  # What lib/ works on: the option values, with the package already turned into `exec`.
  monoliths = lib.mapAttrs (_: m: {
    inherit (m)
      host
      domain
      aliases
      www
      acme
      port
      exec
      args
      environment
      environmentFile
      secrets
      ;
    database.enable = m.database.enable;
  }) cfg.monoliths;

  # agenix's NixOS module, when the machine imports it: where it puts decrypted secrets. Whether
  # it is there is read from the declared options, never from config, so that the module system
  # learns which options NMMM defines without evaluating them (agenix's own module tells NixOS
  # from nix-darwin the same way, from `options`).
  agenix = if options ? age then { inherit (config.age) secretsDir; } else null;

  # The monoliths this machine runs: all of them, or those placed on the current host.
  here =
    if cfg.currentHost == null then
      monoliths
    else
      nmmm.hostMonoliths {
        inherit monoliths;
        inherit (cfg) hosts;
        host = cfg.currentHost;
      };
in
{
  options.nmmm = {
    acmeEmail = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "admin@example.com";
      description = ''
        The email address Let's Encrypt writes to about the certificates of monoliths with
        {option}`acme` ({option}`security.acme.defaults.email`).
      '';
    };

    hosts = mkOption {
      type = types.attrsOf (types.submodule hostModule);
      default = { };
      example = literalExpression ''
        {
          web1 = { address = "web1.example.com"; capacity = 4; };
          web2 = { address = "203.0.113.7"; user = "deploy"; };
        }
      '';
      description = ''
        The hosts of a fleet, by name. Each runs the monoliths placed on it, with its own
        nginx knowing only those. `nmmm.lib.mkFleet` makes one NixOS configuration per host.
        A single machine leaves this empty.
      '';
    };

    currentHost = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "web1";
      description = ''
        Which host of {option}`nmmm.hosts` this configuration is: it runs only the monoliths
        placed there. `nmmm.lib.mkFleet` sets it. When null the machine runs every monolith.
      '';
    };

    monoliths = mkOption {
      type = types.attrsOf (types.submodule monolithModule);
      default = { };
      example = literalExpression ''
        {
          shop = {
            domain = "shop.example.com";
            port = 8081;
            package = pkgs.callPackage ./monoliths/shop { };
          };
        }
      '';
      description = ''
        The monoliths of this machine, by name. A name is lowercase letters, digits and `-`,
        starts with a letter and has at most 32 characters: it names the systemd service, and
        (with `-` replaced by `_`) the system user, the PostgreSQL role and the database.
      '';
    };
  };

  config = lib.mkIf (cfg.monoliths != { }) (
    lib.mkMerge [
      {
        assertions = map (message: {
          assertion = false;
          inherit message;
        }) (nmmm.problems {
          inherit monoliths agenix;
          inherit (cfg) hosts currentHost;
        });
      }
      (nmmm.machineConfig {
        monoliths = here;
        inherit (cfg) acmeEmail;
        inherit agenix;
      })
    ]
  );
}
