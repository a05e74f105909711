//! The simulation's side of invalidation: which commands an unmap or a flush sends, to which
//! instances and ATS devices, what they cost and what they remove from the caches. The command
//! kinds and hardware limits are `iommu/invalidate.rs`; the kernel's choices by version
//! `linux/invalidation.rs`.
//!
//! A domain attached behind N instances sends its invalidation to each of them (VT-d cache-tag
//! list, AMD `iommu_array`, the proposed SMMUv3 invalidation array), plus one device-TLB
//! invalidation per ATS device.

use crate::ids::{DomainId, IommuId};
use crate::iommu::invalidate::{Granularity, granularity};
use crate::sim::core::{Core, DeferredInvalidation};
use crate::spec::Scope;

impl Core<'_> {
    /// The instance of `d`'s `i`-th attachment and the domain's tag there, when this kernel's
    /// invalidation of `d` reaches that instance (linux/invalidation.rs `reaches`).
    fn reached(&self, d: DomainId, i: usize) -> Option<(IommuId, u32)> {
        let a = &self.domain(d).attachments[i];
        crate::linux::invalidation::reaches(self.kernel, &self.domain(d).props, a.iommu).then_some((a.iommu, a.tag))
    }

    /// Strict-mode invalidation of `[iova, iova + size)` in domain `d`, with the sync wait.
    /// `leaves`: the leaf entries the unmap cleared there (their size is the granule of the
    /// gather, which a driver without range invalidation sends one command per).
    pub fn invalidate_range(&mut self, d: DomainId, iova: u64, size: u64, leaves: u64) {
        let granule_shift = self.domain(d).table.format().granule_shift;
        let pages = size.div_ceil(1 << granule_shift).max(1);
        let scope = self.domain(d).container.map_or(Scope::Auto, |c| self.containers[c.index()].spec.granularity);
        // Indexed, not collected: this runs on every strict unmap and must not allocate.
        for i in 0..self.domain(d).attachments.len() {
            let Some((iommu, tag)) = self.reached(d, i) else { continue };
            let info = &self.platform.iommus[iommu.index()];
            let caps = &info.params.caps;
            let g = match scope {
                // VT-d first-stage domains: PASID-based, one command of any size (linux/).
                Scope::Auto if crate::linux::invalidation::range_without_domain_fallback(&self.domain(d).props) => Granularity::Pages(1),
                // arm-smmu-v3 chooses its commands by kernel version (linux/invalidation.rs).
                Scope::Auto if info.kind == crate::iommu::IommuKind::ArmSmmuV3 => {
                    crate::linux::invalidation::smmuv3(size, granule_shift, leaves, caps.range_invalidation, &self.kernel)
                }
                Scope::Auto => granularity(pages, caps.range_invalidation, caps.max_invalidation_pages),
                Scope::Domain => Granularity::Domain,
                Scope::Global => Granularity::Global,
            };
            match g {
                Granularity::Pages(n) => {
                    let costs = &self.platform.iommus[iommu.index()].params.costs;
                    let cost = n * costs.cpu_inv_command + costs.cpu_inv_sync;
                    let late = self.drop_entries(iommu, tag, Some((iova, size)));
                    self.instances[iommu.index()].counters.invalidations_page += n;
                    self.m.invalidations_page += n;
                    self.m.cpu_cycles_invalidate += cost + late;
                }
                Granularity::Domain => self.flush_tag_on(iommu, tag),
                Granularity::Global => self.flush_global(iommu),
            }
        }
        self.invalidate_devtlbs(d, Some((iova, size)));
    }

    /// One global invalidation of `iommu`: every entry of every domain goes.
    pub fn flush_global(&mut self, iommu: IommuId) {
        let costs = &self.platform.iommus[iommu.index()].params.costs;
        let cost = costs.cpu_inv_command + costs.cpu_inv_sync;
        let late = self.drop_entries(iommu, 0, Some((0, 0)));
        self.instances[iommu.index()].counters.invalidations_global += 1;
        self.m.invalidations_global += 1;
        self.m.cpu_cycles_invalidate += cost + late;
    }

    /// Domain-wide invalidation on every instance the domain is attached to (lazy flush);
    /// global instead if the container asks for it.
    pub fn invalidate_domain(&mut self, d: DomainId) {
        let scope = self.domain(d).container.map_or(Scope::Auto, |c| self.containers[c.index()].spec.granularity);
        for i in 0..self.domain(d).attachments.len() {
            let Some((iommu, tag)) = self.reached(d, i) else { continue };
            if scope == Scope::Global {
                self.flush_global(iommu);
            } else {
                self.flush_tag_on(iommu, tag);
            }
        }
        self.invalidate_devtlbs(d, None);
    }

    /// One domain-wide invalidation of `tag` on `iommu` (DSI, TLBI by ASID/VMID), with its sync.
    pub fn flush_tag_on(&mut self, iommu: IommuId, tag: u32) {
        let costs = &self.platform.iommus[iommu.index()].params.costs;
        let cost = costs.cpu_inv_command + costs.cpu_inv_sync;
        let late = self.drop_entries(iommu, tag, None);
        self.instances[iommu.index()].counters.invalidations_domain += 1;
        self.m.invalidations_domain += 1;
        self.m.cpu_cycles_invalidate += cost + late;
    }

    /// Drops `tag`'s entries (in `range`, or all) from the instance's IOTLB and walk cache —
    /// at once, or, while an injected late-invalidation fault is active, only when the
    /// invalidation completes. Returns the extra cycles the CPU waits in the sync.
    fn drop_entries(&mut self, iommu: IommuId, tag: u32, range: Option<(u64, u64)>) -> u64 {
        let late = match self.injected.late[iommu.index()] {
            Some((until, delay)) if self.now < until => {
                self.m.injected_faults += 1;
                delay
            }
            _ => 0,
        };
        let inv = DeferredInvalidation { at: self.now + late, iommu, tag, range };
        if late == 0 {
            self.complete_deferred(inv);
        } else {
            self.injected.deferred.push(inv);
        }
        late
    }

    /// Completes an invalidation: the caches drop the entries.
    pub fn complete_deferred(&mut self, inv: DeferredInvalidation) {
        let inst = &mut self.instances[inv.iommu.index()];
        match inv.range {
            // A global invalidation is encoded as the empty range.
            Some((_, 0)) => {
                inst.iotlb.invalidate_all();
                inst.walk_cache.invalidate_all();
            }
            Some((iova, size)) => {
                inst.iotlb.invalidate_range(inv.tag, iova, size);
                inst.walk_cache.invalidate_range(inv.tag, iova, size);
            }
            None => {
                inst.iotlb.invalidate_tag(inv.tag);
                inst.walk_cache.invalidate_tag(inv.tag);
            }
        }
        // The ATC invalidation follows the IOTLB's completion (Linux issues it after the
        // IOTLB flush: `qi_flush_dev_iotlb` after `qi_flush_iotlb`, arm-smmu-v3's ATC_INV
        // after TLBI + CMD_SYNC), so ATS devices drop whatever they refilled from the stale
        // IOTLB entry meanwhile. Its CPU cost was charged when it was issued.
        for &dev in &self.ats_by_iommu[inv.iommu.index()] {
            let ds = &mut self.devices[dev.index()];
            let same = ds.domain.is_some_and(|(_, t)| t == inv.tag || inv.range.is_some_and(|r| r.1 == 0));
            if let (true, Some(tlb)) = (same, ds.devtlb.as_mut()) {
                match inv.range {
                    Some((iova, size)) if size > 0 => tlb.invalidate_range(inv.tag, iova, size),
                    Some(_) => tlb.invalidate_all(),
                    None => tlb.invalidate_tag(inv.tag),
                };
            }
        }
    }

    /// ATC invalidations for every ATS device of the domain (`qi_flush_dev_iotlb`,
    /// `CMDQ_OP_ATC_INV`, AMD per-device IOTLB flush).
    fn invalidate_devtlbs(&mut self, d: DomainId, range: Option<(u64, u64)>) {
        let n = self.domain(d).ats_devices.len();
        for i in 0..n {
            let dev = self.domain(d).ats_devices[i];
            let (tag, cost) = {
                let info = &self.platform.devices[dev.index()];
                let tag = self.devices[dev.index()].domain.map_or(0, |(_, t)| t);
                (tag, self.platform.iommus[info.iommu.index()].params.costs.cpu_devtlb_invalidate)
            };
            if let Some(tlb) = self.devices[dev.index()].devtlb.as_mut() {
                match range {
                    Some((iova, size)) => tlb.invalidate_range(tag, iova, size),
                    None => tlb.invalidate_tag(tag),
                };
            }
            self.m.invalidations_devtlb += 1;
            self.m.cpu_cycles_invalidate += cost;
        }
    }
}
