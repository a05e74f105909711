//! `compat-index` (ours): instead of trial attaches, keep an index of each container's domains
//! by *compatibility key* — the domain properties the driver predicates read, with the owning
//! instance kept only for drivers whose domains cannot span instances — and evaluate the
//! driver's predicate on keys. The group goes straight to the most recently created compatible
//! domain, which is exactly the domain the newest-first search of `vfio-emediumtype` would end
//! on (VFIO's `domain_list` is head-inserted, `search.rs`), so the outcome is identical with
//! zero failed trial attaches.

use std::collections::BTreeMap;

use super::{Strategy, allocate_and_join};
use crate::ids::{ContainerId, DomainId, GroupId, IommuId};
use crate::iommu::IommuKind;
use crate::iommu::driver::{self, DomainProps, Errno};
use crate::sim::core::Core;

/// The compatibility key of a domain.
fn key(p: &DomainProps) -> DomainProps {
    match p.kind {
        // Domains span instances: the owner does not matter to the predicate.
        IommuKind::IntelVtd | IommuKind::AmdVi => DomainProps { owner: IommuId(u16::MAX), ..*p },
        _ => *p,
    }
}

/// Per container: key → domains with that key, in creation order (serial, id).
#[derive(Default)]
pub struct CompatIndex {
    index: BTreeMap<ContainerId, BTreeMap<DomainProps, Vec<(u64, DomainId)>>>,
}

impl Strategy for CompatIndex {
    fn attach(&mut self, core: &mut Core<'_>, g: GroupId, c: ContainerId) -> Result<DomainId, Errno> {
        let iommu = core.group_iommu(g);
        let inst = &core.platform.iommus[iommu.index()];
        let best = self.index.get(&c).and_then(|by_key| {
            by_key
                .iter()
                .filter(|(k, _)| driver::compatible(k, inst.kind, iommu, &inst.params.caps, core.sharing).is_ok())
                .filter_map(|(_, ds)| ds.last().copied())
                .max()
        });
        if let Some((_, d)) = best {
            core.attach(d, g, true)?;
            return Ok(d);
        }
        let d = allocate_and_join(core, g, c)?;
        let entry = (core.domain(d).serial, d);
        self.index.entry(c).or_default().entry(key(&core.domain(d).props)).or_default().push(entry);
        Ok(d)
    }

    fn domain_freed(&mut self, d: DomainId) {
        for by_key in self.index.values_mut() {
            for ds in by_key.values_mut() {
                ds.retain(|&(_, x)| x != d);
            }
            by_key.retain(|_, ds| !ds.is_empty());
        }
    }
}
