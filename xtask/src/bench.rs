//! `cargo xtask bench`: whole-process timings.
//!
//! - The edit engine's CLI beside its closest peer, nix-editor (`cargo install nix-editor`), and
//!   beside `nix-instantiate --parse` of the same file: a generated NixOS-like configuration of
//!   about 6,000 lines and 330 KB, and a module of the same services written as modules are
//!   (`config = mkIf cfg.enable (mkMerge [ (mkIf ... { }) ... ])`). Runs alternate between the
//!   tools so that drift in the machine's speed hits all alike; medians are reported, with ratios.
//! - `new-monolith --dry-run` and `check` on generated repositories of 200 monoliths, in both
//!   layouts.
//! - What the repository lock and the commit journal add to one `new-monolith`.
//!
//! Build with `--release` for figures that mean anything.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The generated file: `services.svcN = { ... };` blocks and a package list, in nixfmt style.
pub fn generate_config(blocks: usize) -> String {
    let mut out = String::from(
        "{ config, pkgs, ... }:\n\n{\n  imports = [\n    ./hardware-configuration.nix\n  ];\n\n",
    );
    for i in 0..blocks {
        out.push_str(&format!(
            "  # Service {i}: one of the many small web services of this machine, each with its own port, its own\n  # user, its own database and its own settings; written by hand over the years, as configurations are.\n  services.svc{i} = {{\n    enable = true;\n    description = \"Service number {i}, which answers the requests of its customers all day long, from early in the morning until late at night, in every time zone\";\n    port = {port};\n    user = \"svc{i}\"; # the unit's own user, which is also its database role, so that peer authentication matches it\n    environment = {{\n      RUST_LOG = \"info,svc{i}=debug,tower_http=info,sqlx=warn,hyper=warn,h2=warn,rustls=warn,reqwest=info\";\n      DATABASE_URL = \"postgresql:///svc{i}?host=/run/postgresql&application_name=svc{i}\";\n    }};\n    settings = {{\n      workers = {workers}; # one per core is plenty for the traffic it sees on an ordinary day; raise it before a sale\n      timeout = 30; # seconds, before nginx gives up on it\n      hosts = [\n        \"svc{i}.example.com\" # the bare domain, where the site lives and its certificate is issued\n        \"www.svc{i}.example.com\" # redirected to the bare domain by nginx, with the same certificate\n      ];\n    }};\n  }};\n\n",
            port = 10000 + i,
            workers = 1 + i % 8
        ));
    }
    out.push_str("  environment.systemPackages = [\n    pkgs.git\n    pkgs.vim\n  ];\n}\n");
    out
}

struct Tool {
    program: PathBuf,
}

struct Tools {
    nmmm: Tool,
    /// nix-editor, when installed.
    peer: Option<Tool>,
    nix: Option<PathBuf>,
}

