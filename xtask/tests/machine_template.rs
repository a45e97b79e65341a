//! `templates/default` is a machine repository in which `cargo xtask` works: its thin xtask
//! crate, pointed at this checkout instead of the published repository, builds and runs the tool.

mod support;

use std::fs;
use std::process::Command;

use support::{copy_tree, repo_root, TempDir};

#[test]
fn cargo_xtask_new_monolith_works_inside_a_repository_made_from_the_template() {
    let dir = TempDir::new("machine");
    copy_tree(&repo_root().join("templates/default"), dir.path());
    let manifest = dir.path().join("xtask/Cargo.toml");
    let text = fs::read_to_string(&manifest).unwrap();
    let published = r#"xtask = { git = "https://github.com/nmmm/nmmm" }"#;
    assert!(text.contains(published), "the template's dependency changed:\n{text}");
    let local =
        format!("xtask = {{ path = {:?} }}", repo_root().join("xtask").display().to_string());
    fs::write(&manifest, text.replace(published, &local)).unwrap();

    let cargo = |args: &[&str]| {
        Command::new(env!("CARGO"))
            .args(args)
            .current_dir(dir.path())
            // Beside this workspace's own target directory, so that reruns build incrementally.
            .env("CARGO_TARGET_DIR", repo_root().join("target/machine-template"))
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let out = cargo(&["xtask", "new-monolith", "shop", "--domain", "shop.example.com", "--yes"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("monolith shop is at https://shop.example.com/"), "{stderr}");
    assert!(dir.path().join("monoliths/shop/src/main.rs").is_file());
    let out = cargo(&["xtask", "list"]);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains("shop   shop.example.com"), "{listed}");
}
