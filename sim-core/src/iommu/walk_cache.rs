//! The paging-structure (walk) cache: remembers where non-root page tables are, so that a walk
//! can start below the root.
//!
//! Hardware has one such cache per non-leaf level: VT-d's paging-structure caches
//! (`ss_nonleaf` perfmon events), AMD's PDE cache, the SMMU walk cache with its per-level
//! partitions (gem5 `WalkCache` sizes S1L0..L3, MMU-600 `TCUCFG_WCS1L*_DEPTH`; [ref-MC] §1.2,
//! §4). It is modelled as one set-associative array per cached depth, each with the geometry
//! from `Geometry.walk_cache_*`.
//!
//! # Depths and `shifts`
//!
//! A table with L levels is walked from depth 1 (the root) to depth `leaf_depth` (the table
//! holding the leaf PTE: L for the smallest page, fewer for a block/huge mapping). `shifts[i]`
//! is the log2 of the address range covered by **one entry of the table at depth `i + 1`** —
//! what the page-table model calls the level shift of that depth. The table at depth `d ≥ 2`
//! is the one pointed to by the depth-`(d-1)` entry for `iova`, so it is identified by
//! `(tag, iova >> shifts[d - 2])`, and covers a `2^shifts[d - 2]` region.
//!
//! Example, 4-level table with a 4 KiB granule (VT-d 48-bit, AMD 4-level, Arm LPAE 48-bit):
//! `shifts = [39, 30, 21, 12]`.
//!
//! | depth | table covers | walk-cache key | a hit skips |
//! |---|---|---|---|
//! | 1 (root) | 2^48 | never cached (its address is in the context/STE/DTE) | — |
//! | 2 | 2^39 | `iova >> 39` | 1 read |
//! | 3 | 2^30 | `iova >> 30` | 2 reads |
//! | 4 | 2^21 | `iova >> 21` | 3 reads (only the leaf PTE is read) |
//!
//! A 4 KiB walk has `leaf_depth = 4`; a 2 MiB mapping `leaf_depth = 3`; 1 GiB `leaf_depth = 2`.
//! Keys also carry the region size, so domains with different table formats sharing one cache
//! can never be confused, and range invalidation needs no `shifts`.
//!
//! Linux invalidates the paging-structure caches on every unmap (VT-d PSI without the
//! invalidation hint, SMMU TLBI without leaf-only): this is what makes IOTLB misses after an
//! unmap pay full walks (F&S SOSP'24, [ref-MC] §3.2). [`WalkCache::invalidate_range`] models it.

use super::page_cache::PageCache;
use super::params::Replacement;
use super::set_assoc::CacheStats;
use crate::engine::rng::SimRng;

/// Per-depth paging-structure caches of one IOMMU instance.
#[derive(Clone, Debug)]
pub struct WalkCache {
    /// `levels[d - 2]` caches depth-`d` tables, for `d` in `2..=max_levels`.
    levels: Vec<PageCache<()>>,
    rng: SimRng,
    lookups: u64,
    hits: u64,
    /// The depth arrays' common geometry, as [`WalkCache::lookup_fill`] dispatches on it.
    shape: Shape,
}

/// Which copy of the translation path's walk-cache code serves this geometry: every depth
/// array has the same one, so it is decided once at construction instead of per probe and
/// per fill (issue 15). The narrow copies need a power-of-two set count (index by mask).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    OneWay,
    FourWay,
    Other,
}

