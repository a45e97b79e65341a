# Backups of a machine's monoliths: each run dumps every monolith's database, then restic backs
# up the dumps and the state directories through NixOS's own `services.restic.backups.nmmm`,
# one snapshot per run tagged with the monoliths it holds.
#
# The dump step and the restore steps are the shell functions of ./backup/steps.sh. The backup
# unit runs the dump step as its `backupPrepareCommand`; `cargo xtask restore` embeds the same
# file and runs the restore steps on the host, with the same two variables ahead of it
# (`stepsScript`).
let
  monolith = import ./monolith.nix;
  names = import ./names.nix;

  steps = builtins.readFile ./backup/steps.sh;

  # One POSIX shell word, always single-quoted (the tool quotes the same way).
  shellQuote = s: "'" + builtins.replaceStrings [ "'" ] [ "'\\''" ] s + "'";

  concatMapStrings = f: list: builtins.concatStringsSep "" (map f list);

  # The layout of a NixOS machine. The tests lay a machine out under a temporary `root`, with
  # PostgreSQL running as another user.
  nixosMachine = {
    root = "";
    postgresUser = "postgres";
  };
in
rec {
  inherit shellQuote nixosMachine;

  defaults = {
    enable = false;
    repository = null;
    passwordFile = null;
    environmentFile = null;
    schedule = "daily";
    keep = {
      daily = 7;
      weekly = 4;
      monthly = 6;
    };
  };

  # Whether a monolith's data is in the backups when they are on (`backup.enable`, true unless
  # it says otherwise).
  included = m: (m.backup or { }).enable or true;

  # The monoliths in the backups, with their defaults, in name order.
  backedUp =
    monoliths:
    builtins.filter included (
      builtins.attrValues (builtins.mapAttrs monolith.withDefaults monoliths)
    );

  dumpDirectory = machine: "${machine.root}/var/backup/nmmm";

  # Where systemd's StateDirectory puts a monolith's state (see monolith.nix's service).
  stateDirectory = machine: m: "${machine.root}/var/lib/${m.domain}";

  # The steps file after the machine's layout: the functions every backup and restore step
  # calls.
  stepsScript =
    machine:
    ''
      root=${shellQuote machine.root}
      postgres_user=${shellQuote machine.postgresUser}
    ''
    + steps;

  # The dump step: a fresh root-only folder, then one pg_dump per monolith with a database. A
  # failed dump exits non-zero, which fails the backup unit before restic runs.
  dumpCommand =
    { monoliths, machine }:
    "#!/bin/sh\n"
    + stepsScript machine
    + "\nset -eu\nnmmm_dumps_begin\n"
    + concatMapStrings (m: "nmmm_dump ${shellQuote m.name} ${shellQuote (names.roleName m.name)}\n") (
      builtins.filter (m: m.database.enable) (backedUp monoliths)
    );

  # `restic forget --prune` options from the counts to keep; a count of 0 keeps none of that kind.
  pruneOpts =
    keep:
    map (kind: "--keep-${kind} ${toString keep.${kind}}") (
      builtins.filter (kind: keep.${kind} > 0) [
        "daily"
        "weekly"
        "monthly"
      ]
    );

  # `services.restic.backups.nmmm`.
  resticBackup =
    {
      backup,
      monoliths,
      machine ? nixosMachine,
    }:
    let
      ms = backedUp monoliths;
    in
    {
      inherit (backup) repository passwordFile environmentFile;
      initialize = true;
      # `restic-nmmm`, the wrapper with the unit's repository, password and environment that
      # `cargo xtask snapshots` and `restore` run on the host.
      createWrapper = true;
      paths = [ (dumpDirectory machine) ] ++ map (stateDirectory machine) ms;
      extraBackupArgs = map (m: "--tag=${m.name}") ms;
      pruneOpts = pruneOpts backup.keep;
      timerConfig = {
        OnCalendar = backup.schedule;
        RandomizedDelaySec = "1h";
        Persistent = true;
      };
      backupPrepareCommand = dumpCommand { inherit monoliths machine; };
    };

  # What the module adds with `nmmm.backup.enable`. Top-level keys never depend on the monoliths.
  backupConfig =
    { backup, monoliths }:
    {
      services.restic.backups.nmmm = resticBackup { inherit backup monoliths; };

      # The dump step runs before restic in the unit's preStart, whose PATH has neither pg_dump
      # nor runuser; the system's profile has both (PostgreSQL's module puts its package there).
      systemd.services.restic-backups-nmmm.path = [ "/run/current-system/sw" ];

      # Root-only: the dumps hold every monolith's data.
      systemd.tmpfiles.rules = [ "d ${dumpDirectory nixosMachine} 0700 root root -" ];
    };

  # What is wrong with the backup settings, as messages for assertions.
  backupProblems =
    backup:
    let
      secretProblem =
        option: example: path:
        if path == null then
          [ ]
        else if builtins.substring 0 1 path != "/" then
          [
            "nmmm.backup.${option}: `${path}` must be an absolute path on the machine, like ${example}"
          ]
        else if builtins.substring 0 11 path == "/nix/store/" then
          [
            "nmmm.backup.${option}: `${path}` is in the Nix store, which every user can read; keep it in a root-only file outside it, like ${example}"
          ]
        else
          [ ];
    in
    if !backup.enable then
      [ ]
    else
      (
        if backup.repository == null then
          [
            "nmmm.backup.repository: say where restic keeps the backups, like /mnt/backup/nmmm, sftp:backup@host:/nmmm or s3:s3.amazonaws.com/bucket/nmmm"
          ]
        else
          [ ]
      )
      ++ (
        if backup.passwordFile == null && backup.environmentFile == null then
          [
            "nmmm.backup.passwordFile: name the root-only file holding the repository's password, like /run/secrets/restic-password (or set RESTIC_PASSWORD in nmmm.backup.environmentFile)"
          ]
        else
          [ ]
      )
      ++ secretProblem "passwordFile" "/run/secrets/restic-password" backup.passwordFile
      ++ secretProblem "environmentFile" "/run/secrets/restic.env" backup.environmentFile;
}
