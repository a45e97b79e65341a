{ lib, ... }:

{
  options.site.domain = lib.mkOption {
    type = lib.types.str;
    default = "example.com";
    description = "Domain of the site.";
  };

  config = {
    services.nginx.enable = true;
    services.nginx.recommendedGzipSettings = true;
    networking.domain = "example.com";
  };
}
