//! Properties of every edit over a generated corpus and every fixture in the repository.
//!
//! The corpus: attribute-set files in many styles (indent widths, tabs, CRLF, nested and dotted
//! bindings, one-line sets, comments), each with a random operation. For each: the result parses
//! with rnix; only one region changed; the same edit again changes nothing; and Nix evaluates
//! the result to exactly the value the operation means (all files checked in one `nix-instantiate`
//! run, with `--parse` first).

mod support;

use std::fmt::Write as _;
use std::fs;

use serde_json::{json, Value};
use support::{edit_kind_holds, expected_value, nix_eval_file, nix_parse_all, repo_root, TempDir};
use xtask::edit::{self, NixFile};

/// A small deterministic generator (xorshift), so that failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

enum Node {
    Int(i64),
    Str(String),
    List(Vec<i64>),
    Lines(Vec<String>),
    Set(Vec<(String, Node)>),
}

struct Style {
    unit: String,
    newline: &'static str,
    dotted: u64,
    comments: u64,
    one_line: u64,
    /// How often a value is written through a NixOS module idiom: `lib.mkIf true { }`,
    /// `lib.mkMerge [ { } { } ]`, `{ } // { }`, `(let v = { }; in v)`, `lib.mkDefault 80`...
    idioms: u64,
}

/// What the module idioms mean, for files that evaluate without nixpkgs: conditions are true,
/// priorities and orders are the value itself, `mkMerge` merges its definitions.
const LIB_STUBS: &str = "let\n  lib = rec {\n    mkIf = c: v: if c then v else { };\n    optionalAttrs = c: v: if c then v else { };\n    mkDefault = v: v;\n    mkForce = v: v;\n    mkOverride = p: v: v;\n    mkBefore = v: v;\n    mkAfter = v: v;\n    mkOrder = p: v: v;\n    mkMerge = builtins.foldl' recursiveUpdate { };\n    recursiveUpdate = a: b: a // builtins.mapAttrs (n: v: if builtins.isAttrs v && builtins.isAttrs (a.${n} or null) then recursiveUpdate a.${n} v else v) b;\n  };\nin\n";

const NAMES: &[&str] = &[
    "services",
    "nginx",
    "enable",
    "port",
    "hosts",
    "www.a.com",
    "db",
    "users",
    "imports",
    "x-y",
    "list",
];

fn gen_set(rng: &mut Rng, depth: usize) -> Vec<(String, Node)> {
    let mut entries: Vec<(String, Node)> = Vec::new();
    for _ in 0..1 + rng.below(4) {
        let key = NAMES[rng.below(NAMES.len())].to_owned();
        if entries.iter().any(|(k, _)| *k == key) {
            continue;
        }
        let node = match rng.below(if depth < 3 { 6 } else { 4 }) {
            0 => Node::Int(rng.below(10000) as i64),
            1 => Node::Str(format!("v{}", rng.below(100))),
            2 => Node::List((0..rng.below(4)).map(|_| rng.below(100) as i64).collect()),
            3 => Node::Lines((0..1 + rng.below(3)).map(|i| format!("line {i};")).collect()),
            _ => Node::Set(gen_set(rng, depth + 1)),
        };
        entries.push((key, node));
    }
    entries
}

fn key(k: &str) -> String {
    edit::quote_key(k)
}

fn render_set(
    out: &mut String,
    entries: &[(String, Node)],
    indent: &str,
    s: &Style,
    rng: &mut Rng,
) {
    if entries.is_empty()
        || (rng.chance(s.one_line) && entries.iter().all(|(_, n)| !matches!(n, Node::Lines(_))))
    {
        out.push('{');
        for (k, n) in entries {
            out.push(' ');
            render_binding(out, &key(k), n, indent, s, rng);
        }
        out.push_str(" }");
        return;
    }
    out.push('{');
    let inner = format!("{indent}{}", s.unit);
    for (k, n) in entries {
        out.push_str(s.newline);
        if rng.chance(s.comments) {
            write!(out, "{inner}# about {k}{}", s.newline).unwrap();
        }
        out.push_str(&inner);
        render_binding(out, &key(k), n, &inner, s, rng);
        if rng.chance(s.comments) {
            out.push_str(" # trailing");
        }
    }
    if rng.chance(s.comments) {
        write!(out, "{}{inner}# the end", s.newline).unwrap();
    }
    write!(out, "{}{indent}}}", s.newline).unwrap();
}

