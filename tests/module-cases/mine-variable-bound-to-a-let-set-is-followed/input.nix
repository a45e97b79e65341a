let
  vhosts = {
    "a.example".root = "/srv/a";
  };
in
{
  services.nginx.virtualHosts = vhosts;
}
