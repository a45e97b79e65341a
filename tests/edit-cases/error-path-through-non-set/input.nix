{ a = import ./x.nix; }
