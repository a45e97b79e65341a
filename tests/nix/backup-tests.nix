# Tests of the backups (lib/backup.nix), as data, with the schema check of everything they set.
let
  nmmm = import ../../lib;
  schema = import ./schema.nix ./nixos-options.json;

  monoliths = {
    shop = {
      domain = "shop.example.com";
      port = 8081;
      exec = "/nix/store/0000000000000000000000000000000-shop/bin/shop";
    };
    my-blog = {
      domain = "blog.example.com";
      port = 8082;
      exec = "/nix/store/0000000000000000000000000000000-blog/bin/blog";
    };
    static = {
      domain = "static.example.com";
      port = 8083;
      exec = "/nix/store/0000000000000000000000000000000-static/bin/static";
      database.enable = false;
    };
    scratch = {
      domain = "scratch.example.com";
      port = 8084;
      exec = "/nix/store/0000000000000000000000000000000-scratch/bin/scratch";
      backup.enable = false;
    };
  };

  backup = nmmm.backupDefaults // {
    enable = true;
    repository = "sftp:backup@backup.example.com:/nmmm";
    passwordFile = "/run/secrets/restic-password";
    environmentFile = "/run/secrets/restic.env";
  };

  config = nmmm.backupConfig { inherit backup monoliths; };
  restic = config.services.restic.backups.nmmm;

  # The lines of the dump step after the steps file: what it does, in order.
  dumpLines =
    command:
    let
      lines = builtins.filter builtins.isString (builtins.split "\n" command);
      tail = builtins.foldl' (
        acc: line:
        if line == "set -eu" then
          [ line ]
        else if acc == [ ] then
          [ ]
        else
          acc ++ [ line ]
      ) [ ] lines;
    in
    builtins.filter (l: l != "") tail;
in
{
  "test: backups go to the repository with the password and environment files as given" = {
    expr = {
      inherit (restic) repository passwordFile environmentFile;
    };
    expected = {
      repository = "sftp:backup@backup.example.com:/nmmm";
      passwordFile = "/run/secrets/restic-password";
      environmentFile = "/run/secrets/restic.env";
    };
  };

  "test: a backup holds the dumps and the state directory of every monolith with backup.enable" = {
    expr = restic.paths;
    expected = [
      "/var/backup/nmmm"
      "/var/lib/blog.example.com"
      "/var/lib/shop.example.com"
      "/var/lib/static.example.com"
    ];
  };

  "test: each snapshot is tagged with the monoliths it holds" = {
    expr = restic.extraBackupArgs;
    expected = [
      "--tag=my-blog"
      "--tag=shop"
      "--tag=static"
    ];
  };

  "test: the dump step dumps each database it backs up, after emptying the dumps folder" = {
    expr = dumpLines restic.backupPrepareCommand;
    expected = [
      "set -eu"
      "nmmm_dumps_begin"
      "nmmm_dump 'my-blog' 'my_blog'"
      "nmmm_dump 'shop' 'shop'"
    ];
  };

  "test: the dump step runs before restic, in the same unit, with the steps file ahead of it" = {
    expr =
      let
        head = "#!/bin/sh\n" + nmmm.stepsScript nmmm.nixosMachine;
      in
      builtins.substring 0 (builtins.stringLength head) restic.backupPrepareCommand == head;
    expected = true;
  };

  "test: the steps script starts with the machine's layout, quoted for the shell" = {
    expr =
      builtins.substring 0 43 (
        nmmm.stepsScript {
          root = "/tmp/it's";
          postgresUser = "nobody";
        }
      );
    expected = "root='/tmp/it'\\''s'\npostgres_user='nobody'\n";
  };

  "test: the dump step finds pg_dump and runuser in the system's profile" = {
    expr = config.systemd.services.restic-backups-nmmm.path;
    expected = [ "/run/current-system/sw" ];
  };

  "test: backups run on the schedule with a random delay, and catch up after downtime" = {
    expr =
      (nmmm.resticBackup {
        backup = backup // {
          schedule = "*-*-* 03:00:00";
        };
        inherit monoliths;
      }).timerConfig;
    expected = {
      OnCalendar = "*-*-* 03:00:00";
      RandomizedDelaySec = "1h";
      Persistent = true;
    };
  };

  "test: forget --prune keeps the counts given, and none of a kind counted 0" = {
    expr = [
      restic.pruneOpts
      (nmmm.resticBackup {
        backup = backup // {
          keep = {
            daily = 14;
            weekly = 0;
            monthly = 12;
          };
        };
        inherit monoliths;
      }).pruneOpts
    ];
    expected = [
      [
        "--keep-daily 7"
        "--keep-weekly 4"
        "--keep-monthly 6"
      ]
      [
        "--keep-daily 14"
        "--keep-monthly 12"
      ]
    ];
  };

  "test: the dumps folder is root-only" = {
    expr = config.systemd.tmpfiles.rules;
    expected = [ "d /var/backup/nmmm 0700 root root -" ];
  };

  "test: the backup configuration sets only real NixOS options of the right types" = {
    expr = schema.check config;
    expected = [ ];
  };

  "test: backups of a machine without databases set only real NixOS options too" = {
    expr = schema.check (
      nmmm.backupConfig {
        backup = backup // {
          environmentFile = null;
        };
        monoliths = { inherit (monoliths) static; };
      }
    );
    expected = [ ];
  };

  "test: the schema check finds a backup option of the wrong type" = {
    expr = schema.check {
      services.restic.backups.nmmm = {
        paths = "/var/lib";
        timerConfig.OnCalendar.nested = 1;
      };
    };
    expected = [
      "services.restic.backups.nmmm.paths: \"/var/lib\" is not a value of `null or (list of string)` (the type of `services.restic.backups.<name>.paths`)"
      "services.restic.backups.nmmm.timerConfig: {\"OnCalendar\":{\"nested\":1}} is not a value of `null or (attribute set of (systemd option))` (the type of `services.restic.backups.<name>.timerConfig`)"
    ];
  };

  "test: backups that are off have no problems" = {
    expr = nmmm.backupProblems nmmm.backupDefaults;
    expected = [ ];
  };

  "test: backups that are on need a repository and a password" = {
    expr = nmmm.backupProblems (
      nmmm.backupDefaults
      // {
        enable = true;
      }
    );
    expected = [
      "nmmm.backup.repository: say where restic keeps the backups, like /mnt/backup/nmmm, sftp:backup@host:/nmmm or s3:s3.amazonaws.com/bucket/nmmm"
      "nmmm.backup.passwordFile: name the root-only file holding the repository's password, like /run/secrets/restic-password (or set RESTIC_PASSWORD in nmmm.backup.environmentFile)"
    ];
  };

  "test: backup secrets must be absolute paths outside the store" = {
    expr = nmmm.backupProblems (
      backup
      // {
        passwordFile = "secrets/restic-password";
        environmentFile = "/nix/store/0000000000000000000000000000000-restic.env";
      }
    );
    expected = [
      "nmmm.backup.passwordFile: `secrets/restic-password` must be an absolute path on the machine, like /run/secrets/restic-password"
      "nmmm.backup.environmentFile: `/nix/store/0000000000000000000000000000000-restic.env` is in the Nix store, which every user can read; keep it in a root-only file outside it, like /run/secrets/restic.env"
    ];
  };

  "test: the password may come from the environment file alone" = {
    expr = nmmm.backupProblems (
      backup
      // {
        passwordFile = null;
      }
    );
    expected = [ ];
  };
}
