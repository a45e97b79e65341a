{ config, pkgs, ... }:

{
  # the machine itself
  networking.hostName = "kestrel";

  services.openssh.enable = true;
}
