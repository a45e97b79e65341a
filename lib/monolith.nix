# One monolith: what NixOS needs for it, as plain attribute sets.
#
# Every function takes a monolith as `withDefaults` returns it: the module hands over its
# option values with the package already turned into the `exec` string, so nothing here needs
# nixpkgs and tests can pass plain strings.
let
  names = import ./names.nix;

  optionalAttrs = cond: attrs: if cond then attrs else { };

  # Quote one argument for ExecStart the way nixpkgs' `utils.escapeSystemdExecArg` does: JSON
  # quoting is valid systemd quoting, and `%` and `$` would otherwise be specifiers and
  # environment expansions.
  escapeExecArg = arg: builtins.replaceStrings [ "%" "$" ] [ "%%" "$$" ] (builtins.toJSON arg);

  # The unit that guarantees a monolith's role and database exist. Since NixOS 25.11 the
  # `ensure*` steps run in postgresql-setup.service and postgresql.target requires both it and
  # postgresql.service; ordering after postgresql.service alone would start the monolith before
  # its role exists.
  databaseUnit = "postgresql.target";

  socketDirectory = "/run/postgresql";
  # The unit in which agenix decrypts secrets on machines whose users come from
  # systemd-sysusers or userborn (ryantm/agenix modules/age.nix, `agenix-install-secrets`).
  # Elsewhere agenix decrypts in the activation scripts `agenixInstall` and `agenixChown`, which
  # finish before switch-to-configuration starts or restarts any service, and at boot before
  # systemd starts one: there the unit does not exist, `after` on it is a no-op and `wants` on it
  # is ignored. Ordering after it always, rather than guessing which kind the machine is, stays
  # right whichever way the machine's agenix decrypts.
  agenixUnit = "agenix-install-secrets.service";
