let f = y: y + 1; x = 1; in { a = [ ]; }
