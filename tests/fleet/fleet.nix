# The hosts of the fleet. Every host imports this file; mkFleet tells each which one it is.
{
  nmmm.acmeEmail = "admin@example.com";

  nmmm.hosts = {
    web1 = {
      address = "web1.example.com";
      capacity = 3;
    };
    web2 = {
      address = "203.0.113.7";
      user = "deploy";
      capacity = 4;
      tags = [ "eu" ];
    };
  };
}
