# What only web1 has: its name and hardware.
{
  networking.hostName = "web1";
  system.stateVersion = "25.11";
}