fn render_binding(
    out: &mut String,
    path: &str,
    node: &Node,
    indent: &str,
    s: &Style,
    rng: &mut Rng,
) {
    // A set with one entry may be written dotted: `a.b = 1;`.
    if let Node::Set(entries) = node {
        if entries.len() == 1 && rng.chance(s.dotted) {
            let (k, n) = &entries[0];
            return render_binding(out, &format!("{path}.{}", key(k)), n, indent, s, rng);
        }
    }
    write!(out, "{path} = ").unwrap();
    render_value(out, node, indent, s, rng);
    out.push(';');
}

/// A value, sometimes written through a module idiom that means the same.
fn render_value(out: &mut String, node: &Node, indent: &str, s: &Style, rng: &mut Rng) {
    if rng.chance(s.idioms) {
        match node {
            Node::Set(entries) => {
                let split = entries.len() / 2;
                match rng.below(7) {
                    0 => out.push_str("lib.mkIf true "),
                    1 => out.push_str("lib.optionalAttrs true "),
                    2 => out.push_str("with lib; "),
                    3 => {
                        out.push_str("(let v = ");
                        render_set(out, entries, indent, s, rng);
                        out.push_str("; in v)");
                        return;
                    }
                    4 => out.push_str("let unused = 1; in "),
                    // Keys of a set are distinct, so either idiom holds each once.
                    5 if split > 0 => {
                        out.push_str("lib.mkMerge [ ");
                        render_set(out, &entries[..split], indent, s, rng);
                        out.push(' ');
                        render_set(out, &entries[split..], indent, s, rng);
                        out.push_str(" ]");
                        return;
                    }
                    6 if split > 0 => {
                        render_set(out, &entries[..split], indent, s, rng);
                        out.push_str(" // ");
                        render_set(out, &entries[split..], indent, s, rng);
                        return;
                    }
                    _ => out.push_str("lib.mkDefault "),
                }
            }
            Node::List(_) => {
                out.push_str(["lib.mkBefore ", "lib.mkAfter ", "lib.mkOrder 900 "][rng.below(3)])
            }
            _ => {
                out.push_str(["lib.mkDefault ", "lib.mkForce ", "lib.mkOverride 50 "][rng.below(3)])
            }
        }
    }
    match node {
        Node::Int(i) => write!(out, "{i}").unwrap(),
        Node::Str(v) => write!(out, "\"{v}\"").unwrap(),
        // Lists one-line (`[ 1 2 ]`, `[]`) or one element a line, with comments between.
        Node::List(items) if items.is_empty() && rng.chance(50) => out.push_str("[]"),
        Node::List(items) if rng.chance(50) => {
            out.push('[');
            for i in items {
                write!(out, " {i}").unwrap();
            }
            out.push_str(" ]");
        }
        Node::List(items) => {
            let inner = format!("{indent}{}", s.unit);
            out.push('[');
            for i in items {
                if rng.chance(s.comments) {
                    write!(out, "{}{inner}# before {i}", s.newline).unwrap();
                }
                write!(out, "{}{inner}{i}", s.newline).unwrap();
                if rng.chance(s.comments) {
                    out.push_str(" # after");
                }
            }
            write!(out, "{}{indent}]", s.newline).unwrap();
        }
        Node::Lines(lines) => {
            out.push_str("''");
            for l in lines {
                write!(out, "{}{indent}{}{l}", s.newline, s.unit).unwrap();
            }
            write!(out, "{}{indent}''", s.newline).unwrap();
        }
        Node::Set(entries) => render_set(out, entries, indent, s, rng),
    }
}