impl WalkCache {
    /// A cache for tables of up to `max_levels` levels: `max_levels - 1` arrays (depths 2..)
    /// of `entries_per_level` entries in sets of `ways`, replacement `policy`. `rng` is the
    /// cache's own stream (shared by its depth arrays; drawn from only by Random replacement).
    /// `entries_per_level == 0` disables the cache (every lookup returns 1).
    pub fn new(max_levels: u8, entries_per_level: u32, ways: u32, policy: Replacement, rng: SimRng) -> WalkCache {
        let n = max_levels.saturating_sub(1) as usize;
        let levels: Vec<PageCache<()>> = (0..n).map(|_| PageCache::new(entries_per_level, ways, policy)).collect();
        let shape = match levels.first().map(|l| (l.core.ways(), l.core.pow2 && l.core.wide.is_none())) {
            Some((1, true)) => Shape::OneWay,
            Some((4, true)) => Shape::FourWay,
            _ => Shape::Other,
        };
        WalkCache { levels, rng, lookups: 0, hits: 0, shape }
    }

    /// The deepest depth in `2..=leaf_depth` whose table for `iova` is cached, or 1 when none
    /// is (the walk starts at the root). A walk that gets `d` reads tables `d..=leaf_depth`,
    /// i.e. skips `d - 1` reads. Probes deepest first, as gem5 does; each depth array counts
    /// its own probes ([`WalkCache::level_stats`]).
    #[inline]
    pub fn lookup(&mut self, tag: u32, iova: u64, leaf_depth: u8, shifts: &[u32]) -> u8 {
        self.lookups += 1;
        // Depths 2..=top have both an array and a shift: `levels[..n]`, `shifts[..n]`. A plain
        // index loop over two slices of length `n`: no bounds checks, and none of the
        // trimming a reversed `zip` pays per call (issue 15: ~30 instructions per miss).
        let n = self.cached_depths(leaf_depth, shifts);
        let (levels, shifts) = (&mut self.levels[..n], &shifts[..n]);
        let mut i = n;
        while i > 0 {
            i -= 1;
            let sh = shifts[i];
            if sh >= 64 {
                continue;
            }
            let level = &mut levels[i];
            let hit = level.probe(tag, sh, iova).is_some();
            level.core.record_lookup(hit);
            if hit {
                self.hits += 1;
                return i as u8 + 2;
            }
        }
        1
    }

    /// [`WalkCache::lookup`] and then, when `fill` (the walk will reach a usable leaf),
    /// [`WalkCache::fill_below`] of what it returned — in one call, as the translation path
    /// does them: the walk between them never touches the walk cache, and the fills still run
    /// shallowest first after every probe, so the replacement decisions (and a Random
    /// policy's draws) are those of the two calls.
    #[inline]
    pub fn lookup_fill(&mut self, tag: u32, iova: u64, leaf_depth: u8, shifts: &[u32], fill: bool) -> u8 {
        match self.shape {
            Shape::OneWay => self.lookup_fill_n::<1>(tag, iova, leaf_depth, shifts, fill),
            Shape::FourWay => self.lookup_fill_n::<4>(tag, iova, leaf_depth, shifts, fill),
            Shape::Other => self.lookup_fill_any(tag, iova, leaf_depth, shifts, fill),
        }
    }

    /// [`WalkCache::lookup_fill`] for `N`-way depth arrays with a power-of-two set count: the
    /// same probes, fills and counts, in the same order, with the geometry known. Its probe
    /// loop is a copy of [`WalkCache::lookup`]'s on purpose: one loop shared through a probe
    /// closure measured 36 instructions more per translation (valgrind, SimPy-shaped run).
    #[inline(always)]
    fn lookup_fill_n<const N: usize>(&mut self, tag: u32, iova: u64, leaf_depth: u8, shifts: &[u32], fill: bool) -> u8 {
        self.lookups += 1;
        let n = self.cached_depths(leaf_depth, shifts);
        let (levels, shifts) = (&mut self.levels[..n], &shifts[..n]);
        let mut start = 1;
        let mut i = n;
        while i > 0 {
            i -= 1;
            let sh = shifts[i];
            if sh >= 64 {
                continue;
            }
            let level = &mut levels[i];
            let hit = level.probe_pow2_n::<N>(tag, sh, iova).is_some();
            level.core.record_lookup(hit);
            if hit {
                self.hits += 1;
                start = i + 2;
                break;
            }
        }
        if fill {
            for i in (start - 1)..n {
                let sh = shifts[i];
                if sh < 64 {
                    levels[i].fill_pow2_n::<N>(tag, sh, iova, (), &mut self.rng);
                }
            }
        }
        start as u8
    }

