# Stand-ins for the flake inputs a fleet needs, which are not available here: nixpkgs (its
# `lib.nixosSystem` and `legacyPackages`) and colmena (its `lib.makeHive`).
#
# `nixosSystem` returns its arguments and the configuration its modules add up to, computed
# with stub-lib.nix instead of the module system: the modules other than NMMM's are merged
# recursively, NMMM's option values are their definitions with the declared defaults filled
# in, and NMMM's module is applied to them (`nmmm`: what it sets). `makeHive` returns the hive.
let
  stubLib = import ./stub-lib.nix;
  nmmmModule = ../../modules/nmmm.nix;

  stubPackage = name: {
    type = "derivation";
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
    meta.mainProgram = name;
  };
  pkgs = {
    callPackage = path: _: stubPackage (baseNameOf path);
  };

  isOption = v: builtins.isAttrs v && (v._type or null) == "option";

  recursiveMerge =
    a: b:
    a
    // builtins.mapAttrs (
      k: v:
      if builtins.isAttrs v && builtins.isAttrs (a.${k} or null) && !(v ? type) then
        recursiveMerge a.${k} v
      else
        v
    ) b;

  # Option values: the definitions where there are some, the declared defaults elsewhere.
  resolve =
    options: defs:
    builtins.mapAttrs (
      k: opt:
      if isOption opt then
        if defs ? ${k} then fill opt.type defs.${k} else opt.default
      else
        resolve opt (defs.${k} or { })
    ) options;

  fill =
    type: value:
    if type.name == "attrsOf" && type.elem.name == "submodule" then
      builtins.mapAttrs (
        name: v:
        let
          self = resolve (type.elem.module {
            inherit name;
            config = self;
          }).options v;
        in
        self
      ) value
    else
      value;

  nixosSystem =
    args:
    let
      isNmmm = m: m == nmmmModule;
      call =
        m:
        let
          loaded = if builtins.isPath m then import m else m;
        in
        if builtins.isFunction loaded then
          loaded {
            inherit pkgs;
            lib = stubLib;
            config = defs;
          }
        else
          loaded;
      defs = builtins.foldl' recursiveMerge { } (
        map call (builtins.filter (m: !isNmmm m) args.modules)
      );
      declarations =
        (import nmmmModule {
          lib = stubLib;
          options = { };
          config.nmmm = { };
        }).options.nmmm;
      values = resolve declarations (defs.nmmm or { });
    in
    {
      _stub = "nixosSystem";
      inherit args;
      config = defs // {
        nmmm = values;
      };
      nmmm =
        (import nmmmModule {
          lib = stubLib;
          # The fleet's stand-in modules declare no options, so none is agenix's `age`.
          options = { };
          config.nmmm = values;
        }).config;
    };
in
{
  inherit stubPackage;

  nixpkgs = {
    lib = { inherit nixosSystem; };
    legacyPackages = {
      x86_64-linux = {
        _stub = "pkgs";
        system = "x86_64-linux";
      };
      aarch64-linux = {
        _stub = "pkgs";
        system = "aarch64-linux";
      };
    };
  };

  colmena = {
    lib.makeHive = hive: {
      _stub = "makeHive";
      inherit hive;
    };
  };
}
