//! `cargo xtask restore NAME`: a monolith's database and state directory back from a snapshot.
//!
//! In order, each a step of `lib/backup/steps.sh` on the monolith's host:
//! 1. `nmmm_fetch`: the snapshot's dump and state into a root-only work folder, the dump read
//!    through by `pg_restore --list`; nothing live is touched yet;
//! 2. `nmmm_stop`: the monolith's service stops;
//! 3. `nmmm_keep_aside`: the live database becomes `DB_before_restore_STAMP`, the state
//!    directory `DOMAIN.before-restore-STAMP` beside it;
//! 4. `nmmm_restore`: a fresh database owned by the monolith's role with the dump in it, and
//!    the fetched state directory in place;
//! 5. `nmmm_start`, then the health check through nginx that deploys run.
//!
//! A failure in 1 or 2 leaves everything as it was; a failure after that runs `nmmm_put_back`,
//! which brings back exactly what step 3 kept aside, and starts the service again.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::host::HostShell;
use super::snapshots::{list_snapshots, Snapshot};
use crate::deploy::{self, DeployError};
use crate::repo::{Host, Monolith};

/// Which snapshot to restore from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotChoice {
    /// The newest snapshot holding the monolith.
    Latest,
    /// A snapshot id, or the start of one.
    Id(String),
}

impl SnapshotChoice {
    /// `latest`, or a snapshot id: hexadecimal digits.
    pub fn parse(text: &str) -> Result<SnapshotChoice, String> {
        if text == "latest" {
            return Ok(SnapshotChoice::Latest);
        }
        if !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(SnapshotChoice::Id(text.to_ascii_lowercase()));
        }
        Err(format!(
            "`{text}` is not a snapshot: give `latest` or an id from `cargo xtask snapshots`"
        ))
    }
}

/// What `restore` was asked.
#[derive(Debug, Clone)]
pub struct RestoreRequest {
    pub snapshot: SnapshotChoice,
    /// Names what is kept aside and the work folder: `20250130_153000`.
    pub stamp: String,
    /// How long the monolith gets to answer after it starts again.
    pub health_timeout: Duration,
}

/// A restore, decided and checked against the repository's snapshots, not yet begun.
#[derive(Debug, Clone)]
pub struct RestorePlan {
    pub name: String,
    pub host: Host,
    /// The monolith's database (and role), when it has one.
    pub database: Option<String>,
    pub domain: String,
    pub state_directory: String,
    pub snapshot: Snapshot,
    pub stamp: String,
    pub health_timeout: Duration,
}

