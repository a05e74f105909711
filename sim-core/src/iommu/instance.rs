//! The run-time state of one IOMMU instance: its IOTLB, walk cache, walkers, domain-ID space
//! and counters. Built from the platform's immutable [`IommuParams`].

use crate::engine::SimRng;
use crate::iommu::IommuKind;
use crate::iommu::IommuParams;
use crate::iommu::driver::{Errno, IdSpace};
use crate::iommu::iotlb::Iotlb;
use crate::iommu::walk_cache::WalkCache;
use crate::time::Cycle;
use crate::topology::IommuInstance;

/// Counters of one instance (streamed; become `IommuResult`).
#[derive(Clone, Debug, Default)]
pub struct InstanceCounters {
    pub translations: u64,
    pub iotlb_hits: u64,
    pub iotlb_misses: u64,
    pub walks: u64,
    pub walk_cache_hits: u64,
    pub walk_reads: u64,
    pub walk_cycles: u64,
    pub walk_queue_cycles: u64,
    pub invalidations_page: u64,
    pub invalidations_domain: u64,
    pub invalidations_global: u64,
    pub faults: u64,
}

/// One IOMMU instance during a run.
#[derive(Debug)]
pub struct Instance {
    pub iotlb: Iotlb,
    pub walk_cache: WalkCache,
    /// When each walker is next free, as a binary min-heap (`walkers[0]` is the earliest);
    /// a miss takes the earliest. Walkers are interchangeable, so only the multiset of these
    /// times matters, not which walker holds which.
    pub walkers: Vec<Cycle>,
    /// Index of the domain-ID pool this instance allocates tags from (`Core::id_pools`):
    /// its own, except SMMUv3 and AMD-Vi instances, which share one per kind (see [`id_pools`]).
    pub pool: usize,
    /// The tag is taken when the domain is allocated and is the domain's on every instance
    /// (AMD-Vi), not when it is first attached behind this instance.
    pub tag_at_alloc: bool,
    pub counters: InstanceCounters,
}

impl Instance {
    /// Fresh state for an instance named `name` (the name keys its random streams).
    pub fn new(name: &str, params: &IommuParams, seed: u64) -> Instance {
        let g = &params.geometry;
        Instance {
            iotlb: Iotlb::new(g.iotlb_entries, g.iotlb_ways, g.iotlb_replacement, SimRng::for_source(seed, &format!("iotlb:{name}"))),
            walk_cache: WalkCache::new(
                6,
                g.walk_cache_entries,
                g.walk_cache_ways,
                g.iotlb_replacement,
                SimRng::for_source(seed, &format!("walk-cache:{name}")),
            ),
            walkers: vec![0; g.walkers.max(1) as usize],
            pool: usize::MAX,
            tag_at_alloc: false,
            counters: InstanceCounters::default(),
        }
    }

    /// Reserves the earliest-free walker for a walk arriving at `arrival` that takes
    /// `service` cycles; returns the cycles it waited for the walker.
    /// O(log walkers): the earliest is the heap's root; its new free time sifts down.
    #[inline]
    pub fn reserve_walker(&mut self, arrival: Cycle, service: Cycle) -> Cycle {
        let w = &mut self.walkers[..];
        let start = w[0].max(arrival);
        let free = start + service;
        let mut i = 0;
        loop {
            let l = 2 * i + 1;
            if l >= w.len() {
                break;
            }
            let r = l + 1;
            let c = if r < w.len() && w[r] < w[l] { r } else { l };
            if w[c] >= free {
                break;
            }
            w[i] = w[c];
            i = c;
        }
        w[i] = free;
        start - arrival
    }
}

