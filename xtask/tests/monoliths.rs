//! The monolith workflows through the front door, on temp copies of both layouts: the seed
//! fixture (classic) and a repository made from `templates/default` (module).

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use support::{copy_tree, nix_eval_file, nix_parse_file, repo_root, transcript, xtask, TempDir};

enum Layout {
    Classic,
    Module,
}

fn repo(layout: Layout) -> TempDir {
    let dir = TempDir::new("repo");
    let from = match layout {
        Layout::Classic => repo_root().join("tests/fixtures/seed-nmmm"),
        Layout::Module => repo_root().join("templates/default"),
    };
    copy_tree(&from, dir.path());
    // Fixtures may arrive read-only; a user's repository is writable.
    for file in files(dir.path()).keys() {
        let path = dir.path().join(file);
        let mut perms = fs::metadata(&path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        fs::set_permissions(&path, perms).unwrap();
    }
    dir
}

/// Every file of a tree, by relative path.
fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_type().is_file() && !e.path().components().any(|c| c.as_os_str() == ".git")
        })
        .map(|e| (e.path().strip_prefix(root).unwrap().to_owned(), fs::read(e.path()).unwrap()))
        .collect()
}

fn run(dir: &TempDir, args: &[&str]) -> std::process::Output {
    xtask(dir.path(), args)
}

fn assert_ok(out: &std::process::Output) {
    assert!(out.status.success(), "{}", transcript(out));
}

