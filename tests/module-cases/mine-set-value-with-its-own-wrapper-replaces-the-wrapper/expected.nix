{ lib, ... }:
{
  port = lib.mkForce 8081;
}
