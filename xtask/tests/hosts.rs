//! Hosts written by hand, as people write them (`tests/fixtures/hosts/`, one per pattern, each
//! with the ground truth in its `EXPECTED.json`): `list` finds every site with its domain, port,
//! upstream and database, and nothing that is not a site; `new-monolith` adds one in the host's
//! own shape, on a free port, in files that parse; `remove-monolith` restores every byte.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{copy_tree, nix_parse_all, repo_root, transcript, xtask, TempDir};

fn fixtures() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(repo_root().join("tests/fixtures/hosts"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().join("EXPECTED.json").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 8, "only {} fixture hosts", names.len());
    names
}

fn copy(name: &str) -> TempDir {
    let dir = TempDir::new(&format!("host-{name}"));
    copy_tree(&repo_root().join("tests/fixtures/hosts").join(name), dir.path());
    dir
}

fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(root).unwrap().to_owned(), fs::read(e.path()).unwrap()))
        .collect()
}

/// The expected sites of a fixture, per host (`""` when it has one).
fn expected(name: &str) -> Vec<(String, Value)> {
    let path = repo_root().join("tests/fixtures/hosts").join(name).join("EXPECTED.json");
    let expected: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    match expected.get("by_host") {
        Some(Value::Object(hosts)) => hosts.iter().map(|(h, v)| (h.clone(), v.clone())).collect(),
        _ => vec![(String::new(), expected)],
    }
}

fn list(dir: &Path, host: &str) -> Vec<Value> {
    let mut args = vec!["list", "--json"];
    if !host.is_empty() {
        args.extend(["--host", host]);
    }
    let out = xtask(dir, &args);
    assert!(out.status.success(), "{}", transcript(&out));
    serde_json::from_slice::<Value>(&out.stdout).unwrap().as_array().unwrap().clone()
}

