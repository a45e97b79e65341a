{ lib, ... }:
{
  port = lib.mkDefault 8080;
}
