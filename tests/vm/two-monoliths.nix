# A NixOS VM with two monoliths built from templates/monolith, checked from the inside with curl.
#
# ACME is off: the VM has no route to Let's Encrypt (a local ACME server would be a test of
# nixpkgs' ACME module, not of NMMM). lib/'s tests cover the certificate wiring.
{ pkgs, nmmmModule }:
pkgs.testers.runNixOSTest {
  name = "nmmm-two-monoliths";

  nodes.machine =
    { pkgs, ... }:
    let
      monolith = pkgs.callPackage ../../templates/monolith { };
    in
    {
      imports = [ nmmmModule ];

      nmmm.monoliths = {
        shop = {
          domain = "shop.test";
          port = 8081;
          package = monolith;
          acme = false;
          environment.MONOLITH_NAME = "shop";
        };
        blog = {
          domain = "blog.test";
          aliases = [ "journal.test" ];
          port = 8082;
          package = monolith;
          acme = false;
          environment.MONOLITH_NAME = "blog";
        };
      };

      environment.systemPackages = [ pkgs.curl ];
    };

  testScript = ''
    def curl(host, path="/", extra=""):
        return f"curl -sS --max-time 5 {extra} -H 'Host: {host}' http://127.0.0.1{path}"

    start_all()
    machine.wait_for_unit("postgresql.target")
    for unit in ["shop.service", "blog.service", "nginx.service"]:
        machine.wait_for_unit(unit)
    for port in [8081, 8082, 80, 443]:
        machine.wait_for_open_port(port)

    with subtest("each domain reaches its own service"):
        assert machine.succeed(curl("shop.test", extra="--fail")).strip() == "shop"
        assert machine.succeed(curl("blog.test", extra="--fail")).strip() == "blog"
        assert machine.succeed(curl("journal.test", extra="--fail")).strip() == "blog"

    with subtest("each service reaches its own database"):
        assert machine.succeed(curl("shop.test", "/healthz", "--fail")).strip() == "ok"
        assert machine.succeed(curl("blog.test", "/healthz", "--fail")).strip() == "ok"

    with subtest("www redirects to the domain"):
        out = machine.succeed(
            curl("www.shop.test", "/some/page", "-o /dev/null -w '%{http_code} %{redirect_url}'")
        )
        assert out == "301 http://shop.test/some/page", out

    with subtest("an unknown Host gets no answer"):
        # 444: nginx closes the connection, curl reports an empty reply (exit 52).
        status, _ = machine.execute(curl("unknown.test"))
        assert status == 52, f"curl exited {status}"
        # rejectSSL: the TLS handshake is refused (curl exit 35).
        status, _ = machine.execute(
            "curl -sS --max-time 5 -k --resolve unknown.test:443:127.0.0.1 https://unknown.test/"
        )
        assert status == 35, f"curl exited {status}"

    with subtest("each role can query its own database but not the other's"):
        psql = "runuser -u {user} -- psql -h /run/postgresql -d {db} -tAc 'SELECT 1'"
        machine.succeed(psql.format(user="shop", db="shop"))
        machine.succeed(psql.format(user="blog", db="blog"))
        machine.fail(psql.format(user="shop", db="blog"))
        machine.fail(psql.format(user="blog", db="shop"))
        # No superuser: a role cannot create roles or databases.
        machine.fail("runuser -u shop -- psql -h /run/postgresql -d shop -c 'CREATE ROLE intruder'")

    with subtest("the services run as their own users, hardened"):
        assert machine.succeed("systemctl show -p User --value shop.service").strip() == "shop"
        assert machine.succeed("systemctl show -p ProtectSystem --value shop.service").strip() == "strict"
        machine.succeed("test -d /var/lib/shop.test")
  '';
}