#[test]
fn list_finds_every_site_of_every_fixture_host_and_nothing_else() {
    let mut misses = Vec::new();
    for name in fixtures() {
        let dir = copy(&name);
        for (host, truth) in expected(&name) {
            let listed = list(dir.path(), &host);
            let sites = truth["sites"].as_array().unwrap();
            for site in sites {
                let domain = site["domain"].as_str().unwrap();
                let path = site["path"].as_str().unwrap_or("/");
                let found = listed.iter().find(|s| s["domain"] == domain && s["path"] == path);
                let Some(found) = found else {
                    misses.push(format!("{name} {host}: {domain}{path} is not listed"));
                    continue;
                };
                for field in ["port", "upstream", "database"] {
                    if found[field] != site[field] {
                        misses.push(format!(
                            "{name} {host}: {domain}{path}: {field} is {}, not {}",
                            found[field], site[field]
                        ));
                    }
                }
            }
            // Nothing is listed that is not a site.
            for item in &listed {
                let domain = item["domain"].as_str().unwrap_or("?");
                let path = item["path"].as_str().unwrap_or("/");
                if !sites
                    .iter()
                    .any(|s| s["domain"] == domain && s["path"].as_str().unwrap_or("/") == path)
                {
                    misses
                        .push(format!("{name} {host}: {domain}{path} is listed but is not a site"));
                }
            }
            insta::assert_json_snapshot!(
                format!(
                    "list_{name}{}",
                    if host.is_empty() { String::new() } else { format!("_{host}") }
                ),
                listed
            );
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

#[test]
fn new_monolith_on_every_fixture_host_is_in_its_shape_on_a_free_port_and_remove_restores_it() {
    for name in fixtures() {
        for (host, truth) in expected(&name) {
            let dir = copy(&name);
            let before = files(dir.path());
            let mut args =
                vec!["new-monolith", "bakery", "--domain", "bakery.example.com", "--yes"];
            if !host.is_empty() {
                args.extend(["--host", &host]);
            }
            let out = xtask(dir.path(), &args);
            assert!(out.status.success(), "{name} {host}: {}", transcript(&out));
            // The diffs of the Nix files (the monolith's source is the template's).
            let stdout = String::from_utf8_lossy(&out.stdout);
            let nix_diffs: Vec<&str> = stdout
                .split("--- ")
                .filter(|part| {
                    // `a/x.nix` or, for a new file, `/dev/null` then `+++ b/x.nix`.
                    let mut lines = part.lines();
                    let (old, new) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""));
                    [old, new].iter().any(|l| l.ends_with(".nix"))
                        && ![old, new].iter().any(|l| l.contains("/bakery/"))
                })
                .collect();
            insta::assert_snapshot!(
                format!(
                    "new_{name}{}",
                    if host.is_empty() { String::new() } else { format!("_{host}") }
                ),
                format!("--- {}", nix_diffs.join("--- "))
            );
            // Every Nix file of the repository parses, with Nix.
            let all: Vec<(String, PathBuf)> = walkdir::WalkDir::new(dir.path())
                .into_iter()
                .map(Result::unwrap)
                .filter(|e| e.path().extension().is_some_and(|x| x == "nix"))
                .map(|e| (e.path().display().to_string(), e.path().to_owned()))
                .collect();
            nix_parse_all(&all).unwrap_or_else(|e| panic!("{name} {host}: {e}"));
            // On a port nothing of the host uses.
            let listed = list(dir.path(), &host);
            let bakery = listed
                .iter()
                .find(|s| s["name"] == "bakery")
                .unwrap_or_else(|| panic!("{name}: bakery is not listed"));
            let port = bakery["port"]
                .as_u64()
                .unwrap_or_else(|| panic!("{name}: bakery has no port: {bakery}"));
            let used: Vec<u64> = truth["used_ports"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["port"].as_u64().unwrap())
                .collect();
            assert!(!used.contains(&port), "{name} {host}: the new port {port} is taken");
            assert_eq!(bakery["domain"], "bakery.example.com", "{name}");
            assert_eq!(
                bakery["kind"],
                if truth.to_string().contains("\"kind\":\"nmmm\"") { "nmmm" } else { "monolith" },
                "{name}"
            );
            // And remove-monolith takes it all back.
            let mut args = vec!["remove-monolith", "bakery", "--yes"];
            if !host.is_empty() {
                args.extend(["--host", &host]);
            }
            let out = xtask(dir.path(), &args);
            assert!(out.status.success(), "{name} {host}: {}", transcript(&out));
            let after = files(dir.path());
            let changed: Vec<&PathBuf> = before
                .keys()
                .chain(after.keys())
                .filter(|k| before.get(*k) != after.get(*k))
                .collect();
            assert!(changed.is_empty(), "{name} {host}: remove-monolith left {changed:?}");
        }
    }
}

#[test]
fn new_monolith_from_a_hand_written_site_copies_its_file_and_its_source_renamed() {
    let dir = copy("file-per-site");
    let root = dir.path();
    let before = files(root);
    let out = xtask(
        root,
        &["new-monolith", "bakery", "--domain", "bakery.example.com", "--from", "notes", "--yes"],
    );
    assert!(out.status.success(), "{}", transcript(&out));
    let site = fs::read_to_string(root.join("sites/bakery.nix")).unwrap();
    assert!(site.contains("services.nginx.virtualHosts.\"bakery.example.com\""), "{site}");
    assert!(site.contains("pkgs.callPackage ../pkgs/bakery { }"), "{site}");
    assert!(!site.contains("notes"), "{site}");
    // Its source, renamed: every file of pkgs/notes is in pkgs/bakery.
    let original: Vec<PathBuf> = files(&root.join("pkgs/notes")).into_keys().collect();
    let copied: Vec<PathBuf> = files(&root.join("pkgs/bakery")).into_keys().collect();
    assert_eq!(original, copied);
    let all: Vec<(String, PathBuf)> = ["sites/bakery.nix", "sites/default.nix"]
        .iter()
        .map(|f| (f.to_string(), root.join(f)))
        .collect();
    nix_parse_all(&all).unwrap();
    let listed = list(root, "");
    let bakery = listed.iter().find(|s| s["name"] == "bakery").expect("bakery is listed");
    assert_eq!(bakery["database"], "bakery");
    let notes = listed.iter().find(|s| s["name"] == "notes").unwrap();
    assert_ne!(bakery["port"], notes["port"]);
    // And it goes as it came, source and all; notes keeps its own.
    let out = xtask(root, &["remove-monolith", "bakery", "--yes"]);
    assert!(out.status.success(), "{}", transcript(&out));
    assert_eq!(files(root), before);
}

#[test]
fn new_monolith_from_in_a_host_of_option_modules_says_why_not_and_writes_nothing() {
    let dir = copy("option-module-per-app");
    let before = files(dir.path());
    let out = xtask(
        dir.path(),
        &["new-monolith", "bakery", "--domain", "bakery.example.com", "--from", "wiki", "--yes"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("modules/apps/default.nix: the host's apps are modules of options"),
        "{stderr}"
    );
    assert_eq!(files(dir.path()), before);
}

#[test]
fn the_benchmarks_host_of_fifty_files_is_read_whole() {
    // `cargo xtask bench` times `list` and `check` on this host: they must find every site.
    let dir = TempDir::new("bench-adopted");
    xtask::bench::generate_adopted_repo(dir.path(), 48);
    let listed = list(dir.path(), "");
    assert_eq!(listed.len(), 48, "{listed:#?}");
    for site in &listed {
        assert!(site["unresolved"].as_array().unwrap().is_empty(), "{site}");
        assert_eq!(site["kind"], "monolith", "{site}");
    }
    let apps = listed.iter().filter(|s| s["path"] == "/app/").count();
    let sockets = listed.iter().filter(|s| s["socket"].is_string()).count();
    assert_eq!((apps, sockets), (12, 12));
    let out = xtask(dir.path(), &["check"]);
    assert!(out.status.success(), "{}", transcript(&out));
}

#[test]
fn every_file_of_the_fixture_hosts_is_nix_that_nix_reads() {
    let all: Vec<(String, PathBuf)> =
        walkdir::WalkDir::new(repo_root().join("tests/fixtures/hosts"))
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.path().extension().is_some_and(|x| x == "nix"))
            .map(|e| (e.path().display().to_string(), e.path().to_owned()))
            .collect();
    assert!(all.len() > 50, "{} files", all.len());
    nix_parse_all(&all).unwrap();
}

#[test]
fn a_definition_nobody_can_read_does_not_hide_what_other_modules_define() {
    // `systemd.services = LUNs // { ... }` over a submodule's values (which a static reader
    // cannot know), a module with another unit, and one with a unit and its site: the site is
    // still the unit's.
    let dir = TempDir::new("host-unreadable-definition");
    let root = dir.path();
    let write = |path: &str, text: &str| fs::write(root.join(path), text).unwrap();
    write(
        "configuration.nix",
        "{ lib, ... }:\n{\n  imports = [ ./targets.nix ./other.nix ./app.nix ];\n  services.nginx.enable = true;\n  services.targets.list.one.index = 1;\n}\n",
    );
    write(
        "targets.nix",
        "{ config, lib, ... }:\nlet\n  units = builtins.listToAttrs (map (t: { name = t.name; value = { script = \"true\"; }; }) (lib.attrValues config.services.targets.list));\nin\n{\n  config = lib.mkIf true { systemd.services = units // { targets = { script = \"true\"; }; }; };\n}\n",
    );
    write("other.nix", "{ ... }: { systemd.services.other.script = \"true\"; }\n");
    write(
        "app.nix",
        "{ pkgs, ... }:\n{\n  systemd.services.app.environment.PORT = \"8100\";\n  systemd.services.app.serviceConfig.ExecStart = \"${pkgs.hello}/bin/hello\";\n  services.nginx.virtualHosts.\"app.example.com\".locations.\"/\".proxyPass = \"http://127.0.0.1:8100\";\n}\n",
    );
    let listed = list(root, "");
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert_eq!(
        (&listed[0]["upstream"], &listed[0]["kind"]),
        (&Value::from("systemd:app"), &Value::from("monolith"))
    );
}

#[test]
fn new_monolith_refuses_a_host_that_serves_its_sites_with_another_web_server() {
    for (server, expected) in [
        (
            "services.caddy.enable = true;",
            "configuration.nix:4: the host serves its sites with caddy",
        ),
        ("services.nginx.enable = false;", "configuration.nix:4: the host turns nginx off"),
    ] {
        let dir = TempDir::new("host-caddy");
        let text = format!(
            "{{ pkgs, ... }}:\n{{\n  networking.hostName = \"newton\";\n  {server}\n  systemd.services.grafana.script = \"true\";\n}}\n"
        );
        fs::write(dir.path().join("configuration.nix"), text).unwrap();
        let before = files(dir.path());
        let out = xtask(
            dir.path(),
            &["new-monolith", "bakery", "--domain", "bakery.example.com", "--yes"],
        );
        assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{stderr}");
        assert_eq!(files(dir.path()), before);
    }
}

#[test]
fn services_are_known_by_their_own_settings_a_vhost_written_twice_is_one_and_module_vhosts_count() {
    let dir = TempDir::new("host-settings");
    let root = dir.path();
    let write = |path: &str, text: &str| fs::write(root.join(path), text).unwrap();
    write(
        "configuration.nix",
        "{ ... }:\n{\n  imports = [ ./s3.nix ./auth.nix ./auth-proxy.nix ];\n  services.nginx.enable = true;\n  # a vhost the module makes: listed, its port its own business\n  services.pretix = {\n    enable = true;\n    nginx.domain = \"tickets.example.org\";\n  };\n}\n",
    );
    write(
        "s3.nix",
        "{ ... }:\n{\n  services.minio = {\n    enable = true;\n    listenAddress = \"[::1]:9000\";\n    consoleAddress = \"[::1]:9001\";\n  };\n  services.nginx.virtualHosts.\"s3.example.org\".locations.\"/\".proxyPass = \"http://[::1]:9000\";\n  services.nginx.virtualHosts.\"s3-web.example.org\".locations.\"/\".proxyPass = \"http://[::1]:9001\";\n}\n",
    );
    // The same vhost in two files, the same way: NixOS merges them into one.
    let auth = "{ ... }:\n{\n  services.nginx.virtualHosts.\"auth.example.org\".locations.\"/\".proxyPass = \"http://127.0.0.1:9091\";\n}\n";
    write("auth.nix", auth);
    write("auth-proxy.nix", auth);
    let listed = list(root, "");
    let found: Vec<(String, String, u64, String)> = listed
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["domain"].as_str().unwrap().to_owned(),
                s["port"].as_u64().unwrap_or(0),
                s["upstream"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("auth", "auth.example.org", 9091, "unknown"),
        ("minio-s3-web", "s3-web.example.org", 9001, "module:services.minio"),
        ("minio-s3", "s3.example.org", 9000, "module:services.minio"),
        ("pretix", "tickets.example.org", 0, "module:services.pretix"),
    ];
    let expected: Vec<(String, String, u64, String)> = expected
        .iter()
        .map(|(n, d, p, u)| (n.to_string(), d.to_string(), *p, u.to_string()))
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn list_names_every_module_it_could_not_read() {
    let dir = TempDir::new("host-unread");
    let root = dir.path();
    fs::write(
        root.join("configuration.nix"),
        "{ pkgs, ... }:\n{\n  imports = [\n    ./gone.nix\n    (builtins.fetchGit { url = \"https://example.org/modules\"; })\n  ];\n  services.nginx.virtualHosts.\"a.example.org\".locations.\"/\".proxyPass = \"http://127.0.0.1:8100\";\n}\n",
    )
    .unwrap();
    fs::write(
        root.join("flake.nix"),
        "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  inputs.sops-nix.url = \"github:Mic92/sops-nix\";\n  outputs = { nixpkgs, sops-nix, ... }: {\n    nixosConfigurations.box = nixpkgs.lib.nixosSystem { modules = [ sops-nix.nixosModules.sops ./configuration.nix ]; };\n  };\n}\n",
    )
    .unwrap();
    let out = xtask(root, &["list"]);
    assert!(out.status.success(), "{}", transcript(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for note in [
        "note: host box: configuration.nix:4: a module is not read: gone.nix does not exist",
        "note: host box: configuration.nix:5: a module is not read: a download",
        "note: host box: the modules of flake inputs are not read (their sites are not listed): sops-nix",
    ] {
        assert!(stderr.contains(note), "{note}\n{stderr}");
    }
}
