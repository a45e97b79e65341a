//! `nmmm.toml`: what a repository says about itself where detection needs help.
//!
//! ```toml
//! entry = "nix/hetzner/configuration.nix"   # the NixOS entry file (classic layout)
//! ports_file = "nix/lib.nix"                # where ports and domains live (classic layout)
//! monoliths_file = "monoliths/default.nix"  # where `nmmm.monoliths` entries go (module layout)
//! [ports]
//! min = 8000
//! max = 8999
//! [hosts.hetzner]
//! address = "massapp.com"
//! user = "root"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const FILE_NAME: &str = "nmmm.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub entry: Option<PathBuf>,
    pub ports_file: Option<PathBuf>,
    pub monoliths_file: Option<PathBuf>,
    /// `[ports]`: where new monoliths' ports are chosen; without it, above the host's own.
    pub ports: Option<PortRange>,
    #[serde(default)]
    pub hosts: BTreeMap<String, HostConfig>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortRange {
    pub min: u16,
    pub max: u16,
}

impl Default for PortRange {
    fn default() -> PortRange {
        PortRange { min: 8000, max: 65535 }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    pub address: Option<String>,
    pub user: Option<String>,
}

/// Reads `nmmm.toml` at `root`, or the defaults when there is none.
pub fn read(root: &Path) -> Result<Config, String> {
    let path = root.join(FILE_NAME);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(err) => return Err(format!("{FILE_NAME}: cannot read: {err}")),
    };
    let config: Config = toml::from_str(&text).map_err(|err| {
        let place = err.span().map(|span| {
            let line = text[..span.start].matches('\n').count() + 1;
            let col = span.start - text[..span.start].rfind('\n').map_or(0, |i| i + 1) + 1;
            format!(":{line}:{col}")
        });
        format!("{FILE_NAME}{}: {}", place.unwrap_or_default(), err.message())
    })?;
    let ports = config.ports.unwrap_or_default();
    if ports.min > ports.max || ports.min < 1024 {
        return Err(format!(
            "{FILE_NAME}: [ports] must have 1024 <= min <= max, found {}..{}",
            ports.min, ports.max
        ));
    }
    Ok(config)
}
