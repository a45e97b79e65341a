# A closed host file: lib is a stand-in for nixpkgs' lib.modules, so that
# `nix-instantiate --eval --strict --json` shows every priority and order.
let
  lib = rec {
    mkOverride = priority: content: {
      _type = "override";
      inherit priority content;
    };
    mkDefault = mkOverride 1000;
    mkForce = mkOverride 50;
    mkOrder = priority: content: {
      _type = "order";
      inherit priority content;
    };
    mkBefore = mkOrder 500;
    mkAfter = mkOrder 1500;
    optionalAttrs = condition: set:
      if condition
      then set
      else {};
  };
  cfg = {
    debug = true;
    tls = false;
    port = 8080;
  };
  ports = {
    web = 8080;
    metrics = 9100;
  };
in
  with lib;
    assert ports.web != ports.metrics; {
      networking = (
        {
          hostName = "box";
          firewall.allowedTCPPorts = mkBefore [
            22
            2222
          ];
        }
      );

      services.web = mkForce {
        enable = true;
      };

      services.metrics = mkOverride 900 rec {
        port = ports.metrics;
        listenAddress = "127.0.0.1:${toString port}";
      };

      services.worker = mkDefault {
        workers = 4;
        offsets = [0];
        checks = [cfg.debug];
      };

      boot.kernelParams = mkAfter ["quiet"];

      environment.etc = mkOrder 1200 {
        "motd".text = "welcome";
      };

      environment.variables = optionalAttrs cfg.debug {
        RUST_LOG = "debug";
      };
    }
