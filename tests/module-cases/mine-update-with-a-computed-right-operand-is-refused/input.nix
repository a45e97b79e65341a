{
  a = { b = 1; } // import ./x.nix;
}