/// Paths in the model, with the kind of value there.
fn paths(entries: &[(String, Node)], prefix: &str, out: &mut Vec<(String, &'static str)>) {
    for (k, n) in entries {
        let p = if prefix.is_empty() { key(k) } else { format!("{prefix}.{}", key(k)) };
        let kind = match n {
            Node::Int(_) | Node::Str(_) => "scalar",
            Node::List(_) => "list",
            Node::Lines(_) => "lines",
            Node::Set(inner) => {
                paths(inner, &p, out);
                "set"
            }
        };
        out.push((p, kind));
    }
}

struct Generated {
    /// A full module: its value is `{ options; config; }`, and the paths are under `config`.
    module: bool,
    input: String,
    op: &'static str,
    attrpath: String,
    argument: String,
    argument_value: Option<Value>,
}

fn generate(seed: u64) -> Generated {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let style = Style {
        unit: ["  ", "    ", "\t", "  "][rng.below(4)].to_owned(),
        newline: if rng.chance(15) { "\r\n" } else { "\n" },
        dotted: rng.below(80) as u64,
        comments: rng.below(40) as u64,
        one_line: rng.below(30) as u64,
        idioms: if rng.chance(50) { rng.below(60) as u64 } else { 0 },
    };
    // A full module keeps `imports` at its top level, beside `config`.
    let module = style.idioms > 0 && rng.chance(40);
    let mut model = gen_set(&mut rng, 0);
    if module {
        model.retain(|(k, _)| k != "imports");
        if model.is_empty() {
            model.push(("port".into(), Node::Int(8080)));
        }
    }
    let mut input = String::new();
    if rng.chance(30) {
        write!(input, "# generated {seed}{}", style.newline).unwrap();
    }
    if style.idioms > 0 {
        input.push_str(&LIB_STUBS.replace('\n', style.newline));
    }
    if module {
        let wrapper = ["", "lib.mkIf true ", "lib.mkDefault "][rng.below(3)];
        write!(
            input,
            "{{{nl}{u}options = {{ }};{nl}{u}config = {wrapper}",
            nl = style.newline,
            u = style.unit
        )
        .unwrap();
        render_set(&mut input, &model, &style.unit, &style, &mut rng);
        write!(input, ";{nl}}}", nl = style.newline).unwrap();
    } else {
        render_set(&mut input, &model, "", &style, &mut rng);
    }
    input.push_str(style.newline);

    let mut all = Vec::new();
    paths(&model, "", &mut all);
    let pick = |rng: &mut Rng, kind: &str| {
        let of_kind: Vec<&String> =
            all.iter().filter(|(_, k)| *k == kind).map(|(p, _)| p).collect();
        (!of_kind.is_empty()).then(|| of_kind[rng.below(of_kind.len())].clone())
    };
    let new_key = format!("new{}", rng.below(3));
    let sets: Vec<String> = std::iter::once(String::new())
        .chain(all.iter().filter(|(_, k)| *k == "set").map(|(p, _)| p.clone()))
        .collect();
    let parent = sets[rng.below(sets.len())].clone();
    let fresh = if parent.is_empty() { new_key } else { format!("{parent}.{new_key}") };
    let n = rng.below(1000) as i64;
    loop {
        match rng.below(6) {
            0 => {
                let path = pick(&mut rng, "scalar").unwrap_or(fresh.clone());
                return Generated {
                    module,
                    input,
                    op: "set",
                    attrpath: path,
                    argument: format!("{n}"),
                    argument_value: Some(json!(n)),
                };
            }
            1 => {
                return Generated {
                    module,
                    input,
                    op: "set",
                    attrpath: fresh,
                    argument: format!("{{ v = \"{n}\"; }}"),
                    argument_value: Some(json!({ "v": n.to_string() })),
                };
            }
            2 => {
                if let Some(path) = pick(&mut rng, "scalar").or_else(|| pick(&mut rng, "set")) {
                    return Generated {
                        module,
                        input,
                        op: "rm",
                        attrpath: path,
                        argument: String::new(),
                        argument_value: None,
                    };
                }
            }
            3 => {
                let path = pick(&mut rng, "list").unwrap_or(fresh.clone());
                return Generated {
                    module,
                    input,
                    op: "add",
                    attrpath: path,
                    // Above the generated elements (below 100), so that it is new.
                    argument: format!("{}", 1000 + n),
                    argument_value: Some(json!(1000 + n)),
                };
            }
            _ => {
                if let Some(path) = pick(&mut rng, "lines") {
                    return Generated {
                        module,
                        input,
                        op: "add-line",
                        attrpath: path,
                        argument: format!("added ${{x}} {n};"),
                        argument_value: None,
                    };
                }
            }
        }
    }
}

fn apply(
    op: &str,
    file: &NixFile,
    path: &[String],
    argument: &str,
) -> Result<edit::Change, edit::Error> {
    match op {
        "set" => edit::set_attr(file, path, argument),
        "rm" => edit::remove_attr(file, path),
        "add" => edit::add_list_element(file, path, argument),
        "add-line" => edit::add_string_line(file, path, argument),
        _ => unreachable!(),
    }
}

#[test]
fn generated_corpus_edits_keep_every_invariant() {
    let temp = TempDir::new("corpus");
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    let mut cases = Vec::new();
    // More seeds for a longer hunt: NMMM_CORPUS_SEEDS=5000 cargo test --test properties
    let seeds: u64 =
        std::env::var("NMMM_CORPUS_SEEDS").ok().and_then(|n| n.parse().ok()).unwrap_or(300);
    for seed in 1..=seeds {
        let g = generate(seed);
        let file = NixFile::parse(&g.input).unwrap_or_else(|e| {
            panic!("seed {seed}: generated input does not parse: {e}\n{}", g.input)
        });
        let path = edit::parse_attrpath(&g.attrpath).unwrap();
        let change = apply(g.op, &file, &path, &g.argument).unwrap_or_else(|e| {
            panic!("seed {seed}: {} {} failed: {e:?}\n{}", g.op, g.attrpath, g.input)
        });
        let after = &change.after;
        assert_ne!(*after, g.input, "seed {seed}: {} {} changed nothing", g.op, g.attrpath);

        edit_kind_holds(g.op, &g.input, after).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        if g.newline_is_crlf() {
            let lf = after.replace("\r\n", "").matches('\n').count()
                - g.input.replace("\r\n", "").matches('\n').count();
            assert_eq!(lf, 0, "seed {seed}: LF in a CRLF file");
        }

        let reparsed = NixFile::parse(after).unwrap();
        if g.op != "rm" {
            let again = apply(g.op, &reparsed, &path, &g.argument).unwrap();
            assert!(
                again.is_noop(),
                "seed {seed}: {} {} again changed the file:\n{}",
                g.op,
                g.attrpath,
                again.after
            );
        }

        let input_file = temp.path().join(format!("in{seed}.nix"));
        let output_file = temp.path().join(format!("out{seed}.nix"));
        fs::write(&input_file, &g.input).unwrap();
        fs::write(&output_file, after).unwrap();
        // A full module's paths are under its `config`.
        let part = if g.module { ".config" } else { "" };
        inputs.push(format!("(import ./in{seed}.nix){part}"));
        outputs.push(format!("(import ./out{seed}.nix){part}"));
        cases.push((seed, g, output_file));
    }

    let named: Vec<(String, std::path::PathBuf)> =
        cases.iter().map(|(seed, _, output)| (format!("seed {seed}"), output.clone())).collect();
    nix_parse_all(&named).unwrap_or_else(|e| panic!("{e}"));
    let all = temp.path().join("all.nix");
    fs::write(
        &all,
        format!("{{ inputs = [ {} ]; outputs = [ {} ]; }}", inputs.join(" "), outputs.join(" ")),
    )
    .unwrap();
    let values = nix_eval_file(&all).unwrap();
    for (i, (seed, g, _)) in cases.iter().enumerate() {
        // Nix strips only spaces from an indented string's lines, and keeps the `\r` of CRLF
        // lines, so a tab-indented or CRLF string's value is Nix's quirk, not the edit's meaning.
        if g.op == "add-line" && (g.newline_is_crlf() || g.input.contains('\t')) {
            continue;
        }
        let before = values["inputs"][i].clone();
        let expected =
            expected_value(g.op, &g.attrpath, &g.argument, g.argument_value.clone(), before)
                .unwrap_or_else(|| panic!("seed {seed}: no expected value"));
        assert_eq!(
            values["outputs"][i], expected,
            "seed {seed}: {} {} {}\n{}",
            g.op, g.attrpath, g.argument, g.input
        );
    }
}

impl Generated {
    fn newline_is_crlf(&self) -> bool {
        self.input.contains("\r\n")
    }
}

#[test]
fn every_nix_file_in_the_repository_round_trips_through_the_tree() {
    let mut count = 0;
    for entry in walkdir::WalkDir::new(repo_root()).into_iter().filter_entry(|e| {
        let name = e.file_name().to_string_lossy();
        name != "target" && name != ".git"
    }) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "nix") {
            let text = fs::read_to_string(entry.path()).unwrap();
            let parse = rnix::Root::parse(&text);
            assert_eq!(
                parse.syntax().to_string(),
                text,
                "{} does not round-trip",
                entry.path().display()
            );
            count += 1;
        }
    }
    assert!(count > 50, "only {count} Nix files found");
}

