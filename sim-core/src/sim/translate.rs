//! Where a translation is costed: the DMA path from a device through its device TLB (ATS),
//! the instance's IOTLB, the walk cache and a page-table walk on one of a bounded number of
//! walkers. Latencies are computed analytically at the DMA's cycle (walkers are reserved into
//! the future), so a DMA is one event however many pages it touches, and nothing is allocated.

use crate::domain::Domain;
use crate::ids::DeviceId;
use crate::iommu::iotlb::TlbEntry;
use crate::sim::core::Core;
use crate::sim::state::DeviceState;
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

/// Outcome of one translation request: its latency (0 when it faulted) and what it hit.
/// Two scalar fields, so that it is returned in two registers, not through memory (issue 15:
/// with two `bool` fields it was written to and read back from the caller's stack per TLP).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Translated {
    pub latency: Cycle,
    flags: u16,
}

impl Translated {
    const FAULTED: u16 = 1;
    const STALE: u16 = 2;
    const FAULT: Translated = Translated { latency: 0, flags: Self::FAULTED };

    #[inline(always)]
    const fn served(latency: Cycle, stale: bool) -> Translated {
        Translated { latency, flags: if stale { Self::STALE } else { 0 } }
    }

    /// The request faulted.
    #[inline(always)]
    pub const fn fault(self) -> bool {
        self.flags & Self::FAULTED != 0
    }

