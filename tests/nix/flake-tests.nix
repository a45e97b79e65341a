# The flake's outputs that must not need nixpkgs: `lib`, `nixosModules` and `templates` are read
# here with an input that throws when touched.
let
  flake = import ../../flake.nix;
  outputs = flake.outputs {
    self = outputs;
    nixpkgs = throw "nixpkgs was evaluated, but lib, nixosModules and templates must not need it";
  };
in
{
  "test: the flake's only input is nixpkgs" = {
    expr = builtins.attrNames flake.inputs;
    expected = [ "nixpkgs" ];
  };

  "test: the flake's lib evaluates without nixpkgs" = {
    expr = outputs.lib.roleName "my-shop";
    expected = "my_shop";
  };

  "test: the flake's module is the module file, which takes nixpkgs' lib and the declared options as module arguments" = {
    expr = builtins.functionArgs (import outputs.nixosModules.default);
    expected = {
      config = false;
      lib = false;
      options = false;
    };
  };

  "test: every template has a description and next steps" = {
    expr = builtins.mapAttrs (_: t: {
      description = builtins.isString t.description && t.description != "";
      welcomeText = builtins.match "(.*)Next steps(.*)" t.welcomeText != null;
      path = builtins.pathExists t.path;
    }) outputs.templates;
    expected =
      let
        ok = {
          description = true;
          welcomeText = true;
          path = true;
        };
      in
      {
        default = ok;
        monolith = ok;
      };
  };

  "test: the flake's lib places monoliths and makes fleets without nixpkgs" = {
    expr = {
      placed =
        (outputs.lib.place {
          hosts.web1 = { };
          monoliths.shop.port = 8081;
        }).assignment;
      mkFleet = builtins.functionArgs outputs.lib.mkFleet;
    };
    expected = {
      placed.shop = "web1";
      mkFleet = {
        nixpkgs = false;
        modules = false;
        hostModules = true;
        colmena = true;
        system = true;
        specialArgs = true;
        nmmmModule = true;
      };
    };
  };
}
