# A stand-in for nixpkgs' `lib` (which is not available here), enough for modules/nmmm.nix.
#
# It records what the module asks for (mkOption's arguments, mkIf's condition, the merged
# definitions) instead of running the module system, so tests check the module's declarations
# and wiring, not NixOS's merging.
{
  mkOption = args: args // { _type = "option"; };
  literalExpression = text: {
    _type = "literalExpression";
    inherit text;
  };
  getExe = package: "${package.outPath}/bin/${package.meta.mainProgram}";
  mkIf = condition: content: {
    _type = "if";
    inherit condition content;
  };
  mkMerge = contents: {
    _type = "merge";
    inherit contents;
  };
  inherit (builtins) mapAttrs;
  types =
    let
      simple = name: { inherit name; };
      wrap = name: elem: { inherit name elem; };
    in
    {
      str = simple "str";
      bool = simple "bool";
      port = simple "port";
      path = simple "path";
      ints.positive = simple "positive integer";
      ints.unsigned = simple "unsigned integer";
      package = simple "package";
      listOf = wrap "listOf";
      attrsOf = wrap "attrsOf";
      nullOr = wrap "nullOr";
      submodule = module: {
        name = "submodule";
        inherit module;
      };
    };
}