/// The ids Linux can use out of an instance's `domain_ids`, and the errno a full pool gives.
///
/// - VT-d: DID 0 is reserved (caching mode tags invalid translations with it, and 0 marks "no
///   DID") and DID 1 is `FLPT_DEFAULT_DID` (first-level/pass-through PASID entries, identity):
///   `ida_alloc_range(&iommu->domain_ida, IDA_START_DID = 2, cap_ndoms - 1)` in
///   intel/iommu.c `domain_attach_iommu`, per unit, at attach; full: -ENOSPC and
///   "No free domain ids". (Before the IDA conversion a bitmap reserved 0 always and 1 in
///   scalable mode, which the model assumes: the same two ids.)
/// - AMD-Vi: one IDA for the whole platform, ids 1..MAX_DOMAIN_ID-1, taken when the domain is
///   allocated (amd/iommu.c `pdom_id_alloc` in `protection_domain_alloc`; earlier the global
///   `amd_iommu_pd_alloc_bitmap`); full: the allocation returns NULL → -ENOMEM.
/// - SMMUv3: stage-1 domains take an ASID from the global `arm_smmu_asid_xa`
///   (`XA_LIMIT(1, (1 << asid_bits) - 1)`, arm-smmu-v3.c `arm_smmu_domain_finalise_s1`, v5.10+);
///   full: `xa_alloc` returns -EBUSY. VMIDs (per SMMU, `ida_alloc_range(&smmu->vmid_map, 1,
///   ...)`) serve stage-2 domains only, which VFIO / DMA-API domains on a stage-1 SMMU are not:
///   not modelled.
/// - SMMUv2: a stage-1 domain takes a context bank in `[num_s2_context_banks,
///   num_context_banks)` (arm-smmu.c `arm_smmu_init_domain_context` →
///   `__arm_smmu_alloc_bitmap`); full: -ENOSPC.
/// - virtio-iommu: the device's whole domain range.
pub fn usable_ids(info: &IommuInstance) -> u32 {
    let caps = &info.params.caps;
    match info.kind {
        IommuKind::IntelVtd => caps.domain_ids.saturating_sub(2),
        IommuKind::AmdVi | IommuKind::ArmSmmuV3 => caps.domain_ids.saturating_sub(1),
        IommuKind::ArmSmmuV2 => caps.domain_ids.saturating_sub(caps.s2_context_banks),
        IommuKind::VirtioIommu => caps.domain_ids,
    }
}

/// The errno Linux returns when `kind`'s domain-ID pool is full (see [`usable_ids`]).
pub fn full_pool_errno(kind: IommuKind) -> Errno {
    match kind {
        IommuKind::ArmSmmuV3 => Errno::EBUSY,
        IommuKind::AmdVi => Errno::ENOMEM,
        IommuKind::IntelVtd | IommuKind::ArmSmmuV2 | IommuKind::VirtioIommu => Errno::ENOSPC,
    }
}

/// Builds the domain-ID pools of a platform and points each instance at its pool: one per
/// instance, except that every SMMUv3 shares one (global ASIDs) and every AMD-Vi unit shares
/// one (global domain ids), each sized by the smallest of its members.
pub fn id_pools(infos: &[IommuInstance], instances: &mut [Instance]) -> Vec<IdSpace> {
    let mut pools = Vec::new();
    let mut shared = |kind: IommuKind| {
        infos.iter().filter(|i| i.kind == kind).map(usable_ids).min().map(|size| {
            pools.push(IdSpace::new(size));
            pools.len() - 1
        })
    };
    let (smmuv3, amd) = (shared(IommuKind::ArmSmmuV3), shared(IommuKind::AmdVi));
    for (info, inst) in infos.iter().zip(instances.iter_mut()) {
        inst.tag_at_alloc = info.kind == IommuKind::AmdVi;
        inst.pool = match (info.kind, smmuv3, amd) {
            (IommuKind::ArmSmmuV3, Some(p), _) | (IommuKind::AmdVi, _, Some(p)) => p,
            _ => {
                pools.push(IdSpace::new(usable_ids(info)));
                pools.len() - 1
            }
        };
    }
    pools
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The heap gives the same waits as scanning for the earliest-free walker.
    #[test]
    fn walker_heap_matches_a_scan() {
        let params = IommuParams::defaults(IommuKind::IntelVtd);
        for walkers in [1usize, 2, 3, 7, 16] {
            let mut inst = Instance::new("t", &params, 1);
            inst.walkers = vec![0; walkers];
            let mut scan = vec![0u64; walkers];
            let mut rng = SimRng::for_source(5, "walkers");
            let mut now = 0;
            for _ in 0..2000 {
                now += rng.below(40);
                let arrival = now + rng.below(3) * 50;
                let service = 1 + rng.below(300);
                let best = (0..walkers).min_by_key(|&i| (scan[i], i)).unwrap();
                let start = scan[best].max(arrival);
                scan[best] = start + service;
                assert_eq!(inst.reserve_walker(arrival, service), start - arrival);
            }
        }
    }
}
