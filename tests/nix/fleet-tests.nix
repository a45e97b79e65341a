# Tests of lib/fleet.nix: placement, the fleet's problems, and mkFleet on the example fleet in
# tests/fleet, evaluated with the stand-ins of stub-nixos.nix.
let
  nmmm = import ../../lib;
  stub = import ./stub-nixos.nix;
  expected = import ../fleet/expected.nix;

  monolith = port: {
    domain = "m${toString port}.example.com";
    inherit port;
    exec = "/bin/m";
  };
  # `n` unpinned monoliths m01, m02, ... on their own ports.
  monoliths =
    n:
    builtins.listToAttrs (
      builtins.genList (
        i:
        let
          k = i + 1;
        in
        {
          name = if k < 10 then "m0${toString k}" else "m${toString k}";
          value = monolith (8080 + k);
        }
      ) n
    );
  pin = assignment: ms: builtins.mapAttrs (name: m: m // { host = assignment.${name} or null; }) ms;
  counts =
    assignment:
    builtins.foldl' (acc: h: acc // { ${h} = (acc.${h} or 0) + 1; }) { } (
      builtins.attrValues assignment
    );

  hosts = {
    a.capacity = 2;
    b.capacity = 3;
  };

  example = (import ../fleet/flake.nix).outputs {
    inherit (stub) nixpkgs colmena;
    nmmm.lib = nmmm;
  };
  exampleWithoutColmena = (import ../fleet/flake.nix).outputs {
    inherit (stub) nixpkgs;
    colmena = null;
    nmmm.lib = nmmm;
  };
  # A module as the expectations write it: a path relative to tests/fleet, or the module.
  describe =
    let
      root = toString ../fleet + "/";
      up = toString ../.. + "/";
      strip =
        prefix: s: builtins.substring (builtins.stringLength prefix) (builtins.stringLength s) s;
    in
    m:
    if builtins.isPath m then
      let
        s = toString m;
      in
      if builtins.substring 0 (builtins.stringLength root) s == root then
        strip root s
      else
        "../../" + strip up s
    else
      m;
  hostNames = builtins.attrNames expected.vhosts;
  perHost = f: builtins.listToAttrs (map (h: { name = h; value = f h; }) hostNames);
  machineOf = host: builtins.elemAt example.nixosConfigurations.${host}.nmmm.content.contents 1;
