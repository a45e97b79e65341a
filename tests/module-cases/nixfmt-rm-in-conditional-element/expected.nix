{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.services.notes;
in
{
  options.services.notes = {
    enable = lib.mkEnableOption "the notes server";
    database.createLocally = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = "Create the database and its user locally.";
    };
    nginx.enable = lib.mkEnableOption "a virtual host for the notes server";
  };

  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      {
        systemd.services.notes = {
          description = "Notes server";
          wantedBy = [ "multi-user.target" ];
          environment = {
            NOTES_PORT = "4100";
            NOTES_DATA = "/var/lib/notes";
          };
          serviceConfig = {
            ExecStart = "${pkgs.hello}/bin/hello";
            DynamicUser = true;
            StateDirectory = "notes";
          };
        };
        networking.firewall.allowedTCPPorts = [
          80
          443
        ];
      }
      (lib.mkIf cfg.database.createLocally {
        services.postgresql = {
          enable = true;
          ensureDatabases = [ "notes" ];
          ensureUsers = [
            {
              name = "notes";
              ensureDBOwnership = true;
            }
          ];
        };
      })
      (lib.mkIf cfg.nginx.enable {
        services.nginx.virtualHosts."notes.example.com" = {
          forceSSL = true;
          enableACME = true;
          locations."/" = {
            proxyPass = "http://127.0.0.1:4100";
          };
        };
      })
    ]
  );
}