    /// The request was served from a cached entry the domain no longer maps.
    #[inline(always)]
    pub const fn stale(self) -> bool {
        self.flags & Self::STALE != 0
    }
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
            let r = self.translate(dev, addr, need, self.now);
            out.translations += 1;
            out.latency_sum += r.latency;
            out.faults += u64::from(r.fault());
            out.stale += u64::from(r.stale());
        }
        out
    }

    /// One translation request at cycle `now`: `need` is the permission the access requires.
    ///
    /// Counters are kept once, per device (and the walk counters per instance); the run's
    /// totals and the per-instance lookup counts are their sums, formed when the run ends
    /// (`Core::settle_counters`), not incremented three times per translation (issue 15).
    ///
    /// Not inlined into the transfer loop on purpose: measured (valgrind, SimPy-shaped run),
    /// inlining it there costs the loop more in register spills than the call saves.
    #[inline(never)]
    pub(crate) fn translate(&mut self, dev: DeviceId, iova: u64, need: ProtBits, now: Cycle) -> Translated {
        // Disjoint borrows of the state a translation touches: each is looked up once (the
        // fault paths, which need all of `self`, come after their last use).
        let Core { paths, devices, instances, domains, .. } = self;
        let path = &paths[dev.index()];
        let ds = &mut devices[dev.index()];
        ds.translations += 1;
        let Some((d, tag)) = ds.domain else {
            // No domain: the device is blocked (VFIO owns it, nothing attached).
            return self.fault(dev, iova, "no domain attached", now);
        };
        let dom = domains[d.index()].as_mut().expect("attached domain is live");
        let mut latency: Cycle = 0;

        // 1. Device TLB (ATS): a hit never reaches the IOMMU.
        if let Some(tlb) = ds.devtlb.as_mut() {
            if let Some(e) = tlb.lookup_quiet(tag, iova) {
                ds.devtlb_hits += 1;
                latency += path.devtlb_hit;
                return match finish_hit(ds, dom, e, iova, need, latency) {
                    Some(t) => t,
                    None => self.fault(dev, iova, "permission (cached entry)", now),
                };
            }
            latency += path.ats_round_trip;
        }

        // 2. IOTLB.
        let inst = &mut instances[path.iommu];
        if let Some(e) = inst.iotlb.lookup_quiet(tag, iova) {
            ds.iotlb_hits += 1;
            latency += path.iotlb_hit;
            if let Some(tlb) = ds.devtlb.as_mut() {
                tlb.insert_missed(e);
            }
            return match finish_hit(ds, dom, e, iova, need, latency) {
                Some(t) => t,
                None => self.fault(dev, iova, "permission (cached entry)", now),
            };
        }
        ds.iotlb_misses += 1;

        // 3. Walk: the walk cache saves the upper levels; the rest are memory reads, on a
        //    walker that may be busy.
        let walk = dom.table.walk_remembered(iova);
        let levels = dom.shifts_levels;
        // The walk cache learns the tables below the cached one (the depths whose lookup
        // missed) when the walk ends at a usable leaf (issue 15: lookup and fill in one call).
        let usable = matches!(walk.leaf, Some(t) if t.prot.0 & need != 0);
        let start = inst.walk_cache.lookup_fill(tag, iova, walk.depth, &dom.shifts[..levels as usize], usable);
        let reads = u64::from(walk.depth.saturating_sub(start) + 1);
        if start > 1 {
            inst.counters.walk_cache_hits += 1;
        }
        let service = path.walk_base + reads * path.pte_read;
        let queued = inst.reserve_walker(now + latency, service);
        latency += queued + service;
        inst.counters.walks += 1;
        inst.counters.walk_reads += reads;
        inst.counters.walk_cycles += service;
        inst.counters.walk_queue_cycles += queued;

        match walk.leaf {
            None => self.fault(dev, iova, "not mapped", now),
            Some(t) if t.prot.0 & need == 0 => {
                let why = if need == PROT_WRITE { "write to a read-only mapping" } else { "read of a write-only mapping" };
                self.fault(dev, iova, why, now)
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
                inst.iotlb.insert_missed(e);
                if let Some(tlb) = ds.devtlb.as_mut() {
                    tlb.insert_missed(e);
                }
                ds.latency.record(latency);
                Translated::served(latency, false)
            }
        }
    }

    /// Records a translation fault of `dev` at `iova` and returns the faulted outcome.
    #[cold]
    fn fault(&mut self, dev: DeviceId, iova: u64, why: &'static str, now: Cycle) -> Translated {
        self.record_fault(dev, iova, why, now);
        Translated::FAULT
    }

    /// Forms the run's translation totals and each instance's lookup counts from the
    /// per-device counters (and the walk totals from the per-instance ones): what
    /// `translate` no longer counts three times per request. Idempotent.
    pub fn settle_counters(&mut self) {
        let m = &mut self.m;
        (m.translations, m.devtlb_hits, m.iotlb_hits, m.iotlb_misses, m.stale_translations) = (0, 0, 0, 0, 0);
        for inst in &mut self.instances {
            let c = &mut inst.counters;
            (c.translations, c.iotlb_hits, c.iotlb_misses) = (0, 0, 0);
        }
        for (ds, info) in self.devices.iter().zip(&self.platform.devices) {
            m.translations += ds.translations;
            m.devtlb_hits += ds.devtlb_hits;
            m.iotlb_hits += ds.iotlb_hits;
            m.iotlb_misses += ds.iotlb_misses;
            m.stale_translations += ds.stale;
            // An IOTLB lookup is a hit or a miss; device-TLB hits never reach the instance.
            let c = &mut self.instances[info.iommu.index()].counters;
            c.translations += ds.iotlb_hits + ds.iotlb_misses;
            c.iotlb_hits += ds.iotlb_hits;
            c.iotlb_misses += ds.iotlb_misses;
        }
        (m.walks, m.walk_reads, m.walk_cycles, m.walk_queue_cycles) = (0, 0, 0, 0);
        for inst in &self.instances {
            let c = &inst.counters;
            m.walks += c.walks;
            m.walk_reads += c.walk_reads;
            m.walk_cycles += c.walk_cycles;
            m.walk_queue_cycles += c.walk_queue_cycles;
        }
    }
}

/// Completes a translation served from a cached entry, or `None` when the entry does not allow
/// the access (the caller records the fault): the stale check (an entry filled before the
/// domain's last unmap may no longer be mapped; hardware serves it anyway, which is lazy
/// invalidation's exposure) and the device's latency sample.
#[inline(always)]
fn finish_hit(ds: &mut DeviceState, dom: &Domain, e: TlbEntry, iova: u64, need: ProtBits, latency: Cycle) -> Option<Translated> {
    if e.prot & need == 0 {
        return None;
    }
    let mut stale = false;
    if e.epoch != dom.unmap_epoch {
        let expected = e.phys + (iova - e.iova);
        let fresh = matches!(dom.table.translate(iova), Some(t) if t.phys == expected && t.prot.0 & need != 0);
        if !fresh {
            ds.stale += 1;
            stale = true;
        }
    }
    ds.latency.record(latency);
    Some(Translated::served(latency, stale))
}
