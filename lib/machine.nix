# A machine of monoliths: the NixOS configuration they add up to, and what is wrong with them.
#
# `monoliths` is an attribute set from name to monolith, so that a fleet hands each host the
# subset placed on it (fleet.nix's `hostMonoliths`).
let
  names = import ./names.nix;
  monolith = import ./monolith.nix;
  fleet = import ./fleet.nix;

  optionalAttrs = cond: attrs: if cond then attrs else { };
  mergeAll = builtins.foldl' (a: b: a // b) { };
  concatMap = f: list: builtins.concatLists (map f list);
  unique = builtins.foldl' (seen: x: if builtins.elem x seen then seen else seen ++ [ x ]) [ ];

  # From a list of { key; owner; } to the keys used more than once and by whom.
  duplicates =
    pairs:
    let
      owners = builtins.foldl' (
        acc: pair: acc // { ${pair.key} = (acc.${pair.key} or [ ]) ++ [ pair.owner ]; }
      ) { } pairs;
    in
    builtins.filter (d: builtins.length d.owners > 1) (
      map (key: {
        inherit key;
        owners = owners.${key};
      }) (builtins.attrNames owners)
    );

  quoteAll = ns: builtins.concatStringsSep " and " (map (n: "`${n}`") ns);

  hostNamePattern = "([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?[.])*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
