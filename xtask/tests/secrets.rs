//! `cargo xtask secret` with real keys and real tools: keys from `ssh-keygen -t ed25519` and
//! `age-keygen`, files checked with the `age` command line tool (Debian's), the rules evaluated
//! by `nix-instantiate`, the decrypted file read by the template service.

mod support;

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{copy_tree, nix_eval_file, nix_parse_file, repo_root, TempDir};

/// A machine repository made from templates/default, with an admin's SSH key, an admin's age
/// identity and two hosts' SSH keys, and a record of everything the tool printed.
struct Machine {
    dir: TempDir,
    /// Where the tool's temporary files would go (its TMPDIR), scanned for leaks.
    tmp: PathBuf,
    keys: PathBuf,
    printed: Vec<String>,
}

impl Machine {
    fn new(label: &str) -> Machine {
        let dir = TempDir::new(label);
        let repo = dir.path().join("repo");
        copy_tree(&repo_root().join("templates/default"), &repo);
        let keys = dir.path().join("keys");
        let tmp = dir.path().join("tmp");
        fs::create_dir_all(&keys).unwrap();
        fs::create_dir_all(&tmp).unwrap();
        for (name, comment) in
            [("admin", "alice@laptop"), ("host1", "root@web1"), ("host2", "root@web2")]
        {
            tool(
                Command::new("ssh-keygen")
                    .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
                    .arg(keys.join(name)),
            );
        }
        tool(Command::new("age-keygen").arg("-o").arg(keys.join("bob.age")));
        Machine { dir, tmp, keys, printed: Vec::new() }
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn key(&self, name: &str) -> PathBuf {
        self.keys.join(name)
    }

    fn public(&self, name: &str) -> String {
        if name.ends_with(".age") {
            let out = tool(Command::new("age-keygen").arg("-y").arg(self.key(name)));
            return String::from_utf8(out.stdout).unwrap().trim().to_owned();
        }
        fs::read_to_string(self.key(&format!("{name}.pub"))).unwrap().trim().to_owned()
    }

    /// Runs `cargo xtask ARGS` in the repository with `input` on standard input (no terminal).
    fn xtask(&mut self, args: &[&str], input: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(args)
            .current_dir(self.repo())
            .env("NO_COLOR", "1")
            .env("TMPDIR", &self.tmp)
            .env_remove("NMMM_IDENTITY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        self.printed.push(format!(
            "$ xtask {}\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
        out
    }

    /// Runs it and requires success.
    fn ok(&mut self, args: &[&str], input: &str) -> String {
        let out = self.xtask(args, input);
        let shown = self.printed.last().unwrap().clone();
        assert!(out.status.success(), "{shown}");
        shown
    }

    fn identity(&self, name: &str) -> String {
        self.key(name).display().to_string()
    }

    /// `age -d -i KEY FILE`: the plaintext, or age's complaint.
    fn age_decrypt(&self, key: &str, file: &str) -> Result<String, String> {
        let out = Command::new("age")
            .args(["-d", "-i"])
            .arg(self.key(key))
            .arg(self.repo().join(file))
            .output()
            .expect("Debian's age is installed (apt-get install age; .ci/run does)");
        if out.status.success() {
            Ok(String::from_utf8(out.stdout).unwrap())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}

fn tool(command: &mut Command) -> Output {
    let out = command.output().unwrap_or_else(|e| {
        panic!("cannot run {command:?} ({e}): install openssh-client and age (.ci/run does)")
    });
    assert!(out.status.success(), "{command:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Every file under `dir`, with its bytes.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_owned(), fs::read(e.path()).unwrap()))
        .collect()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// A value nobody else would write, so that finding it anywhere is a leak.
fn secret_value(label: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    format!("sk_live_{label}_{}_{}", std::process::id(), nanos.subsec_nanos())
}

#[test]
fn the_tool_encrypts_for_the_rules_and_age_decrypts_with_the_host_key() {
    let mut m = Machine::new("secret-roundtrip");
    let admin = m.identity("admin");
    let host1 = m.public("host1");
    m.ok(&["secret", "add-host", "web1", &host1, "--yes"], "");
    let shown = m.ok(
        &["secret", "set", "hello", "STRIPE_KEY", "--identity", &admin, "--yes"],
        "sk_test_1\n",
    );
    assert!(
        shown.contains(
            "secrets/hello.env.age (new, encrypted): STRIPE_KEY added; encrypted for admin, web1"
        ),
        "{shown}"
    );

    assert_eq!(m.age_decrypt("host1", "secrets/hello.env.age").unwrap(), "STRIPE_KEY=sk_test_1\n");
    assert_eq!(m.age_decrypt("admin", "secrets/hello.env.age").unwrap(), "STRIPE_KEY=sk_test_1\n");
    assert!(m.age_decrypt("host2", "secrets/hello.env.age").is_err());

    // The rules are agenix's: Nix evaluates them to the keys, for the file the module names.
    let rules = nix_eval_file(&m.repo().join("secrets/secrets.nix")).unwrap();
    assert_eq!(
        rules,
        serde_json::json!({ "hello.env.age": { "publicKeys": [m.public("admin"), host1] } })
    );
    let monoliths = m.repo().join("monoliths/default.nix");
    nix_parse_file(&monoliths).unwrap();
    assert!(fs::read_to_string(&monoliths)
        .unwrap()
        .contains("secrets = ../secrets/hello.env.age;"));

    // Replacing, adding and removing lines; listing shows keys only.
    m.ok(&["secret", "set", "hello", "STRIPE_KEY", "--identity", &admin, "--yes"], "sk_test_2\n");
    m.ok(
        &["secret", "set", "hello", "SMTP_PASSWORD", "--identity", &admin, "--yes"],
        "a \"quoted\" $value\n",
    );
    let listed = m.ok(&["secret", "list", "hello", "--identity", &admin], "");
    assert!(listed.contains("STRIPE_KEY\nSMTP_PASSWORD\n"), "{listed}");
    assert!(!listed.contains("sk_test_2"), "{listed}");
    m.ok(&["secret", "rm", "hello", "SMTP_PASSWORD", "--identity", &admin, "--yes"], "");
    assert_eq!(m.age_decrypt("host1", "secrets/hello.env.age").unwrap(), "STRIPE_KEY=sk_test_2\n");
    let again = m.ok(
        &["secret", "set", "hello", "STRIPE_KEY", "--identity", &admin, "--yes"],
        "sk_test_2\n",
    );
    assert!(again.contains("has that value already"), "{again}");
}

#[test]
fn files_age_writes_binary_or_armored_are_read_and_rewritten() {
    let mut m = Machine::new("secret-from-age");
    let admin = m.identity("admin");
    m.ok(&["secret", "add-host", "web1", &m.public("host1"), "--yes"], "");
    m.ok(&["secret", "set", "hello", "FIRST_KEY", "--identity", &admin, "--yes"], "one\n");
    let file = m.repo().join("secrets/hello.env.age");
    for armor in [false, true] {
        let mut age = Command::new("age");
        age.arg("-e").args(if armor { &["-a"][..] } else { &[] }).arg("-R").arg(m.key("admin.pub"));
        age.arg("-R").arg(m.key("host1.pub")).arg("-o").arg(&file);
        let mut child = age.stdin(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(b"# from age\nA_TOKEN=xyz\n").unwrap();
        assert!(child.wait().unwrap().success());
        assert_eq!(fs::read(&file).unwrap().starts_with(b"age-encryption.org/v1"), !armor);

        let listed = m.ok(&["secret", "list", "hello", "--identity", &admin], "");
        assert!(listed.ends_with("A_TOKEN\n"), "{listed}");
        m.ok(&["secret", "set", "hello", "B_SECRET", "--identity", &admin, "--yes"], "two\n");
        assert_eq!(
            m.age_decrypt("host1", "secrets/hello.env.age").unwrap(),
            "# from age\nA_TOKEN=xyz\nB_SECRET=two\n"
        );
    }
}

#[test]
fn rekey_after_add_host_lets_the_new_host_decrypt_and_a_removed_admin_no_longer_can() {
    let mut m = Machine::new("secret-rekey");
    let admin = m.identity("admin");
    m.ok(&["secret", "add-host", "web1", &m.public("host1"), "--yes"], "");
    m.ok(&["secret", "set", "hello", "STRIPE_KEY", "--identity", &admin, "--yes"], "v1\n");
    // A second admin, with an age key, written by hand as agenix's users do.
    let rules = m.repo().join("secrets/secrets.nix");
    let text = fs::read_to_string(&rules).unwrap();
    let bob = format!("  bob = \"{}\";\n  admins = [ admin bob ];\n", m.public("bob.age"));
    fs::write(&rules, text.replace("  admins = [ admin ];\n", &bob)).unwrap();
    m.ok(&["secret", "rekey", "--identity", &admin, "--yes"], "");
    assert_eq!(m.age_decrypt("bob.age", "secrets/hello.env.age").unwrap(), "STRIPE_KEY=v1\n");

    let shown = m.ok(&["secret", "add-host", "web2", &m.public("host2"), "--yes"], "");
    assert!(shown.contains("+  web2 = \"ssh-ed25519 "), "{shown}");
    assert!(shown.contains("+  hosts = [\n") || shown.contains("web1 web2 ]"), "{shown}");
    assert!(m.age_decrypt("host2", "secrets/hello.env.age").is_err(), "not before rekey");
    let check = m.ok(&["check"], "");
    assert!(check.contains("is not encrypted for web2"), "{check}");
    m.ok(&["secret", "rekey", "hello", "--identity", &m.identity("bob.age"), "--yes"], "");
    assert_eq!(m.age_decrypt("host2", "secrets/hello.env.age").unwrap(), "STRIPE_KEY=v1\n");

    // Bob leaves: once his key is out of the rules, check sees a stale recipient; after a rekey
    // his key no longer decrypts.
    let text = fs::read_to_string(&rules).unwrap();
    fs::write(&rules, text.replace("admins = [ admin bob ];", "admins = [ admin ];")).unwrap();
    let check = m.ok(&["check"], "");
    assert!(check.contains("is encrypted for 1 age key(s)"), "{check}");
    m.ok(&["secret", "rekey", "--identity", &admin, "--yes"], "");
    assert!(m.age_decrypt("bob.age", "secrets/hello.env.age").is_err());
    assert_eq!(m.age_decrypt("host1", "secrets/hello.env.age").unwrap(), "STRIPE_KEY=v1\n");
    let check = m.ok(&["check"], "");
    assert!(!check.contains("secrets/hello.env.age"), "{check}");
}

#[test]
fn a_wrong_key_is_a_clear_error_and_the_file_is_unchanged() {
    let mut m = Machine::new("secret-wrong-key");
    m.ok(&["secret", "add-host", "web1", &m.public("host1"), "--yes"], "");
    m.ok(
        &["secret", "set", "hello", "STRIPE_KEY", "--identity", &m.identity("admin"), "--yes"],
        "v\n",
    );
    let file = m.repo().join("secrets/hello.env.age");
    let before = fs::read(&file).unwrap();
    let wrong = m.identity("host2");
    for args in [
        &["secret", "set", "hello", "OTHER_KEY", "--identity", &wrong, "--yes"][..],
        &["secret", "rm", "hello", "STRIPE_KEY", "--identity", &wrong, "--yes"],
        &["secret", "rekey", "--identity", &wrong, "--yes"],
        &["secret", "list", "hello", "--identity", &wrong],
    ] {
        let out = m.xtask(args, "x\n");
        let shown = m.printed.last().unwrap();
        assert_eq!(out.status.code(), Some(2), "{shown}");
        assert!(
            shown.contains(&format!(
                "error: cannot decrypt secrets/hello.env.age with {wrong}: that key is not one of the file's recipients"
            )),
            "{shown}"
        );
        assert_eq!(fs::read(&file).unwrap(), before, "{shown}");
    }
    // No terminal and no --yes: nothing is written, and the value is not taken on the command line.
    let out = m.xtask(
        &["secret", "set", "hello", "STRIPE_KEY", "--identity", &m.identity("admin")],
        "new\n",
    );
    assert_eq!(out.status.code(), Some(2), "{}", m.printed.last().unwrap());
    assert!(m.printed.last().unwrap().contains("pass --yes"));
    assert_eq!(fs::read(&file).unwrap(), before);
    let out = m.xtask(&["secret", "set", "hello", "STRIPE_KEY", "sk_live_x"], "");
    assert_eq!(out.status.code(), Some(2), "a value on the command line is refused");
    let out = m.xtask(&["secret", "add-host", "web3", "ssh-ed25519 not-a-key", "--yes"], "");
    assert_eq!(out.status.code(), Some(2), "{}", m.printed.last().unwrap());
    let out = m.xtask(
        &["secret", "set", "hello", "BAD-KEY", "--identity", &m.identity("admin"), "--yes"],
        "v\n",
    );
    assert_eq!(out.status.code(), Some(2), "{}", m.printed.last().unwrap());
}

#[test]
fn check_warns_about_plain_text_secrets_and_hosts_missing_from_a_rule() {
    let mut m = Machine::new("secret-check");
    let monoliths = m.repo().join("monoliths/default.nix");
    let text = fs::read_to_string(&monoliths).unwrap();
    let with_env = text.replace(
        "      port = 8081;\n",
        "      port = 8081;\n      environment.STRIPE_KEY = \"sk_live_in_the_store\";\n      environment.RUST_LOG = \"info\";\n",
    );
    assert_ne!(text, with_env);
    fs::write(&monoliths, with_env).unwrap();
    m.ok(&["secret", "add-host", "web1", &m.public("host1"), "--yes"], "");
    m.ok(
        &["secret", "set", "hello", "STRIPE_KEY", "--identity", &m.identity("admin"), "--yes"],
        "v\n",
    );
    let rules = m.repo().join("secrets/secrets.nix");
    let text = fs::read_to_string(&rules).unwrap();
    fs::write(&rules, text.replace("publicKeys = admins ++ hosts;", "publicKeys = admins;"))
        .unwrap();
    let check = m.ok(&["check"], "");
    assert!(
        check.contains(
            "monoliths/default.nix:9:7: warning: `STRIPE_KEY` of monolith `hello` is in plain text"
        ),
        "{check}"
    );
    assert!(!check.contains("RUST_LOG"), "{check}");
    assert!(check.contains("warning: host `web1` is not a recipient of hello.env.age"), "{check}");
    assert!(
        check.contains("is encrypted for 1 SSH key(s) that secrets/secrets.nix does not list"),
        "{check}"
    );
    // The fourth: no backup holds the database (backups are off).
    assert!(check.contains("no problems, 4 warning(s)"), "{check}");
}

#[test]
fn new_monolith_gives_a_repository_with_secrets_its_rule_its_file_and_its_option() {
    let mut m = Machine::new("secret-new");
    m.ok(&["secret", "add-host", "web1", &m.public("host1"), "--yes"], "");
    m.ok(
        &["secret", "set", "hello", "STRIPE_KEY", "--identity", &m.identity("admin"), "--yes"],
        "v\n",
    );
    let before: Vec<(PathBuf, Vec<u8>)> = files_under(&m.repo());
    let shown = m.ok(&["new-monolith", "shop", "--domain", "shop.example.com", "--yes"], "");
    assert!(shown.contains("+++ b/secrets/shop.env.age\n@@ encrypted, not shown @@"), "{shown}");
    assert!(shown.contains("+  \"shop.env.age\".publicKeys = admins ++ hosts;"), "{shown}");
    assert!(shown.contains("+      secrets = ../secrets/shop.env.age;"), "{shown}");
    assert_eq!(m.age_decrypt("host1", "secrets/shop.env.age").unwrap(), "");
    nix_eval_file(&m.repo().join("secrets/secrets.nix")).unwrap();
    m.ok(
        &["secret", "set", "shop", "SHOP_TOKEN", "--identity", &m.identity("admin"), "--yes"],
        "t\n",
    );
    assert_eq!(m.age_decrypt("host1", "secrets/shop.env.age").unwrap(), "SHOP_TOKEN=t\n");

    m.ok(&["remove-monolith", "shop", "--yes"], "");
    assert_eq!(files_under(&m.repo()), before, "remove-monolith undoes new-monolith");
}

/// Every byte the tool printed or wrote, and every file under the test's directory (the
/// repository, the keys, the tool's TMPDIR), holds the secret only in the decrypted file.
#[test]
fn a_secret_is_found_only_in_the_decrypted_file() {
    let mut m = Machine::new("secret-leaks");
    let value = secret_value("leak");
    let admin = m.identity("admin");
    m.ok(&["secret", "add-host", "web1", &m.public("host1"), "--yes"], "");
    m.ok(
        &["secret", "set", "hello", "STRIPE_KEY", "--identity", &admin, "--yes"],
        &format!("{value}\n"),
    );
    m.ok(&["secret", "set", "hello", "OTHER_KEY", "--identity", &admin, "--yes"], "other\n");
    m.ok(&["secret", "list", "hello", "--identity", &admin], "");
    m.ok(&["secret", "add-host", "web2", &m.public("host2"), "--yes"], "");
    m.ok(&["secret", "rekey", "--identity", &admin, "--yes"], "");
    m.ok(&["secret", "rm", "hello", "OTHER_KEY", "--identity", &admin, "--yes"], "");
    m.ok(&["check"], "");
    m.ok(&["new-monolith", "shop", "--domain", "shop.example.com", "--yes"], "");
    let _ = m.xtask(
        &["secret", "set", "hello", "STRIPE_KEY", "--identity", &m.identity("bob.age"), "--yes"],
        &format!("{value}\n"),
    );
    let _ = m.xtask(
        &["secret", "set", "hello", "STRIPE_KEY", "--identity", &admin],
        &format!("{value}\n"),
    );
    let _ = m.xtask(
        &["secret", "set", "hello", "BAD-NAME", "--identity", &admin, "--yes"],
        &format!("{value}\n"),
    );
    let _ = m.xtask(
        &["secret", "set", "hello", "TWO_LINES", "--identity", &admin, "--yes"],
        &format!("{value}\n{value}\n"),
    );

    // The one place it may be: a file decrypted into a directory only its owner can enter.
    let private = m.dir.path().join("private");
    fs::create_dir(&private).unwrap();
    fs::set_permissions(&private, fs::Permissions::from_mode(0o700)).unwrap();
    let decrypted = private.join("hello.env");
    tool(
        Command::new("age")
            .args(["-d", "-i"])
            .arg(m.key("host2"))
            .arg("-o")
            .arg(&decrypted)
            .arg(m.repo().join("secrets/hello.env.age")),
    );

    let printed = m.printed.join("\n");
    assert!(!printed.contains(&value), "the tool printed the secret:\n{printed}");
    assert!(printed.contains("error: TWO_LINES: the value has a line break"), "{printed}");
    let holding: Vec<PathBuf> = files_under(m.dir.path())
        .into_iter()
        .filter(|(_, bytes)| contains(bytes, &value))
        .map(|(path, _)| path)
        .collect();
    assert_eq!(holding, [decrypted]);
}

/// The template service, started with the decrypted file as its environment (as systemd's
/// `EnvironmentFile=` gives it), reads the secret: it answers `/` with `MONOLITH_NAME`.
#[test]
fn the_template_service_reads_a_secret_from_the_decrypted_file() {
    let mut m = Machine::new("secret-service");
    let admin = m.identity("admin");
    let value = secret_value("name");
    m.ok(&["secret", "add-host", "web1", &m.public("host1"), "--yes"], "");
    m.ok(
        &["secret", "set", "hello", "MONOLITH_NAME", "--identity", &admin, "--yes"],
        &format!("{value}\n"),
    );
    m.ok(
        &["secret", "set", "hello", "STRIPE_KEY", "--identity", &admin, "--yes"],
        "sk_test_service\n",
    );
    let plaintext = m.age_decrypt("host1", "secrets/hello.env.age").unwrap();
    let environment: Vec<(String, String)> = plaintext
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(environment.len(), 2);

    let binary = build_template();
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port();
    let mut service = Command::new(&binary)
        .env_clear()
        .envs(environment)
        .env("PORT", port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut body = String::new();
    loop {
        if let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) {
            write!(stream, "GET / HTTP/1.0\r\nHost: hello.example.com\r\n\r\n").unwrap();
            stream.read_to_string(&mut body).unwrap();
            break;
        }
        assert!(Instant::now() < deadline, "the service did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = service.kill();
    let _ = service.wait();
    assert!(body.ends_with(&format!("\r\n\r\n{value}\n")), "{body:?}");
}

/// templates/monolith built as template_service.rs builds it, in the same target directory.
fn build_template() -> PathBuf {
    let root = repo_root();
    let target = root.join("target/template-monolith");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    tool(
        Command::new(cargo)
            .args(["build", "--locked", "--quiet", "--manifest-path"])
            .arg(root.join("templates/monolith/Cargo.toml"))
            .env("CARGO_TARGET_DIR", &target),
    );
    target.join("debug/monolith")
}

/// On a terminal the value is typed without echo: the screen shows the question, not the value.
#[test]
fn on_a_terminal_the_value_is_asked_without_echo() {
    let mut m = Machine::new("secret-tty");
    m.ok(&["secret", "add-host", "web1", &m.public("host1"), "--yes"], "");
    let value = secret_value("typed");
    let command = format!(
        "{} secret set hello STRIPE_KEY --identity {}",
        env!("CARGO_BIN_EXE_xtask"),
        m.identity("admin")
    );
    let mut child = Command::new("script")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .current_dir(m.repo())
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux's script runs");
    let screen = Arc::new(Mutex::new(Vec::new()));
    let mut stdout = child.stdout.take().unwrap();
    let reader = {
        let screen = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0; 1024];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                screen.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    let wait_for = |text: &str| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !contains(&screen.lock().unwrap(), text) {
            assert!(
                Instant::now() < deadline,
                "no {text:?} on the terminal: {:?}",
                String::from_utf8_lossy(&screen.lock().unwrap())
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let mut stdin = child.stdin.take().unwrap();
    // Typed once the question is on the screen, as a person would: earlier, the terminal would
    // echo it before the tool turned echo off.
    wait_for("STRIPE_KEY for hello (not shown): ");
    stdin.write_all(format!("{value}\n").as_bytes()).unwrap();
    wait_for("Write these changes? [y/N] ");
    stdin.write_all(b"y\n").unwrap();
    drop(stdin);
    assert!(child.wait().unwrap().success());
    reader.join().unwrap();
    let screen = String::from_utf8_lossy(&screen.lock().unwrap()).into_owned();
    assert!(!screen.contains(&value), "the value was echoed: {screen}");
    assert!(
        screen.contains("secrets/hello.env.age (new, encrypted): STRIPE_KEY added"),
        "{screen}"
    );
    assert_eq!(
        m.age_decrypt("host1", "secrets/hello.env.age").unwrap(),
        format!("STRIPE_KEY={value}\n")
    );
}
