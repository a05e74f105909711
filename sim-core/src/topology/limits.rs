//! Bounds on a built platform (docs/limits.md): the check of `crate::limits`' platform bounds,
//! kept apart from the loader so that `build.rs` stays about what the file means.

use crate::limits::{MAX_BUS_DEPTH, MAX_CACHE_ENTRIES, MAX_COST, MAX_PLATFORM_CACHE_ENTRIES, MAX_WALKERS};
use crate::topology::Platform;

/// Which value of a topology file a platform limit error is about: the entry of `list` whose
/// `id` is `id` (none: the list itself), and the field path inside it (`geometry.walkers`).
/// `Platform::checked` turns it into a line:column through the file's span index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitAt {
    pub list: &'static str,
    pub id: Option<String>,
    pub field: Option<String>,
}

impl std::fmt::Display for LimitAt {
    /// As messages name it: `iommus "m" geometry.walkers`, `buses "rp"`, `iommus`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.list)?;
        if let Some(id) = &self.id {
            write!(f, " \"{id}\"")?;
        }
        if let Some(field) = &self.field {
            write!(f, " {field}")?;
        }
        Ok(())
    }
}

/// Bounds on a built platform: bus depth, cache geometry, walkers, costs. The error is
/// `(where, message)`; the caller locates it.
pub fn check_platform(p: &Platform) -> Result<(), (LimitAt, String)> {
    // Depth of every bus, iteratively (parents come in any file order).
    let mut depth = vec![0usize; p.buses.len()];
    for i in 0..p.buses.len() {
        if depth[i] != 0 {
            continue;
        }
        let mut chain = Vec::new();
        let mut at = Some(i);
        while let Some(b) = at {
            if depth[b] != 0 || chain.len() > MAX_BUS_DEPTH {
                break;
            }
            chain.push(b);
            at = p.buses[b].parent.map(|x| x.index());
        }
        let mut d = at.map_or(0, |b| depth[b]);
        for &b in chain.iter().rev() {
            d += 1;
            depth[b] = d;
        }
        if d > MAX_BUS_DEPTH || chain.len() > MAX_BUS_DEPTH {
            return Err((
                LimitAt { list: "buses", id: Some(p.buses[i].name.clone()), field: None },
                format!("the bus tree is more than {MAX_BUS_DEPTH} levels deep (a PCI segment has 256 bus numbers)"),
            ));
        }
    }
    let mut total: u64 = 0;
    let ats = p.devices.iter().filter(|d| d.ats).count() as u64;
    for m in &p.iommus {
        let g = &m.params.geometry;
        let who = |field: &str| LimitAt { list: "iommus", id: Some(m.name.clone()), field: Some(field.to_string()) };
        for (v, field) in [
            (g.iotlb_entries, "geometry.iotlb_entries"),
            (g.walk_cache_entries, "geometry.walk_cache_entries"),
            (g.devtlb_entries, "geometry.devtlb_entries"),
        ] {
            if v > MAX_CACHE_ENTRIES {
                return Err((who(field), format!("{v} is more than the limit of {MAX_CACHE_ENTRIES} entries (docs/limits.md)")));
            }
        }
        if g.walkers > MAX_WALKERS {
            return Err((who("geometry.walkers"), format!("{} is more than the limit of {MAX_WALKERS} walkers", g.walkers)));
        }
        // Walk caches hold one partition per non-leaf level (at most 6).
        total += u64::from(g.iotlb_entries) + 6 * u64::from(g.walk_cache_entries) + ats * u64::from(g.devtlb_entries);
        if let Ok(serde_json::Value::Object(costs)) = serde_json::to_value(&m.params.costs) {
            for (name, v) in costs {
                if v.as_u64().is_some_and(|v| v > MAX_COST) {
                    return Err((
                        who(&format!("costs.{name}")),
                        format!("{v} cycles is more than the limit of {MAX_COST} (docs/limits.md)"),
                    ));
                }
            }
        }
    }
    if total > MAX_PLATFORM_CACHE_ENTRIES {
        return Err((
            LimitAt { list: "iommus", id: None, field: None },
            format!(
                "geometry: the platform's caches hold {total} entries in all (IOTLBs, walk caches, device TLBs of {ats} ATS devices); \
                 the limit is {MAX_PLATFORM_CACHE_ENTRIES}"
            ),
        ));
    }
    Ok(())
}
