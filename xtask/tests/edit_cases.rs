//! The edit engine through the front door, as data: every folder in `tests/edit-cases/` holds an
//! `input.nix` (or a `from` file naming a fixture of the repository) and an `args` file (operation, ATTRPATH, then the argument, which may span lines).
//! The harness runs `cargo xtask nix ...` on a temp copy, snapshots what it printed, and checks
//! the invariants every edit must keep: the result parses with rnix and with Nix itself, the
//! change is one region of the file, a second identical edit changes nothing, a failed edit
//! leaves the file untouched, and where the file is a pure attribute set, Nix evaluates the
//! result to exactly the expected value.

mod support;

use std::fs;
use std::path::Path;

use support::{
    expected_value, is_subsequence, nix_eval_expr, nix_eval_file, nix_parse_file, repo_root,
    tokens, transcript, xtask, TempDir,
};

#[test]
fn edit_cases() {
    let root = repo_root().join("tests/edit-cases");
    let mut names: Vec<String> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 40, "only {} edit cases", names.len());
    let failures: Vec<String> = names
        .iter()
        .filter(|name| std::panic::catch_unwind(|| run_case(name, &root.join(name))).is_err())
        .cloned()
        .collect();
    assert!(failures.is_empty(), "failing edit cases: {failures:?}");
}

struct Case {
    op: String,
    attrpath: String,
    argument: Option<String>,
}

fn read_case(dir: &Path) -> Case {
    let args = fs::read_to_string(dir.join("args")).unwrap();
    let mut lines = args.lines();
    let op = lines.next().expect("args: operation").to_owned();
    let attrpath = lines.next().expect("args: ATTRPATH").to_owned();
    let rest: Vec<&str> = lines.collect();
    let argument = (!rest.is_empty()).then(|| rest.join("\n"));
    Case { op, attrpath, argument }
}

fn run_case(name: &str, dir: &Path) {
    let case = read_case(dir);
    // The input is the case's own `input.nix`, or the fixture its `from` file names.
    let input = match fs::read_to_string(dir.join("from")) {
        Ok(from) => fs::read_to_string(repo_root().join(from.trim())).unwrap(),
        Err(_) => fs::read_to_string(dir.join("input.nix")).unwrap(),
    };
    let temp = TempDir::new("edit-case");
    let file = temp.path().join("input.nix");
    fs::write(&file, &input).unwrap();
    let input_parses = nix_parse_file(&file).is_ok();

    let mut args = vec!["nix", case.op.as_str(), "input.nix", case.attrpath.as_str()];
    if let Some(arg) = &case.argument {
        args.push(arg);
    }
    if case.op != "get" {
        args.push("--yes");
    }
    let out = xtask(temp.path(), &args);
    insta::assert_snapshot!(name, transcript(&out));
    let after = fs::read_to_string(&file).unwrap();

    assert!(
        input_parses || !out.status.success(),
        "{name}: Nix rejects the input, the tool did not"
    );
    if !out.status.success() || case.op == "get" {
        assert_eq!(after, input, "{name}: a failed edit or a get changed the file");
        return;
    }

    // The result parses, with rnix and with Nix.
    assert!(rnix::Root::parse(&after).errors().is_empty(), "{name}: rnix rejects the result");
    nix_parse_file(&file)
        .unwrap_or_else(|e| panic!("{name}: Nix rejects the result: {e}\n{after}"));

    // Bytes outside the edit are identical: one region changed, of the operation's kind. A line
    // added removes nothing; an element added removes no token (it may break a one-line list
    // over lines); a removal adds none but the braces of a set it leaves empty.
    let prefix = common_prefix(&input, &after);
    let suffix = common_suffix(&input[prefix..], &after[prefix..]);
    let added = &after[prefix..after.len() - suffix];
    let removed = &input[prefix..input.len() - suffix];
    match case.op.as_str() {
        "add-line" => assert!(removed.is_empty(), "{name}: an addition removed {removed:?}"),
        "add" => assert!(
            is_subsequence(&tokens(&input, false), &tokens(&after, false)),
            "{name}: an addition removed something"
        ),
        "rm" => assert!(
            is_subsequence(&tokens(&after, true), &tokens(&input, false)),
            "{name}: a removal added something"
        ),
        _ => {}
    }
    if case.op != "rm" {
        assert_eq!(
            added.contains("\r\n"),
            input.contains("\r\n") && added.contains('\n'),
            "{name}: line endings"
        );
    }

    // A second identical edit changes nothing (a second removal finds nothing to remove).
    let again = xtask(temp.path(), &args);
    assert_eq!(
        again.status.success(),
        case.op != "rm",
        "{name}: the second run: {}",
        transcript(&again)
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), after, "{name}: the edit is not idempotent");

    // Where the input is a pure attribute set, the result means exactly what was asked.
    let before_file = temp.path().join("before.nix");
    fs::write(&before_file, &input).unwrap();
    if let Ok(before) = nix_eval_file(&before_file) {
        let argument = case.argument.as_deref().unwrap_or("");
        let evaluated = nix_eval_expr(argument).ok();
        if let Some(expected) =
            expected_value(&case.op, &case.attrpath, argument, evaluated, before)
        {
            let got = nix_eval_file(&file).unwrap_or_else(|e| panic!("{name}: eval failed: {e}"));
            assert_eq!(got, expected, "{name}: the result evaluates to something else");
        }
    }
}

fn common_prefix(a: &str, b: &str) -> usize {
    let n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    (0..=n).rev().find(|&i| a.is_char_boundary(i)).unwrap()
}

fn common_suffix(a: &str, b: &str) -> usize {
    let n = a.bytes().rev().zip(b.bytes().rev()).take_while(|(x, y)| x == y).count();
    (0..=n).rev().find(|&i| a.is_char_boundary(a.len() - i)).unwrap()
}
