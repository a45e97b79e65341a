//! The monolith template is a service that runs: built with cargo, started against a real
//! PostgreSQL server (Debian's, on a temporary directory and unix socket), asked over HTTP.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ has a parent directory")
        .to_path_buf()
}

fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap_or_else(|err| panic!("cannot run {command:?}: {err}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Builds templates/monolith in its own target directory under the workspace's, so reruns are
/// incremental and the workspace build is not disturbed.
fn build_template() -> PathBuf {
    let root = repo_root();
    let target = root.join("target/template-monolith");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run(Command::new(cargo)
        .args(["build", "--locked", "--quiet", "--manifest-path"])
        .arg(root.join("templates/monolith/Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&root));
    target.join("debug/monolith")
}

/// The newest `/usr/lib/postgresql/<version>/bin` with a server in it.
fn postgres_bin() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "no PostgreSQL server under /usr/lib/postgresql/*/bin; install Debian's postgresql \
             package (`apt-get install postgresql`, .ci/run does this): this test needs a real server"
        ),
    }
}

fn running_as_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|uids| uids.split_whitespace().next())
        == Some("0")
}

/// A PostgreSQL server of its own, listening only on a unix socket in a temporary directory.
/// PostgreSQL refuses to run as root, so as root every PostgreSQL command runs as `nobody`.
/// Dropping it stops the server and removes the directory, also when an assertion failed.
struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    as_nobody: bool,
    running: bool,
}

impl Postgres {
    fn start() -> Postgres {
        let bin = postgres_bin();
        let as_nobody = running_as_root();
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the clock is after 1970")
            .as_nanos();
        // Under /tmp when root, so `nobody` can reach it whatever TMPDIR is.
        let parent = if as_nobody { PathBuf::from("/tmp") } else { std::env::temp_dir() };
        let dir = parent.join(format!("nmmm-pg-{}-{stamp}", std::process::id()));
        std::fs::create_dir_all(dir.join("socket")).expect("create the temporary directory");
        let mut postgres = Postgres { bin, dir, as_nobody, running: false };
        if as_nobody {
            run(Command::new("chown").args(["-R", "nobody"]).arg(&postgres.dir));
        }
        run(postgres
            .command("initdb")
            .args(["--auth=trust", "--username=postgres", "--no-sync"])
            .args(["--encoding=UTF8", "--locale=C", "--pgdata"])
            .arg(postgres.dir.join("data")));
        postgres.running = true;
        run(postgres
            .command("pg_ctl")
            .args(["start", "--wait", "--pgdata"])
            .arg(postgres.dir.join("data"))
            .arg("--log")
            .arg(postgres.dir.join("postgres.log"))
            .arg("-o")
            .arg(format!("-c listen_addresses='' -k {}", postgres.socket().display())));
        postgres
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("socket")
    }

    /// A PostgreSQL program, as `nobody` when we are root.
    fn command(&self, program: &str) -> Command {
        let mut command = if self.as_nobody {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(self.bin.join(program));
            c
        } else {
            Command::new(self.bin.join(program))
        };
        command.current_dir(&self.dir);
        command
    }

    /// A role and a database owned by it, as `ensureUsers` with `ensureDBOwnership` makes them.
    fn create_role_and_database(&self, name: &str) {
        let host = self.socket();
        run(self.command("createuser").arg("--host").arg(&host).args([
            "--username=postgres",
            "--no-superuser",
            "--no-createdb",
            name,
        ]));
        run(self.command("createdb").arg("--host").arg(&host).args([
            "--username=postgres",
            "--owner",
            name,
            name,
        ]));
    }