/// The same edits by NMMM and nix-editor on one generated file, beside `nix-instantiate --parse`.
fn edit_table(tools: &Tools, label: &str, original: &str, dir: &Path, runs: usize) {
    let file = dir.join("configuration.nix");
    println!(
        "{label}: {} lines, {} KB; {runs} alternating runs per figure, medians\n",
        original.lines().count(),
        original.len() / 1024
    );
    // (label, our arguments, nix-editor's arguments) for the same edit.
    let deep = "services.svc150.settings.workers";
    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        ("get", vec!["nix", "get", "F", deep], vec!["F", deep]),
        (
            "set existing",
            vec!["nix", "set", "F", deep, "42", "--yes"],
            vec!["F", deep, "-v", "42", "-i"],
        ),
        (
            "set new",
            vec!["nix", "set", "F", "services.svc150.group", "\"web\"", "--yes"],
            vec!["F", "services.svc150.group", "-v", "\"web\"", "-i"],
        ),
        (
            "add to list",
            vec!["nix", "add", "F", "environment.systemPackages", "pkgs.htop", "--yes"],
            vec!["F", "environment.systemPackages", "-a", "pkgs.htop", "-i"],
        ),
        (
            "rm",
            vec!["nix", "rm", "F", "services.svc150.user", "--yes"],
            vec!["F", "services.svc150.user", "-d", "-i"],
        ),
    ];

    let parse_time = tools.nix.as_ref().map(|nix| {
        median((0..runs).map(|_| {
            fs::write(&file, original).unwrap();
            time(nix, &["--parse".as_ref(), file.as_os_str()], dir).0
        }))
    });
    match parse_time {
        Some(t) => println!("nix-instantiate --parse: {:.1} ms\n", ms(t)),
        None => println!("nix-instantiate not found: install Debian's nix-bin\n"),
    }
    println!(
        "{:<14} {:>10} {:>12} {:>14} {:>16}",
        "edit", "nmmm ms", "nix-editor ms", "vs nix-editor", "vs nix --parse"
    );
    for (label, ours, theirs) in &cases {
        let mut ours_t = Vec::new();
        let mut theirs_t = Vec::new();
        let mut theirs_fail = false;
        // One untimed round first, so that no case pays for warming the caches.
        for _ in 0..=runs {
            fs::write(&file, original).unwrap();
            ours_t.push(time(&tools.nmmm.program, &subst(ours, &file), dir).0);
            if let Some(peer) = &tools.peer {
                fs::write(&file, original).unwrap();
                let (t, ok) = time(&peer.program, &subst(theirs, &file), dir);
                theirs_t.push(t);
                theirs_fail |= !ok;
            }
        }
        ours_t.remove(0);
        if !theirs_t.is_empty() {
            theirs_t.remove(0);
        }
        let o = median(ours_t.into_iter());
        // nix-editor cannot follow every path (it does not see through `mkMerge`).
        let t = (!theirs_t.is_empty() && !theirs_fail).then(|| median(theirs_t.into_iter()));
        let peer = if theirs_fail { "fails".to_owned() } else { "-".to_owned() };
        println!(
            "{:<14} {:>10.1} {:>12} {:>14} {:>16}",
            label,
            ms(o),
            t.map_or(peer, |t| format!("{:.1}", ms(t))),
            t.map_or("-".to_owned(), |t| format!("{:.2}x", ms(o) / ms(t))),
            parse_time.map_or("-".to_owned(), |p| format!("{:.2}x", ms(o) / ms(p))),
        );
    }
    println!();
}

/// A NixOS module of the same services, as modules are written: `config = mkIf cfg.enable
/// (mkMerge [ ... ])`, each service in its own `mkIf` element, values under `mkDefault`.
pub fn generate_module(blocks: usize) -> String {
    let mut out = String::from(
        "{ config, lib, pkgs, ... }:\n\nlet\n  cfg = config.services.fleet;\nin\n{\n  options.services.fleet.enable = lib.mkEnableOption \"the fleet of small services\";\n\n  config = lib.mkIf cfg.enable (\n    lib.mkMerge [\n      {\n        environment.systemPackages = [\n          pkgs.git\n          pkgs.vim\n        ];\n      }\n",
    );
    for i in 0..blocks {
        out.push_str(&format!(
            "      # Service {i}: one of the many small web services of this machine, each with its own port and user.\n      (lib.mkIf (cfg.enable && config.networking.hostName != \"\") {{\n        services.svc{i} = {{\n          enable = true;\n          description = \"Service number {i}, which answers the requests of its customers all day long, in every time zone\";\n          port = lib.mkDefault {port};\n          user = \"svc{i}\"; # the unit's own user, which is also its database role\n          environment = {{\n            RUST_LOG = \"info,svc{i}=debug,tower_http=info,sqlx=warn,hyper=warn\";\n            DATABASE_URL = \"postgresql:///svc{i}?host=/run/postgresql\";\n          }};\n          settings = lib.mkMerge [\n            {{\n              workers = {workers}; # one per core is plenty on an ordinary day\n              timeout = 30;\n            }}\n            (lib.mkIf config.services.nginx.enable {{\n              hosts = [\n                \"svc{i}.example.com\"\n                \"www.svc{i}.example.com\"\n              ];\n            }})\n          ];\n        }};\n      }})\n",
            port = 10000 + i,
            workers = 1 + i % 8
        ));
    }
    out.push_str("    ]\n  );\n}\n");
    out
}

