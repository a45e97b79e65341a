//! The machine repository: finding its layout, reading its monoliths and hosts.

mod model;

pub use model::{Build, Host, Inventory, Monolith, Place};
