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
    /// When each walker is next free; a miss takes the earliest.
    pub walkers: Walkers,
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
            walkers: Walkers::new(g.walkers.max(1) as usize),
            counters: InstanceCounters::default(),
        }
    }

    /// Reserves the earliest-free walker for a walk arriving at `arrival` that takes
    /// `service` cycles; returns the cycles it waited for the walker.
    #[inline]
    pub fn reserve_walker(&mut self, arrival: Cycle, service: Cycle) -> Cycle {
        self.walkers.reserve(arrival, service)
    }
}

/// The walkers' next free times. Walkers are interchangeable, so only the multiset of these
/// times matters, not which walker holds which: a reservation takes the earliest and puts back
/// its new free time. Two layouts, chosen by the walker count (same multiset, same waits):
///
/// - up to [`Walkers::RING_MAX`]: sorted in a ring, earliest at `head`. Walks arriving in time
///   order with similar service times end after every walk already reserved, so putting the
///   new time back is one comparison at the tail — O(1), where a heap sifts log2(walkers)
///   levels every time; an out-of-order end shifts the later times up by one (≤ RING_MAX).
/// - more: a binary min-heap (earliest at 0), O(log walkers) whatever the order.
#[derive(Clone, Debug)]
pub struct Walkers {
    free: Vec<Cycle>,
    /// Ring layout: where the earliest time is. Heap layout: unused (0).
    head: usize,
    ring: bool,
}

impl Walkers {
    /// Walker counts kept as a sorted ring (a shift costs at most this many moves).
    pub const RING_MAX: usize = 64;

    /// `n` walkers (at least one), all free at cycle 0.
    pub fn new(n: usize) -> Walkers {
        let n = n.max(1);
        Walkers { free: vec![0; n], head: 0, ring: n <= Self::RING_MAX }
    }

    /// Takes the earliest-free walker for a walk arriving at `arrival` that holds it for
    /// `service` cycles; returns the cycles the walk waited.
    #[inline]
    pub fn reserve(&mut self, arrival: Cycle, service: Cycle) -> Cycle {
        if self.ring { self.reserve_ring(arrival, service) } else { self.reserve_heap(arrival, service) }
    }

    #[inline]
    fn reserve_ring(&mut self, arrival: Cycle, service: Cycle) -> Cycle {
        let n = self.free.len();
        let f = &mut self.free[..];
        let head = self.head.min(n - 1);
        let start = f[head].max(arrival);
        let done = start + service;
        // The head's slot is now free and is logically the tail (position n): move the later
        // times that exceed `done` up by one, then write `done` into the hole.
        let mut hole = head;
        for _ in 1..n {
            let p = if hole == 0 { n - 1 } else { hole - 1 };
            if f[p] <= done {
                break;
            }
            f[hole] = f[p];
            hole = p;
        }
        f[hole] = done;
        self.head = if head + 1 == n { 0 } else { head + 1 };
        start - arrival
    }

    fn reserve_heap(&mut self, arrival: Cycle, service: Cycle) -> Cycle {
        let w = &mut self.free[..];
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

    /// The free times, earliest first (tests).
    #[cfg(test)]
    fn sorted(&self) -> Vec<Cycle> {
        let n = self.free.len();
        let mut v: Vec<Cycle> = (0..n).map(|k| self.free[(self.head + k) % n]).collect();
        if !self.ring {
            v.sort_unstable();
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iommu::IommuKind;

    /// Both layouts (sorted ring up to 64 walkers, heap above) give the same waits and the
    /// same free times as scanning for the earliest-free walker, with arrivals out of order.
    #[test]
    fn walkers_match_a_scan() {
        let params = IommuParams::defaults(IommuKind::IntelVtd);
        for walkers in [1usize, 2, 3, 7, 16, 64, 65, 200] {
            let mut inst = Instance::new("t", &params, 1);
            inst.walkers = Walkers::new(walkers);
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
                let mut want = scan.clone();
                want.sort_unstable();
                assert_eq!(inst.walkers.sorted(), want);
            }
        }
    }
}
