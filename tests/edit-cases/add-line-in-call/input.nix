let
  writeText = name: text: text;
in
{
  script = ''
    echo one
      echo indented
  '';
  init = writeText "init" ''
    CREATE ROLE a;
  '';
  empty = ''
  '';
}
