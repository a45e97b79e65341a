# Fleets: several hosts, each running the monoliths placed on it (as in Disnix, where a
# distribution maps services to machines and each machine's nginx knows only its own).
#
# `place` is the distribution. Monoliths pinned with `host` stay where they are; the others, in
# name order, go one by one to the host with the most free capacity, ties by host name, the way
# dydisnix-gendist's greedy strategy fills machines. A host without a capacity has more room
# than any host with one, and among such hosts the one holding the fewest monoliths is the
# freest. Capacity is never exceeded: a monolith with no room is reported, not squeezed in.
#
# Greedy placement is deterministic but not stable: adding a monolith that sorts first can
# shift the choices after it. Stability comes from pins: `cargo xtask place` writes every
# placement back as `nmmm.monoliths.<name>.host`, so placed monoliths never move and only new
# ones are placed.
#
# `mkFleet` turns one machine description into one `nixosSystem` per host and, given colmena,
# the `colmenaHive` that deploys them all.
let
  names = import ./names.nix;

  optionalAttrs = cond: attrs: if cond then attrs else { };
  genAttrs =
    keys: f:
    builtins.listToAttrs (
      map (name: {
        inherit name;
        value = f name;
      }) keys
    );

  # "`a`", "`a` and `b`", "`a`, `b` and `c`".
  quoteList =
    items:
    let
      quoted = map (i: "`${i}`") items;
      n = builtins.length quoted;
    in
    if n <= 1 then
      builtins.concatStringsSep "" quoted
    else
      builtins.concatStringsSep ", " (builtins.genList (i: builtins.elemAt quoted i) (n - 1))
      + " and "
      + builtins.elemAt quoted (n - 1);

  # Host names colmena keeps for itself in a hive.
  colmenaReserved = [
    "defaults"
    "meta"
    "network"
  ];
