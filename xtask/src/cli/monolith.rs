//! `new-monolith`, `remove-monolith`, `list`, `check`, `init`: the monolith workflows on the
//! repository holding the current directory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{lock_for_writing, preview_and_write, recover_if_idle, Failure, WriteFlags};
use crate::monolith::{self, check, new::NewMonolith, WorkflowError};
use crate::repo::{self, Repo};
use crate::transaction::RepoLock;

#[derive(clap::Args)]
pub struct NewArgs {
    /// Lowercase letters, digits and `-`, starting with a letter, at most 32 characters
    name: String,
    /// The domain it is served under (internationalised names become punycode)
    #[arg(long)]
    domain: String,
    /// Its port (default: the next free one above the highest in use)
    #[arg(long)]
    port: Option<u16>,
    /// No PostgreSQL database and role
    #[arg(long)]
    no_db: bool,
    /// The monolith to copy (classic layout; default: the first one found)
    #[arg(long, value_name = "EXISTING")]
    from: Option<String>,
    #[command(flatten)]
    flags: WriteFlags,
    /// Commit exactly the changed files with git after writing them
    #[arg(long, conflicts_with = "dry_run")]
    commit: bool,
}

#[derive(clap::Args)]
pub struct RemoveArgs {
    name: String,
    #[command(flatten)]
    flags: WriteFlags,
    /// Commit exactly the changed files with git after writing them
    #[arg(long, conflicts_with = "dry_run")]
    commit: bool,
}

/// The repository holding the current directory.
fn root() -> Result<PathBuf, Failure> {
    let cwd = std::env::current_dir().map_err(|e| {
        eprintln!("error: cannot read the current directory: {e}");
        Failure(2)
    })?;
    Ok(repo::find_root(&cwd))
}

/// The host `--host` chose, for every command of this run.
static HOST: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// Says which host the commands of this run work on (`--host`), once.
pub fn choose_host(host: Option<String>) {
    let _ = HOST.set(host);
}

fn load_at(root: &Path) -> Result<Repo, Failure> {
    let host = HOST.get().and_then(Option::as_deref);
    repo::load_host(root, host).map_err(|e| {
        eprintln!("error: {e}");
        Failure(2)
    })
}

/// The repository holding the current directory, read for a command that does not write it.
pub fn load() -> Result<Repo, Failure> {
    let root = root()?;
    recover_if_idle(&root)?;
    load_at(&root)
}

/// The repository holding the current directory, locked for a command that writes it, then read.
pub fn load_for_writing(wait: Duration) -> Result<(RepoLock, Repo), Failure> {
    let root = root()?;
    let lock = lock_for_writing(&root, wait)?;
    Ok((lock, load_at(&root)?))
}

fn fail(err: WorkflowError) -> Failure {
    eprint!("error: {}", err.0);
    if !err.0.ends_with('\n') {
        eprintln!();
    }
    if !err.0.contains("nothing was changed") {
        eprintln!("nothing was changed");
    }
    Failure(2)
}

pub fn new(args: NewArgs, wait: Duration) -> Result<(), Failure> {
    let (mut lock, repo) = load_for_writing(wait)?;
    let request = NewMonolith {
        name: args.name,
        domain: args.domain,
        port: args.port,
        database: !args.no_db,
        from: args.from,
    };
    let (plan, added) = monolith::new::plan(&repo, &request).map_err(fail)?;
    let paths: Vec<PathBuf> = plan.paths().cloned().collect();
    let transaction = plan.into_transaction();
    preview_and_write(&transaction, args.flags, &mut lock)?;
    let verb = if args.flags.dry_run { "would be" } else { "is" };
    eprintln!("monolith {} {verb} at https://{}/ on port {}", added.name, added.domain, added.port);
    for note in &added.notes {
        eprintln!("note: {note}");
    }
    if args.commit && !args.flags.dry_run {
        let message = format!("Add monolith {} ({})", added.name, added.domain);
        git_commit(&repo.root, &paths, &message)?;
    }
    Ok(())
}

