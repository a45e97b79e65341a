# What only web2 has: its name and hardware.
{
  networking.hostName = "web2";
  system.stateVersion = "25.11";
}
