//! A small web service for an NMMM machine.
//!
//! It listens on 127.0.0.1:`PORT` (nginx proxies the monolith's domain to it), answers `/` with
//! its name and `/healthz` after a round-trip to the PostgreSQL database named by `DATABASE_URL`,
//! and logs to stdout, which systemd sends to the journal. Two small examples of keeping data:
//! `/notes` (POST a line, GET them all) in the database, and `/files/NAME` (PUT, GET) in the
//! state directory systemd gives the service (`STATE_DIRECTORY`), both in the machine's backups.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

/// The name `/` answers with unless `MONOLITH_NAME` says otherwise; `cargo xtask new-monolith`
/// replaces it with the new monolith's name.
const DEFAULT_NAME: &str = "hello";

/// The port used when `PORT` is not set, for `cargo run` on a laptop.
const DEFAULT_PORT: u16 = 8080;

/// How long `/healthz` waits for the database before declaring it unavailable.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(3);

struct App {
    name: String,
    database: Option<tokio_postgres::Config>,
    state_directory: std::path::PathBuf,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{DEFAULT_NAME}: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let name = std::env::var("MONOLITH_NAME").unwrap_or_else(|_| DEFAULT_NAME.to_string());
    let port = match std::env::var("PORT") {
        Ok(text) => text
            .parse::<u16>()
            .map_err(|_| format!("PORT is `{text}`, which is not a port number"))?,
        Err(_) => DEFAULT_PORT,
    };
    let database = match std::env::var("DATABASE_URL") {
        Ok(url) => Some(
            url.parse::<tokio_postgres::Config>()
                .map_err(|err| format!("DATABASE_URL is not a PostgreSQL URL: {err}"))?,
        ),
        Err(_) => None,
    };
    if database.is_none() {
        println!("{name}: DATABASE_URL is not set, /healthz will not check a database");
    }

    // systemd's StateDirectory= sets STATE_DIRECTORY; elsewhere, the working directory.
    let state_directory = std::env::var_os("STATE_DIRECTORY")
        .map(Into::into)
        .unwrap_or_else(|| ".".into());

    let app = Arc::new(App {
        name,
        database,
        state_directory,
    });
    let router = Router::new()
        .route("/", get(index))
        .route("/healthz", get(healthz))
        .route("/notes", get(notes).post(add_note))
        .route("/files/{name}", get(read_file).put(write_file))
        .layer(middleware::from_fn_with_state(app.clone(), log_request))
        .with_state(app.clone());

    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|err| format!("cannot listen on {address}: {err}"))?;
    println!("{}: listening on http://{address}", app.name);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|err| format!("server failed: {err}"))?;
    println!("{}: stopped", app.name);
    Ok(())
}

async fn index(State(app): State<Arc<App>>) -> String {
    format!("{}\n", app.name)
}

async fn healthz(State(app): State<Arc<App>>) -> (StatusCode, String) {
    let Some(config) = &app.database else {
        return (StatusCode::OK, "ok (no database configured)\n".to_string());
    };
    let problem = match tokio::time::timeout(DATABASE_TIMEOUT, round_trip(config)).await {
        Ok(Ok(())) => return (StatusCode::OK, "ok\n".to_string()),
        Ok(Err(err)) => err.to_string(),
        Err(_) => format!("no answer within {} seconds", DATABASE_TIMEOUT.as_secs()),
    };
    println!("{}: database unavailable: {problem}", app.name);
    (
        StatusCode::SERVICE_UNAVAILABLE,
        format!("database unavailable: {problem}\n"),
    )
}

type Answer = (StatusCode, String);

/// A connection to the database, or the answer saying why there is none.
async fn connect(app: &App) -> Result<tokio_postgres::Client, Answer> {
    let unavailable = |problem: String| (StatusCode::SERVICE_UNAVAILABLE, format!("{problem}\n"));
    let config = app
        .database
        .as_ref()
        .ok_or_else(|| unavailable("no database configured".to_string()))?;
    let (client, connection) =
        tokio::time::timeout(DATABASE_TIMEOUT, config.connect(tokio_postgres::NoTls))
            .await
            .map_err(|_| unavailable("database unavailable: no answer".to_string()))?
            .map_err(|err| unavailable(format!("database unavailable: {err}")))?;
    tokio::spawn(connection);
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS notes (id bigserial PRIMARY KEY, body text NOT NULL)",
        )
        .await
        .map_err(|err| unavailable(format!("database unavailable: {err}")))?;
    Ok(client)
}

/// Every note, one per line, oldest first.
async fn notes(State(app): State<Arc<App>>) -> Result<String, Answer> {
    let client = connect(&app).await?;
    let rows = client
        .query("SELECT body FROM notes ORDER BY id", &[])
        .await
        .map_err(|err| (StatusCode::INTERNAL_SERVER_ERROR, format!("{err}\n")))?;
    Ok(rows
        .iter()
        .map(|row| format!("{}\n", row.get::<_, String>(0)))
        .collect())
}

/// Adds the request's body (one line) as a note.
async fn add_note(State(app): State<Arc<App>>, body: String) -> Result<Answer, Answer> {
    let note = body.trim_end_matches('\n');
    if note.contains('\n') {
        return Err((StatusCode::BAD_REQUEST, "a note is one line\n".to_string()));
    }
    let client = connect(&app).await?;
    client
        .execute("INSERT INTO notes (body) VALUES ($1)", &[&note])
        .await
        .map_err(|err| (StatusCode::INTERNAL_SERVER_ERROR, format!("{err}\n")))?;
    Ok((StatusCode::CREATED, "added\n".to_string()))
}

/// A file's path in the state directory, for names of letters, digits, `-`, `_` and `.`.
fn file_path(app: &App, name: &str) -> Result<std::path::PathBuf, Answer> {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !plain || name.starts_with('.') {
        return Err((
            StatusCode::BAD_REQUEST,
            "a file name is letters, digits, -, _ and .\n".to_string(),
        ));
    }
    Ok(app.state_directory.join(name))
}

async fn read_file(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Result<String, Answer> {
    let path = file_path(&app, &name)?;
    tokio::task::spawn_blocking(move || std::fs::read_to_string(path))
        .await
        .map_err(|err| (StatusCode::INTERNAL_SERVER_ERROR, format!("{err}\n")))?
        .map_err(|err| (StatusCode::NOT_FOUND, format!("{name}: {err}\n")))
}

async fn write_file(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    body: String,
) -> Result<Answer, Answer> {
    let path = file_path(&app, &name)?;
    tokio::task::spawn_blocking(move || std::fs::write(path, body))
        .await
        .map_err(|err| (StatusCode::INTERNAL_SERVER_ERROR, format!("{err}\n")))?
        .map_err(|err| {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("{name}: {err}\n"),
            )
        })?;
    Ok((StatusCode::CREATED, "written\n".to_string()))
}

/// Connects, runs `SELECT 1` and checks the answer.
async fn round_trip(config: &tokio_postgres::Config) -> Result<(), tokio_postgres::Error> {
    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
    let connection = tokio::spawn(connection);
    let one: i32 = client.query_one("SELECT 1", &[]).await?.get(0);
    debug_assert_eq!(one, 1);
    drop(client);
    // The connection task ends once the client is gone; its error, if any, is not the health
    // check's business any more.
    let _ = connection.await;
    Ok(())
}

async fn log_request(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    println!(
        "{}: {method} {path} {}",
        app.name,
        response.status().as_u16()
    );
    response
}

/// Resolves on SIGTERM (systemd stopping the service) or Ctrl-C.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = terminate => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