in
rec {
  inherit quoteList;

  # { hosts = { <host> = { capacity ? null; ... }; }; monoliths = { <name> = { host ? null; ... }; }; }
  # -> { assignment = { <name> = <host>; }; problems = [ message ]; }
  #
  # `assignment` holds every monolith that has a place; the problems say why the others have
  # none.
  place =
    { hosts, monoliths }:
    let
      hostNames = builtins.attrNames hosts;
      monolithNames = builtins.attrNames monoliths;
      capacityOf = host: hosts.${host}.capacity or null;
      pinOf = name: monoliths.${name}.host or null;

      pinned = builtins.filter (n: pinOf n != null && hosts ? ${pinOf n}) monolithNames;
      strays = builtins.filter (n: pinOf n != null && !(hosts ? ${pinOf n})) monolithNames;
      unpinned = builtins.filter (n: pinOf n == null) monolithNames;

      pinnedTo = host: builtins.filter (n: pinOf n == host) pinned;
      overfull = builtins.filter (
        h: capacityOf h != null && builtins.length (pinnedTo h) > capacityOf h
      ) hostNames;

      hasRoom = counts: h: capacityOf h == null || counts.${h} < capacityOf h;
      # Whether host `a` has strictly more free room than host `b`.
      freer =
        counts: a: b:
        let
          ca = capacityOf a;
          cb = capacityOf b;
        in
        if ca == null && cb == null then
          counts.${a} < counts.${b}
        else if ca == null then
          true
        else if cb == null then
          false
        else
          ca - counts.${a} > cb - counts.${b};

      step =
        state: name:
        let
          candidates = builtins.filter (hasRoom state.counts) hostNames;
          # Host names are sorted and only a strictly freer host replaces the best so far, so
          # ties go to the first name.
          best = builtins.foldl' (
            best: h: if best == null || freer state.counts h best then h else best
          ) null candidates;
        in
        if best == null then
          state // { full = state.full ++ [ name ]; }
        else
          state
          // {
            assignment = state.assignment // {
              ${name} = best;
            };
            counts = state.counts // {
              ${best} = state.counts.${best} + 1;
            };
          };

      initial = {
        assignment = genAttrs pinned pinOf;
        counts = genAttrs hostNames (h: builtins.length (pinnedTo h));
        full = [ ];
      };
      result = builtins.foldl' step initial unpinned;
    in
    {
      inherit (result) assignment;
      problems =
        map (
          n:
          "nmmm.monoliths.${n}.host: `${pinOf n}` is not a host of nmmm.hosts"
          + (if hostNames == [ ] then "; declare it there" else " (${quoteList hostNames})")
        ) strays
        ++ map (
          h:
          "nmmm.hosts.${h}: ${quoteList (pinnedTo h)} are pinned to it but its capacity is ${toString (capacityOf h)}; raise nmmm.hosts.${h}.capacity or pin some elsewhere"
        ) overfull
        ++ (
          if result.full == [ ] then
            [ ]
          else
            [
              "nmmm.hosts: the fleet is full, no host has room for ${quoteList result.full}; raise a host's capacity or add a host"
            ]
        );
    };

  # The monoliths `place` puts on `host`.
  hostMonoliths =
    {
      hosts,
      monoliths,
      host,
    }:
    let
      assignment = (place { inherit hosts monoliths; }).assignment;
    in
    builtins.removeAttrs monoliths (
      builtins.filter (n: (assignment.${n} or null) != host) (builtins.attrNames monoliths)
    );

  # What is wrong with the hosts themselves.
  hostProblems =
    hosts:
    builtins.concatLists (
      map (
        h:
        if !names.validName h then
          [
            "nmmm.hosts.\"${h}\": a host name must be lowercase letters, digits and `-`, start with a letter, not end with `-` and have at most 32 characters, because it names a NixOS configuration and a colmena node"
          ]
        else if builtins.elem h colmenaReserved then
          [ "nmmm.hosts.${h}: colmena reserves the name `${h}`; choose another" ]
        else
          [ ]
      ) (builtins.attrNames hosts)
    );

  # One machine description, many hosts.
  #
  #   outputs = { nixpkgs, nmmm, colmena, ... }:
  #     nmmm.lib.mkFleet {
  #       inherit nixpkgs colmena;
  #       modules = [ ./fleet.nix ./monoliths ];
  #       hostModules.web1 = [ ./hosts/web1 ];
  #       hostModules.web2 = [ ./hosts/web2 ];
  #     };
  #
  # gives `nixosConfigurations.<host>` for every `nmmm.hosts.<host>` and, with colmena,
  # `colmenaHive`. Each host evaluates the same modules with `nmmm.currentHost` set to its name,
  # so it runs only the monoliths placed on it. The host names are read from one evaluation of
  # the shared modules, which only looks at `nmmm.hosts`.
  #
  # colmena adds its `deployment` options to the nodes of the hive itself; they are never put
  # into the `nixosSystem`s, where they would be undeclared options.
  mkFleet =
    {
      # The nixpkgs flake input: `lib.nixosSystem` builds the hosts, `legacyPackages` is the
      # package set colmena evaluates them with.
      nixpkgs,
      # Modules every host imports: `nmmm.hosts`, the monoliths, common settings.
      modules,
      # Modules of one host (its hardware configuration), by host name.
      hostModules ? { },
      # The colmena flake input, or null for no `colmenaHive`.
      colmena ? null,
      system ? "x86_64-linux",
      specialArgs ? { },
      nmmmModule ? ../modules/nmmm.nix,
    }:
    let
      nixosSystem = nixpkgs.lib.nixosSystem;
      shared = [ nmmmModule ] ++ modules;
      hosts =
        (nixosSystem {
          inherit system specialArgs;
          modules = shared;
        }).config.nmmm.hosts;
      hostNames = builtins.attrNames hosts;
      modulesOf = host: shared ++ (hostModules.${host} or [ ]) ++ [ { nmmm.currentHost = host; } ];
      pkgs = nixpkgs.legacyPackages.${system};
      unknown = builtins.filter (h: !(hosts ? ${h})) (builtins.attrNames hostModules);
    in
    if unknown != [ ] then
      throw "mkFleet: hostModules names ${quoteList unknown}, which nmmm.hosts does not declare"
    else
      {
        nixosConfigurations = genAttrs hostNames (
          host:
          nixosSystem {
            inherit system specialArgs;
            modules = modulesOf host;
          }
        );
      }
      // optionalAttrs (colmena != null) {
        colmenaHive = colmena.lib.makeHive (
          {
            meta = {
              nixpkgs = pkgs;
              nodeNixpkgs = genAttrs hostNames (_: pkgs);
              nodeSpecialArgs = genAttrs hostNames (_: specialArgs);
            };
          }
          // genAttrs hostNames (
            host:
            let
              h = hosts.${host};
            in
            {
              imports = modulesOf host;
              deployment = {
                targetHost = h.address;
                targetUser = h.user or "root";
                tags = h.tags or [ ];
                buildOnTarget = h.buildOnTarget or false;
              };
            }
          )
        );
      };
}