pub fn remove(args: RemoveArgs, wait: Duration) -> Result<(), Failure> {
    let (mut lock, repo) = load_for_writing(wait)?;
    let (plan, notes) = monolith::remove::plan(&repo, &args.name).map_err(fail)?;
    let paths: Vec<PathBuf> = plan.paths().cloned().collect();
    let transaction = plan.into_transaction();
    preview_and_write(&transaction, args.flags, &mut lock)?;
    for note in &notes {
        eprintln!("note: {note}");
    }
    if args.commit && !args.flags.dry_run {
        git_commit(&repo.root, &paths, &format!("Remove monolith {}", args.name))?;
    }
    Ok(())
}

/// Commits exactly `paths` (added, changed or deleted), nothing else that is staged.
fn git_commit(root: &Path, paths: &[PathBuf], message: &str) -> Result<(), Failure> {
    let run = |args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .args(paths)
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
        }
    };
    run(&["add", "--all", "--"])
        .and_then(|()| run(&["commit", "--quiet", "--message", message, "--"]))
        .map_err(|e| {
            eprintln!("error: the files are written, but the git commit failed: {e}");
            Failure(2)
        })?;
    eprintln!("committed: {message}");
    Ok(())
}

pub fn list(json: bool) -> Result<(), Failure> {
    let repo = load()?;
    // Where each monolith runs: its pin, or where placement puts it (as deploys do).
    let placement = crate::deploy::place(&repo.inventory.hosts, &repo.inventory.monoliths);
    let monoliths: Vec<crate::repo::Monolith> = repo
        .inventory
        .monoliths
        .iter()
        .map(|m| crate::repo::Monolith {
            host: m.host.clone().or_else(|| placement.assignment.get(&m.name).cloned()),
            ..m.clone()
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&monoliths).expect("the model serialises"));
        unread_notes(&repo);
        return Ok(());
    }
    let rows: Vec<[String; 8]> = monoliths
        .iter()
        .map(|m| {
            let domain = m.domain.clone().unwrap_or_else(|| "?".into());
            let port = match (m.port, &m.socket) {
                (Some(p), _) => p.to_string(),
                (None, Some(socket)) => format!("unix:{socket}"),
                (None, None) => "?".into(),
            };
            [
                m.name.clone(),
                if m.path == "/" { domain } else { format!("{domain}{}", m.path) },
                port,
                m.database.clone().unwrap_or_else(|| "-".into()),
                m.host.clone().unwrap_or_else(|| "-".into()),
                format!("{:?}", m.kind).to_lowercase(),
                m.upstream.clone(),
                m.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(" "),
            ]
        })
        .collect();
    let header = ["NAME", "DOMAIN", "PORT", "DATABASE", "HOST", "KIND", "UPSTREAM", "FILES"]
        .map(String::from);
    let widths: Vec<usize> = (0..8)
        .map(|i| rows.iter().chain([&header]).map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        println!("{}", cells.join("  ").trim_end());
    }
    for m in &monoliths {
        for unresolved in &m.unresolved {
            let at = unresolved.at.as_ref().map(|p| format!(" ({p})")).unwrap_or_default();
            eprintln!(
                "note: the {} of `{}` cannot be read without evaluating Nix{at}",
                unresolved.what, m.name
            );
        }
    }
    unread_notes(&repo);
    Ok(())
}

/// What of each host's modules could not be read, so that a short list is never taken for a
/// whole one: once each, the modules of flake inputs (outside the repository) together.
fn unread_notes(repo: &Repo) {
    for (host, _) in &repo.hosts {
        let mut inputs: Vec<String> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for (why, place) in &host.unread {
            if let Some(input) = why.split("flake input `").nth(1).and_then(|r| r.split('`').next())
            {
                if !inputs.iter().any(|i| i == input) {
                    inputs.push(input.to_owned());
                }
                continue;
            }
            // nixpkgs' own modules (`modulesPath + ...`) hold no site of the host's.
            if why.contains("nixpkgs' modules") {
                continue;
            }
            let at =
                place.map(|p| format!("{}: ", crate::repo::place_of(host, p))).unwrap_or_default();
            let why = why.strip_prefix("a module: ").unwrap_or(why);
            let line = format!("note: host {}: {at}a module is not read: {why}", host.name);
            if !seen.contains(&line) {
                eprintln!("{line}");
                seen.push(line);
            }
        }
        if !inputs.is_empty() {
            eprintln!(
                "note: host {}: the modules of flake inputs are not read (their sites are not listed): {}",
                host.name,
                inputs.join(", ")
            );
        }
    }
}

