let ports = { a = 1; }; other = 2; in { x = ports.a; }
