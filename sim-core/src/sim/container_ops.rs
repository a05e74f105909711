//! The script's container operations as the simulation performs them: map and unmap through
//! every domain of a container (VFIO type1 / iommufd replicate), strict or lazy invalidation,
//! and the lazy mode's flush queue and timer (split out of `sim/mod.rs`, which holds the loop).

use super::{Event, Simulation};
use crate::ids::ContainerId;
use crate::spec::{ContainerKind, Invalidation};

impl Simulation<'_, '_> {
    /// Maps into every domain of the container (`vfio_iommu_map` loops over `domain_list`).
    pub(super) fn map(&mut self, c: ContainerId, iova: u64, size: u64, prot: u8, backing_shift: u8) -> bool {
        let core = &mut self.core;
        core.m.maps += 1;
        let cont = &core.containers[c.index()];
        // A map that some domain cannot represent (beyond its input or output width, or
        // wrapping) fails as a whole, like `vfio_iommu_map` unwinding a failed `iommu_map`.
        let phys = cont.phys_base.checked_add(iova).filter(|p| p.checked_add(size).is_some());
        let representable = |p: u64| cont.domains.iter().all(|&d| core.domain(d).table.format().representable(iova, p, size));
        if cont.overlaps(iova, size) || !phys.is_some_and(representable) {
            core.m.map_errors += 1;
            return false;
        }
        let phys = phys.unwrap_or_default();
        let cont = &mut core.containers[c.index()];
        let mapping = crate::container::Mapping { size, prot, backing_shift };
        cont.mappings.insert(iova, mapping);
        let n = cont.domains.len();
        core.m.map_replications += n.saturating_sub(1) as u64;
        for i in 0..n {
            let d = core.containers[c.index()].domains[i];
            core.map_mapping(d, iova, phys, mapping);
        }
        true
    }

    /// Unmaps from every domain, then invalidates as the container's mode says.
    pub(super) fn unmap(&mut self, c: ContainerId, iova: u64, size: u64) -> bool {
        let core = &mut self.core;
        core.m.unmaps += 1;
        let mut taken = std::mem::take(&mut self.unmapped);
        if core.containers[c.index()].take_range(iova, size, &mut taken).is_err() {
            core.m.map_errors += 1;
            self.unmapped = taken;
            return false;
        }
        let (mode, kind) = {
            let spec = &core.containers[c.index()].spec;
            (spec.invalidation, spec.kind)
        };
        let n = core.containers[c.index()].domains.len();
        for i in 0..n {
            let d = core.containers[c.index()].domains[i];
            // VFIO type1 adds a new domain at the head of `domain_list` and unmaps the head
            // (the newest domain) chunk by chunk with batched syncs; the others in one go.
            let batched = kind == ContainerKind::Vfio && i == n - 1;
            for &(start, m) in &taken {
                let leaves = core.unmap_from(d, start, m.size);
                if mode != Invalidation::Strict {
                    continue;
                }
                let step = if batched { crate::container::vfio_sync_bytes(&m) } else { m.size };
                let mut off = 0;
                while off < m.size {
                    let len = step.min(m.size - off);
                    // The batch's share of the leaf entries (exact for uniformly backed ranges).
                    let batch_leaves = (u128::from(leaves) * u128::from(len)).div_ceil(u128::from(m.size)) as u64;
                    core.invalidate_range(d, start + off, len, batch_leaves);
                    off += len;
                }
            }
        }
        let count = taken.len() as u32;
        self.unmapped = taken;
        if mode == Invalidation::Lazy && n > 0 {
            // dma-iommu.c `queue_iova`, once per unmapped range: a full ring (it holds
            // `flush_queue - 1` entries) flushes before the new entry goes in; the first entry
            // after the timer last fired arms it.
            for _ in 0..count {
                let cont = &self.core.containers[c.index()];
                if cont.fq_pending + 1 >= cont.spec.flush_queue {
                    self.flush(c);
                }
                let cont = &mut self.core.containers[c.index()];
                cont.fq_pending += 1;
                if !cont.fq_timer_on {
                    cont.fq_timer_on = true;
                    let (at, generation) = (self.core.now + cont.spec.flush_timeout, cont.fq_generation);
                    self.queue.push(at, Event::FlushTimer { container: c, generation }.pack());
                }
            }
        }
        true
    }

    /// One domain-wide flush of every domain of the container (`fq_flush_iotlb` →
    /// `flush_iotlb_all`).
    pub(super) fn flush(&mut self, c: ContainerId) {
        let core = &mut self.core;
        let n = core.containers[c.index()].domains.len();
        for i in 0..n {
            let d = core.containers[c.index()].domains[i];
            core.invalidate_domain(d);
        }
        core.containers[c.index()].fq_pending = 0;
        core.m.flushes += 1;
    }
}
