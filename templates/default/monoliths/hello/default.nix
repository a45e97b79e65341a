# The monolith's package: `pkgs.callPackage ./<dir> { }`, or from the machine's monoliths list.
{ lib, rustPlatform }:
rustPlatform.buildRustPackage {
  pname = "hello";
  version = "0.1.0";
  src = lib.fileset.toSource {
    root = ./.;
    fileset = lib.fileset.unions [
      ./Cargo.toml
      ./Cargo.lock
      ./src
    ];
  };
  cargoLock.lockFile = ./Cargo.lock;
  meta = {
    description = "A web service on an NMMM machine";
    mainProgram = "hello";
  };
}