pub fn check() -> Result<(), Failure> {
    let repo = load()?;
    let report = check::check(&repo);
    for problem in &report {
        eprintln!("{problem}");
    }
    let errors = report.iter().filter(|p| p.severity == check::Severity::Error).count();
    let warnings = report.len() - errors;
    if errors > 0 {
        eprintln!("{errors} problem(s), {warnings} warning(s)");
        return Err(Failure(1));
    }
    eprintln!("no problems, {warnings} warning(s)");
    Ok(())
}

pub fn init(wait: Duration) -> Result<(), Failure> {
    let root = root()?;
    let mut lock = lock_for_writing(&root, wait)?;
    let config = root.join(repo::config::FILE_NAME);
    match repo::load(&root) {
        Ok(repo) => {
            let layout = match &repo.layout {
                repo::Layout::Module(m) => {
                    format!("module layout, monoliths in {}", m.monoliths_file.display())
                }
                repo::Layout::Adopted(a) => format!(
                    "a host written by hand; new monoliths go {}",
                    match &a.shape {
                        repo::adopted::Shape::FilePerSite { dir, .. } =>
                            format!("in a file of their own in {}/", dir.display()),
                        repo::adopted::Shape::Split { dir, vhosts_file, .. } => format!(
                            "in a file of their own in {}/, their vhosts in {}",
                            dir.display(),
                            vhosts_file.display()
                        ),
                        repo::adopted::Shape::Inline { file } => format!("into {}", file.display()),
                        repo::adopted::Shape::OptionModule { dir, prefix, enable_file, .. } =>
                            format!(
                                "as modules of options `{}.<name>` in {}/, turned on in {}",
                                prefix.join("."),
                                dir.display(),
                                enable_file.display()
                            ),
                    }
                ),
                repo::Layout::Classic(c) => format!(
                    "classic layout, entry {}, ports and domains in {}",
                    c.entry.display(),
                    c.ports_file
                        .as_ref()
                        .map_or("(none found)".into(), |p| p.display().to_string())
                ),
            };
            println!(
                "{}: {layout}; {} monolith(s)",
                root.display(),
                repo.inventory.monoliths.len()
            );
            if config.exists() {
                println!("{} is already there", repo::config::FILE_NAME);
            } else {
                println!("detection needs no help: no {} written", repo::config::FILE_NAME);
            }
            Ok(())
        }
        Err(err) if !config.exists() => {
            let text = "# What NMMM could not find out by itself. Uncomment and fill in what applies.\n\
                 # entry = \"nix/machine/configuration.nix\"   # classic layout: the NixOS entry file\n\
                 # ports_file = \"nix/lib.nix\"                # classic layout: ports and domains\n\
                 # monoliths_file = \"monoliths/default.nix\"  # module layout: where entries go\n\
                 \n\
                 [ports]\nmin = 8000\nmax = 65535\n";
            let mut transaction = crate::transaction::Transaction::in_dir(&root);
            transaction.push(crate::transaction::FileChange {
                path: repo::config::FILE_NAME.into(),
                before: None,
                after: Some(text.to_owned()),
            });
            transaction.commit(&mut lock).map_err(|e| {
                eprintln!("error: {e}");
                Failure(2)
            })?;
            eprintln!(
                "{err}\n\nwrote {}: fill it in, then run `cargo xtask list`",
                config.display()
            );
            Err(Failure(1))
        }
        Err(err) => {
            eprintln!("error: {err}");
            Err(Failure(2))
        }
    }
}