    /// [`WalkCache::lookup_fill`] for any geometry.
    #[inline]
    fn lookup_fill_any(&mut self, tag: u32, iova: u64, leaf_depth: u8, shifts: &[u32], fill: bool) -> u8 {
        let start = self.lookup(tag, iova, leaf_depth, shifts);
        if fill {
            let n = self.cached_depths(leaf_depth, shifts);
            let (levels, shifts) = (&mut self.levels[..n], &shifts[..n]);
            for i in (start as usize - 1)..n {
                levels[i].fill(tag, shifts[i], iova, (), &mut self.rng);
            }
        }
        start
    }

    /// How many depths (from depth 2 down) a walk ending at `leaf_depth` can find cached:
    /// those with both an array and a shift.
    #[inline(always)]
    fn cached_depths(&self, leaf_depth: u8, shifts: &[u32]) -> usize {
        (leaf_depth as usize).saturating_sub(1).min(self.levels.len()).min(shifts.len())
    }

    /// After a walk to `leaf_depth`: remembers every non-root table on the path (depths
    /// `2..=leaf_depth`), as gem5 updates the walk cache at each level.
    pub fn fill(&mut self, tag: u32, iova: u64, leaf_depth: u8, shifts: &[u32]) {
        self.fill_below(tag, iova, 1, leaf_depth, shifts);
    }

    /// After a walk that started at depth `start` (what [`WalkCache::lookup`] returned) and
    /// ended at `leaf_depth`: remembers the tables the walk itself read pointers to, depths
    /// `start + 1..=leaf_depth` — exactly the depths whose lookup missed. The tables above
    /// were neither probed nor read, so they are left alone (a walker learns only what it
    /// walks: gem5 `SMMUTranslationProcess::walkCacheUpdate` runs per level walked).
    #[inline]
    pub fn fill_below(&mut self, tag: u32, iova: u64, start: u8, leaf_depth: u8, shifts: &[u32]) {
        let n = self.cached_depths(leaf_depth, shifts);
        let (levels, shifts) = (&mut self.levels[..n], &shifts[..n]);
        for i in (start.max(1) as usize - 1)..n {
            levels[i].fill(tag, shifts[i], iova, (), &mut self.rng);
        }
    }

    /// Drops the entries of `tag` at every depth whose region overlaps `[iova, iova + size)`
    /// (the tables an unmap of that range may have changed or freed). Returns how many.
    pub fn invalidate_range(&mut self, tag: u32, iova: u64, size: u64) -> u32 {
        if size == 0 {
            return 0;
        }
        let last = iova.saturating_add(size - 1);
        self.levels.iter_mut().map(|l| l.invalidate_range(tag, iova, last)).sum()
    }

    /// Drops every entry of `tag` (domain-selective invalidation).
    pub fn invalidate_tag(&mut self, tag: u32) -> u32 {
        self.levels.iter_mut().map(|l| l.invalidate_tag(tag)).sum()
    }

    /// Drops everything (global invalidation).
    pub fn invalidate_all(&mut self) -> u32 {
        self.levels.iter_mut().map(|l| l.clear()).sum()
    }

    /// Counters: `lookups`/`hits`/`misses` count [`WalkCache::lookup`] calls (a hit at any
    /// depth is a hit); fills, evictions and invalidations are summed over the depth arrays.
    pub fn stats(&self) -> CacheStats {
        let mut s = CacheStats::default();
        for l in &self.levels {
            s.add(&l.core.stats());
        }
        s.lookups = self.lookups;
        s.hits = self.hits;
        s.misses = self.lookups - self.hits;
        s
    }

