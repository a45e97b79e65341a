# What the example fleet must evaluate to, checked by tests/nix/fleet-tests.nix.
{
  # shop and blog are pinned; api, docs, forum and wiki go, in name order, to the host with
  # the most free room (web1 holds 3, web2 4; ties to web1).
  placement = {
    api = "web2";
    blog = "web1";
    docs = "web1";
    forum = "web2";
    shop = "web2";
    wiki = "web1";
  };

  # Each host's nginx knows its own monoliths and the default vhost that rejects the rest.
  vhosts = {
    web1 = [
      "_"
      "blog.example.com"
      "docs.example.com"
      "journal.example.com"
      "wiki.example.com"
      "www.blog.example.com"
      "www.docs.example.com"
      "www.wiki.example.com"
    ];
    web2 = [
      "_"
      "api.example.com"
      "forum.example.com"
      "shop.example.com"
      "www.forum.example.com"
      "www.shop.example.com"
    ];
  };

  services = {
    web1 = [
      "blog"
      "docs"
      "wiki"
    ];
    web2 = [
      "api"
      "forum"
      "shop"
    ];
  };

  # The modules of each nixosSystem, paths relative to tests/fleet.
  modules = {
    web1 = [
      "../../modules/nmmm.nix"
      "fleet.nix"
      "monoliths"
      "hosts/web1.nix"
      { nmmm.currentHost = "web1"; }
    ];
    web2 = [
      "../../modules/nmmm.nix"
      "fleet.nix"
      "monoliths"
      "hosts/web2.nix"
      { nmmm.currentHost = "web2"; }
    ];
  };

  colmenaNodes = {
    web1 = {
      targetHost = "web1.example.com";
      targetUser = "root";
      tags = [ ];
      buildOnTarget = false;
    };
    web2 = {
      targetHost = "203.0.113.7";
      targetUser = "deploy";
      tags = [ "eu" ];
      buildOnTarget = false;
    };
  };
}
