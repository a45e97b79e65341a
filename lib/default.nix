# NMMM's pure library: monoliths in, NixOS configuration out.
#
# Everything here uses `builtins` only, so it evaluates without nixpkgs and is tested with
# `nix-instantiate --eval --strict --json tests/nix/run.nix`. The module in ../modules declares
# the options and hands their values to `machineConfig` and `problems`.
let
  names = import ./names.nix;
  monolith = import ./monolith.nix;
  machine = import ./machine.nix;
  fleet = import ./fleet.nix;
  backup = import ./backup.nix;
in
{
  inherit (names) validName nameProblem roleName;
  inherit (machine)
    machineConfig
    problems
    conflicts
    portConflicts
    hostNameConflicts
    defaultVhost
    ;

  # Fleets: which host runs which monolith, and one NixOS configuration per host.
  inherit (fleet)
    place
    hostMonoliths
    hostProblems
    mkFleet
    ;

  # One monolith at a time; `name` is the attribute name under `nmmm.monoliths`.
  withDefaults = monolith.withDefaults;
  monolithHostNames = name: m: monolith.hostNames (monolith.withDefaults name m);
  monolithVhosts = name: m: monolith.vhosts (monolith.withDefaults name m);
  monolithCertificates = name: m: monolith.certificates (monolith.withDefaults name m);
  monolithService = name: m: monolith.service (monolith.withDefaults name m);
  monolithDatabase = name: m: monolith.database (monolith.withDefaults name m);
  monolithDatabaseUrl = name: m: monolith.databaseUrl (monolith.withDefaults name m);
  monolithUser = name: m: monolith.user (monolith.withDefaults name m);

  # Backups: `services.restic.backups.nmmm` with its dump step, and the restore steps the tool
  # runs (backup.nix).
  inherit (backup)
    backupConfig
    backupProblems
    resticBackup
    dumpCommand
    stepsScript
    nixosMachine
    ;
  backupDefaults = backup.defaults;
  # With agenix's module: `agenix` is `{ secretsDir; }` (see machineConfig).
  monolithServiceWith =
    agenix: name: m:
    monolith.serviceWith agenix (monolith.withDefaults name m);
  monolithAgeSecret = name: m: monolith.ageSecret (monolith.withDefaults name m);
  monolithSecretName = name: monolith.secretName { inherit name; };
  inherit (monolith) escapeExecArg databaseUnit agenixUnit;
}
