{ imports = [ ]; }
