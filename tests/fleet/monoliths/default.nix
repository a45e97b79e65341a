# The monoliths of the fleet. `shop` and `blog` are pinned; NMMM places the others, and
# `cargo xtask place` would write their hosts here.
{ pkgs, ... }:
{
  nmmm.monoliths = {
    shop = {
      domain = "shop.example.com";
      port = 8081;
      host = "web2";
      package = pkgs.callPackage ./shop { };
    };
    blog = {
      domain = "blog.example.com";
      aliases = [ "journal.example.com" ];
      port = 8081;
      host = "web1";
      package = pkgs.callPackage ./blog { };
    };
    api = {
      domain = "api.example.com";
      www = false;
      port = 8082;
      package = pkgs.callPackage ./api { };
    };
    docs = {
      domain = "docs.example.com";
      port = 8083;
      database.enable = false;
      package = pkgs.callPackage ./docs { };
    };
    forum = {
      domain = "forum.example.com";
      port = 8084;
      package = pkgs.callPackage ./forum { };
    };
    wiki = {
      domain = "wiki.example.com";
      port = 8085;
      package = pkgs.callPackage ./wiki { };
    };
  };
}
