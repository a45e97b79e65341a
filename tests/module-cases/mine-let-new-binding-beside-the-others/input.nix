let ports = { a = 1; }; in { x = ports.a; }