in
rec {
  normalize = monoliths: builtins.mapAttrs monolith.withDefaults monoliths;

  # The vhost that answers every Host header no monolith claims: 444 closes the connection
  # without a response over HTTP, and rejectSSL refuses the TLS handshake, so the machine never
  # serves one monolith's certificate or content under a stranger's name.
  defaultVhost = {
    default = true;
    rejectSSL = true;
    locations."/".return = 444;
  };

  # Two monoliths on one port, or one host name claimed twice.
  conflicts = monoliths: portConflicts "" monoliths ++ hostNameConflicts monoliths;

  # Two monoliths on one port; `where` ends the subject, like " on web1".
  portConflicts =
    where: monoliths:
    map
      (
        d:
        "nmmm.monoliths: ${quoteAll d.owners} use the same port ${d.key}${where}; give each monolith its own port"
      )
      (
        duplicates (
          map (m: {
            key = toString m.port;
            owner = m.name;
          }) (builtins.attrValues (normalize monoliths))
        )
      );

  # One host name claimed twice, by one monolith or by two.
  hostNameConflicts =
    monoliths:
    map
      (
        d:
        let
          owners = unique d.owners;
        in
        if builtins.length owners == 1 then
          "nmmm.monoliths.${builtins.head owners}: answers to ${d.key} twice (domain, www. or aliases); list each host name once"
        else
          "nmmm.monoliths: ${quoteAll owners} both answer to ${d.key}; a host name belongs to one monolith"
      )
      (
        duplicates (
          concatMap (
            m:
            map (host: {
              key = host;
              owner = m.name;
            }) (monolith.hostNames m)
          ) (builtins.attrValues (normalize monoliths))
        )
      );

  # Everything the module turns into assertions, as messages.
  #
  # Without `hosts` the monoliths share one machine. With them, they are a fleet: ports must be
  # unique on each host only, host names in the whole fleet, and every monolith needs a place.
  # Every host reports the problems of the whole fleet, since all hosts share one description.
  problems =
    {
      monoliths,
      hosts ? { },
      currentHost ? null,
      agenix ? null,
      ...
    }:
    let
      placement = fleet.place { inherit hosts monoliths; };
      fleetProblems =
        fleet.hostProblems hosts
        ++ placement.problems
        ++ concatMap (
          host:
          portConflicts " on ${host}" (fleet.hostMonoliths {
            inherit hosts monoliths host;
          })
        ) (builtins.attrNames hosts)
        ++ hostNameConflicts monoliths;
      currentHostProblems =
        if currentHost != null && !(hosts ? ${currentHost}) then
          [ "nmmm.currentHost: `${currentHost}` is not a host of nmmm.hosts" ]
        else
          [ ];
      ms = builtins.attrValues (normalize monoliths);
      anyDatabase = builtins.any (m: m.database.enable) ms;
      perMonolith =
        m:
        let
          at = "nmmm.monoliths.${m.name}";
        in
        builtins.filter (p: p != null) [
          (names.nameProblem m.name)
          (
            if builtins.match hostNamePattern m.domain == null then
              "${at}.domain: `${m.domain}` is not a lowercase host name like shop.example.com"
            else
              null
          )
          (
            let
              bad = builtins.filter (a: builtins.match hostNamePattern a == null) m.aliases;
            in
            if bad != [ ] then
              "${at}.aliases: ${quoteAll bad} are not lowercase host names like shop.example.com"
            else
              null
          )
          (
            if m.port < 1024 || m.port > 65535 then
              "${at}.port: ${toString m.port} is outside 1024-65535; the hardened service has no privilege to bind ports below 1024"
            else
              null
          )
          (
            if anyDatabase && m.port == 5432 then
              "${at}.port: 5432 is PostgreSQL's port on this machine; choose another"
            else
              null
          )
          (
            if m.environmentFile == null then
              null
            else if builtins.substring 0 1 m.environmentFile != "/" then
              "${at}.environmentFile: `${m.environmentFile}` must be an absolute path on the machine, like /run/secrets/${m.name}.env"
            else if builtins.substring 0 11 m.environmentFile == "/nix/store/" then
              "${at}.environmentFile: `${m.environmentFile}` is in the Nix store, which every user can read; keep secrets in a file outside it, like /run/secrets/${m.name}.env"
            else
              null
          )
          (
            if m.secrets != null && agenix == null then
              "${at}.secrets: decrypting secrets needs agenix's NixOS module: add `inputs.agenix.url = \"github:ryantm/agenix\";` to flake.nix and `agenix.nixosModules.default` to the machine's modules"
            else
              null
          )
        ];
    in
    concatMap perMonolith ms
    ++ (if hosts == { } then conflicts monoliths else fleetProblems)
    ++ currentHostProblems;

  # The NixOS configuration of a machine running `monoliths`. `agenix` is null without agenix's
  # NixOS module, else `{ secretsDir; }` (its `age.secretsDir`): the monoliths' secrets become
  # `age.secrets` and their services' environment files.
  #
  # The top-level attributes are the same whatever the monoliths are: the module system must
  # learn which options a module defines without evaluating `config.nmmm`, or it recurses
  # forever. Attributes below them may depend on the monoliths.
  machineConfig =
    {
      monoliths,
      acmeEmail ? null,
      agenix ? null,
    }:
    let
      ms = builtins.attrValues (normalize monoliths);
      withSecrets = builtins.filter (m: m.secrets != null) ms;
      withDatabase = builtins.filter (m: m.database.enable) ms;
      withAcme = builtins.filter (m: m.acme) ms;
      databases = map monolith.database withDatabase;
    in
    {
      services = {
        nginx = {
          enable = true;
          recommendedProxySettings = true;
          recommendedTlsSettings = true;
          recommendedOptimisation = true;
          recommendedGzipSettings = true;
          virtualHosts = {
            "_" = defaultVhost;
          }
          // mergeAll (map monolith.vhosts ms);
        };
      }
      // optionalAttrs (withDatabase != [ ]) {
        postgresql = {
          enable = true;
          ensureDatabases = concatMap (d: d.ensureDatabases) databases;
          ensureUsers = concatMap (d: d.ensureUsers) databases;
          authentication = builtins.concatStringsSep "" (map (d: d.authentication) databases);
        };
      };

      security = optionalAttrs (withAcme != [ ]) {
        acme = {
          acceptTerms = true;
          certs = mergeAll (map monolith.certificates withAcme);
        }
        // optionalAttrs (acmeEmail != null) { defaults.email = acmeEmail; };
      };

      systemd.services = builtins.mapAttrs (_: monolith.serviceWith agenix) (normalize monoliths);

      users = {
        users = builtins.listToAttrs (
          map (m: {
            name = names.roleName m.name;
            value = monolith.user m;
          }) ms
        );
        groups = builtins.listToAttrs (
          map (m: {
            name = names.roleName m.name;
            value = { };
          }) ms
        );
      };

      networking.firewall.allowedTCPPorts = [
        80
        443
      ];
    }
    # `age` exists only with agenix's module; whether it is there never depends on the monoliths.
    // optionalAttrs (agenix != null) {
      age.secrets = builtins.listToAttrs (
        map (m: {
          name = monolith.secretName m;
          value = monolith.ageSecret m;
        }) withSecrets
      );
    };
}