in
rec {
  inherit escapeExecArg databaseUnit agenixUnit;

  defaults = {
    host = null;
    aliases = [ ];
    www = true;
    acme = true;
    args = [ ];
    environment = { };
    environmentFile = null;
    secrets = null;
    database = {
      enable = true;
    };
  };

  withDefaults =
    name: monolith:
    defaults
    // monolith
    // {
      inherit name;
      database = defaults.database // (monolith.database or { });
    };

  # Every host name a monolith answers to: its domain, `www.` and its aliases.
  hostNames =
    m: [ m.domain ] ++ (if m.www then [ "www.${m.domain}" ] else [ ]) ++ m.aliases;

  # The domain and the aliases serve the application; `www.` redirects to the domain. With ACME,
  # the domain's vhost asks for the one certificate (nginx names it after the vhost) and the
  # other vhosts use it, so a monolith costs one certificate whatever its number of names.
  vhosts =
    m:
    let
      tls = optionalAttrs m.acme { forceSSL = true; };
      usesCertificate = tls // optionalAttrs m.acme { useACMEHost = m.domain; };
      proxy = {
        locations."/" = {
          proxyPass = "http://127.0.0.1:${toString m.port}";
          proxyWebsockets = true;
          recommendedProxySettings = true;
        };
      };
    in
    {
      ${m.domain} = proxy // tls // optionalAttrs m.acme { enableACME = true; };
    }
    // optionalAttrs m.www {
      "www.${m.domain}" = usesCertificate // {
        globalRedirect = m.domain;
      };
    }
    // builtins.listToAttrs (
      map (alias: {
        name = alias;
        value = proxy // usesCertificate;
      }) m.aliases
    );

  # The certificate nginx requests for the domain's vhost, extended to the other names. nginx's
  # module sets its webroot and group; this adds what only NMMM knows.
  certificates =
    m:
    optionalAttrs m.acme {
      ${m.domain}.extraDomainNames = builtins.tail (hostNames m);
    };

  databaseUrl =
    m:
    let
      role = names.roleName m.name;
    in
    "postgresql:///${role}?host=${socketDirectory}&user=${role}";

  # The role and database are both named after the monolith; `ensureDBOwnership` needs exactly
  # that. The role is created without superuser, createdb or password: it reaches PostgreSQL only
  # over the unix socket, where peer authentication matches the service's system user.
  database =
    m:
    let
      role = names.roleName m.name;
    in
    {
      ensureDatabases = [ role ];
      ensureUsers = [
        {
          name = role;
          ensureDBOwnership = true;
        }
      ];
      # pg_hba.conf takes the first matching line, and these come before NixOS's defaults
      # (`local all all peer`, added with mkAfter): the role reaches its own database and is
      # refused everywhere else, where by default PUBLIC could still connect.
      authentication = ''
        local ${role} ${role} peer
        local all ${role} reject
      '';
    };

  # A static system user rather than DynamicUser: peer authentication compares the connecting
  # process's user name with the role, and a dynamic user would be named after the unit (which
  # keeps its `-`). A static user also keeps the state directory's owner stable across rebuilds.
  user = m: {
    isSystemUser = true;
    group = names.roleName m.name;
    description = "NMMM monolith ${m.name}";
  };

  # The name of a monolith's secret in agenix's `age.secrets`.
  secretName = m: "nmmm-${m.name}";

  # What agenix needs to decrypt a monolith's secrets: readable by its user alone.
  ageSecret =
    m:
    let
      role = names.roleName m.name;
    in
    {
      file = m.secrets;
      owner = role;
      group = role;
      mode = "0400";
    };

  # Where agenix puts a monolith's decrypted secrets (its `age.secrets.<name>.path` default), or
  # null when it has none. `agenix` is null without agenix's module, else `{ secretsDir; }`.
  decryptedSecrets =
    agenix: m:
    if m.secrets == null || agenix == null then null else "${agenix.secretsDir}/${secretName m}";

  # The service without agenix (the secrets, if any, are then an assertion: see machine.nix).
  service = serviceWith null;

  serviceWith =
    agenix: m:
    let
      role = names.roleName m.name;
      dbUnits = if m.database.enable then [ databaseUnit ] else [ ];
      secretsFile = decryptedSecrets agenix m;
      secretUnits = if secretsFile == null then [ ] else [ agenixUnit ];
      environmentFiles = builtins.filter (f: f != null) [
        m.environmentFile
        secretsFile
      ];
    in
    {
      description = "NMMM monolith ${m.name} (${m.domain})";
      wantedBy = [ "multi-user.target" ];
      after = [ "network.target" ] ++ dbUnits ++ secretUnits;
      requires = dbUnits;
      # PORT and DATABASE_URL come last: they are what NMMM wires, and a stray entry in
      # `environment` must not point the service at another port or database.
      environment =
        m.environment
        // {
          PORT = toString m.port;
        }
        // optionalAttrs m.database.enable { DATABASE_URL = databaseUrl m; };
      serviceConfig = {
        ExecStart = builtins.concatStringsSep " " (map escapeExecArg ([ m.exec ] ++ m.args));
        User = role;
        Group = role;
        Restart = "on-failure";
        RestartSec = 5;
        StateDirectory = m.domain;
        StateDirectoryMode = "0750";
        WorkingDirectory = "/var/lib/${m.domain}";
        UMask = "0027";

        # Hardening. The service talks TCP to nginx and over the unix socket to PostgreSQL, and
        # writes only to its state directory. MemoryDenyWriteExecute is left out because it
        # breaks JIT runtimes (JVM, V8, LuaJIT) a monolith may well be written in.
        ProtectSystem = "strict";
        ProtectHome = true;
        PrivateTmp = true;
        PrivateDevices = true;
        NoNewPrivileges = true;
        CapabilityBoundingSet = "";
        RestrictAddressFamilies = [
          "AF_INET"
          "AF_INET6"
          "AF_UNIX"
        ];
        RestrictNamespaces = true;
        RestrictRealtime = true;
        RestrictSUIDSGID = true;
        LockPersonality = true;
        ProtectClock = true;
        ProtectControlGroups = true;
        ProtectHostname = true;
        ProtectKernelLogs = true;
        ProtectKernelModules = true;
        ProtectKernelTunables = true;
        ProtectProc = "invisible";
        RemoveIPC = true;
        SystemCallArchitectures = "native";
        SystemCallFilter = [
          "@system-service"
          "~@privileged"
        ];
      }
      // optionalAttrs (environmentFiles != [ ]) {
        EnvironmentFile =
          if builtins.length environmentFiles == 1 then builtins.head environmentFiles else environmentFiles;
      };
    }
    // optionalAttrs (secretsFile != null) {
      wants = secretUnits;
      # The encrypted file's store path changes with the secrets, and so the unit: a switch
      # restarts the service to read them.
      restartTriggers = [ m.secrets ];
    };
}
