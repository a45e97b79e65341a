//! The monolith template is a service that runs: built with cargo, started against a real
//! PostgreSQL server (Debian's, on a temporary directory and unix socket), asked over HTTP.

mod support;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::servers::{build_template, free_port, Postgres};
use support::{repo_root, TempDir};

/// The running service; dropping it kills it.
struct Service {
    child: Child,
    port: u16,
}

impl Service {
    fn start(binary: &Path, database_url: &str) -> Service {
        let port = free_port();
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
    let dir = TempDir::for_servers("template-service");
    let mut postgres = Postgres::start(&dir.path().join("postgres"), &dir.path().join("socket"));
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
