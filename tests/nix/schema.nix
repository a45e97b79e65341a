# Checks a NixOS configuration fragment against real NixOS option declarations, without nixpkgs.
#
# `optionsFile` is a JSON file with a list `options` of { name, type, readOnly, internal,
# visible } (see nixos-options.json), or a list of such files whose declarations add up (NixOS's
# and agenix's, say). Submodule levels appear in names as `<name>` (attribute
# sets) and `*` (lists). `check config` walks every leaf of `config` and returns a list of
# messages, empty when every path exists, is settable, and holds a value of its declared type.
# Under a freeform attribute set such as `serviceConfig` only the values' types are checked.
optionsFile:
let
  declared = builtins.listToAttrs (
    map (o: {
      inherit (o) name;
      value = o;
    }) (
      builtins.concatMap (file: (builtins.fromJSON (builtins.readFile file)).options) (
        if builtins.isList optionsFile then optionsFile else [ optionsFile ]
      )
    )
  );

  # Every proper prefix of a declared name, so the walker knows `services.nginx` leads somewhere.
  prefixes = builtins.listToAttrs (
    builtins.concatLists (
      map (
        name:
        let
          parts = builtins.filter builtins.isString (builtins.split "[.]" name);
        in
        builtins.genList (i: {
          name = builtins.concatStringsSep "." (
            builtins.genList (j: builtins.elemAt parts j) (i + 1)
          );
          value = true;
        }) (builtins.length parts - 1)
      ) (builtins.attrNames declared)
    )
  );

  chars = s: builtins.genList (i: builtins.substring i 1 s) (builtins.stringLength s);

  # Split a type description on `sep` where it is not inside parentheses.
  splitTopLevel =
    sep: s:
    let
      n = builtins.stringLength s;
      w = builtins.stringLength sep;
      step =
        acc: i:
        if i < acc.skipUntil then
          acc
        else
          let
            c = builtins.substring i 1 s;
          in
          if c == "(" then
            acc // { depth = acc.depth + 1; }
          else if c == ")" then
            acc // { depth = acc.depth - 1; }
          else if acc.depth == 0 && builtins.substring i w s == sep then
            acc
            // {
              parts = acc.parts ++ [ (builtins.substring acc.start (i - acc.start) s) ];
              start = i + w;
              skipUntil = i + w;
            }
          else
            acc;
      end = builtins.foldl' step {
        depth = 0;
        parts = [ ];
        start = 0;
        skipUntil = 0;
      } (builtins.genList (i: i) n);
    in
    end.parts ++ [ (builtins.substring end.start (n - end.start) s) ];

  # "(x)" to "x" when the parentheses enclose the whole description, not in "(a) or (b)".
  unwrap =
    s:
    let
      n = builtins.stringLength s;
      inner = builtins.substring 1 (n - 2) s;
    in
    if
      n >= 2
      && builtins.substring 0 1 s == "("
      && builtins.substring (n - 1) 1 s == ")"
      && balanced inner
    then
      unwrap inner
    else
      s;

  # Parentheses close in order and never more than they opened.
  balanced =
    s:
    let
      end = builtins.foldl' (
        acc: c:
        if acc < 0 then
          acc
        else if c == "(" then
          acc + 1
        else if c == ")" then
          acc - 1
        else
          acc
      ) 0 (chars s);
    in
    end == 0;

  between =
    lo: hi: v:
    builtins.isInt v && v >= lo && v <= hi;

  isSystemdValue =
    v:
    builtins.isBool v
    || builtins.isInt v
    || builtins.isFloat v
    || builtins.isString v
    || builtins.isPath v
    || (builtins.isList v && builtins.all isSystemdValue v);

  # Whether `v` is a value of the NixOS type described by `t`. Unknown descriptions abort, so a
  # type this checker does not understand is never waved through.
  matches =
    t0: v:
    let
      t = unwrap t0;
      alternatives = splitTopLevel " or " t;
      m = re: builtins.match re t;
    in
    if t == "string, not containing newlines or colons" then
      builtins.isString v && builtins.match ".*[\n:].*" v == null
    else if t == "absolute path, not containing newlines or colons" then
      matches "absolute path" v && builtins.match ".*[\n:].*" (toString v) == null
    else if builtins.length alternatives > 1 then
      builtins.any (a: matches a v) alternatives
    else if t == "null" then
      v == null
    else if t == "boolean" then
      builtins.isBool v
    else if t == "string" || m "strings concatenated with .*" != null then
      builtins.isString v
    else if t == "(optionally newline-terminated) single-line string" then
      builtins.isString v && builtins.match "[^\n]*\n?" v != null
    else if m "string matching the pattern (.*)" != null then
      builtins.isString v
      && builtins.match (builtins.head (m "string matching the pattern (.*)")) v != null
    else if t == "signed integer" then
      builtins.isInt v
    else if m "16 bit unsigned integer.*" != null then
      between 0 65535 v
    else if m "positive integer.*" != null then
      builtins.isInt v && v > 0
    else if m "integer between ([0-9]+) and ([0-9]+).*" != null then
      let
        bounds = map builtins.fromJSON (m "integer between ([0-9]+) and ([0-9]+).*");
      in
      between (builtins.elemAt bounds 0) (builtins.elemAt bounds 1) v
    else if t == "floating point number" then
      builtins.isFloat v
    else if t == "absolute path" then
      (builtins.isString v || builtins.isPath v) && builtins.substring 0 1 (toString v) == "/"
    else if t == "package" then
      builtins.isAttrs v && (v.type or null) == "derivation"
    else if t == "systemd option" then
      isSystemdValue v
    else if t == "unspecified value" || t == "anything" then
      true
    else if m "one of (.*)" != null then
      builtins.elem (builtins.toJSON v) (
        builtins.filter builtins.isString (builtins.split ", " (builtins.head (m "one of (.*)")))
      )
    else if m "list of (.*)" != null then
      builtins.isList v && builtins.all (matches (builtins.head (m "list of (.*)"))) v
    else if m "attribute set of (.*)" != null then
      builtins.isAttrs v
      && builtins.all (matches (builtins.head (m "attribute set of (.*)"))) (builtins.attrValues v)
    else if m "function that evaluates to .*" != null then
      builtins.isFunction v
    else if m "(.*) convertible to it" != null then
      matches (builtins.head (m "(.*) convertible to it")) v
    else
      throw "tests/nix/schema.nix does not understand the NixOS type `${t0}`; teach `matches` about it";

  # How a declared type nests submodules: `[ "<name>" ]` for `attribute set of (submodule)`,
  # `[ "*" ]` for `list of (submodule)`, `[ ]` for a plain submodule, null for a leaf type.
  submoduleLevels =
    t0:
    let
      t = unwrap t0;
    in
    if t == "submodule" then
      [ ]
    else if builtins.match "attribute set of (.*)" t != null then
      let
        inner = submoduleLevels (builtins.head (builtins.match "attribute set of (.*)" t));
      in
      if inner == null then null else [ "<name>" ] ++ inner
    else if builtins.match "list of (.*)" t != null then
      let
        inner = submoduleLevels (builtins.head (builtins.match "list of (.*)" t));
      in
      if inner == null then null else [ "*" ] ++ inner
    else
      null;

  # The freeform type of an open submodule, or null.
  freeformOf =
    t:
    let
      m = builtins.match "open submodule of (.*)" (unwrap t);
    in
    if m == null then null else builtins.head m;

  join = path: builtins.concatStringsSep "." path;

  # Walks every attribute of `v` one level down.
  intoAttrs =
    path: shown: v:
    builtins.concatLists (
      map (k: walk (path ++ [ k ]) (shown ++ [ k ]) v.${k}) (builtins.attrNames v)
    );

  # `path` is the declared name so far (with `<name>` and `*`), `shown` the concrete one.
  walk =
    path: shown: v:
    let
      name = join path;
      opt = declared.${name} or null;
    in
    if opt != null then
      if opt.readOnly || opt.internal || !opt.visible then
        [
          "${join shown}: `${name}` is read-only, internal or a removed alias; do not set it"
        ]
      else
        descend opt path shown v
    else if (path == [ ] || prefixes ? ${name}) && builtins.isAttrs v then
      intoAttrs path shown v
    else
      [ "${join shown}: NixOS has no option `${name}`" ];

  descend =
    opt: path: shown: v:
    let
      levels = submoduleLevels opt.type;
      freeform = freeformOf opt.type;
      # Walk into `v` along the submodule levels, then into the submodule's own options.
      into =
        levels: path: shown: v:
        if levels == [ ] then
          if builtins.isAttrs v then
            intoAttrs path shown v
          else
            [ "${join shown}: expected an attribute set (a submodule), got ${builtins.typeOf v}" ]
        else if builtins.head levels == "<name>" then
          if builtins.isAttrs v then
            builtins.concatLists (
              map (
                k: into (builtins.tail levels) (path ++ [ "<name>" ]) (shown ++ [ k ]) v.${k}
              ) (builtins.attrNames v)
            )
          else
            [ "${join shown}: expected an attribute set, got ${builtins.typeOf v}" ]
        else if builtins.isList v then
          builtins.concatLists (
            builtins.genList (
              i:
              into (builtins.tail levels) (path ++ [ "*" ]) (shown ++ [ (toString i) ]) (
                builtins.elemAt v i
              )
            ) (builtins.length v)
          )
        else
          [ "${join shown}: expected a list, got ${builtins.typeOf v}" ];
    in
    if levels != null then
      into levels path shown v
    else if freeform != null && builtins.isAttrs v then
      builtins.concatLists (
        map (
          k:
          if declared ? ${join (path ++ [ k ])} then
            walk (path ++ [ k ]) (shown ++ [ k ]) v.${k}
          else if matches freeform { ${k} = v.${k}; } then
            [ ]
          else
            [ "${join (shown ++ [ k ])}: ${builtins.toJSON v.${k}} is not a value of `${freeform}`" ]
        ) (builtins.attrNames v)
      )
    else if matches opt.type v then
      [ ]
    else
      [ "${join shown}: ${builtins.toJSON v} is not a value of `${opt.type}` (the type of `${join path}`)" ];
in
{
  check = config: walk [ ] [ ] config;

  # Exposed so tests can pin the type matcher's behaviour.
  inherit matches;
}
