//! The run-time state of one IOMMU instance: its IOTLB, walk cache, walkers, domain-ID space
//! and counters. Built from the platform's immutable [`IommuParams`].

use crate::engine::SimRng;
use crate::iommu::IommuParams;
use crate::iommu::driver::IdSpace;
use crate::iommu::iotlb::Iotlb;
use crate::iommu::walk_cache::WalkCache;
use crate::time::Cycle;

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
    /// When each walker is next free; a miss takes the earliest.
    pub walkers: Vec<Cycle>,
    pub ids: IdSpace,
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
            ids: IdSpace::new(params.caps.domain_ids),
            counters: InstanceCounters::default(),
        }
    }

    /// Reserves the earliest-free walker for a walk arriving at `arrival` that takes
    /// `service` cycles; returns the cycles it waited for the walker.
    #[inline]
    pub fn reserve_walker(&mut self, arrival: Cycle, service: Cycle) -> Cycle {
        let mut best = 0;
        for i in 1..self.walkers.len() {
            if self.walkers[i] < self.walkers[best] {
                best = i;
            }
        }
        let start = self.walkers[best].max(arrival);
        self.walkers[best] = start + service;
        start - arrival
    }
}
