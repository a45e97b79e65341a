{ lib, ... }:

{
  systemd.services.grafana.serviceConfig = lib.mkForce {
    DynamicUser = false;
  };
}
