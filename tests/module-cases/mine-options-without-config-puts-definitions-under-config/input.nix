{ lib, ... }:
{
  options.services.shop.enable = lib.mkEnableOption "shop";
}
