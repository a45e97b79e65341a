//! A monolith's database and role in the host's PostgreSQL, as lines of a NixOS file:
//! `ensureDatabases` and `ensureUsers` with `ensureDBOwnership` (peer authentication, no
//! password), and the inverse that takes exactly those entries back.

use std::path::Path;

use super::plan::{Plan, WorkflowError};
use crate::edit::{self, quote_string};
use crate::repo::attrpath;

const DATABASES: &[&str] = &["services", "postgresql", "ensureDatabases"];
const USERS: &[&str] = &["services", "postgresql", "ensureUsers"];

/// Adds `role`'s database and its owner to `file`.
pub(super) fn ensure(plan: &mut Plan, file: &Path, role: &str) -> Result<(), WorkflowError> {
    let role = quote_string(role);
    plan.edit(file, |f| edit::add_list_element(f, attrpath(DATABASES), &role))?;
    let user = format!("{{ name = {role}; ensureDBOwnership = true; }}");
    plan.edit(file, |f| edit::add_list_element(f, attrpath(USERS), &user))
}

/// Takes `role`'s entries out of the lists, each in the file that holds it.
pub(super) fn unensure(
    plan: &mut Plan,
    role: &str,
    databases: Option<&Path>,
    users: Option<&Path>,
) -> Result<(), WorkflowError> {
    if let Some(file) = databases {
        plan.edit(file, |f| {
            edit::remove_list_elements_where(f, attrpath(DATABASES), |d| d.as_str() == Some(role))
        })?;
    }
    if let Some(file) = users {
        plan.edit(file, |f| {
            edit::remove_list_elements_where(f, attrpath(USERS), |u| {
                u.get("name").and_then(edit::Node::as_str) == Some(role)
            })
        })?;
    }
    Ok(())
}