    fn stop(&mut self) {
        if self.running {
            self.running = false;
            run(self
                .command("pg_ctl")
                .args(["stop", "--wait", "--mode=fast", "--pgdata"])
                .arg(self.dir.join("data")));
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.running {
            // Not `stop`: a panic inside Drop while unwinding would abort the test binary.
            let _ = self
                .command("pg_ctl")
                .args(["stop", "--wait", "--mode=immediate", "--pgdata"])
                .arg(self.dir.join("data"))
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The running service; dropping it kills it.
struct Service {
    child: Child,
    port: u16,
}

impl Service {
    fn start(binary: &Path, database_url: &str) -> Service {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(binary)
            .env("PORT", port.to_string())
            .env("DATABASE_URL", database_url)
            .env_remove("MONOLITH_NAME")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", binary.display()));
        let mut service = Service { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            if let Ok(Some(status)) = service.child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = service.child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                panic!("the service exited ({status}) before listening:\n{stderr}");
            }
            assert!(
                Instant::now() < deadline,
                "the service did not listen on port {port} within 20 seconds"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        service
    }

    /// Sends a hand-written HTTP/1.0 request; returns the status code and the body.
    fn get(&self, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(15))).expect("set a read timeout");
        write!(stream, "GET {path} HTTP/1.0\r\nHost: shop.example.com\r\n\r\n").expect("send");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .unwrap_or_else(|err| panic!("GET {path}: reading the response failed: {err}"));
        let (head, body) = response
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("GET {path}: not an HTTP response: {response:?}"));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("GET {path}: no status code in {head:?}"));
        (status, body.to_string())
    }

    /// Stops the service and returns what it printed on stdout.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let mut stdout = String::new();
        if let Some(mut pipe) = self.child.stdout.take() {
            let _ = pipe.read_to_string(&mut stdout);
        }
        stdout
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn template_service_answers_and_reports_its_database() {
    let binary = build_template();
    let mut postgres = Postgres::start();
    postgres.create_role_and_database("monolith");
    let url = format!("postgresql:///monolith?host={}&user=monolith", postgres.socket().display());
    let service = Service::start(&binary, &url);

    assert_eq!(service.get("/"), (200, "monolith\n".to_string()));
    assert_eq!(service.get("/healthz"), (200, "ok\n".to_string()));

    postgres.stop();
    let (status, body) = service.get("/healthz");
    assert_eq!(status, 503, "/healthz with the database down answered {body:?}");
    assert!(
        body.starts_with("database unavailable: error connecting to server"),
        "/healthz should say the database is unavailable and why, said {body:?}"
    );
    assert_eq!(service.get("/"), (200, "monolith\n".to_string()));

    let log = service.stop();
    for line in [
        "monolith: listening on http://127.0.0.1:",
        "monolith: GET /healthz 200",
        "monolith: database unavailable: error connecting to server",
        "monolith: GET /healthz 503",
    ] {
        assert!(log.contains(line), "the service's stdout lacks {line:?}:\n{log}");
    }
}

/// Cargo.lock's `[[package]]` entries, sorted: renaming the root package moves its entry.
fn lock_entries(text: &str) -> Vec<String> {
    let mut entries: Vec<String> = text.split("\n\n").map(str::to_string).collect();
    entries.sort();
    entries
}

#[test]
fn machine_template_example_is_the_monolith_template_renamed() {
    let root = repo_root();
    let template = root.join("templates/monolith");
    let example = root.join("templates/default/monoliths/hello");
    for file in ["Cargo.toml", "Cargo.lock", "default.nix", ".gitignore", "src/main.rs"] {
        let read = |dir: &Path| {
            std::fs::read_to_string(dir.join(file))
                .unwrap_or_else(|err| panic!("{}: {err}", dir.join(file).display()))
        };
        // The rename rule `cargo xtask new-monolith` applies: every "monolith" string literal
        // becomes the new name.
        let renamed_back = read(&example).replace("\"hello\"", "\"monolith\"");
        let original = read(&template);
        if file == "Cargo.lock" {
            assert_eq!(
                lock_entries(&renamed_back),
                lock_entries(&original),
                "templates/default/monoliths/hello/Cargo.lock differs from templates/monolith's"
            );
        } else {
            assert_eq!(
                renamed_back, original,
                "templates/default/monoliths/hello/{file} differs from templates/monolith/{file} \
                 beyond the name; copy the template again"
            );
        }
    }
}