    /// Counters of the array caching depth-`depth` tables (per-probe lookups), like gem5's
    /// `totalLookupsByStageLevel`; `None` for depths that are not cached.
    pub fn level_stats(&self, depth: u8) -> Option<CacheStats> {
        let i = (depth as usize).checked_sub(2)?;
        self.levels.get(i).map(|l| l.core.stats())
    }

    /// Valid entries over all depths.
    pub fn occupancy(&self) -> u32 {
        self.levels.iter().map(|l| l.core.occupancy()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S4: [u32; 4] = [39, 30, 21, 12];

    fn wc(entries: u32, ways: u32) -> WalkCache {
        WalkCache::new(4, entries, ways, Replacement::Lru, SimRng::for_source(3, "walk-test"))
    }

    #[test]
    fn fill_then_lookup_returns_deepest() {
        let mut w = wc(16, 4);
        let va = 0x12_3456_7000u64;
        assert_eq!(w.lookup(1, va, 4, &S4), 1, "cold: start at the root");
        w.fill(1, va, 4, &S4);
        // Depths 2 (va>>39), 3 (va>>30) and 4 (va>>21) are cached: the walk reads only the leaf.
        assert_eq!(w.occupancy(), 3);
        assert_eq!(w.lookup(1, va, 4, &S4), 4);
        // Another 4 KiB page in the same 2 MiB region: same depth-4 table.
        assert_eq!(w.lookup(1, va + 0x1000, 4, &S4), 4);
        // A 2 MiB mapping's walk ends at depth 3.
        assert_eq!(w.lookup(1, va, 3, &S4), 3);
        // Other tag: nothing.
        assert_eq!(w.lookup(2, va, 4, &S4), 1);
        let s = w.stats();
        assert_eq!((s.lookups, s.hits, s.misses, s.fills), (5, 3, 2, 3));
        // Per-depth probes: depth 4 was probed by the 4 leaf_depth=4 lookups (1 hit per warm
        // lookup: 2), depth 3 by the cold and other-tag misses plus the 2 MiB lookup.
        assert_eq!(w.level_stats(4).map(|s| (s.lookups, s.hits)), Some((4, 2)));
        assert_eq!(w.level_stats(3).map(|s| (s.lookups, s.hits)), Some((3, 1)));
        assert_eq!(w.level_stats(1), None);
    }

    #[test]
    fn same_1g_region_hits_at_depth_3() {
        let mut w = wc(16, 4);
        let va = 0x40_0000_0000u64; // 256 GiB
        w.fill(7, va, 4, &S4);
        // Same 1 GiB region (same depth-3 table, va>>30 equal), different 2 MiB region: the
        // depth-4 table differs, so the deepest cached is depth 3 (skip 2 reads).
        assert_eq!(w.lookup(7, va + 0x2000_0000, 4, &S4), 3);
        // Same 512 GiB region, other 1 GiB: depth 2.
        assert_eq!(w.lookup(7, va + 0x4000_0000, 4, &S4), 2);
        // Other 512 GiB region: root.
        assert_eq!(w.lookup(7, va + (1 << 39), 4, &S4), 1);
    }

    #[test]
    fn invalidate_range_drops_covering_entries() {
        let mut w = wc(16, 4);
        let a = 0x40_0000_0000u64;
        let b = a + (1 << 30); // other 1 GiB region, same 512 GiB region
        w.fill(7, a, 4, &S4);
        w.fill(7, b, 4, &S4);
        w.fill(8, a, 4, &S4);
        // Entries: tag 7: depth2 {a>>39}, depth3 {a>>30, b>>30}, depth4 {a>>21, b>>21};
        // tag 8: 3 more. Total 8.
        assert_eq!(w.occupancy(), 8);
        // Unmapping one 4 KiB page in `a` drops, for tag 7 only, the tables covering it:
        // depth 2 (shared with b), depth 3 of a, depth 4 of a = 3 entries.
        assert_eq!(w.invalidate_range(7, a + 0x5000, 0x1000), 3);
        assert_eq!(w.lookup(7, a, 4, &S4), 1);
        // b keeps its depth-3 and depth-4 entries (only the depth-2 one was shared).
        assert_eq!(w.lookup(7, b, 4, &S4), 4);
        assert_eq!(w.lookup(8, a, 4, &S4), 4);
        assert_eq!(w.invalidate_tag(8), 3);
        assert_eq!(w.invalidate_all(), 2);
        assert_eq!(w.occupancy(), 0);
        assert_eq!(w.stats().invalidated, 8);
    }

    #[test]
    fn fill_below_adds_only_the_missed_depths() {
        let mut w = wc(16, 4);
        let a = 0x40_0000_0000u64;
        w.fill(7, a, 4, &S4);
        let fills = w.stats().fills;
        // Another 2 MiB region of the same 1 GiB: depth 3 hits, depth 4 missed.
        let b = a + 0x20_0000;
        let start = w.lookup(7, b, 4, &S4);
        assert_eq!(start, 3);
        w.fill_below(7, b, start, 4, &S4);
        // One new entry (depth 4 of b); depths 2 and 3, which the walk did not read, are not
        // rewritten.
        assert_eq!(w.stats().fills, fills + 1);
        assert_eq!(w.occupancy(), 4);
        assert_eq!(w.lookup(7, b, 4, &S4), 4);
        // A walk from the root (start 1) fills every depth, like `fill`.
        w.fill_below(8, a, 1, 4, &S4);
        assert_eq!(w.stats().fills, fills + 4);
    }

    /// `lookup_fill` makes the decisions of `lookup` then `fill_below`, Random replacement
    /// (whose draws follow the fill order) included, on small arrays that evict at every depth,
    /// through each of its copies (1-way and 4-way with a power-of-two set count, any other).
    #[test]
    fn lookup_fill_is_lookup_then_fill_below() {
        let geometries = [(4, 2, Shape::Other), (4, 1, Shape::OneWay), (16, 4, Shape::FourWay), (12, 4, Shape::Other)];
        for ((entries, ways, shape), p) in
            geometries.into_iter().flat_map(|g| [Replacement::Lru, Replacement::Fifo, Replacement::Random].map(|p| (g, p)))
        {
            let mk = || WalkCache::new(4, entries, ways, p, SimRng::for_source(9, "walk-fused"));
            assert_eq!(mk().shape, shape, "{entries} entries, {ways} ways");
            let (mut a, mut b) = (mk(), mk());
            let mut r = SimRng::for_source(2, "walk-fused-addrs");
            for _ in 0..3000 {
                let tag = r.below(3) as u32;
                let va = r.below(1 << 12) << 21 | r.below(4) << 12;
                let depth = 2 + r.below(3) as u8;
                let fill = r.below(8) != 0;
                let start = a.lookup(tag, va, depth, &S4);
                if fill && start < depth {
                    a.fill_below(tag, va, start, depth, &S4);
                }
                assert_eq!(b.lookup_fill(tag, va, depth, &S4, fill), start);
            }
            assert_eq!(a.stats(), b.stats());
            for d in 2..=4 {
                assert_eq!(a.level_stats(d), b.level_stats(d));
            }
            assert!(a.stats().evictions > 1000, "the arrays evict: {:?}", a.stats());
        }
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let mut w = wc(0, 4);
        w.fill(1, 0, 4, &S4);
        assert_eq!(w.lookup(1, 0, 4, &S4), 1);
        let mut w = wc(16, 4);
        // leaf_depth beyond the cache's levels, short or oversized shifts.
        w.fill(1, 0, 9, &[39, 30]);
        assert_eq!(w.lookup(1, 0, 9, &[39, 30]), 3);
        w.fill(1, 0, 4, &[64, 70, 80]);
        assert_eq!(w.lookup(1, 0, 0, &S4), 1);
        assert_eq!(WalkCache::new(1, 16, 4, Replacement::Fifo, SimRng::for_source(1, "x")).lookup(1, 0, 4, &S4), 1);
    }
}