/// Paths of the read tree, with their nodes.
fn node_paths(
    node: &edit::Node,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, edit::Node)>,
) {
    for (key, child) in node.entries() {
        prefix.push(key.clone());
        out.push((prefix.clone(), child.clone()));
        node_paths(child, prefix, out);
        prefix.pop();
    }
}

#[test]
fn every_fixture_takes_edits_of_each_kind_keeping_the_invariants() {
    let root = repo_root();
    let temp = TempDir::new("fixtures");
    let (mut checked, mut refused) = (0, 0);
    let mut outputs = Vec::new();
    let sources = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_entry(|e| !matches!(e.file_name().to_str(), Some("target" | ".git")));
    for entry in sources.filter_map(Result::ok) {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "nix") {
            continue;
        }
        let text = fs::read_to_string(path).unwrap();
        let Ok(file) = NixFile::parse(&text) else { continue };
        let Ok(top) = edit::read_top_level(&file) else { continue };
        let mut paths = Vec::new();
        node_paths(&top, &mut Vec::new(), &mut paths);

        let mut ops: Vec<(&str, Vec<String>, String)> =
            vec![("set", vec!["nmmmProbe".into(), "value".into()], "42".into())];
        for (p, node) in &paths {
            if matches!(node.value, edit::Value::List(_))
                && edit::read_list(&file, p).unwrap().is_some()
            {
                ops.push(("add", p.clone(), "\"probe\"".into()));
            }
            if edit::read_string_lines(&file, p).ok().flatten().is_some() {
                ops.push(("add-line", p.clone(), "probe ${x} line".into()));
            }
            if matches!(
                node.value,
                edit::Value::Int(_) | edit::Value::Str(_) | edit::Value::Bool(_)
            ) {
                ops.push(("rm", p.clone(), String::new()));
                ops.push(("set", p.clone(), "\"changed\"".into()));
            }
        }
        // A few edits of each kind per file: each costs a `nix-instantiate --parse`.
        let mut per_kind: std::collections::HashMap<(&str, bool), usize> = Default::default();
        ops.retain(|(op, _, argument)| {
            let n = per_kind.entry((op, argument.starts_with('"'))).or_default();
            *n += 1;
            *n <= 3
        });
        for (op, attrpath, argument) in ops {
            let what = format!("{}: {op} {}", path.display(), attrpath.join("."));
            let change = match apply(op, &file, &attrpath, &argument) {
                Ok(change) => change,
                // A one-line indented string cannot take a line: refused, and said why.
                Err(err) if op == "add-line" => {
                    assert!(matches!(err.kind, edit::ErrorKind::Unsupported(_)), "{what}: {err}");
                    continue;
                }
                // A new path where the file computes what it would go beside (a module whose
                // `config` merges in a function's result) is refused, never written beside it.
                Err(err) if matches!(err.kind, edit::ErrorKind::NotAnAttrSet { .. }) => {
                    refused += 1;
                    continue;
                }
                Err(err) => panic!("{what}: {err}"),
            };
            let after = &change.after;
            assert!(
                rnix::Root::parse(after).errors().is_empty(),
                "{what}: rnix rejects the result"
            );
            edit_kind_holds(op, &text, after).unwrap_or_else(|e| panic!("{what}: {e}"));
            if op != "rm" {
                let again =
                    apply(op, &NixFile::parse(after).unwrap(), &attrpath, &argument).unwrap();
                assert!(again.is_noop(), "{what}: not idempotent");
            }
            let out = temp.path().join(format!("out{}.nix", outputs.len()));
            fs::write(&out, after).unwrap();
            outputs.push((what, out));
            checked += 1;
        }
    }
    nix_parse_all(&outputs).unwrap_or_else(|e| panic!("{e}"));
    assert!(checked > 100, "only {checked} edits of fixtures");
    assert!(refused * 20 < checked, "{refused} edits refused, {checked} made");
}

