//! Real servers for the tests: Debian's PostgreSQL on a temporary directory and unix socket,
//! and the monolith template built and run against it.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use super::repo_root;

/// Runs `command`, failing the test with its output when it fails.
pub fn run(command: &mut Command) -> Output {
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
pub fn build_template() -> PathBuf {
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
pub fn postgres_bin() -> PathBuf {
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

pub fn running_as_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|uids| uids.split_whitespace().next())
        == Some("0")
}

/// A PostgreSQL server of its own, listening only on a unix socket. PostgreSQL refuses to run
/// as root, so as root every PostgreSQL command runs as `nobody`. Dropping it stops the server
/// and removes its data, also when an assertion failed.
pub struct Postgres {
    pub bin: PathBuf,
    data: PathBuf,
    socket: PathBuf,
    log: PathBuf,
    pub as_nobody: bool,
    running: bool,
}

impl Postgres {
    /// A server with its data in `dir/data` and its socket in `socket` (both created here).
    /// Both must be somewhere `nobody` can reach when we are root (under /tmp, not /root).
    pub fn start(dir: &Path, socket: &Path) -> Postgres {
        let bin = postgres_bin();
        let as_nobody = running_as_root();
        std::fs::create_dir_all(dir).expect("create the server's directory");
        std::fs::create_dir_all(socket).expect("create the socket directory");
        let mut postgres = Postgres {
            bin,
            data: dir.join("data"),
            socket: socket.to_owned(),
            log: dir.join("postgres.log"),
            as_nobody,
            running: false,
        };
        if as_nobody {
            run(Command::new("chown").args(["-R", "nobody"]).arg(dir).arg(socket));
        }
        run(postgres
            .command("initdb")
            .args(["--auth=trust", "--username=postgres", "--no-sync"])
            .args(["--encoding=UTF8", "--locale=C", "--pgdata"])
            .arg(&postgres.data));
        postgres.running = true;
        run(postgres
            .command("pg_ctl")
            .args(["start", "--wait", "--pgdata"])
            .arg(&postgres.data)
            .arg("--log")
            .arg(&postgres.log)
            .arg("-o")
            .arg(format!("-c listen_addresses='' -c fsync=off -k {}", postgres.socket.display())));
        postgres
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The system user the server runs as.
    pub fn user(&self) -> String {
        if self.as_nobody {
            "nobody".to_owned()
        } else {
            std::env::var("USER").unwrap_or_else(|_| "postgres".to_owned())
        }
    }

    /// A PostgreSQL program, as `nobody` when we are root.
    pub fn command(&self, program: &str) -> Command {
        let mut command = if self.as_nobody {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(self.bin.join(program));
            c
        } else {
            Command::new(self.bin.join(program))
        };
        command.current_dir("/");
        command
    }

    /// A role and a database owned by it, as `ensureUsers` with `ensureDBOwnership` makes them.
    pub fn create_role_and_database(&self, name: &str) {
        run(self.command("createuser").arg("--host").arg(&self.socket).args([
            "--username=postgres",
            "--no-superuser",
            "--no-createdb",
            name,
        ]));
        run(self.command("createdb").arg("--host").arg(&self.socket).args([
            "--username=postgres",
            "--owner",
            name,
            name,
        ]));
    }

    /// What `sql` prints, run as the superuser in `database`: one line per row, columns
    /// separated by `|`.
    pub fn query(&self, database: &str, sql: &str) -> String {
        let out = run(self
            .command("psql")
            .arg("--host")
            .arg(&self.socket)
            .args(["--username=postgres", "--no-psqlrc", "--tuples-only", "--no-align"])
            .args(["--set=ON_ERROR_STOP=1", "--dbname", database, "--command", sql]));
        String::from_utf8(out.stdout).expect("psql prints UTF-8")
    }

    /// The names of the cluster's databases, but the templates and `postgres`.
    pub fn databases(&self) -> Vec<String> {
        let text = self.query(
            "postgres",
            "SELECT datname FROM pg_database WHERE datname NOT IN \
             ('postgres', 'template0', 'template1') ORDER BY datname",
        );
        text.lines().map(str::to_owned).collect()
    }

    pub fn stop(&mut self) {
        if self.running {
            self.running = false;
            run(self
                .command("pg_ctl")
                .args(["stop", "--wait", "--mode=fast", "--pgdata"])
                .arg(&self.data));
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
                .arg(&self.data)
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Waits until something listens on `port`, up to `timeout`.
pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// Sends a hand-written HTTP/1.0 request to 127.0.0.1:`port`; returns the status code and the
/// body.
pub fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
        .unwrap_or_else(|err| panic!("{method} {path}: cannot connect to port {port}: {err}"));
    stream.set_read_timeout(Some(Duration::from_secs(15))).expect("set a read timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: shop.example.com\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .unwrap_or_else(|err| panic!("{method} {path}: reading the response failed: {err}"));
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("{method} {path}: not an HTTP response: {response:?}"));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("{method} {path}: no status code in {head:?}"));
    (status, body.to_string())
}
