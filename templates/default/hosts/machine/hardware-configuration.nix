# A stand-in: replace this file with the output of `nixos-generate-config --show-hardware-config`
# run on the server.
{ ... }:
{
  nixpkgs.hostPlatform = "x86_64-linux";

  boot.loader.grub = {
    enable = true;
    device = "/dev/sda";
  };

  fileSystems."/" = {
    device = "/dev/disk/by-label/nixos";
    fsType = "ext4";
  };
}
