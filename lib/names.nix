# Names of monoliths and what the machine derives from them.
#
# The rule is shared with the Rust tool: lowercase letters, digits and `-`, starting with a
# letter, at most 32 characters. The systemd unit keeps the name as it is; the system user,
# the PostgreSQL role and the database replace `-` by `_`, because PostgreSQL would need
# quoting for `-` and `_` is what every other tool expects there.
let
  # Names the machine already uses for its own units, users or roles. A monolith with one of
  # them would silently share a unit, a user or (worse) the PostgreSQL superuser role.
  reservedNames = [
    "acme"
    "nginx"
    "nobody"
    "postgres"
    "postgresql"
    "postgresql-setup"
    "root"
    "sshd"
  ];

  # PostgreSQL reserves roles starting with `pg_`, and systemd owns units and users starting
  # with `systemd-`.
  reservedPrefixes = [
    "pg-"
    "systemd-"
  ];

  hasPrefix = prefix: s: builtins.substring 0 (builtins.stringLength prefix) s == prefix;
in
rec {
  # Not ending with `-`, which would leave the role ending with `_`.
  validName =
    name: builtins.isString name && builtins.match "[a-z]([a-z0-9-]{0,30}[a-z0-9])?" name != null;

  # Why a name is refused, or null when it is fine.
  nameProblem =
    name:
    if !validName name then
      "nmmm.monoliths.\"${name}\": the name must be lowercase letters, digits and `-`, start with a letter, not end with `-` and have at most 32 characters, because it names a systemd unit, a system user and a PostgreSQL role"
    else if builtins.elem name reservedNames then
      "nmmm.monoliths.\"${name}\": the name `${name}` is already used by the machine itself (a unit, a user or a PostgreSQL role); choose another"
    else if builtins.any (prefix: hasPrefix prefix name) reservedPrefixes then
      "nmmm.monoliths.\"${name}\": names starting with ${
        builtins.concatStringsSep " or " (map (p: "`${p}`") reservedPrefixes)
      } are reserved by PostgreSQL and systemd; choose another"
    else
      null;

  # The system user, PostgreSQL role and database of a monolith.
  roleName = name: builtins.replaceStrings [ "-" ] [ "_" ] name;
}
