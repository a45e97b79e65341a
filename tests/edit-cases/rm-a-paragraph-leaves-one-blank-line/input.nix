{
  networking.hostName = "kestrel";

  services.vaultwarden = {
    enable = true;
    config.ROCKET_PORT = 8222;
  };

  services.forgejo = {
    enable = true;
  };

  system.stateVersion = "24.05";
}