pub fn run(runs: usize) -> Result<(), String> {
    if cfg!(debug_assertions) {
        eprintln!("warning: this is a debug build; run `cargo run --release -p xtask -- bench`");
    }
    let dir = std::env::temp_dir().join(format!("nmmm-bench-{}", std::process::id()));
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let nmmm = Tool { program: std::env::current_exe().map_err(|e| e.to_string())? };
    let peer = find("nix-editor").map(|program| Tool { program });
    if peer.is_none() {
        println!("nix-editor not found on PATH: install it with `cargo install nix-editor`\n");
    }
    let nix = find("nix-instantiate");
    let tools = Tools { nmmm, peer, nix };
    for (label, original) in [
        ("a flat configuration", generate_config(285)),
        ("a module of mkIf and mkMerge", generate_module(262)),
    ] {
        edit_table(&tools, label, &original, &dir, runs);
    }

    println!("\nrepositories of 200 monoliths: median ms of {runs} runs");
    println!("{:<10} {:>22} {:>10}", "layout", "new-monolith --dry-run", "check");
    for (layout, generate) in
        [("module", generate_module_repo as fn(&Path, usize)), ("classic", generate_classic_repo)]
    {
        let repo = dir.join(layout);
        generate(&repo, 200);
        let new = ["new-monolith", "fresh", "--domain", "fresh.example.com", "--dry-run"];
        let new: Vec<&std::ffi::OsStr> = new.iter().map(|a| a.as_ref()).collect();
        let check: Vec<&std::ffi::OsStr> = vec!["check".as_ref()];
        let mut new_t = Vec::new();
        let mut check_t = Vec::new();
        for _ in 0..runs {
            new_t.push(time(&tools.nmmm.program, &new, &repo).0);
            check_t.push(time(&tools.nmmm.program, &check, &repo).0);
        }
        println!(
            "{:<10} {:>22.1} {:>10.1}",
            layout,
            ms(median(new_t.into_iter())),
            ms(median(check_t.into_iter()))
        );
    }
    println!("\na host written by hand, 50 files: median ms of {runs} runs");
    println!("{:>8} {:>8} {:>22}", "list", "check", "new-monolith --dry-run");
    let repo = dir.join("adopted");
    generate_adopted_repo(&repo, 48);
    let commands: [&[&str]; 3] = [
        &["list"],
        &["check"],
        &["new-monolith", "fresh", "--domain", "fresh.example.com", "--dry-run"],
    ];
    let mut medians = Vec::new();
    for command in commands {
        let args: Vec<&std::ffi::OsStr> = command.iter().map(|a| a.as_ref()).collect();
        let mut times = Vec::new();
        for _ in 0..runs {
            let (took, ok) = time(&tools.nmmm.program, &args, &repo);
            if !ok {
                return Err(format!("`{}` failed on {}", command.join(" "), repo.display()));
            }
            times.push(took);
        }
        medians.push(ms(median(times.into_iter())));
    }
    println!("{:>8.1} {:>8.1} {:>22.1}", medians[0], medians[1], medians[2]);
    transaction_costs(&tools.nmmm.program, &dir, runs)?;
    let _ = fs::remove_dir_all(&dir);
    Ok(())
}

