# The module, evaluated with a stand-in for nixpkgs' `lib` (which is not available here).
#
# The stand-in records what the module asks for (mkOption's arguments, mkIf's condition, the
# merged definitions) instead of running the module system, so these tests check the module's
# declarations and wiring, not NixOS's merging. lib/'s tests and the VM test cover the rest.
let
  nmmm = import ../../lib;
  module = import ../../modules/nmmm.nix;

  stubLib = import ./stub-lib.nix;

  shopPackage = {
    type = "derivation";
    outPath = "/nix/store/0000000000000000000000000000000-shop";
    meta.mainProgram = "shop";
  };

  evaluate =
    nmmmConfig:
    module {
      lib = stubLib;
      # No agenix: nothing declares `age`.
      options = { };
      config.nmmm = {
        hosts = { };
        currentHost = null;
        backup = nmmm.backupDefaults;
      }
      // nmmmConfig;
    };

  # Every declared option as { path; option; }, submodules included.
  declarations =
    let
      go =
        path: attrs:
        builtins.concatLists (
          map (
            k:
            let
              v = attrs.${k};
              here = path ++ [ k ];
            in
            if (v._type or null) == "option" then
              [
                {
                  path = builtins.concatStringsSep "." here;
                  option = v;
                }
              ]
              ++ inside here v.type
            else
              go here v
          ) (builtins.attrNames attrs)
        );
      inside =
        path: type:
        if type.name == "submodule" then
          go path
            (type.module {
              name = "shop";
              config.package = shopPackage;
            }).options
        else if type.name == "attrsOf" then
          inside (path ++ [ "<name>" ]) type.elem
        else if type.name == "listOf" then
          inside (path ++ [ "*" ]) type.elem
        else if type.name == "nullOr" then
          inside path type.elem
        else
          [ ];
    in
    go [ ] (evaluate {
      acmeEmail = null;
      monoliths = { };
    }).options;

  optionAt = path: (builtins.head (builtins.filter (d: d.path == path) declarations)).option;

  # A monolith's option values as the module system would resolve them.
  shopValues = {
    host = null;
    domain = "shop.example.com";
    aliases = [ ];
    www = true;
    acme = true;
    port = 8081;
    package = shopPackage;
    exec = "/nix/store/0000000000000000000000000000000-shop/bin/shop";
    args = [ ];
    environment = { };
    environmentFile = null;
    secrets = null;
    database.enable = true;
    backup.enable = true;
  };
  forLib = removeAttrs shopValues [ "package" ];