in
{
  "test: unpinned monoliths go to the host with the most free room, ties by name" = {
    expr = (nmmm.place {
      inherit hosts;
      monoliths = monoliths 4;
    }).assignment;
    expected = {
      m01 = "b";
      m02 = "a";
      m03 = "b";
      m04 = "a";
    };
  };

  "test: pinned monoliths stay on their host even when another has more room" = {
    expr = (nmmm.place {
      inherit hosts;
      monoliths = pin { m01 = "a"; m02 = "a"; } (monoliths 3);
    }).assignment;
    expected = {
      m01 = "a";
      m02 = "a";
      m03 = "b";
    };
  };

  "test: placement never exceeds a host's capacity, whatever the number of monoliths" = {
    expr = builtins.genList (
      n:
      let
        placed = nmmm.place {
          inherit hosts;
          monoliths = monoliths n;
        };
        c = counts placed.assignment;
      in
      {
        withinCapacity = (c.a or 0) <= 2 && (c.b or 0) <= 3;
        placed = builtins.length (builtins.attrNames placed.assignment);
        full = placed.problems != [ ];
      }
    ) 8;
    expected = builtins.genList (n: {
      withinCapacity = true;
      placed = if n < 5 then n else 5;
      full = n > 5;
    }) 8;
  };

  "test: a full fleet names the monoliths that have no room" = {
    expr = (nmmm.place {
      inherit hosts;
      monoliths = monoliths 7;
    }).problems;
    expected = [
      "nmmm.hosts: the fleet is full, no host has room for `m06` and `m07`; raise a host's capacity or add a host"
    ];
  };

  "test: pins beyond a host's capacity and pins to unknown hosts are problems" = {
    expr = (nmmm.place {
      inherit hosts;
      monoliths = pin {
        m01 = "a";
        m02 = "a";
        m03 = "a";
        m04 = "c";
      } (monoliths 4);
    }).problems;
    expected = [
      "nmmm.monoliths.m04.host: `c` is not a host of nmmm.hosts (`a` and `b`)"
      "nmmm.hosts.a: `m01`, `m02` and `m03` are pinned to it but its capacity is 2; raise nmmm.hosts.a.capacity or pin some elsewhere"
    ];
  };

  "test: hosts without a capacity share the monoliths evenly and are preferred to limited ones" =
    {
      expr = counts (nmmm.place {
        hosts = {
          a = { };
          b = { };
          c.capacity = 9;
        };
        monoliths = monoliths 5;
      }).assignment;
      expected = {
        a = 3;
        b = 2;
      };
    };

  # Greedy placement alone is not stable: a new monolith sorting first shifts the others. This
  # is why `cargo xtask place` writes placements back as pins.
  "test: without pins, adding a monolith can move others" = {
    expr =
      let
        before = (nmmm.place {
          inherit hosts;
          monoliths = monoliths 3;
        }).assignment;
        after = (nmmm.place {
          inherit hosts;
          monoliths = monoliths 3 // {
            aaa = monolith 9000;
          };
        }).assignment;
      in
      builtins.filter (n: before.${n} != after.${n}) (builtins.attrNames before);
    expected = [
      "m01"
      "m02"
      "m03"
    ];
  };

  "test: with the previous placement written back as pins, adding monoliths never moves one" = {
    expr = builtins.genList (
      n:
      let
        before = (nmmm.place {
          inherit hosts;
          monoliths = monoliths n;
        }).assignment;
        after = (nmmm.place {
          inherit hosts;
          monoliths = pin before (monoliths n) // {
            aaa = monolith 9000;
          };
        }).assignment;
      in
      builtins.all (name: after.${name} == before.${name}) (builtins.attrNames before)
    ) 5;
    expected = [
      true
      true
      true
      true
      true
    ];
  };

  "test: in a fleet ports are unique per host, not across hosts" = {
    expr = nmmm.problems {
      hosts = {
        a.capacity = 2;
        b.capacity = 1;
      };
      monoliths = {
        shop = monolith 8081 // {
          domain = "shop.example.com";
          host = "a";
        };
        blog = monolith 8081 // {
          domain = "blog.example.com";
          host = "a";
        };
        wiki = monolith 8081 // {
          domain = "wiki.example.com";
          host = "b";
        };
      };
    };
    expected = [
      "nmmm.monoliths: `blog` and `shop` use the same port 8081 on a; give each monolith its own port"
    ];
  };

  "test: in a fleet a host name belongs to one monolith across all hosts" = {
    expr = nmmm.problems {
      hosts = {
        a = { };
        b = { };
      };
      monoliths = {
        shop = monolith 8081 // {
          domain = "shop.example.com";
        };
        blog = monolith 8082 // {
          domain = "blog.example.com";
          aliases = [ "shop.example.com" ];
        };
      };
    };
    expected = [
      "nmmm.monoliths: `blog` and `shop` both answer to shop.example.com; a host name belongs to one monolith"
    ];
  };

  "test: hosts named like colmena's own attributes, or not like a name, are refused" = {
    expr = nmmm.hostProblems {
      meta = { };
      Web1 = { };
      web1 = { };
    };
    expected = [
      "nmmm.hosts.\"Web1\": a host name must be lowercase letters, digits and `-`, start with a letter, not end with `-` and have at most 32 characters, because it names a NixOS configuration and a colmena node"
      "nmmm.hosts.meta: colmena reserves the name `meta`; choose another"
    ];
  };

  "test: a current host that is not declared is a problem" = {
    expr = nmmm.problems {
      hosts.a = { };
      currentHost = "b";
      monoliths.shop = monolith 8081;
    };
    expected = [ "nmmm.currentHost: `b` is not a host of nmmm.hosts" ];
  };

  "test: the example fleet places its monoliths as expected" = {
    expr = (nmmm.place (
      let
        config = example.nixosConfigurations.web1.config.nmmm;
      in
      {
        inherit (config) hosts monoliths;
      }
    )).assignment;
    expected = expected.placement;
  };

  "test: the example fleet has one NixOS configuration per host" = {
    expr = builtins.attrNames example.nixosConfigurations;
    expected = hostNames;
  };

  "test: each host of the example fleet has only its own monoliths' vhosts and the default" = {
    expr = perHost (host: builtins.attrNames (machineOf host).services.nginx.virtualHosts);
    expected = expected.vhosts;
  };

  "test: each host of the example fleet runs only its own monoliths' services" = {
    expr = perHost (host: builtins.attrNames (machineOf host).systemd.services);
    expected = expected.services;
  };

  "test: the example fleet's hosts have no problems" = {
    expr = perHost (
      host: (builtins.head example.nixosConfigurations.${host}.nmmm.content.contents).assertions
    );
    expected = perHost (_: [ ]);
  };

  "test: each host's nixosSystem gets the shared modules, its own, and its name" = {
    expr = perHost (
      host:
      let
        args = example.nixosConfigurations.${host}.args;
      in
      {
        inherit (args) system specialArgs;
        modules = map describe args.modules;
      }
    );
    expected = perHost (host: {
      system = "x86_64-linux";
      specialArgs = { };
      modules = expected.modules.${host};
    });
  };

  "test: colmena's deployment options are never in a nixosSystem" = {
    expr = perHost (
      host:
      builtins.filter (m: builtins.isAttrs m && m ? deployment) (
        example.nixosConfigurations.${host}.args.modules
      )
    );
    expected = perHost (_: [ ]);
  };

  "test: the colmena hive has one node per host with its deployment settings" = {
    expr =
      let
        hive = example.colmenaHive.hive;
      in
      {
        stub = example.colmenaHive._stub;
        keys = builtins.attrNames hive;
        deployment = perHost (host: hive.${host}.deployment);
        imports = perHost (host: map describe hive.${host}.imports);
      };
    expected = {
      stub = "makeHive";
      keys = [ "meta" ] ++ hostNames;
      deployment = expected.colmenaNodes;
      imports = expected.modules;
    };
  };

  "test: the colmena hive takes nixpkgs and special arguments from the same evaluation" = {
    expr = example.colmenaHive.hive.meta;
    expected = {
      nixpkgs = stub.nixpkgs.legacyPackages.x86_64-linux;
      nodeNixpkgs = perHost (_: stub.nixpkgs.legacyPackages.x86_64-linux);
      nodeSpecialArgs = perHost (_: { });
    };
  };

  "test: without colmena a fleet has no hive" = {
    expr = builtins.attrNames exampleWithoutColmena;
    expected = [ "nixosConfigurations" ];
  };

  "test: modules for a host nmmm.hosts does not declare are refused" = {
    expr =
      (builtins.tryEval (
        nmmm.mkFleet {
          inherit (stub) nixpkgs;
          modules = [ ../fleet/fleet.nix ];
          hostModules.web3 = [ ];
        }
      )).success;
    expected = false;
  };
}