/// What the repository lock and the commit journal add to one `new-monolith` on the seed
/// fixture: the whole run, the lock taken and released, and the commit of its change through
/// the journal beside the same files staged and renamed without one (as commits were before the
/// journal).
fn transaction_costs(program: &Path, dir: &Path, runs: usize) -> Result<(), String> {
    use crate::transaction::{FileChange, RepoLock};
    let seed = repo_root().join("tests/fixtures/seed-nmmm");
    let fresh = |i: usize| -> Result<PathBuf, String> {
        let repo = dir.join(format!("seed-{i}"));
        let _ = fs::remove_dir_all(&repo);
        for entry in crate::repo::scan::walk(&seed) {
            let target = repo.join(entry.path().strip_prefix(&seed).unwrap_or(entry.path()));
            fs::create_dir_all(target.parent().unwrap_or(&repo)).map_err(|e| e.to_string())?;
            fs::copy(entry.path(), &target).map_err(|e| e.to_string())?;
        }
        Ok(repo)
    };
    let new: Vec<&std::ffi::OsStr> =
        ["new-monolith", "shop", "--domain", "shop.example.com", "--yes"]
            .iter()
            .map(|a| a.as_ref())
            .collect();
    let mut whole = Vec::new();
    let mut lock = Vec::new();
    let mut journaled = Vec::new();
    let mut plain = Vec::new();
    for i in 0..=runs {
        let repo = fresh(i)?;
        whole.push(time(program, &new, &repo).0);

        let repo = fresh(i)?;
        let start = Instant::now();
        drop(RepoLock::acquire(&repo, Duration::ZERO, |_| {}).map_err(|e| e.to_string())?);
        lock.push(start.elapsed());

        // The change new-monolith makes, computed in memory.
        let loaded = crate::repo::load(&repo).map_err(|e| e.to_string())?;
        let request = crate::monolith::new::NewMonolith {
            name: "shop".into(),
            domain: "shop.example.com".into(),
            port: None,
            database: true,
            from: None,
        };
        let (plan, _) = crate::monolith::new::plan(&loaded, &request).map_err(|e| e.0)?;
        let transaction = plan.into_transaction();
        let changes: Vec<FileChange> = transaction.changes().to_vec();
        let mut held =
            RepoLock::acquire(&repo, Duration::ZERO, |_| {}).map_err(|e| e.to_string())?;
        let start = Instant::now();
        transaction.commit(&mut held).map_err(|e| e.to_string())?;
        journaled.push(start.elapsed());
        drop(held);

        let repo = fresh(i)?;
        let start = Instant::now();
        for change in &changes {
            let (target, Some(after)) = (repo.join(&change.path), &change.after) else { continue };
            let temp = target.with_extension("bench.tmp");
            let mut file = fs::File::create(&temp).map_err(|e| e.to_string())?;
            std::io::Write::write_all(&mut file, after.as_bytes()).map_err(|e| e.to_string())?;
            file.sync_all().map_err(|e| e.to_string())?;
            fs::rename(&temp, &target).map_err(|e| e.to_string())?;
        }
        plain.push(start.elapsed());
    }
    // The first round warms the caches.
    for times in [&mut whole, &mut lock, &mut journaled, &mut plain] {
        times.remove(0);
    }
    let (whole, lock) = (median(whole.into_iter()), median(lock.into_iter()));
    let (journaled, plain) = (median(journaled.into_iter()), median(plain.into_iter()));
    println!(
        "
new-monolith --yes on the seed fixture (4 files): median of {runs} runs"
    );
    println!("  whole run                          {:>8.2} ms", ms(whole));
    println!("  lock taken and released            {:>8.3} ms", ms(lock));
    println!("  commit with the journal            {:>8.2} ms", ms(journaled));
    println!("  the same files staged and renamed  {:>8.2} ms", ms(plain));
    println!(
        "  lock and journal add               {:>8.2} ms ({:.0}% of the run)",
        ms(lock + journaled.saturating_sub(plain)),
        100.0 * (lock + journaled.saturating_sub(plain)).as_secs_f64() / whole.as_secs_f64()
    );
    Ok(())
}

/// This checkout, where the templates are.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the repository").to_owned()
}

/// A machine repository made from `templates/default`, with `n` monoliths.
pub fn generate_module_repo(root: &Path, n: usize) {
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    write(
        "flake.nix",
        &fs::read_to_string(repo_root().join("templates/default/flake.nix")).unwrap_or_default(),
    );
    for file in ["configuration.nix", "hardware-configuration.nix"] {
        let text =
            fs::read_to_string(repo_root().join("templates/default/hosts/machine").join(file));
        write(&format!("hosts/machine/{file}"), &text.unwrap_or_default());
    }
    let mut entries = String::new();
    for i in 0..n {
        entries.push_str(&format!(
            "    m{i} = {{\n      domain = \"m{i}.example.com\";\n      port = {};\n      package = pkgs.callPackage ./m{i} {{ }};\n    }};\n",
            9000 + i
        ));
        for (file, text) in crate::monolith::template_files(&format!("m{i}")) {
            write(&format!("monoliths/m{i}/{file}"), &text);
        }
    }
    write(
        "monoliths/default.nix",
        &format!("{{ pkgs, ... }}:\n{{\n  nmmm.monoliths = {{\n{entries}  }};\n}}\n"),
    );
}

