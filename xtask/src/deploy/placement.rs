//! Which host runs which monolith: the same greedy placement as `place` in lib/fleet.nix, so
//! that the tool deploys, checks and pins exactly what Nix builds.
//!
//! Pinned monoliths stay; the others, in name order, go to the host with the most free room
//! (ties by host name). A host without a capacity has more room than any host with one, and
//! among those the one holding the fewest monoliths is the freest. The problems read word for
//! word as lib/fleet.nix's.

use std::collections::BTreeMap;

use crate::repo::{Host, Monolith};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Monolith name to host name, for every monolith that has a place.
    pub assignment: BTreeMap<String, String>,
    pub problems: Vec<String>,
}

impl Placement {
    /// The monoliths on `host`, in name order.
    pub fn on<'a>(&'a self, host: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.assignment.iter().filter(move |(_, h)| h.as_str() == host).map(|(m, _)| m.as_str())
    }
}

pub fn place(hosts: &[Host], monoliths: &[Monolith]) -> Placement {
    let capacity: BTreeMap<&str, Option<u32>> =
        hosts.iter().map(|h| (h.name.as_str(), h.capacity)).collect();
    let pins: BTreeMap<&str, Option<&str>> =
        monoliths.iter().map(|m| (m.name.as_str(), m.host.as_deref())).collect();

    let mut assignment = BTreeMap::new();
    let mut counts: BTreeMap<&str, u32> = capacity.keys().map(|h| (*h, 0)).collect();
    let mut strays = Vec::new();
    let mut unpinned = Vec::new();
    for (&name, &pin) in &pins {
        match pin {
            Some(host) if capacity.contains_key(host) => {
                assignment.insert(name.to_owned(), host.to_owned());
                *counts.get_mut(host).expect("a declared host") += 1;
            }
            Some(host) => strays.push((name, host)),
            None => unpinned.push(name),
        }
    }
    let pinned_counts = counts.clone();

    let mut full = Vec::new();
    for name in unpinned {
        let mut best: Option<&str> = None;
        for (&host, &cap) in &capacity {
            let has_room = cap.is_none_or(|c| counts[host] < c);
            if has_room && best.is_none_or(|b| freer(&capacity, &counts, host, b)) {
                best = Some(host);
            }
        }
        match best {
            Some(host) => {
                assignment.insert(name.to_owned(), host.to_owned());
                *counts.get_mut(host).expect("a declared host") += 1;
            }
            None => full.push(name),
        }
    }

    let host_names: Vec<&str> = capacity.keys().copied().collect();
    let mut problems: Vec<String> = strays
        .iter()
        .map(|(name, host)| {
            let hint = if host_names.is_empty() {
                "; declare it there".to_owned()
            } else {
                format!(" ({})", quote_list(&host_names))
            };
            format!("nmmm.monoliths.{name}.host: `{host}` is not a host of nmmm.hosts{hint}")
        })
        .collect();
    for (&host, &cap) in &capacity {
        if let Some(cap) = cap.filter(|c| pinned_counts[host] > *c) {
            let pinned: Vec<&str> =
                pins.iter().filter(|(_, pin)| **pin == Some(host)).map(|(name, _)| *name).collect();
            problems.push(format!(
                "nmmm.hosts.{host}: {} are pinned to it but its capacity is {cap}; raise \
                 nmmm.hosts.{host}.capacity or pin some elsewhere",
                quote_list(&pinned)
            ));
        }
    }
    if !full.is_empty() {
        problems.push(format!(
            "nmmm.hosts: the fleet is full, no host has room for {}; raise a host's capacity or \
             add a host",
            quote_list(&full)
        ));
    }
    Placement { assignment, problems }
}

/// Whether host `a` has strictly more free room than host `b`.
fn freer(
    capacity: &BTreeMap<&str, Option<u32>>,
    counts: &BTreeMap<&str, u32>,
    a: &str,
    b: &str,
) -> bool {
    match (capacity[a], capacity[b]) {
        (None, None) => counts[a] < counts[b],
        (None, Some(_)) => true,
        (Some(_), None) => false,
        (Some(ca), Some(cb)) => {
            i64::from(ca) - i64::from(counts[a]) > i64::from(cb) - i64::from(counts[b])
        }
    }
}

/// "`a`", "`a` and `b`", "`a`, `b` and `c`".
pub fn quote_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}
