{ config, lib, ... }:

let
  ports = import ./ports.nix;
in
{
  services.grafana.settings.server.http_port = ports.grafana;
  services.loki.configuration.server.http_listen_port = ports.loki;
}
