# Tests of lib/, as data: each is named as a sentence, with an expression and what it must be.
let
  nmmm = import ../../lib;

  shop = {
    domain = "shop.example.com";
    port = 8081;
    exec = "/nix/store/0000000000000000000000000000000-shop/bin/shop";
  };
  blog = {
    domain = "blog.example.com";
    port = 8082;
    exec = "/nix/store/0000000000000000000000000000000-blog/bin/blog";
  };

  names = attrs: builtins.attrNames attrs;
  vhostsOf = name: m: nmmm.monolithVhosts name m;
  serviceOf = name: m: nmmm.monolithService name m;
  machine = monoliths: nmmm.machineConfig { inherit monoliths; };
in
{
  "test: a monolith without www has one vhost" = {
    expr = names (vhostsOf "shop" (shop // { www = false; }));
    expected = [ "shop.example.com" ];
  };

  "test: a monolith with www has a www vhost that redirects to its domain" = {
    expr = (vhostsOf "shop" (shop // { acme = false; }))."www.shop.example.com";
    expected = {
      globalRedirect = "shop.example.com";
    };
  };

  "test: the domain's vhost proxies to the monolith's port with websockets" = {
    expr = (vhostsOf "shop" shop)."shop.example.com".locations."/";
    expected = {
      proxyPass = "http://127.0.0.1:8081";
      proxyWebsockets = true;
      recommendedProxySettings = true;
    };
  };

  "test: aliases get their own vhosts proxying to the same port" = {
    expr =
      let
        vhosts = vhostsOf "shop" (shop // { aliases = [ "boutique.example.com" ]; });
      in
      {
        names = names vhosts;
        proxyPass = vhosts."boutique.example.com".locations."/".proxyPass;
      };
    expected = {
      names = [
        "boutique.example.com"
        "shop.example.com"
        "www.shop.example.com"
      ];
      proxyPass = "http://127.0.0.1:8081";
    };
  };

  "test: with acme the domain asks for the certificate and the other vhosts use it" = {
    expr =
      builtins.mapAttrs
        (_: v: {
          forceSSL = v.forceSSL or false;
          enableACME = v.enableACME or false;
          useACMEHost = v.useACMEHost or null;
        })
        (vhostsOf "shop" (shop // { aliases = [ "boutique.example.com" ]; }));
    expected = {
      "shop.example.com" = {
        forceSSL = true;
        enableACME = true;
        useACMEHost = null;
      };
      "www.shop.example.com" = {
        forceSSL = true;
        enableACME = false;
        useACMEHost = "shop.example.com";
      };
      "boutique.example.com" = {
        forceSSL = true;
        enableACME = false;
        useACMEHost = "shop.example.com";
      };
    };
  };

  "test: one certificate covers the domain, www and the aliases" = {
    expr = nmmm.monolithCertificates "shop" (shop // { aliases = [ "boutique.example.com" ]; });
    expected = {
      "shop.example.com".extraDomainNames = [
        "www.shop.example.com"
        "boutique.example.com"
      ];
    };
  };

  "test: a monolith without acme has no TLS and asks for no certificate" = {
    expr = {
      vhosts = builtins.mapAttrs (_: v: builtins.attrNames v) (
        vhostsOf "shop" (shop // { acme = false; })
      );
      certificates = nmmm.monolithCertificates "shop" (shop // { acme = false; });
    };
    expected = {
      vhosts = {
        "shop.example.com" = [ "locations" ];
        "www.shop.example.com" = [ "globalRedirect" ];
      };
      certificates = { };
    };
  };

  "test: valid names are accepted" = {
    expr = map nmmm.validName [
      "a"
      "shop"
      "my-shop2"
      "abcdefghijklmnopqrstuvwxyz012345"
    ];
    expected = [
      true
      true
      true
      true
    ];
  };

  "test: names with capitals, underscores, dots, leading digits or dashes, or over 32 characters are rejected" =
    {
      expr = map nmmm.validName [
        ""
        "Shop"
        "my_shop"
        "my.shop"
        "2shop"
        "-shop"
        "abcdefghijklmnopqrstuvwxyz0123456"
      ];
      expected = [
        false
        false
        false
        false
        false
        false
        false
      ];
    };

  "test: names the machine uses itself are refused with a reason" = {
    expr = map nmmm.nameProblem [
      "postgres"
      "nginx"
      "pg-shop"
      "systemd-shop"
      "shop"
    ];
    expected = [
      "nmmm.monoliths.\"postgres\": the name `postgres` is already used by the machine itself (a unit, a user or a PostgreSQL role); choose another"
      "nmmm.monoliths.\"nginx\": the name `nginx` is already used by the machine itself (a unit, a user or a PostgreSQL role); choose another"
      "nmmm.monoliths.\"pg-shop\": names starting with `pg-` or `systemd-` are reserved by PostgreSQL and systemd; choose another"
      "nmmm.monoliths.\"systemd-shop\": names starting with `pg-` or `systemd-` are reserved by PostgreSQL and systemd; choose another"
      null
    ];
  };

  "test: the role of a name with dashes uses underscores" = {
    expr = nmmm.roleName "my-shop";
    expected = "my_shop";
  };

  "test: two monoliths on one port are a conflict" = {
    expr = nmmm.conflicts {
      inherit shop;
      blog = blog // { port = 8081; };
    };
    expected = [
      "nmmm.monoliths: `blog` and `shop` use the same port 8081; give each monolith its own port"
    ];
  };

  "test: two monoliths answering to one host name are a conflict" = {
    expr = nmmm.conflicts {
      inherit shop;
      blog = blog // {
        aliases = [
          "shop.example.com"
          "www.shop.example.com"
        ];
      };
    };
    expected = [
      "nmmm.monoliths: `blog` and `shop` both answer to shop.example.com; a host name belongs to one monolith"
      "nmmm.monoliths: `blog` and `shop` both answer to www.shop.example.com; a host name belongs to one monolith"
    ];
  };

  "test: a monolith listing a host name twice is told so" = {
    expr = nmmm.conflicts { shop = shop // { aliases = [ "www.shop.example.com" ]; }; };
    expected = [
      "nmmm.monoliths.shop: answers to www.shop.example.com twice (domain, www. or aliases); list each host name once"
    ];
  };

  "test: monoliths with their own ports and host names have no conflicts" = {
    expr = nmmm.conflicts { inherit shop blog; };
    expected = [ ];
  };

  "test: problems report invalid names, host names, ports and secrets in the store" = {
    expr = nmmm.problems {
      monoliths = {
        My_Shop = shop;
        blog = blog // {
          domain = "Blog.example.com";
          aliases = [ "ok.example.com" "bad host" ];
          port = 80;
          environmentFile = "/nix/store/0000000000000000000000000000000-secrets.env";
        };
        wiki = {
          domain = "wiki.example.com";
          port = 5432;
          exec = "/bin/wiki";
          environmentFile = "secrets/wiki.env";
        };
      };
    };
    expected = [
      "nmmm.monoliths.\"My_Shop\": the name must be lowercase letters, digits and `-`, start with a letter, not end with `-` and have at most 32 characters, because it names a systemd unit, a system user and a PostgreSQL role"
      "nmmm.monoliths.blog.domain: `Blog.example.com` is not a lowercase host name like shop.example.com"
      "nmmm.monoliths.blog.aliases: `bad host` are not lowercase host names like shop.example.com"
      "nmmm.monoliths.blog.port: 80 is outside 1024-65535; the hardened service has no privilege to bind ports below 1024"
      "nmmm.monoliths.blog.environmentFile: `/nix/store/0000000000000000000000000000000-secrets.env` is in the Nix store, which every user can read; keep secrets in a file outside it, like /run/secrets/blog.env"
      "nmmm.monoliths.wiki.port: 5432 is PostgreSQL's port on this machine; choose another"
      "nmmm.monoliths.wiki.environmentFile: `secrets/wiki.env` must be an absolute path on the machine, like /run/secrets/wiki.env"
    ];
  };

  "test: a machine of well-formed monoliths has no problems" = {
    expr = nmmm.problems {
      monoliths = {
        inherit shop blog;
        my-wiki = {
          domain = "wiki.example.com";
          port = 8083;
          exec = "/bin/wiki";
          environmentFile = "/run/secrets/wiki.env";
        };
      };
    };
    expected = [ ];
  };

  "test: a service with a database requires and follows postgresql.target" = {
    expr = {
      inherit (serviceOf "shop" shop) after requires wantedBy;
    };
    expected = {
      after = [
        "network.target"
        "postgresql.target"
      ];
      requires = [ "postgresql.target" ];
      wantedBy = [ "multi-user.target" ];
    };
  };

  "test: a service without a database has no DATABASE_URL and no PostgreSQL dependency" = {
    expr =
      let
        s = serviceOf "shop" (shop // { database.enable = false; });
      in
      {
        inherit (s) after requires environment;
      };
    expected = {
      after = [ "network.target" ];
      requires = [ ];
      environment = {
        PORT = "8081";
      };
    };
  };

  "test: DATABASE_URL names the role's database on the unix socket" = {
    expr = (serviceOf "my-shop" shop).environment.DATABASE_URL;
    expected = "postgresql:///my_shop?host=/run/postgresql&user=my_shop";
  };

  "test: PORT and DATABASE_URL win over the environment option" = {
    expr =
      (serviceOf "shop" (
        shop
        // {
          environment = {
            PORT = "1";
            DATABASE_URL = "postgresql://elsewhere/";
            RUST_LOG = "info";
          };
        }
      )).environment;
    expected = {
      PORT = "8081";
      DATABASE_URL = "postgresql:///shop?host=/run/postgresql&user=shop";
      RUST_LOG = "info";
    };
  };

  "test: the service runs as the user named like its role, in a unit named like the monolith" = {
    expr =
      let
        config = machine { my-shop = shop; };
      in
      {
        units = names config.systemd.services;
        inherit (config.systemd.services.my-shop.serviceConfig) User Group;
        users = names config.users.users;
        groups = names config.users.groups;
        user = config.users.users.my_shop;
      };
    expected = {
      units = [ "my-shop" ];
      User = "my_shop";
      Group = "my_shop";
      users = [ "my_shop" ];
      groups = [ "my_shop" ];
      user = {
        isSystemUser = true;
        group = "my_shop";
        description = "NMMM monolith my-shop";
      };
    };
  };

  "test: ExecStart quotes every argument and escapes systemd specifiers and variables" = {
    expr =
      (serviceOf "shop" (
        shop
        // {
          exec = "/bin/shop";
          args = [
            "--workers"
            "2"
            "a b"
            "100%"
            "$HOME"
            "say \"hi\""
          ];
        }
      )).serviceConfig.ExecStart;
    expected = ''"/bin/shop" "--workers" "2" "a b" "100%%" "$$HOME" "say \"hi\""'';
  };

  "test: the service restarts on failure, keeps state under its domain and reads secrets from its file" =
    {
      expr =
        let
          c = (serviceOf "shop" (shop // { environmentFile = "/run/secrets/shop.env"; })).serviceConfig;
        in
        {
          inherit (c)
            Restart
            StateDirectory
            WorkingDirectory
            EnvironmentFile
            ;
        };
      expected = {
        Restart = "on-failure";
        StateDirectory = "shop.example.com";
        WorkingDirectory = "/var/lib/shop.example.com";
        EnvironmentFile = "/run/secrets/shop.env";
      };
    };

  "test: without an environment file the service names none" = {
    expr = (serviceOf "shop" shop).serviceConfig ? EnvironmentFile;
    expected = false;
  };

  "test: the service is hardened" = {
    expr =
      let
        c = (serviceOf "shop" shop).serviceConfig;
      in
      {
        inherit (c)
          ProtectSystem
          ProtectHome
          PrivateTmp
          PrivateDevices
          NoNewPrivileges
          CapabilityBoundingSet
          RestrictAddressFamilies
          ;
      };
    expected = {
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
    };
  };

  "test: a database is owned by its role, which gets no other privilege" = {
    expr = {
      inherit (nmmm.monolithDatabase "my-shop" shop) ensureDatabases ensureUsers;
    };
    expected = {
      ensureDatabases = [ "my_shop" ];
      ensureUsers = [
        {
          name = "my_shop";
          ensureDBOwnership = true;
        }
      ];
    };
  };

  "test: pg_hba lets each role into its own database and refuses it the others" = {
    expr = (machine { inherit shop blog; }).services.postgresql.authentication;
    expected = ''
      local blog blog peer
      local all blog reject
      local shop shop peer
      local all shop reject
    '';
  };

  "test: PostgreSQL is enabled only when a monolith has a database" = {
    expr = {
      withoutDatabase =
        (machine { shop = shop // { database.enable = false; }; }).services ? postgresql;
      withDatabase = (machine { inherit shop blog; }).services.postgresql.enable;
      databases = (machine { inherit shop blog; }).services.postgresql.ensureDatabases;
    };
    expected = {
      withoutDatabase = false;
      withDatabase = true;
      databases = [
        "blog"
        "shop"
      ];
    };
  };

  "test: unknown Host headers reach a default vhost that rejects them" = {
    expr = (machine { inherit shop; }).services.nginx.virtualHosts."_";
    expected = {
      default = true;
      rejectSSL = true;
      locations."/".return = 444;
    };
  };

  "test: nginx is enabled with the recommended settings" = {
    expr = removeAttrs (machine { inherit shop; }).services.nginx [ "virtualHosts" ];
    expected = {
      enable = true;
      recommendedProxySettings = true;
      recommendedTlsSettings = true;
      recommendedOptimisation = true;
      recommendedGzipSettings = true;
    };
  };

  "test: the firewall opens 80 and 443 and not the monoliths' ports" = {
    expr = (machine { inherit shop blog; }).networking;
    expected = {
      firewall.allowedTCPPorts = [
        80
        443
      ];
    };
  };

  "test: ACME terms are accepted and the email set only when a monolith uses ACME" = {
    expr = {
      withAcme = (nmmm.machineConfig {
        monoliths = { inherit shop; };
        acmeEmail = "admin@example.com";
      }).security;
      withoutEmail = (machine { inherit shop; }).security.acme ? defaults;
      withoutAcme = (nmmm.machineConfig {
        monoliths.shop = shop // { acme = false; };
        acmeEmail = "admin@example.com";
      }).security;
    };
    expected = {
      withAcme.acme = {
        acceptTerms = true;
        defaults.email = "admin@example.com";
        certs."shop.example.com".extraDomainNames = [ "www.shop.example.com" ];
      };
      withoutEmail = false;
      withoutAcme = { };
    };
  };

  # The module system must see which options the module defines without evaluating
  # `config.nmmm`; see lib/machine.nix.
  "test: the top-level attributes of a machine's configuration do not depend on its monoliths" = {
    expr = map names [
      (machine { })
      (machine { inherit shop blog; })
      (machine { shop = shop // { acme = false; database.enable = false; }; })
    ];
    expected =
      let
        top = [
          "networking"
          "security"
          "services"
          "systemd"
          "users"
        ];
      in
      [
        top
        top
        top
      ];
  };
}
