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

        backup.enable = mkOption {
          type = types.bool;
          default = true;
          description = ''
            Whether the backups of {option}`nmmm.backup` hold this monolith: its database (a
            `pg_dump` of it) and its state directory. Only with {option}`nmmm.backup.enable`.
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
    backup.enable = m.backup.enable;
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

    # Backups of every monolith's database and state directory with restic, through NixOS's
    # `services.restic.backups.nmmm`.
    backup = {
      enable = mkOption {
        type = types.bool;
        default = false;
        description = ''
          Whether to back up every monolith's database and state directory with restic, on
          {option}`nmmm.backup.schedule`. Each run dumps each database (`pg_dump
          --format=custom`, as `postgres`, into the root-only /var/backup/nmmm), then makes one
          snapshot of the dumps and the state directories, tagged with the monoliths it holds.
          A failed dump fails the run (the unit `restic-backups-nmmm.service`). `cargo xtask
          restore NAME` brings a monolith back from a snapshot.
        '';
      };

      repository = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "sftp:backup@backup.example.com:/nmmm";
        description = ''
          The restic repository: a folder (`/mnt/backup/nmmm`), `sftp:...`, `s3:...`,
          `rest:...`. It is created on the first run. Keep it off the machine.
        '';
      };

      passwordFile = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "/run/secrets/restic-password";
        description = ''
          An absolute path on the machine to a root-only file holding the repository's
          password. A string, not a Nix path, so the password never gets copied into the
          world-readable Nix store. Without the password no backup can be read: keep a copy
          off the machine.
        '';
      };

      environmentFile = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "/run/secrets/restic.env";
        description = ''
          An absolute path on the machine to a root-only file of `NAME=value` lines for restic,
          such as `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` for an S3 repository. A
          string, not a Nix path, like {option}`nmmm.backup.passwordFile`.
        '';
      };

      schedule = mkOption {
        type = types.str;
        default = "daily";
        example = "*-*-* 03:00:00";
        description = ''
          When backups run, as a systemd OnCalendar expression; each run starts up to an hour
          later at random, and a run missed while the machine was off happens at boot.
        '';
      };

      keep = {
        daily = mkOption {
          type = types.ints.unsigned;
          default = 7;
          description = "How many daily snapshots `restic forget --prune` keeps after each run.";
        };
        weekly = mkOption {
          type = types.ints.unsigned;
          default = 4;
          description = "How many weekly snapshots `restic forget --prune` keeps after each run.";
        };
        monthly = mkOption {
          type = types.ints.unsigned;
          default = 6;
          description = "How many monthly snapshots `restic forget --prune` keeps after each run.";
        };
      };
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
        }) (
          nmmm.problems {
            inherit monoliths agenix;
            inherit (cfg) hosts currentHost;
          }
          ++ nmmm.backupProblems cfg.backup
        );
      }
      (nmmm.machineConfig {
        monoliths = here;
        inherit (cfg) acmeEmail;
        inherit agenix;
      })
      (lib.mkIf cfg.backup.enable (
        nmmm.backupConfig {
          monoliths = here;
          inherit (cfg) backup;
        }
      ))
    ]
  );
}
