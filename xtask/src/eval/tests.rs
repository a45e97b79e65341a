use super::*;

/// Evaluates `text` as a file of a temporary repository, with `files` beside it.
fn eval(text: &str, files: &[(&str, &str)]) -> (Evaluator, Value) {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("nmmm-eval-{}-{run}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, content) in files {
        // `d/` is a folder; other names are files, in folders made for them.
        if let Some(folder) = name.strip_suffix('/') {
            std::fs::create_dir_all(dir.join(folder)).unwrap();
            continue;
        }
        std::fs::create_dir_all(dir.join(name).parent().unwrap()).unwrap();
        std::fs::write(dir.join(name), content).unwrap();
    }
    std::fs::write(dir.join("main.nix"), text).unwrap();
    let ev = Evaluator::new(&dir);
    let value = ev.force_plain(&ev.import(&dir.join("main.nix")));
    (ev, value)
}

fn show(ev: &Evaluator, value: &Value) -> String {
    match ev.plain(value.clone()) {
        Value::Set(s) => {
            let parts: Vec<String> =
                s.iter().map(|(k, v)| format!("{k}={}", show(ev, &ev.force(v)))).collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::List(l) => {
            format!("[{}]", l.iter().map(|v| show(ev, &ev.force(v))).collect::<Vec<_>>().join(","))
        }
        other => format!("{other:?}"),
    }
}

#[test]
fn what_hosts_are_written_with_evaluates_as_in_nix() {
    for (text, expected) in [
        ("let port = 8081; in \"http://127.0.0.1:${toString port}\"", "\"http://127.0.0.1:8081\""),
        ("rec { a = 1; b = a + 1; }", "{a=1,b=2}"),
        ("{ a.b = 1; a.c = 2; }", "{a={b=1,c=2}}"),
        ("let f = { x, y ? 2 }: x + y; in f { x = 1; }", "3"),
        ("with { a = 1; }; a", "1"),
        ("let a = 1; in with { a = 2; }; a", "1"),
        ("{ a = 1; } // { b = 2; }", "{a=1,b=2}"),
        ("[ 1 ] ++ [ 2 ]", "[1,2]"),
        ("if 1 < 2 then \"y\" else \"n\"", "\"y\""),
        ("builtins.map (x: x * 2) [ 1 2 ]", "[2,4]"),
        ("let inherit (builtins) length; in length [ 1 2 3 ]", "3"),
        ("{ a = 1; }.b or 5", "5"),
        ("({ a = 1; }) ? a", "true"),
        ("''\n  x ${\"y\"}\n''", "\"x y\\n\""),
    ] {
        let (ev, value) = eval(text, &[]);
        assert_eq!(show(&ev, &value), expected, "{text}");
    }
}

#[test]
fn imports_and_lib_functions_evaluate() {
    let (ev, value) = eval(
        "let ports = import ./ports.nix; lib = (import ./lib.nix); in lib.mapAttrs' (n: p: lib.nameValuePair \"${n}.example\" { port = p; }) ports",
        &[("ports.nix", "{ a = 1; b = 2; }"), ("lib.nix", "builtins")],
    );
    // `builtins` has no mapAttrs': the result is unknown, never a guess.
    assert!(matches!(value, Value::Unknown(_)), "{}", show(&ev, &value));
    let (ev, value) = eval(
        "{ lib }: lib.mapAttrs' (n: p: lib.nameValuePair \"${n}.example\" { port = p; }) (import ./ports.nix)",
        &[("ports.nix", "{ a = 1; b = 2; }")],
    );
    let value = ev.call(
        value,
        Thunk::value(Value::Set(Rc::new(Attrs::from_values([("lib".to_owned(), lib())])))),
        None,
    );
    assert_eq!(show(&ev, &value), "{a.example={port=1},b.example={port=2}}");
}

#[test]
fn what_cannot_be_known_is_unknown_with_its_place() {
    let (ev, value) = eval("{ pkgs }: pkgs.hello", &[]);
    let value = ev.call(value, unknown("pkgs".into(), None), None);
    assert!(matches!(value, Value::Unknown(_)));
    let (_, value) = eval("let x = y; in x", &[]);
    let u = value.unknown().expect("unknown");
    assert!(u.why.contains("`y` is not defined"), "{}", u.why);
    assert!(u.place.is_some());
    let (_, value) = eval("let a = b; b = a; in a", &[]);
    assert!(value.unknown().is_some());
}

#[test]
fn regular_expressions_and_directories_read_as_nix_reads_them() {
    for (text, expected) in [
        ("builtins.match \"(.*)\\\\.nix\" \"nginx.nix\"", "[\"nginx\"]"),
        ("builtins.match \"(.*)\\\\.nix\" \"README.md\"", "null"),
        ("builtins.match \"a(b)?c\" \"ac\"", "[null]"),
        ("builtins.split \",\" \"a,b\"", "[\"a\",[],\"b\"]"),
        ("builtins.attrNames (builtins.readDir ./d)", "[\"one.nix\",\"two\"]"),
        ("(builtins.readDir ./d).two", "\"directory\""),
        ("let name = \"one\"; in import ./d/${name}.nix", "1"),
        ("import \"${./d}/one.nix\"", "1"),
        (
            "{ lib }: map builtins.baseNameOf (lib.filesystem.listFilesRecursive ./d)",
            "[\"one.nix\",\"three.nix\"]",
        ),
    ] {
        let (ev, value) = eval(text, &[("d/one.nix", "1"), ("d/two/three.nix", "3")]);
        // A file that is a function of `lib` is called with it.
        let value = match value {
            Value::Lambda(_) => ev.call(
                value,
                Thunk::value(Value::Set(Rc::new(Attrs::from_values([("lib".to_owned(), lib())])))),
                None,
            ),
            other => other,
        };
        assert_eq!(show(&ev, &value), expected, "{text}");
    }
}

#[test]
fn names_that_cannot_be_known_are_kept_with_why() {
    let (ev, value) = eval("{ identity }: { \"vault.${identity.domain}\" = 1; b = 2; }", &[]);
    let value = ev.call(value, unknown("identity".into(), None), None);
    let Value::Set(set) = ev.plain(value) else { panic!("a set") };
    assert_eq!(set.names().collect::<Vec<_>>(), ["b"]);
    assert_eq!(set.unnamed.len(), 1);
    assert_eq!(set.unnamed[0].written, "\"vault.${identity.domain}\"");
    // What the right side of `//` sets is known whatever the left holds.
    let (ev, value) = eval("{ u }: u // { nixosConfigurations = 1; }", &[]);
    let value = ev.call(value, unknown("u".into(), None), None);
    assert_eq!(show(&ev, &value), "{nixosConfigurations=1}");
    let (ev, value) = eval("{ u }: { nixosConfigurations = 1; } // u", &[]);
    let value = ev.call(value, unknown("u".into(), None), None);
    assert_eq!(show(&ev, &value), "{nixosConfigurations=1}");
}