in
{
  "test: the module declares the options of a monolith and of the machine" = {
    expr = map (d: d.path) declarations;
    expected = [
      "nmmm.acmeEmail"
      "nmmm.backup.enable"
      "nmmm.backup.environmentFile"
      "nmmm.backup.keep.daily"
      "nmmm.backup.keep.monthly"
      "nmmm.backup.keep.weekly"
      "nmmm.backup.passwordFile"
      "nmmm.backup.repository"
      "nmmm.backup.schedule"
      "nmmm.currentHost"
      "nmmm.hosts"
      "nmmm.hosts.<name>.address"
      "nmmm.hosts.<name>.buildOnTarget"
      "nmmm.hosts.<name>.capacity"
      "nmmm.hosts.<name>.tags"
      "nmmm.hosts.<name>.user"
      "nmmm.monoliths"
      "nmmm.monoliths.<name>.acme"
      "nmmm.monoliths.<name>.aliases"
      "nmmm.monoliths.<name>.args"
      "nmmm.monoliths.<name>.backup.enable"
      "nmmm.monoliths.<name>.database.enable"
      "nmmm.monoliths.<name>.domain"
      "nmmm.monoliths.<name>.environment"
      "nmmm.monoliths.<name>.environmentFile"
      "nmmm.monoliths.<name>.exec"
      "nmmm.monoliths.<name>.host"
      "nmmm.monoliths.<name>.package"
      "nmmm.monoliths.<name>.port"
      "nmmm.monoliths.<name>.secrets"
      "nmmm.monoliths.<name>.www"
    ];
  };

  "test: every module option has a type, a description and a default or an example" = {
    expr = map (d: d.path) (
      builtins.filter (
        d:
        !(
          d.option ? type
          && builtins.isString (d.option.description or null)
          && d.option.description != ""
          && (d.option ? default || d.option ? example)
        )
      ) declarations
    );
    expected = [ ];
  };

  "test: the module's defaults are lib's defaults" = {
    expr = {
      inherit (nmmm.withDefaults "shop" { })
        host
        www
        acme
        aliases
        args
        environment
        environmentFile
        secrets
        database
        ;
    };
    expected = {
      host = (optionAt "nmmm.monoliths.<name>.host").default;
      www = (optionAt "nmmm.monoliths.<name>.www").default;
      acme = (optionAt "nmmm.monoliths.<name>.acme").default;
      aliases = (optionAt "nmmm.monoliths.<name>.aliases").default;
      args = (optionAt "nmmm.monoliths.<name>.args").default;
      environment = (optionAt "nmmm.monoliths.<name>.environment").default;
      environmentFile = (optionAt "nmmm.monoliths.<name>.environmentFile").default;
      secrets = (optionAt "nmmm.monoliths.<name>.secrets").default;
      database.enable = (optionAt "nmmm.monoliths.<name>.database.enable").default;
    };
  };

  "test: a monolith runs its package's main program by default" = {
    expr = (optionAt "nmmm.monoliths.<name>.exec").default;
    expected = "/nix/store/0000000000000000000000000000000-shop/bin/shop";
  };

  "test: secrets take a string path so a Nix path cannot copy them into the store" = {
    expr = (optionAt "nmmm.monoliths.<name>.environmentFile").type;
    expected = {
      name = "nullOr";
      elem.name = "str";
    };
  };

  "test: the module configures nothing without monoliths" = {
    expr =
      (evaluate {
        acmeEmail = null;
        monoliths = { };
      }).config.condition;
    expected = false;
  };

  "test: the module hands its monoliths to lib without their packages" = {
    expr =
      (evaluate {
        acmeEmail = "admin@example.com";
        monoliths.shop = shopValues;
      }).config;
    expected = {
      _type = "if";
      condition = true;
      content = {
        _type = "merge";
        contents = [
          { assertions = [ ]; }
          (nmmm.machineConfig {
            monoliths.shop = forLib;
            acmeEmail = "admin@example.com";
          })
          {
            _type = "if";
            condition = false;
            content = nmmm.backupConfig {
              monoliths.shop = forLib;
              backup = nmmm.backupDefaults;
            };
          }
        ];
      };
    };
  };

  "test: the module turns lib's problems into failing assertions" = {
    expr =
      builtins.head
        (evaluate {
          acmeEmail = null;
          monoliths = {
            shop = shopValues;
            blog = shopValues // {
              domain = "blog.example.com";
            };
          };
        }).config.content.contents;
    expected = {
      assertions = [
        {
          assertion = false;
          message = "nmmm.monoliths: `blog` and `shop` use the same port 8081; give each monolith its own port";
        }
      ];
    };
  };

  "test: a host of a fleet gets only the vhosts of the monoliths placed on it" = {
    expr =
      let
        fleetConfig = host: {
          acmeEmail = null;
          currentHost = host;
          hosts = {
            web1.capacity = 1;
            web2.capacity = 1;
          };
          monoliths = {
            shop = shopValues;
            blog = shopValues // {
              domain = "blog.example.com";
            };
          };
        };
        vhostsOf =
          host:
          builtins.attrNames
            (builtins.elemAt (evaluate (fleetConfig host)).config.content.contents 1)
            .services.nginx.virtualHosts;
      in
      {
        web1 = vhostsOf "web1";
        web2 = vhostsOf "web2";
      };
    expected = {
      web1 = [
        "_"
        "blog.example.com"
        "www.blog.example.com"
      ];
      web2 = [
        "_"
        "shop.example.com"
        "www.shop.example.com"
      ];
    };
  };

  "test: monoliths on different hosts of a fleet may share a port" = {
    expr =
      builtins.head
        (evaluate {
          acmeEmail = null;
          currentHost = "web1";
          hosts = {
            web1.capacity = 1;
            web2.capacity = 1;
          };
          monoliths = {
            shop = shopValues;
            blog = shopValues // {
              domain = "blog.example.com";
            };
          };
        }).config.content.contents;
    expected = {
      assertions = [ ];
    };
  };

  "test: backups are off unless nmmm.backup.enable says so" = {
    expr = (optionAt "nmmm.backup.enable").default;
    expected = false;
  };

  "test: the module's backup defaults are lib's defaults" = {
    expr = nmmm.backupDefaults;
    expected = {
      enable = (optionAt "nmmm.backup.enable").default;
      repository = (optionAt "nmmm.backup.repository").default;
      passwordFile = (optionAt "nmmm.backup.passwordFile").default;
      environmentFile = (optionAt "nmmm.backup.environmentFile").default;
      schedule = (optionAt "nmmm.backup.schedule").default;
      keep = {
        daily = (optionAt "nmmm.backup.keep.daily").default;
        weekly = (optionAt "nmmm.backup.keep.weekly").default;
        monthly = (optionAt "nmmm.backup.keep.monthly").default;
      };
    };
  };

  "test: backup secrets take string paths so a Nix path cannot copy them into the store" = {
    expr = map (o: (optionAt o).type) [
      "nmmm.backup.passwordFile"
      "nmmm.backup.environmentFile"
    ];
    expected = [
      {
        name = "nullOr";
        elem.name = "str";
      }
      {
        name = "nullOr";
        elem.name = "str";
      }
    ];
  };

  "test: with backups on the module adds lib's backup configuration for the monoliths here" = {
    expr =
      let
        backup = nmmm.backupDefaults // {
          enable = true;
          repository = "/mnt/backup/nmmm";
          passwordFile = "/run/secrets/restic-password";
        };
      in
      builtins.elemAt
        (evaluate {
          acmeEmail = null;
          inherit backup;
          monoliths.shop = shopValues;
        }).config.content.contents
        2;
    expected = {
      _type = "if";
      condition = true;
      content = nmmm.backupConfig {
        monoliths.shop = forLib;
        backup = nmmm.backupDefaults // {
          enable = true;
          repository = "/mnt/backup/nmmm";
          passwordFile = "/run/secrets/restic-password";
        };
      };
    };
  };

  "test: the module turns backup settings that cannot work into failing assertions" = {
    expr =
      map (a: a.message)
        (builtins.head
          (evaluate {
            acmeEmail = null;
            backup = nmmm.backupDefaults // {
              enable = true;
              passwordFile = "/nix/store/0000000000000000000000000000000-password";
            };
            monoliths.shop = shopValues;
          }).config.content.contents
        ).assertions;
    expected = [
      "nmmm.backup.repository: say where restic keeps the backups, like /mnt/backup/nmmm, sftp:backup@host:/nmmm or s3:s3.amazonaws.com/bucket/nmmm"
      "nmmm.backup.passwordFile: `/nix/store/0000000000000000000000000000000-password` is in the Nix store, which every user can read; keep it in a root-only file outside it, like /run/secrets/restic-password"
    ];
  };
}
