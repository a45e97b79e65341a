let
  vhosts = {
    "a.example".root = "/srv/a";
    "b.example".root = "/srv/b";
  };
in
{
  services.nginx.virtualHosts = vhosts;
}