#[test]
fn the_batched_nix_parse_names_a_file_that_does_not_parse() {
    let temp = TempDir::new("batch");
    let good = temp.path().join("good.nix");
    let bad = temp.path().join("bad.nix");
    fs::write(&good, "{ a = 1; } # a comment at the end").unwrap();
    fs::write(&bad, "{ a = x; }").unwrap();
    let files = [("good".to_owned(), good.clone()), ("bad".to_owned(), bad)];
    let err = nix_parse_all(&files).unwrap_err();
    assert!(err.starts_with("bad: ") && err.contains("undefined variable 'x'"), "{err}");
    assert!(nix_parse_all(&files[..1]).is_ok());
}

/// Expressions of every kind Nix has, closed (so that `--parse` takes them alone), with whether
/// `--eval --json` can print their value.
const EXPRESSIONS: &[(&str, bool)] = &[
    ("1", true),
    ("-1", true),
    ("1.5", true),
    ("true", true),
    ("null", true),
    ("\"s\"", true),
    ("\"a ${toString 1} b\"", true),
    ("\"a line\n  and the next\"", true),
    ("''\n  indented\n    more\n''", true),
    ("''first\n    then''", true),
    ("''${\"interpolated\"} text''", true),
    ("https://example.org", true),
    ("./x.nix", false),
    ("/etc/hosts", false),
    ("~/x", false),
    ("<nixpkgs>", false),
    ("[ ]", true),
    ("[ 1 2 ]", true),
    ("[\n  1\n  \"two\"\n]", true),
    ("{ }", true),
    ("{ a = 1; b = \"x\"; }", true),
    ("{\n  a = 1;\n  b = {\n    c = ''\n      deep\n    '';\n  };\n}", true),
    ("rec { a = 1; b = a; }", true),
    ("let { body = 1; }", true),
    ("let a = 1; in a + 1", true),
    ("let\n  a = 1;\nin\na", true),
    ("with builtins; length [ 1 ]", true),
    ("assert true; 1", true),
    ("if true then 1 else 2", true),
    ("x: x", false),
    ("{ a, b ? 2, ... }@args: a + b", false),
    ("final: prev: {\n  hello = prev.hello;\n}", false),
    ("builtins.length [ 1 2 ]", true),
    ("(1)", true),
    ("{ a = 1; }.a", true),
    ("{ a = 1; }.b or 2", true),
    ("{ a = 1; } ? a", true),
    ("!true", true),
    ("1 + 2", true),
    ("2 - 1", true),
    ("2 * 3", true),
    ("6 / 3", true),
    ("[ 1 ] ++ [ 2 ]", true),
    ("{ a = 1; } // { b = 2; }", true),
    ("1 == 1", true),
    ("1 != 2", true),
    ("1 < 2", true),
    ("1 <= 2", true),
    ("2 > 1", true),
    ("2 >= 1", true),
    ("true && false", true),
    ("true || false", true),
    ("true -> false", true),
    ("__curPos", false),
    ("1 # with a comment", true),
];

