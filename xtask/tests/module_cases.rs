//! The edit engine on NixOS modules as people write them, as data: every folder of
//! `tests/module-cases/` (written from issue 8 and from real modules, independently of the
//! engine; its README gives the format) holds an input, the command's arguments, and what a
//! careful person would have written, printed, or refused.

mod support;

use std::fs;
use std::path::Path;

use support::{nix_eval_file, nix_parse_file, repo_root, transcript, xtask, TempDir};

#[test]
fn module_cases() {
    let root = repo_root().join("tests/module-cases");
    let mut names: Vec<String> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('_') && root.join(name).is_dir())
        .collect();
    names.sort();
    assert!(names.len() >= 100, "only {} module cases", names.len());
    let failures: Vec<String> = names
        .iter()
        .filter_map(|name| run_case(&root.join(name)).err().map(|why| format!("{name}: {why}")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} failing module cases:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

fn run_case(dir: &Path) -> Result<(), String> {
    let args = fs::read_to_string(dir.join("args")).unwrap();
    let mut lines = args.lines();
    let mut words = lines.next().expect("args: operation").split(' ');
    let op = words.next().unwrap().to_owned();
    let flags: Vec<&str> = words.collect();
    let attrpath = lines.next().expect("args: ATTRPATH").to_owned();
    let rest: Vec<&str> = lines.collect();
    let argument = (!rest.is_empty()).then(|| rest.join("\n"));

    let input = match fs::read_to_string(dir.join("from")) {
        Ok(from) => fs::read(repo_root().join(from.trim())).unwrap(),
        Err(_) => fs::read(dir.join("input.nix")).unwrap(),
    };
    let temp = TempDir::new("module-case");
    let file = temp.path().join("input.nix");
    fs::write(&file, &input).unwrap();

    let mut command = vec!["nix", op.as_str(), "input.nix"];
    command.extend(&flags);
    command.push(&attrpath);
    if let Some(arg) = &argument {
        command.push(arg);
    }
    if op != "get" {
        command.push("--yes");
    }
    let out = xtask(temp.path(), &command);
    let after = fs::read(&file).unwrap();
    let said = || transcript(&out);

    if let Ok(expected) = fs::read(dir.join("expected.nix")) {
        if !out.status.success() {
            return Err(format!("it failed:\n{}", said()));
        }
        if after != expected {
            return Err(format!(
                "the file differs from expected.nix:\n{}",
                support::diff(
                    &String::from_utf8_lossy(&expected),
                    &String::from_utf8_lossy(&after)
                )
            ));
        }
        nix_parse_file(&file).map_err(|e| format!("Nix rejects the result: {e}"))?;
        if let Ok(json) = fs::read_to_string(dir.join("expected.json")) {
            let want: serde_json::Value = serde_json::from_str(&json).unwrap();
            let got = nix_eval_file(&file).map_err(|e| format!("eval: {e}"))?;
            if got != want {
                return Err(format!("evaluates to {got}, not {want}"));
            }
        }
        let again = xtask(temp.path(), &command);
        let second_ok =
            if op == "rm" { again.status.code() == Some(2) } else { again.status.success() };
        if !second_ok || fs::read(&file).unwrap() != expected {
            return Err(format!("a second run is not a no-op:\n{}", transcript(&again)));
        }
    } else if let Ok(expected) = fs::read_to_string(dir.join("expected.txt")) {
        if !out.status.success() {
            return Err(format!("it failed:\n{}", said()));
        }
        let printed = String::from_utf8_lossy(&out.stdout);
        let printed = printed.strip_suffix('\n').unwrap_or(&printed);
        if printed != expected {
            return Err(format!("printed {printed:?}, not {expected:?}"));
        }
        if after != input {
            return Err("get changed the file".into());
        }
    } else {
        let expected = fs::read_to_string(dir.join("expected-error")).expect("an expectation");
        let mut lines = expected.lines();
        let place = lines.next().unwrap().trim();
        let words = lines.next().unwrap_or("-").trim();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(2) {
            return Err(format!("expected exit 2:\n{}", said()));
        }
        if !stderr.contains(&format!("input.nix:{place}:")) {
            return Err(format!("expected the error at {place}:\n{stderr}"));
        }
        if words != "-" && !stderr.to_lowercase().contains(words) {
            return Err(format!("expected the message to say {words:?}:\n{stderr}"));
        }
        if after != input {
            return Err("a failed edit changed the file".into());
        }
    }
    Ok(())
}
