{ config, lib, pkgs, ... }:

with lib;

{
  imports = [
    ./hardware-configuration.nix
    ./users.nix
  ];

  services.nginx = {
    enable = true;
    virtualHosts."example.com" = {
      forceSSL = true;
      locations."/".proxyPass = "http://127.0.0.1:8080";
    };
  };

  environment.systemPackages = with pkgs; [ git vim ];
}
