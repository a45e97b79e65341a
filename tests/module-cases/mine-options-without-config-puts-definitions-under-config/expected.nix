{ lib, ... }:
{
  options.services.shop.enable = lib.mkEnableOption "shop";
  config.services.shop.port = 8080;
}
