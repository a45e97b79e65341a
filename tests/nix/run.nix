# Runs every Nix test and summarises: `tests` (how many), `failed`, `failures` (name, expected,
# got) and `report` (the failures as text). A test whose expression throws fails with its
# message as `got` instead of stopping the run.
#
#   nix-instantiate --eval --strict --json tests/nix/run.nix -A failed
let
  tests =
    import ./lib-tests.nix
    // import ./schema-tests.nix
    // import ./module-tests.nix
    // import ./flake-tests.nix
    // import ./fleet-tests.nix
    // import ./backup-tests.nix
    // import ./secrets-tests.nix;

  run =
    name:
    let
      test = tests.${name};
      attempt = builtins.tryEval (builtins.deepSeq test.expr test.expr);
      got = if attempt.success then attempt.value else "<the expression threw or failed an assert>";
    in
    {
      inherit name got;
      inherit (test) expected;
      passed = attempt.success && got == test.expected;
    };

  misnamed = builtins.filter (name: builtins.substring 0 6 name != "test: ") (
    builtins.attrNames tests
  );
  results = map run (builtins.attrNames tests);
  failures =
    map (r: removeAttrs r [ "passed" ]) (builtins.filter (r: !r.passed) results)
    ++ map (name: {
      inherit name;
      expected = "a name starting with `test: `";
      got = name;
    }) misnamed;
in
{
  tests = builtins.length results;
  failed = builtins.length failures;
  inherit failures;
  report = builtins.concatStringsSep "\n\n" (
    map (f: ''
      ${f.name}
        expected: ${builtins.toJSON f.expected}
        got:      ${builtins.toJSON f.got}'') failures
  );
}
