{ imports = [ ./a.nix ]; }