/// Every kind of expression, as a VALUE (a new attribute and an existing one) and as an ELEMENT
/// (of a list there and of a new one), written into every fixture style: Nix's own parser takes
/// every result, and where the fixture is a closed file in that style, the value is the
/// expression's.
#[test]
fn every_expression_kind_is_valid_nix_as_value_and_element_in_every_style() {
    let root = repo_root();
    let temp = TempDir::new("kinds");
    let mut outputs = Vec::new();
    let write = |outputs: &mut Vec<(String, std::path::PathBuf)>, what: String, text: &str| {
        let out = temp.path().join(format!("out{}.nix", outputs.len()));
        fs::write(&out, text).unwrap();
        outputs.push((what, out.clone()));
        out
    };
    let mut styles: Vec<std::path::PathBuf> = fs::read_dir(root.join("tests/fixtures/styles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    styles.sort();
    for style in &styles {
        let text = fs::read_to_string(style).unwrap();
        let file = NixFile::parse(&text).unwrap();
        let top = edit::read_top_level(&file).unwrap();
        let mut paths = Vec::new();
        node_paths(&top, &mut Vec::new(), &mut paths);
        let list = paths.iter().find(|(p, n)| {
            matches!(n.value, edit::Value::List(_)) && edit::read_list(&file, p).unwrap().is_some()
        });
        let scalar = paths.iter().find(|(_, n)| matches!(n.value, edit::Value::Int(_)));
        for (expr, _) in EXPRESSIONS {
            let mut edits: Vec<(&str, Vec<String>)> =
                vec![("set", vec!["probeValue".into()]), ("add", vec!["probeList".into()])];
            edits.extend(scalar.map(|(p, _)| ("set", p.clone())));
            edits.extend(list.map(|(p, _)| ("add", p.clone())));
            for (op, path) in edits {
                let what = format!("{}: {op} {} {expr:?}", style.display(), path.join("."));
                let change =
                    apply(op, &file, &path, expr).unwrap_or_else(|e| panic!("{what}: {e}"));
                edit_kind_holds(op, &text, &change.after).unwrap_or_else(|e| panic!("{what}: {e}"));
                write(&mut outputs, what, &change.after);
            }
        }
    }

    // Closed files in each style: the value placed is the expression's value.
    let mut checks = Vec::new();
    for (unit, newline) in [("  ", "\n"), ("    ", "\n"), ("\t", "\n"), ("  ", "\r\n")] {
        let text = format!(
            "{{{nl}{u}a = {{{nl}{u}{u}b = 1;{nl}{u}}};{nl}{u}l = [{nl}{u}{u}0{nl}{u}];{nl}}}{nl}",
            nl = newline,
            u = unit
        );
        let file = NixFile::parse(&text).unwrap();
        // A CRLF file's strings that span lines hold its `\r`s: that is the file's, not the edit's.
        let evaluated = EXPRESSIONS.iter().filter(|(expr, e)| {
            *e && !(newline == "\r\n"
                && expr.contains('\n')
                && (expr.contains('"') || expr.contains("''")))
        });
        for (expr, _) in evaluated {
            for (op, path, got) in [
                ("set", vec!["a".to_owned(), "value".to_owned()], "v.a.value"),
                ("set", vec!["a".to_owned(), "b".to_owned()], "v.a.b"),
                ("add", vec!["l".to_owned()], "builtins.elemAt v.l 1"),
            ] {
                let what = format!("{unit:?}{newline:?}: {op} {} {expr:?}", path.join("."));
                let change =
                    apply(op, &file, &path, expr).unwrap_or_else(|e| panic!("{what}: {e}"));
                let out = write(&mut outputs, what.clone(), &change.after);
                // The comment is not part of the value.
                let expr = expr.split(" # ").next().unwrap();
                checks.push((
                    what,
                    format!("(let v = import {}; in {got}) == ({expr})", out.display()),
                ));
            }
        }
    }
    nix_parse_all(&outputs).unwrap_or_else(|e| panic!("{e}"));
    let all = temp.path().join("checks.nix");
    let list: Vec<String> = checks.iter().map(|(_, check)| format!("({check})")).collect();
    fs::write(&all, format!("[\n{}\n]\n", list.join("\n"))).unwrap();
    let values = nix_eval_file(&all).unwrap_or_else(|e| panic!("{e}"));
    for ((what, _), same) in checks.iter().zip(values.as_array().unwrap()) {
        assert_eq!(same, &json!(true), "{what}: the value placed is not the expression's");
    }
    assert!(outputs.len() > 1000, "only {} edits", outputs.len());
}
