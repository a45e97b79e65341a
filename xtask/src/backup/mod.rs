//! Backups on the hosts: starting the backup unit, listing restic's snapshots, and restoring a
//! monolith's database and state directory from one, with the data it replaces kept aside.
//!
//! The machine does the work: NixOS's `restic-backups-nmmm` unit (from `lib/backup.nix`) dumps
//! and backs up, and every command the tool runs on a host is a function of
//! `lib/backup/steps.sh`, the file the unit's dump step is made of too ([`steps`]). This module
//! decides which step runs when, and what to say; like the deploy workflows, it never reads Nix.

mod coverage;
mod host;
mod restore;
mod snapshots;
mod steps;
mod unit;

pub use coverage::{uncovered, Uncovered};
pub use host::HostShell;
pub use restore::{plan_restore, restore, stamp, RestorePlan, RestoreRequest, SnapshotChoice};
pub use snapshots::{human_size, list_snapshots, Snapshot};
pub use steps::{steps_script, Machine, STEPS};
pub use unit::{backup_now, backup_status};

pub use crate::deploy::monolith_and_host;
