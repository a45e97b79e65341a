# Everything lib/ sets must exist in NixOS with a compatible type. The declarations come from
# nixos-options.json, a copy of real NixOS option declarations (see its `about`).
let
  nmmm = import ../../lib;
  schema = import ./schema.nix ./nixos-options.json;

  shop = {
    domain = "shop.example.com";
    port = 8081;
    exec = "/nix/store/0000000000000000000000000000000-shop/bin/shop";
    aliases = [ "boutique.example.com" ];
    args = [ "--workers=2" ];
    environment.RUST_LOG = "info";
    environmentFile = "/run/secrets/shop.env";
  };
  blog = {
    domain = "blog.example.com";
    port = 8082;
    exec = "/nix/store/0000000000000000000000000000000-blog/bin/blog";
    www = false;
    acme = false;
    database.enable = false;
  };
in
{
  "test: a machine with ACME, aliases, secrets and a database sets only real NixOS options" = {
    expr = schema.check (
      nmmm.machineConfig {
        monoliths = { inherit shop; };
        acmeEmail = "admin@example.com";
      }
    );
    expected = [ ];
  };

  "test: a machine without ACME, www or a database sets only real NixOS options" = {
    expr = schema.check (nmmm.machineConfig { monoliths = { inherit blog; }; });
    expected = [ ];
  };

  "test: a machine of two monoliths with dashes in their names sets only real NixOS options" = {
    expr = schema.check (
      nmmm.machineConfig {
        monoliths = {
          my-shop = shop;
          my-blog = blog // { database.enable = true; };
        };
      }
    );
    expected = [ ];
  };

  "test: the schema check finds an option NixOS does not have" = {
    expr = schema.check { services.nginx.virtualHosts."a.com".forceSSl = true; };
    expected = [
      "services.nginx.virtualHosts.a.com.forceSSl: NixOS has no option `services.nginx.virtualHosts.<name>.forceSSl`"
    ];
  };

  "test: the schema check finds a value of the wrong type" = {
    expr = schema.check {
      services.postgresql.ensureUsers = [
        {
          name = "shop";
          ensureDBOwnership = "yes";
        }
      ];
    };
    expected = [
      "services.postgresql.ensureUsers.0.ensureDBOwnership: \"yes\" is not a value of `boolean` (the type of `services.postgresql.ensureUsers.*.ensureDBOwnership`)"
    ];
  };

  "test: the schema check refuses removed aliases such as security.acme.email" = {
    expr = schema.check { security.acme.email = "admin@example.com"; };
    expected = [
      "security.acme.email: `security.acme.email` is read-only, internal or a removed alias; do not set it"
    ];
  };

  "test: the schema check applies patterns and ranges of NixOS types" = {
    expr = schema.check {
      systemd.services.shop.after = [ "postgresql" ];
      networking.firewall.allowedTCPPorts = [ 70000 ];
      services.nginx.virtualHosts."a.com".redirectCode = 200;
    };
    expected = [
      "networking.firewall.allowedTCPPorts: [70000] is not a value of `list of 16 bit unsigned integer; between 0 and 65535 (both inclusive)` (the type of `networking.firewall.allowedTCPPorts`)"
      "services.nginx.virtualHosts.a.com.redirectCode: 200 is not a value of `integer between 300 and 399 (both inclusive)` (the type of `services.nginx.virtualHosts.<name>.redirectCode`)"
      "systemd.services.shop.after: [\"postgresql\"] is not a value of `list of string matching the pattern [a-zA-Z0-9@%:_.\\-]+[.](service|socket|device|mount|automount|swap|target|path|timer|scope|slice)` (the type of `systemd.services.<name>.after`)"
    ];
  };

  "test: the schema check accepts any systemd value under serviceConfig but not a nested set" = {
    expr = schema.check {
      systemd.services.shop.serviceConfig = {
        ProtectSystem = "strict";
        RestartSec = 5;
        NoNewPrivileges = true;
        SystemCallFilter = [ "@system-service" ];
        Nested.a = 1;
      };
    };
    expected = [
      "systemd.services.shop.serviceConfig: {\"Nested\":{\"a\":1},\"NoNewPrivileges\":true,\"ProtectSystem\":\"strict\",\"RestartSec\":5,\"SystemCallFilter\":[\"@system-service\"]} is not a value of `attribute set of (systemd option)` (the type of `systemd.services.<name>.serviceConfig`)"
    ];
  };

  "test: the schema check reads nested or-types with parentheses" = {
    expr = map (v: schema.matches "null or (string or (list of string) convertible to it)" v) [
      null
      "a"
      [ "a" ]
      1
    ];
    expected = [
      true
      true
      true
      false
    ];
  };
}
