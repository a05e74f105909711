//! Where a translation is costed: the DMA path from a device through its device TLB (ATS),
//! the instance's IOTLB, the walk cache and a page-table walk on one of a bounded number of
//! walkers. Latencies are computed analytically at the DMA's cycle (walkers are reserved into
//! the future), so a DMA is one event however many pages it touches, and nothing is allocated.

use crate::ids::DeviceId;
use crate::iommu::iotlb::TlbEntry;
use crate::sim::core::Core;
use crate::spec::{PROT_READ, PROT_WRITE, ProtBits};
use crate::time::Cycle;

/// Translation requests are made per 4 KiB page touched (PCIe ATS and the IOMMUs translate at
/// the smallest granule; larger IOTLB entries then serve several requests).
const REQ_SHIFT: u32 = 12;

/// Outcome of one DMA, folded into the digest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DmaOutcome {
    pub translations: u64,
    pub latency_sum: u64,
    pub faults: u64,
    pub stale: u64,
}

impl Core<'_> {
    /// Device `dev` accesses `bytes` bytes at `iova` at the current cycle.
    pub fn dma(&mut self, dev: DeviceId, iova: u64, bytes: u64, write: bool) -> DmaOutcome {
        let need = if write { PROT_WRITE } else { PROT_READ };
        let first = iova >> REQ_SHIFT;
        let last = (iova + bytes - 1) >> REQ_SHIFT;
        let mut out = DmaOutcome::default();
        for page in first..=last {
            let addr = if page == first { iova } else { page << REQ_SHIFT };
            self.translate(dev, addr, need, &mut out);
        }
        out
    }

    /// One translation request: `need` is the permission the access requires.
    #[inline]
    pub(crate) fn translate(&mut self, dev: DeviceId, iova: u64, need: ProtBits, out: &mut DmaOutcome) {
        let now = self.now;
        let info = &self.platform.devices[dev.index()];
        let iommu = info.iommu;
        let costs = &self.platform.iommus[iommu.index()].params.costs;
        self.m.translations += 1;
        out.translations += 1;
        let ds = &mut self.devices[dev.index()];
        ds.translations += 1;
        let Some((d, tag)) = ds.domain else {
            // No domain: the device is blocked (VFIO owns it, nothing attached).
            self.record_fault(dev, iova, "no domain attached");
            out.faults += 1;
            return;
        };
        let mut latency: Cycle = 0;

        // 1. Device TLB (ATS): a hit never reaches the IOMMU.
        if let Some(tlb) = ds.devtlb.as_mut() {
            if let Some(e) = tlb.lookup(tag, iova) {
                ds.devtlb_hits += 1;
                self.m.devtlb_hits += 1;
                latency += costs.devtlb_hit;
                self.finish_hit(dev, d, e, iova, need, latency, out);
                return;
            }
            latency += costs.ats_round_trip;
        }

        // 2. IOTLB.
        let inst = &mut self.instances[iommu.index()];
        inst.counters.translations += 1;
        if let Some(e) = inst.iotlb.lookup(tag, iova) {
            inst.counters.iotlb_hits += 1;
            self.m.iotlb_hits += 1;
            let ds = &mut self.devices[dev.index()];
            ds.iotlb_hits += 1;
            latency += costs.iotlb_hit;
            if let Some(tlb) = ds.devtlb.as_mut() {
                tlb.insert(e);
            }
            self.finish_hit(dev, d, e, iova, need, latency, out);
            return;
        }
        inst.counters.iotlb_misses += 1;
        self.m.iotlb_misses += 1;
        self.devices[dev.index()].iotlb_misses += 1;

        // 3. Walk: the walk cache saves the upper levels; the rest are memory reads, on a
        //    walker that may be busy.
        let dom = self.domains[d.index()].as_mut().expect("attached domain is live");
        let walk = dom.table.walk(iova);
        let levels = dom.shifts_levels;
        // The walk cache learns the tables below the cached one (the depths whose lookup
        // missed) when the walk ends at a usable leaf (issue 15: lookup and fill in one call).
        let usable = matches!(walk.leaf, Some(t) if t.prot.0 & need != 0);
        let start = inst.walk_cache.lookup_fill(tag, iova, walk.depth, &dom.shifts[..levels as usize], usable);
        let reads = u64::from(walk.depth.saturating_sub(start) + 1);
        if start > 1 {
            inst.counters.walk_cache_hits += 1;
        }
        let service = costs.walk_cache_lookup + costs.walk_overhead + reads * costs.pte_read;
        let queued = inst.reserve_walker(now + latency, service);
        latency += queued + service;
        inst.counters.walks += 1;
        inst.counters.walk_reads += reads;
        inst.counters.walk_cycles += service;
        inst.counters.walk_queue_cycles += queued;
        self.m.walks += 1;
        self.m.walk_reads += reads;
        self.m.walk_cycles += service;
        self.m.walk_queue_cycles += queued;

        match walk.leaf {
            None => {
                self.record_fault(dev, iova, "not mapped");
                out.faults += 1;
            }
            Some(t) if t.prot.0 & need == 0 => {
                self.record_fault(
                    dev,
                    iova,
                    if need == PROT_WRITE { "write to a read-only mapping" } else { "read of a write-only mapping" },
                );
                out.faults += 1;
            }
            Some(t) => {
                let page_mask = t.page_size - 1;
                let e = TlbEntry {
                    tag,
                    iova: iova & !page_mask,
                    page_shift: t.page_size.trailing_zeros() as u8,
                    phys: t.phys & !page_mask,
                    prot: t.prot.0,
                    epoch: dom.unmap_epoch,
                };
                inst.iotlb.insert(e);
                let ds = &mut self.devices[dev.index()];
                if let Some(tlb) = ds.devtlb.as_mut() {
                    tlb.insert(e);
                }
                ds.latency.record(latency);
                out.latency_sum += latency;
            }
        }
    }

    /// Completes a translation served from a cached entry: permission check and the stale
    /// check (an entry filled before the domain's last unmap may no longer be mapped; hardware
    /// serves it anyway, which is lazy invalidation's exposure).
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn finish_hit(
        &mut self,
        dev: DeviceId,
        d: crate::ids::DomainId,
        e: TlbEntry,
        iova: u64,
        need: ProtBits,
        latency: Cycle,
        out: &mut DmaOutcome,
    ) {
        if e.prot & need == 0 {
            self.record_fault(dev, iova, "permission (cached entry)");
            out.faults += 1;
            return;
        }
        let dom = self.domains[d.index()].as_ref().expect("attached domain is live");
        if e.epoch != dom.unmap_epoch {
            let expected = e.phys + (iova - e.iova);
            let fresh = matches!(dom.table.translate(iova), Some(t) if t.phys == expected && t.prot.0 & need != 0);
            if !fresh {
                self.m.stale_translations += 1;
                self.devices[dev.index()].stale += 1;
                out.stale += 1;
            }
        }
        self.devices[dev.index()].latency.record(latency);
        out.latency_sum += latency;
    }
}
