# A closed copy of a notes module: lib and cfg are stand-ins, so that
# `nix-instantiate --eval --strict --json` shows where every definition sits.
let
  lib = {
    mkIf = condition: content: {
      _type = "if";
      inherit condition content;
    };
    mkMerge = contents: {
      _type = "merge";
      inherit contents;
    };
    optionalAttrs = condition: set: if condition then set else { };
  };
  cfg = {
    enable = true;
    tls = false;
  };
  ports = {
    notes = 4100;
    metrics = 9100;
  };
in
{
  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      {
        services.nginx = {
          enable = true;
          virtualHosts."notes.example.com" = {
            forceSSL = true;
            locations."/".proxyPass = "http://127.0.0.1:${toString ports.notes}";
          };
        };
        networking.firewall =
          {
            allowedTCPPorts = [
              80
              443
              8443
            ];
          }
          // lib.optionalAttrs cfg.tls {
            allowedUDPPorts = [ 443 ];
          };
      }
      (lib.mkIf cfg.tls {
        security.acme.acceptTerms = true;
        security.acme.defaults.email = "admin@example.com";
      })
    ]
  );
}
