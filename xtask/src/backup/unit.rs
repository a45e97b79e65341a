//! `cargo xtask backup`: the backup unit of a host, started now or asked how it is doing.

use super::host::HostShell;
use crate::deploy::DeployError;

/// Starts `restic-backups-nmmm.service` on the shell's host and prints its journal until the
/// run ends.
pub fn backup_now(shell: &HostShell) -> Result<(), DeployError> {
    let host = &shell.host.name;
    let status = shell
        .run("nmmm_backup_now", &[])
        .map_err(|err| DeployError::Failed(format!("cannot start the backup on {host}: {err}")))?;
    if status.success() {
        println!("{host}: the backup finished; `cargo xtask snapshots` lists it");
        Ok(())
    } else {
        Err(DeployError::Failed(format!(
            "the backup on {host} failed: restic-backups-nmmm.service did not finish well (its \
             journal is above); the snapshots of earlier runs are untouched"
        )))
    }
}

/// Prints when the shell's host backs up next and how its last run went.
pub fn backup_status(shell: &HostShell) -> Result<(), DeployError> {
    let host = &shell.host.name;
    let status = shell.run("nmmm_backup_status", &[]).map_err(|err| {
        DeployError::Failed(format!("cannot ask {host} about its backups: {err}"))
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(DeployError::Failed(format!(
            "cannot ask {host} about its backups: is nmmm.backup.enable set and deployed?"
        )))
    }
}
