//! The run-time state of one IOMMU instance: its IOTLB, walk cache, walkers and counters.
//! (How Linux hands out its domain ids is `linux/id_pools.rs`.) Built from the platform's immutable [`IommuParams`].

use crate::engine::SimRng;
use crate::iommu::IommuParams;
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
    /// When each walker is next free, as a binary min-heap (`walkers[0]` is the earliest);
    /// a miss takes the earliest. Walkers are interchangeable, so only the multiset of these
    /// times matters, not which walker holds which.
    pub walkers: Vec<Cycle>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iommu::IommuKind;

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
