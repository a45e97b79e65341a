//! The repository's snapshots, as the host's `restic-nmmm` lists them.

use serde::Deserialize;

use super::host::HostShell;
use crate::deploy::DeployError;

/// One snapshot: when, how big, which monoliths (its tags).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Snapshot {
    pub id: String,
    pub short_id: String,
    /// As restic gives it (RFC 3339, the host's offset).
    pub time: String,
    /// What restoring all of it takes, in bytes, when known.
    pub size: Option<u64>,
    pub monoliths: Vec<String>,
    /// The machine it was taken on.
    pub hostname: String,
    pub paths: Vec<String>,
}

impl Snapshot {
    /// `2025-01-30 15:30:00`: the time without its fraction and offset.
    pub fn when(&self) -> String {
        self.time.get(..19).unwrap_or(&self.time).replace('T', " ")
    }

    pub fn holds(&self, monolith: &str) -> bool {
        self.monoliths.iter().any(|m| m == monolith)
    }

    /// Whether `id` names it: its full id or a prefix of it.
    pub fn is(&self, id: &str) -> bool {
        self.id.starts_with(id)
    }
}

#[derive(Deserialize)]
struct ResticSnapshot {
    id: String,
    #[serde(default)]
    short_id: Option<String>,
    time: String,
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    hostname: String,
    /// restic 0.17 and later say how much each backup read.
    #[serde(default)]
    summary: Option<ResticSummary>,
}

#[derive(Deserialize)]
struct ResticSummary {
    total_bytes_processed: Option<u64>,
}

#[derive(Deserialize)]
struct ResticStats {
    total_size: u64,
}

/// The snapshots on the shell's host, oldest first; with `tag`, only those holding that
/// monolith; with `sizes`, each one's size (asked of restic when the listing lacks it).
pub fn list_snapshots(
    shell: &HostShell,
    tag: Option<&str>,
    sizes: bool,
) -> Result<Vec<Snapshot>, DeployError> {
    let host = &shell.host.name;
    let failed = |what: String| {
        DeployError::Failed(format!(
            "cannot list the snapshots on {host}: {what}; nothing was changed"
        ))
    };
    let out = shell
        .output("nmmm_snapshots", &tag.into_iter().collect::<Vec<_>>())
        .map_err(|err| failed(format!("cannot run the host's shell: {err}")))?;
    if !out.status.success() {
        return Err(failed("restic-nmmm failed (its message is above)".to_owned()));
    }
    let listed: Vec<ResticSnapshot> = serde_json::from_slice(&out.stdout)
        .map_err(|err| failed(format!("restic printed something that is not its JSON: {err}")))?;
    let mut snapshots: Vec<Snapshot> = listed
        .into_iter()
        .map(|s| Snapshot {
            short_id: s.short_id.unwrap_or_else(|| s.id.chars().take(8).collect()),
            id: s.id,
            time: s.time,
            size: s.summary.and_then(|sum| sum.total_bytes_processed),
            monoliths: s.tags.unwrap_or_default(),
            hostname: s.hostname,
            paths: s.paths,
        })
        .collect();
    if sizes {
        let unknown: Vec<&str> =
            snapshots.iter().filter(|s| s.size.is_none()).map(|s| s.id.as_str()).collect();
        if !unknown.is_empty() {
            let out = shell
                .output("nmmm_snapshot_sizes", &unknown)
                .map_err(|err| failed(format!("cannot run the host's shell: {err}")))?;
            if !out.status.success() {
                return Err(failed("restic-nmmm stats failed (its message is above)".to_owned()));
            }
            let text = String::from_utf8_lossy(&out.stdout);
            let sizes: Vec<u64> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str::<ResticStats>(l).map(|s| s.total_size))
                .collect::<Result<_, _>>()
                .map_err(|err| failed(format!("restic stats printed something else: {err}")))?;
            for (snapshot, size) in snapshots.iter_mut().filter(|s| s.size.is_none()).zip(sizes) {
                snapshot.size = Some(size);
            }
        }
    }
    Ok(snapshots)
}

/// `1.5 MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(104_857_600), "100.0 MiB");
    }
}
