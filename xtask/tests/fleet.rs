//! Placement: the tool's (xtask/src/deploy/placement.rs) against lib/fleet.nix's on generated
//! fleets, its properties, and `cargo xtask place` on a copy of the example fleet, whose pins
//! Nix then reads back.

mod support;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use support::{copy_tree, nix_eval_expr, repo_root, transcript, xtask, TempDir};
use xtask::deploy::place;
use xtask::repo::{Host, Kind, Monolith, Place};

fn host(name: &str, capacity: Option<u32>) -> Host {
    Host {
        name: name.to_owned(),
        address: format!("{name}.example.com"),
        user: "root".to_owned(),
        capacity,
        place: Place { file: PathBuf::from("fleet.nix"), line: 1, col: 1 },
    }
}

fn monolith(name: &str, pin: Option<&str>) -> Monolith {
    Monolith {
        name: name.to_owned(),
        kind: Kind::Nmmm,
        domain: Some(format!("{name}.example.com")),
        aliases: Vec::new(),
        path: "/".to_owned(),
        port: Some(8081),
        socket: None,
        upstream: format!("systemd:{name}"),
        database: Some(name.to_owned()),
        host: pin.map(str::to_owned),
        files: Vec::new(),
        defined: Vec::new(),
        unresolved: Vec::new(),
        place: Place { file: PathBuf::from("monoliths/default.nix"), line: 1, col: 1 },
    }
}

/// A small deterministic generator, so that the cases are the same on every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Fleets of 0-4 hosts (some without a capacity) and 0-9 monoliths (some pinned, a few to
/// hosts that do not exist).
fn cases() -> Vec<(Vec<Host>, Vec<Monolith>)> {
    let mut rng = Lcg(7);
    let host_names = ["web1", "web2", "eu-1", "a"];
    let monolith_names = ["shop", "blog", "api", "docs", "forum", "wiki", "b", "zz", "m-1"];
    (0..120)
        .map(|_| {
            let hosts: Vec<Host> = host_names[..rng.below(5) as usize]
                .iter()
                .map(|h| {
                    let capacity = match rng.below(4) {
                        0 => None,
                        c => Some(c as u32),
                    };
                    host(h, capacity)
                })
                .collect();
            let monoliths = monolith_names[..rng.below(10) as usize]
                .iter()
                .map(|m| {
                    let pin = match rng.below(6) {
                        0 if !hosts.is_empty() => {
                            Some(hosts[rng.below(hosts.len() as u64) as usize].name.as_str())
                        }
                        1 => Some("gone"),
                        _ => None,
                    };
                    monolith(m, pin)
                })
                .collect();
            (hosts, monoliths)
        })
        .collect()
}

fn nix_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn nix_case(hosts: &[Host], monoliths: &[Monolith]) -> String {
    let hosts: String = hosts
        .iter()
        .map(|h| match h.capacity {
            Some(c) => format!("{} = {{ capacity = {c}; }}; ", nix_string(&h.name)),
            None => format!("{} = {{ }}; ", nix_string(&h.name)),
        })
        .collect();
    let monoliths: String = monoliths
        .iter()
        .map(|m| match &m.host {
            Some(h) => format!("{} = {{ host = {}; }}; ", nix_string(&m.name), nix_string(h)),
            None => format!("{} = {{ }}; ", nix_string(&m.name)),
        })
        .collect();
    format!("(lib.place {{ hosts = {{ {hosts}}}; monoliths = {{ {monoliths}}}; }})")
}

#[test]
fn the_tool_places_exactly_as_lib_fleet_nix() {
    let cases = cases();
    let expr = format!(
        "let lib = import {}; in [ {} ]",
        repo_root().join("lib").display(),
        cases.iter().map(|(h, m)| nix_case(h, m)).collect::<Vec<_>>().join(" ")
    );
    let nix = nix_eval_expr(&expr).expect("lib.place evaluates");
    let rust: Vec<Value> = cases
        .iter()
        .map(|(h, m)| {
            let p = place(h, m);
            json!({ "assignment": p.assignment, "problems": p.problems })
        })
        .collect();
    let nix = nix.as_array().unwrap();
    assert_eq!(nix.len(), rust.len());
    let mut full = 0;
    for (i, (n, r)) in nix.iter().zip(&rust).enumerate() {
        assert_eq!(n, r, "case {i}: {}", nix_case(&cases[i].0, &cases[i].1));
        full += usize::from(
            r["problems"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p.as_str().unwrap().contains("the fleet is full")),
        );
    }
    // The cases reach the interesting corners: full fleets and stray pins among them.
    assert!(full > 5, "only {full} full fleets among the cases");
}

