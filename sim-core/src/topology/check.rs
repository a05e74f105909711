//! `iommu-sim topology FILE --check-groups`: the derived IOMMU groups against the ones the
//! machine reported (`reported_groups`, written by `iommu-sim import`). Groups are compared as
//! partitions of the PCI functions: numbers differ between Linux and here, membership must not.

use std::collections::{BTreeMap, BTreeSet};

use super::Platform;

/// Every difference, one readable line each (empty: the groups agree). Only PCI functions are
/// compared (platform devices have no reported groups).
pub fn differences(p: &Platform) -> Vec<String> {
    // Derived: function name → group number (as `topology` prints it).
    let mut derived: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &p.devices {
        if d.func.is_some() {
            derived.insert(&d.name, d.group.index());
        }
    }
    for b in &p.buses {
        if let (Some(_), Some(g)) = (&b.func, b.group) {
            derived.insert(&b.name, g.index());
        }
    }
    let mut reported: BTreeMap<&str, u32> = BTreeMap::new();
    let mut out = Vec::new();
    for (id, members) in &p.reported_groups {
        for m in members {
            if let Some(prev) = reported.insert(m, *id) {
                out.push(format!("{m} is listed in reported groups {prev} and {id}"));
            }
            if !derived.contains_key(m.as_str()) {
                out.push(format!("reported group {id} lists {m}, which is not a PCI function below an IOMMU in the topology"));
            }
        }
    }
    for name in derived.keys() {
        if !reported.contains_key(name) {
            out.push(format!("{name} is in derived group {} but in no reported group", derived[name]));
        }
    }
    // Group both ways over the functions present in both.
    let mut by_reported: BTreeMap<u32, BTreeSet<usize>> = BTreeMap::new();
    let mut by_derived: BTreeMap<usize, BTreeSet<u32>> = BTreeMap::new();
    let mut members_of: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for (name, &r) in &reported {
        if let Some(&g) = derived.get(name) {
            by_reported.entry(r).or_default().insert(g);
            by_derived.entry(g).or_default().insert(r);
            members_of.entry(g).or_default().push(name);
        }
    }
    let names = |g: usize| members_of.get(&g).map(|v| v.join(" ")).unwrap_or_default();
    let reported_names = |r: u32| p.reported_groups.iter().find(|(id, _)| *id == r).map(|(_, m)| m.join(" ")).unwrap_or_default();
    for (r, gs) in &by_reported {
        if gs.len() > 1 {
            let parts: Vec<String> = gs.iter().map(|&g| format!("derived group {g} [{}]", names(g))).collect();
            out.push(format!("reported group {r} [{}] is split here into {}", reported_names(*r), parts.join(", ")));
        }
    }
    for (g, rs) in &by_derived {
        if rs.len() > 1 {
            let parts: Vec<String> = rs.iter().map(|&r| format!("reported group {r} [{}]", reported_names(r))).collect();
            out.push(format!("derived group {g} [{}] merges {}", names(*g), parts.join(", ")));
        }
    }
    out
}
