# A monolith's secrets: an age-encrypted file that agenix decrypts for its service.
#
# agenix's declarations come from agenix-options.json (read from ryantm/agenix's
# modules/age.nix; see its `source`), checked together with NixOS's.
let
  nmmm = import ../../lib;
  module = import ../../modules/nmmm.nix;
  stubLib = import ./stub-lib.nix;
  schema = import ./schema.nix [
    ./nixos-options.json
    ./agenix-options.json
  ];
  agenixDeclarations = builtins.listToAttrs (
    map (o: {
      inherit (o) name;
      value = o;
    }) (builtins.fromJSON (builtins.readFile ./agenix-options.json)).options
  );

  # A Nix path in the configuration is a store path by the time a service reads it; a string
  # keeps these tests from copying a file into the store.
  encrypted = "/nix/store/00000000000000000000000000000000-shop.env.age";

  shop = {
    domain = "shop.example.com";
    port = 8081;
    exec = "/nix/store/0000000000000000000000000000000-shop/bin/shop";
    secrets = encrypted;
  };
  agenix = {
    secretsDir = "/run/agenix";
  };

  withAgenix = nmmm.machineConfig {
    monoliths.my-shop = shop;
    inherit agenix;
  };
  service = withAgenix.systemd.services.my-shop;

  # The module with agenix's module imported (its options declare `age`), or without.
  evaluate =
    options: monoliths:
    module {
      lib = stubLib;
      inherit options;
      config = {
        nmmm = {
          hosts = { };
          currentHost = null;
          acmeEmail = null;
          backup = nmmm.backupDefaults;
          inherit monoliths;
        };
        age.secretsDir = "/run/agenix";
      };
    };
  shopValues = shop // {
    host = null;
    aliases = [ ];
    www = true;
    acme = true;
    args = [ ];
    environment = { };
    environmentFile = null;
    database.enable = true;
    package = { };
  };
  assertionsOf = evaluated: (builtins.head evaluated.config.content.contents).assertions;
  configOf = evaluated: builtins.elemAt evaluated.config.content.contents 1;
in
{
  "test: with agenix a monolith's secrets are an age secret only its own user can read" = {
    expr = withAgenix.age.secrets;
    expected = {
      nmmm-my-shop = {
        file = encrypted;
        owner = "my_shop";
        group = "my_shop";
        mode = "0400";
      };
    };
  };

  "test: the service reads the decrypted secrets where agenix puts them by default" = {
    expr = {
      inherit (service.serviceConfig) EnvironmentFile;
      # agenix's `path` defaults to "${cfg.secretsDir}/${config.name}".
      agenixDefault =
        builtins.replaceStrings [ "\${cfg.secretsDir}" "\${config.name}" ] [
          agenix.secretsDir
          "nmmm-my-shop"
        ] agenixDeclarations."age.secrets.<name>.path".default;
    };
    expected = {
      EnvironmentFile = "/run/agenix/nmmm-my-shop";
      agenixDefault = "/run/agenix/nmmm-my-shop";
    };
  };

  "test: the service starts after agenix's unit, wants it, and restarts when the secrets change" =
    {
      expr = {
        inherit (service) after wants restartTriggers;
      };
      expected = {
        after = [
          "network.target"
          "postgresql.target"
          "agenix-install-secrets.service"
        ];
        wants = [ "agenix-install-secrets.service" ];
        restartTriggers = [ encrypted ];
      };
    };

  "test: a machine with agenix and secrets sets only real NixOS and agenix options" = {
    expr = schema.check withAgenix;
    expected = [ ];
  };

  "test: the schema check knows agenix's options and refuses ones it does not have" = {
    expr = schema.check {
      age.secrets.x = {
        file = encrypted;
        owners = "shop";
      };
    };
    expected = [
      "age.secrets.x.owners: NixOS has no option `age.secrets.<name>.owners`"
    ];
  };

  "test: an environment file and secrets are both read by the service" = {
    expr =
      (nmmm.monolithServiceWith agenix "shop" (shop // { environmentFile = "/run/secrets/shop.env"; }))
      .serviceConfig.EnvironmentFile;
    expected = [
      "/run/secrets/shop.env"
      "/run/agenix/nmmm-shop"
    ];
  };

  "test: a monolith without secrets gets no age secret and no ordering on agenix" = {
    expr =
      let
        config = nmmm.machineConfig {
          monoliths.shop = removeAttrs shop [ "secrets" ];
          inherit agenix;
        };
      in
      {
        inherit (config.age) secrets;
        after = config.systemd.services.shop.after;
        wants = config.systemd.services.shop ? wants;
        environmentFile = config.systemd.services.shop.serviceConfig ? EnvironmentFile;
      };
    expected = {
      secrets = { };
      after = [
        "network.target"
        "postgresql.target"
      ];
      wants = false;
      environmentFile = false;
    };
  };

  "test: without agenix the machine sets no `age` option, which would not exist" = {
    expr = nmmm.machineConfig { monoliths.shop = shop; } ? age;
    expected = false;
  };

  "test: the module declares secrets as an optional path" = {
    expr =
      ((evaluate { } { }).options.nmmm.monoliths.type.elem.module {
        name = "shop";
        config.package = { };
      }).options.secrets.type;
    expected = {
      name = "nullOr";
      elem.name = "path";
    };
  };

  "test: with agenix's module the module hands agenix's secretsDir to lib" = {
    expr = (configOf (evaluate { age = { }; } { shop = shopValues; })).age.secrets.nmmm-shop.owner;
    expected = "shop";
  };

  "test: with agenix's module secrets are no assertion" = {
    expr = assertionsOf (evaluate { age = { }; } { shop = shopValues; });
    expected = [ ];
  };

  "test: without agenix's module secrets are an assertion that says how to add it" = {
    expr = {
      assertions = assertionsOf (evaluate { } { shop = shopValues; });
      age = (configOf (evaluate { } { shop = shopValues; })) ? age;
    };
    expected = {
      assertions = [
        {
          assertion = false;
          message = "nmmm.monoliths.shop.secrets: decrypting secrets needs agenix's NixOS module: add `inputs.agenix.url = \"github:ryantm/agenix\";` to flake.nix and `agenix.nixosModules.default` to the machine's modules";
        }
      ];
      age = false;
    };
  };
}
