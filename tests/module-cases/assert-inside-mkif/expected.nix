{ config, lib, ... }:

let
  cfg = config.services.relay;
in
{
  options.services.relay = {
    enable = lib.mkEnableOption "the mail relay";
    port = lib.mkOption {
      type = lib.types.port;
      default = 587;
      description = "Port the relay accepts mail on.";
    };
  };

  config = lib.mkIf cfg.enable (
    assert lib.assertMsg (cfg.port != 25) "the relay must not take port 25";
    {
      services.postfix.enable = true;
      services.postfix.hostname = "mail.example.com";
      networking.firewall.allowedTCPPorts = [ cfg.port ];
    }
  );
}