#[test]
fn placement_respects_capacity_and_keeps_pins() {
    for (hosts, monoliths) in cases() {
        let placement = place(&hosts, &monoliths);
        for h in &hosts {
            let count = placement.on(&h.name).count() as u32;
            let pinned = monoliths.iter().filter(|m| m.host.as_deref() == Some(&h.name)).count();
            // Pins are kept even beyond capacity (that is reported as a problem); placement
            // itself never adds to a host that is full.
            assert!(h.capacity.is_none_or(|c| count <= c.max(pinned as u32)));
        }
        for m in &monoliths {
            if let Some(pin) = m.host.as_deref().filter(|p| hosts.iter().any(|h| h.name == *p)) {
                assert_eq!(placement.assignment.get(&m.name).map(String::as_str), Some(pin));
            }
        }
    }
}

#[test]
fn placement_does_not_depend_on_the_order_things_are_declared_in() {
    for (mut hosts, mut monoliths) in cases() {
        let before = place(&hosts, &monoliths);
        hosts.reverse();
        monoliths.reverse();
        assert_eq!(place(&hosts, &monoliths), before);
    }
}

#[test]
fn with_placements_written_back_as_pins_adding_a_monolith_moves_none() {
    for (hosts, monoliths) in cases() {
        let before = place(&hosts, &monoliths);
        let mut pinned: Vec<Monolith> = monoliths
            .iter()
            .map(|m| {
                let mut m = m.clone();
                if m.host.is_none() {
                    m.host = before.assignment.get(&m.name).cloned();
                }
                m
            })
            .collect();
        pinned.push(monolith("aaa", None));
        let after = place(&hosts, &pinned);
        for (name, host) in &before.assignment {
            assert_eq!(after.assignment.get(name), Some(host), "{name} moved");
        }
    }
}

/// The placement Nix computes from the fleet's files, with the stand-in nixosSystem.
fn nix_placement(fleet: &Path) -> Value {
    let root = repo_root();
    nix_eval_expr(&format!(
        "let stub = import {stub}; lib = import {lib}; \
         cfg = (stub.nixpkgs.lib.nixosSystem {{ modules = [ {module} {fleet}/fleet.nix \
         {fleet}/monoliths ]; }}).config.nmmm; \
         in {{ placed = (lib.place {{ inherit (cfg) hosts monoliths; }}).assignment; \
         pins = builtins.mapAttrs (_: m: m.host) cfg.monoliths; }}",
        stub = root.join("tests/nix/stub-nixos.nix").display(),
        lib = root.join("lib").display(),
        module = root.join("modules/nmmm.nix").display(),
        fleet = fleet.display(),
    ))
    .expect("the fleet evaluates")
}

#[test]
fn place_writes_pins_that_nix_reads_back_and_later_monoliths_move_none() {
    let dir = TempDir::new("place");
    let fleet = dir.path().join("fleet");
    copy_tree(&repo_root().join("tests/fleet"), &fleet);
    let before = nix_placement(&fleet);

    let out = xtask(&fleet, &["place", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    insta::assert_snapshot!(transcript(&out).replace(&fleet.display().to_string(), "[FLEET]"));

    // Every monolith is now pinned where it was placed, and Nix agrees.
    let pinned = nix_placement(&fleet);
    assert_eq!(pinned["pins"], before["placed"]);
    assert_eq!(pinned["placed"], before["placed"]);

    let again = xtask(&fleet, &["place", "--dry-run"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to change"));

    // A monolith that sorts first would shift every greedy choice; with pins it moves none.
    let add = xtask(
        &fleet,
        &[
            "nix",
            "set",
            "monoliths/default.nix",
            "nmmm.monoliths.aaa",
            "{ domain = \"aaa.example.com\"; port = 8090; package = pkgs.callPackage ./aaa { }; }",
            "--yes",
        ],
    );
    assert!(add.status.success(), "{}", transcript(&add));
    let out = xtask(&fleet, &["place", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let after = nix_placement(&fleet);
    let mut expected = before["placed"].as_object().unwrap().clone();
    expected.insert("aaa".to_owned(), json!("web2"));
    assert_eq!(after["pins"], Value::Object(expected));
}

#[test]
fn place_refuses_a_full_fleet() {
    let dir = TempDir::new("place-full");
    let fleet = dir.path().join("fleet");
    copy_tree(&repo_root().join("tests/fleet"), &fleet);
    let set = xtask(&fleet, &["nix", "set", "fleet.nix", "nmmm.hosts.web2.capacity", "2", "--yes"]);
    assert!(set.status.success(), "{}", transcript(&set));
    let out = xtask(&fleet, &["place", "--yes"]);
    insta::assert_snapshot!(transcript(&out));
    // Nix says the same of the same files.
    let nix = nix_eval_expr(&format!(
        "let stub = import {}; lib = import {}; cfg = (stub.nixpkgs.lib.nixosSystem {{ modules \
         = [ {} {}/fleet.nix {}/monoliths ]; }}).config.nmmm; in (lib.place {{ inherit (cfg) \
         hosts monoliths; }}).problems",
        repo_root().join("tests/nix/stub-nixos.nix").display(),
        repo_root().join("lib").display(),
        repo_root().join("modules/nmmm.nix").display(),
        fleet.display(),
        fleet.display()
    ))
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for problem in nix.as_array().unwrap() {
        assert!(stderr.contains(problem.as_str().unwrap()), "{stderr}");
    }
}
