# The machine. Its monoliths are in ../../monoliths.
{ ... }:
{
  imports = [
    ./hardware-configuration.nix
    ../../monoliths
  ];

  networking.hostName = "machine";

  # Where `cargo xtask deploy` reaches the machine over SSH (as root unless `user` says).
  nmmm.hosts.machine.address = "server.example.com";

  # Let's Encrypt writes here about the monoliths' certificates.
  nmmm.acmeEmail = "admin@example.com";

  services.openssh = {
    enable = true;
    settings.PasswordAuthentication = false;
  };
  # NMMM opens 80 and 443; SSH opens its own port.
  users.users.root.openssh.authorizedKeys.keys = [
    # "ssh-ed25519 AAAA... you@laptop"
  ];

  system.stateVersion = "25.11";
}