/// A machine repository in the classic layout of `tests/fixtures/seed-nmmm`, with `n` monoliths.
pub fn generate_classic_repo(root: &Path, n: usize) {
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    let (mut imports, mut vhosts, mut script, mut ports) =
        (String::new(), String::new(), String::new(), String::new());
    for i in 0..n {
        imports.push_str(&format!("    ../m{i}.nix\n"));
        vhosts.push_str(&format!("      ../m{i}-vhost.nix\n"));
        script
            .push_str(&format!("      CREATE USER m{i}_prod;\n      CREATE DATABASE m{i}_prod;\n"));
        ports.push_str(&format!(
            "  m{i}_port = {};\n  m{i}Domain = \"m{i}.example.com\";\n",
            9000 + i
        ));
        write(&format!("nix/m{i}.nix"), &format!(
            "{{ config, pkgs, ... }}:\nlet\n  lib = import ./lib.nix;\n  m{i} = pkgs.callPackage ../webservice/default.nix {{ }};\nin {{\n  systemd.services.m{i} = {{\n    serviceConfig.ExecStart = \"${{m{i}}}/bin/m{i}\";\n    wantedBy = [ \"multi-user.target\" ];\n    environment.PORT = \"${{toString lib.m{i}_port}}\";\n  }};\n}}\n"
        ));
        write(&format!("nix/m{i}-vhost.nix"), &format!(
            "let\n  lib = import ./lib.nix;\nin {{\n  \"${{lib.m{i}Domain}}\".locations.\"/\".proxyPass = \"http://127.0.0.1:${{toString lib.m{i}_port}}/\";\n}}\n"
        ));
    }
    write("makefile", "deploy:\n\tnixos-rebuild switch --target-host root@example.com\n");
    write("nix/lib.nix", &format!("{{\n{ports}}}\n"));
    write("nix/machine/configuration.nix", &format!(
        "{{ config, pkgs, ... }}:\n{{\n  imports = [\n    ./hardware-configuration.nix\n{imports}  ];\n  services.nginx = {{\n    enable = true;\n    virtualHosts = pkgs.lib.foldr (x: prev: pkgs.lib.recursiveUpdate (import x) prev) {{ }} [\n{vhosts}    ];\n  }};\n  services.postgresql = {{\n    enable = true;\n    initialScript = pkgs.writeText \"init\" ''\n{script}    '';\n  }};\n}}\n"
    ));
    write(
        "nix/machine/hardware-configuration.nix",
        "{ ... }:\n{\n  fileSystems.\"/\".device = \"/dev/sda1\";\n}\n",
    );
}