/// Every `.nix` file of the tree parses with Nix.
fn assert_all_parse(root: &Path) {
    for path in files(root).keys().filter(|p| p.extension().is_some_and(|e| e == "nix")) {
        nix_parse_file(&root.join(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

#[test]
fn classic_new_monolith_shows_one_combined_diff_and_writes_nothing_on_dry_run() {
    let dir = repo(Layout::Classic);
    let before = files(dir.path());
    let out = run(&dir, &["new-monolith", "shop", "--domain", "shop.example.com", "--dry-run"]);
    assert_ok(&out);
    insta::assert_snapshot!(transcript(&out));
    assert_eq!(files(dir.path()), before);
}

#[test]
fn classic_new_monolith_writes_files_that_parse_and_ports_that_evaluate() {
    let dir = repo(Layout::Classic);
    assert_ok(&run(&dir, &["new-monolith", "shop", "--domain", "shop.example.com", "--yes"]));
    assert_ok(&run(
        &dir,
        &["new-monolith", "my-blog", "--domain", "Blög.example.com", "--no-db", "--yes"],
    ));
    assert_all_parse(dir.path());
    let ports = nix_eval_file(&dir.path().join("nix/lib.nix")).unwrap();
    assert_eq!(
        ports,
        json!({
            "massapp_port": 8080, "massappDomain": "massapp.com",
            "shop_port": 8081, "shopDomain": "shop.example.com",
            "my-blog_port": 8082, "my-blogDomain": "xn--blg-tna.example.com",
        })
    );
    let config = fs::read_to_string(dir.path().join("nix/hetzner/configuration.nix")).unwrap();
    assert!(config.contains("CREATE USER shop_prod;\n"), "{config}");
    assert!(!config.contains("my_blog_prod"), "--no-db added database lines:\n{config}");
    let list = run(&dir, &["list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let names: Vec<&str> =
        list.as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["massapp", "shop", "my-blog"]);
    assert_eq!(list[2]["database"], json!(null));
    let check = run(&dir, &["check"]);
    assert_ok(&check);
    insta::assert_snapshot!("classic_check_after_two_new_monoliths", transcript(&check));
}

#[test]
fn module_new_monolith_adds_its_entry_and_its_source() {
    let dir = repo(Layout::Module);
    let out = run(&dir, &["new-monolith", "shop", "--domain", "shop.example.com", "--yes"]);
    assert_ok(&out);
    insta::assert_snapshot!(transcript(&out));
    assert_all_parse(dir.path());
    let main = fs::read_to_string(dir.path().join("monoliths/shop/src/main.rs")).unwrap();
    assert!(main.contains("const DEFAULT_NAME: &str = \"shop\";"));
    let lock = fs::read_to_string(dir.path().join("monoliths/shop/Cargo.lock")).unwrap();
    assert!(lock.contains("name = \"shop\"\nversion = \"0.1.0\""));
    let list = run(&dir, &["list"]);
    insta::assert_snapshot!(String::from_utf8_lossy(&list.stdout));
}

#[test]
fn adding_three_monoliths_and_removing_them_restores_the_repository_byte_for_byte() {
    for layout in [Layout::Classic, Layout::Module] {
        let dir = repo(layout);
        let original = files(dir.path());
        for (name, extra) in
            [("shop", None), ("blog-2", Some("--no-db")), ("wiki", Some("--port=9000"))]
        {
            let domain = format!("{name}.example.org");
            let mut args = vec!["new-monolith", name, "--domain", &domain, "--yes"];
            args.extend(extra);
            assert_ok(&run(&dir, &args));
        }
        assert_all_parse(dir.path());
        for name in ["blog-2", "shop", "wiki"] {
            let out = run(&dir, &["remove-monolith", name, "--yes"]);
            assert_ok(&out);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(stderr.contains("stay on the server"), name != "blog-2", "{stderr}");
        }
        let restored = files(dir.path());
        for (path, bytes) in &original {
            assert_eq!(
                String::from_utf8_lossy(&restored[path]),
                String::from_utf8_lossy(bytes),
                "{}",
                path.display()
            );
        }
        assert_eq!(restored.keys().collect::<Vec<_>>(), original.keys().collect::<Vec<_>>());
    }
}

#[test]
fn a_second_new_monolith_of_one_name_fails_and_changes_nothing() {
    for layout in [Layout::Classic, Layout::Module] {
        let dir = repo(layout);
        assert_ok(&run(&dir, &["new-monolith", "shop", "--domain", "shop.example.com", "--yes"]));
        let after_first = files(dir.path());
        let out = run(&dir, &["new-monolith", "shop", "--domain", "other.example.com", "--yes"]);
        assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
        assert!(String::from_utf8_lossy(&out.stderr).contains("monolith `shop` exists already"));
        assert_eq!(files(dir.path()), after_first);
    }
}

#[test]
fn bad_input_leaves_every_file_untouched_and_says_why() {
    // (name, arguments, what to break in the copy first)
    type Case<'a> = (&'a str, &'a [&'a str], Option<fn(&Path)>);
    let cases: &[Case] = &[
        (
            "invalid-name",
            &["new-monolith", "Shop_1", "--domain", "shop.example.com", "--yes"],
            None,
        ),
        ("invalid-domain", &["new-monolith", "shop", "--domain", "shop..com", "--yes"], None),
        ("taken-domain", &["new-monolith", "shop", "--domain", "massapp.com", "--yes"], None),
        (
            "taken-port",
            &["new-monolith", "shop", "--domain", "shop.example.com", "--port", "8080", "--yes"],
            None,
        ),
        (
            "mentioned-port",
            &["new-monolith", "shop", "--domain", "shop.example.com", "--port", "2211", "--yes"],
            Some(|root: &Path| {
                fs::write(root.join("notes.txt"), "ssh listens on 2211\n").unwrap();
            }),
        ),
        (
            "unknown-from",
            &["new-monolith", "shop", "--domain", "shop.example.com", "--from", "nope", "--yes"],
            None,
        ),
        (
            "unparsable-file",
            &["new-monolith", "shop", "--domain", "shop.example.com", "--yes"],
            Some(|root: &Path| {
                fs::write(
                    root.join("nix/lib.nix"),
                    "{\n  massapp_port = 8080;\n  massappDomain = \"massapp.com\"\n}\n",
                )
                .unwrap();
            }),
        ),
        (
            "read-only-file",
            &["new-monolith", "shop", "--domain", "shop.example.com", "--yes"],
            Some(|root: &Path| {
                let path = root.join("nix/lib.nix");
                let mut perms = fs::metadata(&path).unwrap().permissions();
                perms.set_readonly(true);
                fs::set_permissions(&path, perms).unwrap();
            }),
        ),
        ("remove-unknown", &["remove-monolith", "shop", "--yes"], None),
        ("no-terminal-no-yes", &["new-monolith", "shop", "--domain", "shop.example.com"], None),
    ];
    for (name, args, prepare) in cases {
        let dir = repo(Layout::Classic);
        if let Some(prepare) = prepare {
            prepare(dir.path());
        }
        let before = files(dir.path());
        let out = run(&dir, args);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", transcript(&out));
        assert_eq!(files(dir.path()), before, "{name}: files changed");
        let stderr = String::from_utf8_lossy(&out.stderr)
            .replace(&dir.path().display().to_string(), "[repo]");
        insta::assert_snapshot!(format!("bad_input_{name}"), stderr);
    }
}

#[test]
fn check_reports_each_problem_at_its_place() {
    let dir = repo(Layout::Classic);
    let root = dir.path();
    // A second monolith with massapp's port, a module and a vhost file not wired in, an import
    // that does not exist, and a file that does not parse.
    assert_ok(&run(&dir, &["new-monolith", "shop", "--domain", "shop.example.com", "--yes"]));
    let lib = fs::read_to_string(root.join("nix/lib.nix"))
        .unwrap()
        .replace("shop_port = 8081", "shop_port = 8080");
    fs::write(root.join("nix/lib.nix"), lib).unwrap();
    fs::write(root.join("nix/orphan.nix"), "{ ... }: { systemd.services.orphan = { }; }\n")
        .unwrap();
    fs::write(root.join("nix/orphan-vhost.nix"), "{ }\n").unwrap();
    let config = root.join("nix/hetzner/configuration.nix");
    let text = fs::read_to_string(&config)
        .unwrap()
        .replace("../shop.nix", "../shop.nix\n    ../gone.nix\n    ../broken.nix");
    fs::write(&config, text).unwrap();
    fs::write(root.join("nix/broken.nix"), "{ a = ; }\n").unwrap();
    // A file the host does not import is not part of it, and not checked.
    fs::write(root.join("nix/draft.nix"), "{ b = ; }\n").unwrap();
    let out = run(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    insta::assert_snapshot!(transcript(&out));
}

#[test]
fn commit_records_exactly_the_changed_files() {
    let dir = repo(Layout::Module);
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"])
            .args(args)
            .current_dir(dir.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "start"]);
    fs::write(dir.path().join("unrelated.txt"), "staged, not ours\n").unwrap();
    git(&["add", "unrelated.txt"]);
    assert_ok(&run(
        &dir,
        &["new-monolith", "shop", "--domain", "shop.example.com", "--yes", "--commit"],
    ));
    assert_eq!(git(&["log", "-1", "--format=%s"]).trim(), "Add monolith shop (shop.example.com)");
    let committed = git(&["show", "--name-only", "--format=", "HEAD"]);
    let mut committed: Vec<&str> = committed.lines().collect();
    committed.sort();
    assert_eq!(
        committed,
        [
            "monoliths/default.nix",
            "monoliths/shop/.gitignore",
            "monoliths/shop/Cargo.lock",
            "monoliths/shop/Cargo.toml",
            "monoliths/shop/default.nix",
            "monoliths/shop/src/main.rs",
        ]
    );
    assert_eq!(git(&["diff", "--cached", "--name-only"]).trim(), "unrelated.txt");
    assert_ok(&run(&dir, &["remove-monolith", "shop", "--yes", "--commit"]));
    assert_eq!(git(&["log", "-1", "--format=%s"]).trim(), "Remove monolith shop");
    assert_eq!(git(&["diff", "HEAD~2", "HEAD", "--stat"]).trim(), "");
}

#[test]
fn init_writes_nmmm_toml_only_when_detection_needs_help() {
    let dir = repo(Layout::Classic);
    let out = run(&dir, &["init"]);
    assert_ok(&out);
    assert!(!dir.path().join("nmmm.toml").exists());
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("classic layout, entry nix/hetzner/configuration.nix"));

    // Two entry files: detection cannot choose, says so, and nmmm.toml settles it.
    let copy = fs::read_to_string(dir.path().join("nix/hetzner/configuration.nix")).unwrap();
    fs::create_dir_all(dir.path().join("nix/other")).unwrap();
    fs::write(dir.path().join("nix/other/configuration.nix"), copy).unwrap();
    let out = run(&dir, &["list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("several files look like the machine's entry file"));
    let out = run(&dir, &["init"]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert!(dir.path().join("nmmm.toml").exists());
    fs::write(dir.path().join("nmmm.toml"), "entry = \"nix/hetzner/configuration.nix\"\n").unwrap();
    let out = run(&dir, &["list"]);
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("massapp"));
}

#[test]
fn dash_c_runs_the_tool_in_another_directory() {
    let dir = repo(Layout::Classic);
    let inside = dir.path().join("nix").display().to_string();
    let out = xtask(&repo_root(), &["-C", &inside, "list"]);
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("massapp  massapp.com  8080"));
}

#[test]
fn the_benchmark_repositories_are_sound_machine_repositories() {
    for (layout, generate) in [
        ("module", xtask::bench::generate_module_repo as fn(&Path, usize)),
        ("classic", xtask::bench::generate_classic_repo),
    ] {
        let dir = TempDir::new(layout);
        generate(dir.path(), 5);
        let list = run(&dir, &["list", "--json"]);
        assert_ok(&list);
        let list: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
        assert_eq!(list.as_array().unwrap().len(), 5, "{layout}");
        let check = run(&dir, &["check"]);
        assert_ok(&check);
        assert_ok(&run(&dir, &["new-monolith", "fresh", "--domain", "fresh.example.com", "--yes"]));
        assert_all_parse(dir.path());
    }
}

#[test]
fn list_shows_where_each_monolith_of_a_fleet_runs() {
    let dir = TempDir::new("fleet-list");
    copy_tree(&repo_root().join("tests/fleet"), dir.path());
    let out = run(&dir, &["list"]);
    assert_ok(&out);
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

#[test]
fn in_a_fleet_a_new_monolith_is_pinned_where_there_is_room_and_moves_no_other() {
    let dir = TempDir::new("fleet-new");
    copy_tree(&repo_root().join("tests/fleet"), dir.path());
    let hosts = |dir: &TempDir| {
        let out = run(dir, &["list", "--json"]);
        assert_ok(&out);
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (m["name"].as_str().unwrap().to_owned(), m["host"].as_str().unwrap().to_owned())
            })
            .collect::<BTreeMap<_, _>>()
    };
    let before = hosts(&dir);
    let out = run(&dir, &["new-monolith", "aaa", "--domain", "aaa.example.com", "--yes"]);
    assert_ok(&out);
    let text = fs::read_to_string(dir.path().join("monoliths/default.nix")).unwrap();
    assert!(text.contains("      host = \"web2\";\n    };\n  };\n}"), "{text}");
    let mut after = hosts(&dir);
    assert_eq!(after.remove("aaa").as_deref(), Some("web2"));
    assert_eq!(after, before, "adding a monolith moved another");
    // The fleet holds 3 + 4: the eighth monolith has no room, and nothing changes.
    let full = files(dir.path());
    let out = run(&dir, &["new-monolith", "bbb", "--domain", "bbb.example.com", "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the fleet is full"));
    assert_eq!(files(dir.path()), full);
}

#[test]
fn module_new_monolith_from_an_existing_one_copies_and_renames_its_source() {
    let dir = repo(Layout::Module);
    let out = run(
        &dir,
        &["new-monolith", "blog", "--domain", "blog.example.com", "--from", "hello", "--yes"],
    );
    assert_ok(&out);
    let root = dir.path();
    let main = fs::read_to_string(root.join("monoliths/blog/src/main.rs")).unwrap();
    assert!(main.contains("const DEFAULT_NAME: &str = \"blog\";"));
    let package = fs::read_to_string(root.join("monoliths/blog/default.nix")).unwrap();
    assert!(package.contains("pname = \"blog\";") && package.contains("mainProgram = \"blog\";"));
    let original = files(&root.join("monoliths/hello"));
    let copied = files(&root.join("monoliths/blog"));
    assert_eq!(original.keys().collect::<Vec<_>>(), copied.keys().collect::<Vec<_>>());
    assert_all_parse(root);
}

#[test]
fn place_on_one_host_shows_the_table_and_pins_nothing() {
    let dir = repo(Layout::Module);
    let before = files(dir.path());
    let out = run(&dir, &["place", "--yes"]);
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("hello     machine  placed now"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to pin"));
    assert_eq!(files(dir.path()), before);
}

#[test]
fn check_in_the_module_layout_finds_unwired_sources_missing_packages_and_superusers() {
    let dir = repo(Layout::Module);
    let root = dir.path();
    // A source folder no entry uses, an entry whose folder is gone, a domain taken twice, and a
    // role made superuser.
    copy_tree(&root.join("monoliths/hello"), &root.join("monoliths/orphan"));
    let entries = fs::read_to_string(root.join("monoliths/default.nix")).unwrap().replace(
        "  };\n}\n",
        "    gone = {\n      domain = \"hello.example.com\";\n      port = 8090;\n      package = pkgs.callPackage ./gone { };\n    };\n  };\n  services.postgresql.ensureUsers = [\n    {\n      name = \"hello\";\n      ensureClauses.superuser = true;\n    }\n  ];\n}\n",
    );
    fs::write(root.join("monoliths/default.nix"), entries).unwrap();
    let out = run(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    insta::assert_snapshot!(transcript(&out));
}
