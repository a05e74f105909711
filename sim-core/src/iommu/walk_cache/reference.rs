//! The walk cache as it was before issue 15 flattened it: one [`PageCache`] per cached depth,
//! probed and filled through the general set-associative paths. Tests only: the reference
//! whose decisions (hits, victims, Random draws, counters) [`super::WalkCache`] must repeat.

use crate::engine::rng::SimRng;
use crate::iommu::page_cache::PageCache;
use crate::iommu::params::Replacement;
use crate::iommu::set_assoc::CacheStats;

#[derive(Clone, Debug)]
pub(super) struct RefWalkCache {
    levels: Vec<PageCache<()>>,
    rng: SimRng,
    lookups: u64,
    hits: u64,
}

impl RefWalkCache {
    pub(super) fn new(max_levels: u8, entries_per_level: u32, ways: u32, policy: Replacement, rng: SimRng) -> Self {
        let n = max_levels.saturating_sub(1) as usize;
        let levels = (0..n).map(|_| PageCache::new(entries_per_level, ways, policy)).collect();
        RefWalkCache { levels, rng, lookups: 0, hits: 0 }
    }

    fn cached_depths(&self, leaf_depth: u8, shifts: &[u32]) -> usize {
        (leaf_depth as usize).saturating_sub(1).min(self.levels.len()).min(shifts.len())
    }

    pub(super) fn lookup(&mut self, tag: u32, iova: u64, leaf_depth: u8, shifts: &[u32]) -> u8 {
        self.lookups += 1;
        let n = self.cached_depths(leaf_depth, shifts);
        for i in (0..n).rev() {
            if shifts[i] >= 64 {
                continue;
            }
            let hit = self.levels[i].probe(tag, shifts[i], iova).is_some();
            self.levels[i].core.record_lookup(hit);
            if hit {
                self.hits += 1;
                return i as u8 + 2;
            }
        }
        1
    }

    pub(super) fn fill_below(&mut self, tag: u32, iova: u64, start: u8, leaf_depth: u8, shifts: &[u32]) {
        let n = self.cached_depths(leaf_depth, shifts);
        let (levels, shifts) = (&mut self.levels[..n], &shifts[..n]);
        for i in (start.max(1) as usize - 1)..n {
            levels[i].fill(tag, shifts[i], iova, (), &mut self.rng);
        }
    }

    pub(super) fn invalidate_range(&mut self, tag: u32, iova: u64, size: u64) -> u32 {
        if size == 0 {
            return 0;
        }
        let last = iova.saturating_add(size - 1);
        self.levels.iter_mut().map(|l| l.invalidate_range(tag, iova, last)).sum()
    }

    pub(super) fn invalidate_tag(&mut self, tag: u32) -> u32 {
        self.levels.iter_mut().map(|l| l.invalidate_tag(tag)).sum()
    }

    pub(super) fn invalidate_all(&mut self) -> u32 {
        self.levels.iter_mut().map(|l| l.clear()).sum()
    }

    pub(super) fn stats(&self) -> CacheStats {
        let mut s = CacheStats::default();
        for l in &self.levels {
            s.add(&l.core.stats());
        }
        s.lookups = self.lookups;
        s.hits = self.hits;
        s.misses = self.lookups - self.hits;
        s
    }

    pub(super) fn level_stats(&self, depth: u8) -> Option<CacheStats> {
        let i = (depth as usize).checked_sub(2)?;
        self.levels.get(i).map(|l| l.core.stats())
    }

    pub(super) fn occupancy(&self) -> u32 {
        self.levels.iter().map(|l| l.core.occupancy()).sum()
    }

    /// The valid entries of the array caching depth `depth`, as (set, way, key): where each
    /// entry sits, so that victims are compared, not only counts.
    pub(super) fn slots(&self, depth: u8) -> Vec<(usize, usize, u128)> {
        let Some(l) = (depth as usize).checked_sub(2).and_then(|i| self.levels.get(i)) else {
            return Vec::new();
        };
        let c = &l.core;
        (0..c.sets()).flat_map(|s| (0..c.ways()).filter_map(move |w| c.slot(s, w).map(|(k, ())| (s, w, k)))).collect()
    }
}
