//! Deploys: placement of monoliths on hosts, the commands that deploy them (nixos-rebuild for
//! one host, colmena for a fleet), the health check after a switch and the rollback that
//! follows a failed one, and the monoliths' journals.
//!
//! Everything works on a [`crate::repo::Inventory`]: this module never reads Nix source. It
//! builds commands as data ([`CommandLine`]), prints each before it runs, and runs them with
//! the terminal's output streaming through.

mod command;
mod placement;
mod plan;
mod run;

pub use command::{how_to_get, shell_quote, CommandLine, SearchPath};
pub use placement::{place, quote_list, Placement};
pub use plan::{
    deploy_steps, destination, health_check, is_fleet, is_local, journal,
    rollback as rollback_command, ssh, Action, DeployStep,
};
pub use run::{
    deploy, logs, monolith_and_host, placement as checked_placement, rollback, select_hosts,
    wait_until_answers, DeployError, DeployRequest, Runner,
};