/// A host written by hand of `n` site files and two more (`configuration.nix`,
/// `sites/default.nix`): apps of its own with the port in a `let`, apps as modules of options
/// turned on in the host, apps on a sub-path beside metrics and static files, and apps on
/// sockets.
pub fn generate_adopted_repo(root: &Path, n: usize) {
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    let mut imports = String::new();
    let mut enabled = String::new();
    for i in 0..n {
        imports.push_str(&format!("    ./s{i}.nix\n"));
        let port = 7000 + i * 10;
        let text = match i % 4 {
            0 => format!(
                "{{ pkgs, ... }}:\nlet\n  port = {port};\nin\n{{\n  users.users.s{i} = {{\n    isSystemUser = true;\n    group = \"s{i}\";\n  }};\n  users.groups.s{i} = {{ }};\n\n  systemd.services.s{i} = {{\n    wantedBy = [ \"multi-user.target\" ];\n    environment.PORT = toString port;\n    serviceConfig.ExecStart = \"${{pkgs.hello}}/bin/hello\";\n    serviceConfig.User = \"s{i}\";\n  }};\n\n  services.postgresql.ensureDatabases = [ \"s{i}\" ];\n\n  services.nginx.virtualHosts.\"s{i}.example.com\" = {{\n    enableACME = true;\n    forceSSL = true;\n    locations.\"/\".proxyPass = \"http://127.0.0.1:${{toString port}}\";\n  }};\n}}\n"
            ),
            1 => {
                enabled.push_str(&format!("  my.apps.s{i} = {{\n    enable = true;\n    domain = \"s{i}.example.com\";\n  }};\n"));
                format!(
                    "{{ config, lib, pkgs, ... }}:\nlet\n  cfg = config.my.apps.s{i};\nin\n{{\n  options.my.apps.s{i} = {{\n    enable = lib.mkEnableOption \"s{i}\";\n    port = lib.mkOption {{\n      type = lib.types.port;\n      default = {port};\n    }};\n    domain = lib.mkOption {{ type = lib.types.str; }};\n  }};\n\n  config = lib.mkIf cfg.enable {{\n    systemd.services.s{i} = {{\n      wantedBy = [ \"multi-user.target\" ];\n      serviceConfig.ExecStart = \"${{pkgs.hello}}/bin/hello --port ${{toString cfg.port}}\";\n      serviceConfig.DynamicUser = true;\n    }};\n    services.nginx.virtualHosts.${{cfg.domain}} = {{\n      enableACME = true;\n      forceSSL = true;\n      locations.\"/\".proxyPass = \"http://127.0.0.1:${{toString cfg.port}}\";\n    }};\n  }};\n}}\n"
                )
            }
            2 => format!(
                "{{ pkgs, ... }}:\n{{\n  systemd.services.s{i} = {{\n    wantedBy = [ \"multi-user.target\" ];\n    serviceConfig.ExecStart = \"${{pkgs.hello}}/bin/hello --listen 127.0.0.1:{port}\";\n  }};\n  services.nginx.virtualHosts.\"s{i}.example.com\" = {{\n    enableACME = true;\n    forceSSL = true;\n    locations.\"/app/\".proxyPass = \"http://127.0.0.1:{port}/\";\n    locations.\"/metrics\".proxyPass = \"http://127.0.0.1:9100\";\n    locations.\"/static/\".root = \"/srv/s{i}\";\n  }};\n}}\n"
            ),
            _ => format!(
                "{{ pkgs, ... }}:\n{{\n  systemd.services.s{i} = {{\n    wantedBy = [ \"multi-user.target\" ];\n    serviceConfig.ExecStart = \"${{pkgs.hello}}/bin/hello --socket /run/s{i}/s{i}.sock\";\n    serviceConfig.RuntimeDirectory = \"s{i}\";\n  }};\n  services.nginx.virtualHosts.\"s{i}.example.com\" = {{\n    enableACME = true;\n    forceSSL = true;\n    locations.\"/\".proxyPass = \"http://unix:/run/s{i}/s{i}.sock\";\n  }};\n}}\n"
            ),
        };
        write(&format!("sites/s{i}.nix"), &text);
    }
    write("sites/default.nix", &format!("{{\n  imports = [\n{imports}  ];\n}}\n"));
    write(
        "configuration.nix",
        &format!(
            "{{ config, pkgs, ... }}:\n{{\n  imports = [ ./sites ];\n\n  networking.hostName = \"bench\";\n  networking.firewall.allowedTCPPorts = [ 22 80 443 ];\n\n  services.nginx.enable = true;\n  services.postgresql.enable = true;\n  security.acme.acceptTerms = true;\n\n{enabled}}}\n"
        ),
    );
}

fn subst<'a>(args: &'a [&'a str], file: &'a Path) -> Vec<&'a std::ffi::OsStr> {
    args.iter().map(|a| if *a == "F" { file.as_os_str() } else { a.as_ref() }).collect()
}

/// How long the command took, and whether it succeeded.
fn time(program: &Path, args: &[&std::ffi::OsStr], dir: &Path) -> (Duration, bool) {
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .status();
    (start.elapsed(), status.is_ok_and(|s| s.success()))
}

fn median(times: impl Iterator<Item = Duration>) -> Duration {
    let mut times: Vec<Duration> = times.collect();
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn find(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(name)).find(|p| p.is_file()))
}
