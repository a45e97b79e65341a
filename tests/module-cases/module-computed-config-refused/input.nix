{ config, lib, pkgs, ... }:

let
  cfg = config.services.shop;
in
{
  options.services.shop.enable = lib.mkEnableOption "the shop";

  config = import ./shop-config.nix { inherit config lib pkgs; };
}
