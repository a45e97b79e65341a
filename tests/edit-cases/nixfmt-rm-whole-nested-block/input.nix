{
  services.nginx = {
    enable = true;
    virtualHosts = {
      "a.example.com" = {
        forceSSL = true;
        enableACME = true;
      };
    };
  };
  users.users.shop = {
    isSystemUser = true;
    group = "shop";
  };
}
