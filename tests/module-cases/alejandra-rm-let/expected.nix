{
  config,
  lib,
  pkgs,
  ...
}: let
  domain = "example.org";
  ports = {
    grafana = 3000;
    vaultwarden = 8222;
  };
  trusted = {
    lan = ["192.168.1.0/24"];
  };
in {
  imports = [
    ./hardware-configuration.nix
    ./users.nix
  ];

  networking.hostName = "vps";
  networking.firewall.allowedTCPPorts = [
    80
    443
  ];

  environment.systemPackages = with pkgs; [
    git
    htop
  ];

  services.openssh = {
    enable = true;
    settings = pkgs.lib.mkForce {
      PasswordAuthentication = false;
      PermitRootLogin = "no";
    };
  };

  services.vaultwarden = {
    enable = true;
    config = {
      ROCKET_ADDRESS = "127.0.0.1";
      ROCKET_PORT = ports.vaultwarden;
    };
  };

  services.grafana = lib.mkDefault {
    enable = true;
    settings.server = {
      http_addr = "127.0.0.1";
      http_port = ports.grafana;
      domain = "grafana.${domain}";
    };
  };

  services.postgresql = {
    enable = true;
    ensureDatabases = ["vaultwarden"];
    authentication = ''
      host all all ${builtins.head trusted.lan} scram-sha-256
    '';
  };

  services.nginx = {
    enable = true;
    virtualHosts = let
      proxy = port: {
        forceSSL = true;
        enableACME = true;
        locations."/".proxyPass = "http://127.0.0.1:${toString port}";
      };
    in {
      "vault.example.org" = proxy ports.vaultwarden;
      "grafana.example.org" = proxy ports.grafana;
    };
  };

  security.acme = {
    acceptTerms = true;
    defaults = {
      email = "admin@${domain}";
    };
  };

  users.groups.backup = {};

  system.stateVersion = "24.05";
}