/// `20250130_153000` for `now` in UTC.
pub fn stamp(now: SystemTime) -> String {
    let seconds = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = ((seconds / 86_400) as i64, seconds % 86_400);
    // Howard Hinnant's days-to-civil-date algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}_{:02}{:02}{:02}", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// Decides the restore of `monolith` (on `shell`'s host): finds the snapshot and refuses one
/// that does not hold the monolith. Only reads the repository.
pub fn plan_restore(
    monolith: &Monolith,
    shell: &HostShell,
    request: &RestoreRequest,
) -> Result<RestorePlan, DeployError> {
    let name = &monolith.name;
    let domain = monolith.domain.clone().ok_or_else(|| {
        DeployError::Usage(format!(
            "`{name}` has no literal domain in the repository, and its state directory is \
             named after it; write `domain = \"...\";` as a plain string"
        ))
    })?;
    let snapshots = list_snapshots(shell, None, false)?;
    let holding = |s: &&Snapshot| s.holds(name);
    let snapshot = match &request.snapshot {
        SnapshotChoice::Latest => match snapshots.iter().rev().find(holding) {
            Some(s) => s.clone(),
            None => {
                let newest = match snapshots.last() {
                    Some(s) => format!(
                        "; the newest, {} of {}, holds {}",
                        s.short_id,
                        s.when(),
                        list(&s.monoliths)
                    ),
                    None => "; the repository has no snapshot yet".to_owned(),
                };
                return Err(DeployError::Failed(format!(
                    "no snapshot holds `{name}`{newest}: it was added after the last backup, or \
                     has backup.enable = false. Run `cargo xtask backup --now` to back it up; \
                     nothing was changed"
                )));
            }
        },
        SnapshotChoice::Id(id) => {
            let matching: Vec<&Snapshot> = snapshots.iter().filter(|s| s.is(id)).collect();
            match matching.as_slice() {
                [one] if one.holds(name) => (*one).clone(),
                [one] => {
                    return Err(DeployError::Failed(format!(
                        "snapshot {} of {} does not hold `{name}`: it holds {}; nothing was \
                         changed",
                        one.short_id,
                        one.when(),
                        list(&one.monoliths)
                    )))
                }
                [] => {
                    return Err(DeployError::Failed(format!(
                        "no snapshot {id} in the repository of {} ({}); nothing was changed",
                        shell.host.name,
                        if snapshots.is_empty() {
                            "it has none yet".to_owned()
                        } else {
                            format!(
                                "snapshots: {}",
                                snapshots
                                    .iter()
                                    .map(|s| s.short_id.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }
                    )))
                }
                _ => {
                    return Err(DeployError::Usage(format!(
                        "`{id}` is the start of several snapshot ids; give more of it"
                    )))
                }
            }
        }
    };
    Ok(RestorePlan {
        name: name.clone(),
        host: shell.host.clone(),
        database: monolith.database.clone(),
        state_directory: shell.machine.state_directory(&domain),
        domain,
        snapshot,
        stamp: request.stamp.clone(),
        health_timeout: request.health_timeout,
    })
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "no monolith".to_owned()
    } else {
        names.join(", ")
    }
}

impl RestorePlan {
    /// The kept-aside database's name.
    pub fn database_aside(&self) -> Option<String> {
        self.database.as_ref().map(|db| format!("{db}_before_restore_{}", self.stamp))
    }

    pub fn state_aside(&self) -> String {
        format!("{}.before-restore-{}", self.state_directory, self.stamp)
    }

    /// The plan, as shown before anything happens.
    pub fn describe(&self) -> String {
        let name = &self.name;
        let s = &self.snapshot;
        let mut text = format!(
            "restore {name} on {} from snapshot {} of {} (it holds {}):\n",
            self.host.name,
            s.short_id,
            s.when(),
            list(&s.monoliths)
        );
        let mut step = 0;
        let mut line = |t: String| {
            step += 1;
            text.push_str(&format!("  {step}. {t}\n"));
        };
        line(format!(
            "fetch {name}'s {} from the snapshot and check {}; nothing live changes yet",
            if self.database.is_some() { "dump and state" } else { "state" },
            if self.database.is_some() { "that pg_restore reads the dump" } else { "it" }
        ));
        line(format!("stop {name}.service"));
        let mut aside = Vec::new();
        if let (Some(db), Some(db_aside)) = (&self.database, self.database_aside()) {
            aside.push(format!("database {db} becomes {db_aside}"));
        }
        aside.push(format!("{} moves to {}", self.state_directory, self.state_aside()));
        line(format!("keep the live data aside: {}", aside.join(", ")));
        line(match &self.database {
            Some(db) => format!(
                "restore database {db}, owned by role {db}, and {} from the snapshot",
                self.state_directory
            ),
            None => format!("restore {} from the snapshot", self.state_directory),
        });
        line(format!("start {name}.service and check that {} answers through nginx", self.domain));
        text.push_str(&format!(
            "  on any failure, what was kept aside comes back and {name}.service starts again\n"
        ));
        text
    }
}

/// Runs the plan on the shell's host. On success the replaced data stays aside; on failure it
/// is put back, and the error says what happened.
pub fn restore(plan: &RestorePlan, shell: &HostShell) -> Result<(), DeployError> {
    let name = plan.name.as_str();
    let database = plan.database.as_deref().unwrap_or("-");
    let args = [name, database, plan.domain.as_str(), plan.stamp.as_str()];
    let step = |function: &str, extra: &[&str]| -> bool {
        let all: Vec<&str> = args.iter().chain(extra).copied().collect();
        shell.run(function, &all).is_ok_and(|status| status.success())
    };
    let snapshot = plan.snapshot.short_id.as_str();

    if !step("nmmm_fetch", &[plan.snapshot.id.as_str()]) {
        step("nmmm_clean", &[]);
        return Err(DeployError::Failed(format!(
            "fetching {name}'s data from snapshot {snapshot} failed (see above); nothing live \
             was touched and {name} runs as before"
        )));
    }
    if !step("nmmm_stop", &[]) {
        step("nmmm_start", &[]);
        step("nmmm_clean", &[]);
        return Err(DeployError::Failed(format!(
            "stopping {name}.service failed (see above); nothing was restored, and it was \
             asked to start again"
        )));
    }
    let failure = if !step("nmmm_keep_aside", &[]) {
        Some("keeping the live data aside failed")
    } else if !step("nmmm_restore", &[]) {
        Some("restoring the snapshot's data failed")
    } else if !step("nmmm_start", &[]) {
        Some("starting the restored monolith failed")
    } else if !deploy::wait_until_answers(
        &plan.host,
        &plan.domain,
        shell.runner,
        plan.health_timeout,
    ) {
        Some("the restored monolith does not answer through nginx")
    } else {
        None
    };
    let Some(failure) = failure else {
        step("nmmm_clean", &[]);
        return Ok(());
    };

    eprintln!("{}: {name}: {failure}; putting the live data back", plan.host.name);
    step("nmmm_stop", &[]);
    if !step("nmmm_put_back", &[]) {
        return Err(DeployError::Failed(format!(
            "{failure} (see above), and putting the live data back failed too. Nothing was \
             deleted: the live database is {} and the state directory {}, and what was fetched \
             is in {}/var/backup/nmmm-restore/{name}-{}; {name}.service is stopped",
            plan.database_aside().unwrap_or_else(|| "-".to_owned()),
            plan.state_aside(),
            shell.machine.root,
            plan.stamp
        )));
    }
    step("nmmm_clean", &[]);
    let started = step("nmmm_start", &[])
        && deploy::wait_until_answers(&plan.host, &plan.domain, shell.runner, plan.health_timeout);
    Err(DeployError::Failed(format!(
        "{failure} (see above); the data that was live is back in place and {name} {}",
        if started {
            "answers again as before the restore"
        } else {
            "was started again but does not answer: see `cargo xtask logs` for why"
        }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_utc_calendar_times() {
        assert_eq!(stamp(UNIX_EPOCH), "19700101_000000");
        let leap_day = UNIX_EPOCH + Duration::from_secs(951_782_400 + 3_723);
        assert_eq!(stamp(leap_day), "20000229_010203");
    }

    #[test]
    fn snapshots_are_latest_or_hexadecimal_ids() {
        assert_eq!(SnapshotChoice::parse("latest"), Ok(SnapshotChoice::Latest));
        assert_eq!(SnapshotChoice::parse("4F2a9c1e"), Ok(SnapshotChoice::Id("4f2a9c1e".into())));
        assert!(SnapshotChoice::parse("4f2a; rm -rf /").is_err());
        assert!(SnapshotChoice::parse("").is_err());
    }
}
