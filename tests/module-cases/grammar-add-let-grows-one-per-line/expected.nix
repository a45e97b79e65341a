{
  config,
  lib,
  pkgs,
  inputs,
  ...
}:

{
  imports = [
    ./hardware-configuration.nix
    inputs.sops-nix.nixosModules.sops
  ];

  nixpkgs.overlays = [ inputs.nur.overlays.default ];
  nixpkgs.config.allowUnfree = true;

  environment.systemPackages = with pkgs; [
    git
    htop
  ];

  boot.kernelParams = [
    "quiet"
    (let size = "2M"; in "hugepagesz=${size}")
  ];
  networking.firewall = {
    enable = true;
    allowedTCPPorts = [
      22
      3000
    ];
  };
  services.gitea = {
    enable = true;
    settings.server.HTTP_PORT = 3000;
  };
}
