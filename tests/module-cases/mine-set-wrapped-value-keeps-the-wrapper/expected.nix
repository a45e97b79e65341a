{ lib, ... }:
{
  port = lib.mkDefault 8081;
}
