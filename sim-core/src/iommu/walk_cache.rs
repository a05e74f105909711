//! The paging-structure (walk) cache: remembers where non-root page tables are, so that a walk
//! can start below the root.
//!
//! Hardware has one such cache per non-leaf level: VT-d's paging-structure caches
//! (`ss_nonleaf` perfmon events), AMD's PDE cache, the SMMU walk cache with its per-level
//! partitions (gem5 `WalkCache` sizes S1L0..L3, MMU-600 `TCUCFG_WCS1L*_DEPTH`; [ref-MC] §1.2,
//! §4). It is modelled as one set-associative array per cached depth, each with the geometry
//! from `Geometry.walk_cache_*`, all stored in one flat array (see [`WalkCache`]).
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

mod slots;

use self::slots::{Geom, Level, Slots};
use super::page_cache::{page_key, page_overlaps, pages_in, unpack_key};
use super::params::Replacement;
use super::set_assoc::CacheStats;
use crate::engine::rng::SimRng;

/// Per-depth paging-structure caches of one IOMMU instance.
///
/// Every depth array has the same geometry, so all are stored in one flat array of slots
/// (`slots.rs`), probed in one loop by code specialised for the geometry once, at
/// construction. Issue 15: with one generic `SetAssoc` per depth, the walk-cache part of a
/// miss cost ~170 instructions on the SimPy-shaped 0 %-hit run (three bounds-checked views per
/// fill, a clock per depth, a remembered miss, per-size counts, an optional tag index, policy
/// checks per depth). Here one clock orders every stamp, stamps exist only where a victim is
/// chosen among several ways, and one tag index covers all depths (domain-selective
/// invalidation stays O(entries of the tag)). Decisions, Random draws and counters are those
/// of the per-depth arrays (`tests::matches_per_depth_arrays`).
#[derive(Clone, Debug)]
pub struct WalkCache {
    slots: Slots,
    /// `levels[d - 2]`: the counters of the depth-`d` array, for `d` in `2..=max_levels`.
    levels: Vec<Level>,
    /// [`WalkCache::lookup`] calls (hits are the sum of the depths' hits: one at most each).
    lookups: u64,
    /// The depth arrays' geometry, as [`WalkCache::lookup_fill`] dispatches on it.
    shape: Shape,
}

/// Which copy of the translation path's walk-cache code serves this geometry, decided once
/// at construction instead of per probe and per fill (issue 15). The narrow copies need a
/// power-of-two set count (index by mask).
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
        let geom = Geom::new(entries_per_level, ways);
        let shape = match (geom.ways, geom.pow2) {
            (1, true) => Shape::OneWay,
            (4, true) => Shape::FourWay,
            _ => Shape::Other,
        };
        WalkCache { slots: Slots::new(n, geom, policy, rng), levels: vec![Level::default(); n], lookups: 0, shape }
    }

    /// The deepest depth in `2..=leaf_depth` whose table for `iova` is cached, or 1 when none
    /// is (the walk starts at the root). A walk that gets `d` reads tables `d..=leaf_depth`,
    /// i.e. skips `d - 1` reads. Probes deepest first, as gem5 does; each depth array counts
    /// its own probes ([`WalkCache::level_stats`]).
    #[inline]
    pub fn lookup(&mut self, tag: u32, iova: u64, leaf_depth: u8, shifts: &[u32]) -> u8 {
        let n = self.cached_depths(leaf_depth, shifts);
        self.probe::<0>(tag, iova, &shifts[..n], false)
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

    /// [`WalkCache::lookup_fill`] for any geometry: out of line, so that the translation path
    /// inlines only the copies of the usual geometries (fewer registers held around them).
    #[inline(never)]
    fn lookup_fill_any(&mut self, tag: u32, iova: u64, leaf_depth: u8, shifts: &[u32], fill: bool) -> u8 {
        self.lookup_fill_n::<0>(tag, iova, leaf_depth, shifts, fill)
    }

    /// [`WalkCache::lookup_fill`] for `N`-way sets with a power-of-two set count, or any
    /// geometry for `N == 0`. The depths it fills are exactly those its probes missed, so the
    /// fills search nothing. 1-way sets are filled as soon as their probe misses, reusing its
    /// set and key: that changes no decision (each depth has its own sets, and the only
    /// victim is the set's one way; a Random policy's draws, `below(1)`, are all alike).
    /// Wider sets are filled after every probe, shallowest first, as a Random policy's draws
    /// must be.
    #[inline(always)]
    fn lookup_fill_n<const N: usize>(&mut self, tag: u32, iova: u64, leaf_depth: u8, shifts: &[u32], fill: bool) -> u8 {
        let n = self.cached_depths(leaf_depth, shifts);
        let shifts = &shifts[..n];
        if N == 1 {
            return self.probe::<N>(tag, iova, shifts, fill);
        }
        let start = self.probe::<N>(tag, iova, shifts, false);
        if fill && (start as usize) <= n {
            self.fill_missed::<N>(tag, iova, start, shifts);
        }
        start
    }

    /// The fills of [`WalkCache::lookup_fill_n`] for sets wider than one way: depths
    /// `start + 1..` (indexes `start - 1..`), shallowest first. Out of line: the translation
    /// path then holds fewer registers around the probes (issue 15, measured on a 4-way walk
    /// cache that mostly hits).
    #[inline(never)]
    fn fill_missed<const N: usize>(&mut self, tag: u32, iova: u64, start: u8, shifts: &[u32]) {
        for (i, &sh) in shifts.iter().enumerate().skip(start as usize - 1) {
            if sh < 64 {
                let (set, key) = self.slots.locate::<N>(i, tag, sh, iova);
                self.slots.insert::<N>(&mut self.levels[i], set, tag, sh, key);
            }
        }
    }

    /// How many depths (from depth 2 down) a walk ending at `leaf_depth` can find cached:
    /// those with both an array and a shift.
    #[inline(always)]
    fn cached_depths(&self, leaf_depth: u8, shifts: &[u32]) -> usize {
        (leaf_depth as usize).saturating_sub(1).min(self.levels.len()).min(shifts.len())
    }

    /// The probes of [`WalkCache::lookup`], deepest first, over `shifts` already cut to the
    /// cached depths; with `fill` (1-way sets only, see [`WalkCache::lookup_fill_n`]), each
    /// miss is filled at once.
    #[inline(always)]
    fn probe<const N: usize>(&mut self, tag: u32, iova: u64, shifts: &[u32], fill: bool) -> u8 {
        self.lookups += 1;
        let levels = &mut self.levels[..shifts.len()];
        let mut i = shifts.len();
        while i > 0 {
            i -= 1;
            let sh = shifts[i];
            if sh >= 64 {
                continue;
            }
            let (set, key) = self.slots.locate::<N>(i, tag, sh, iova);
            let found = self.slots.find::<N>(set, key);
            let level = &mut levels[i];
            level.stats.lookups += 1;
            if let Some(slot) = found {
                level.stats.hits += 1;
                self.slots.touch::<N>(slot);
                return i as u8 + 2;
            }
            if fill {
                self.slots.insert::<N>(level, set, tag, sh, key);
            }
        }
        1
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
        for (i, &sh) in shifts[..n].iter().enumerate().skip(start.max(1) as usize - 1) {
            if sh < 64 {
                self.slots.fill(&mut self.levels[i], i, tag, sh, iova);
            }
        }
    }

    /// Drops the entries of `tag` for which `f(array index, key)` is true, visiting only the
    /// slots of the tag's bucket; returns how many.
    fn drop_tag_where(&mut self, tag: u32, f: impl Fn(usize, u128) -> bool) -> u32 {
        let mut n = 0;
        let mut cur = self.slots.tags.first(tag);
        while let Some(slot) = cur {
            cur = self.slots.tags.next(slot);
            let k = self.slots.keys[slot];
            let i = slot / self.slots.geom.per_level;
            if unpack_key(k).0 == tag && f(i, k) {
                self.slots.drop_slot(&mut self.levels[i], slot);
                n += 1;
            }
        }
        n
    }

    /// Whether `tag` has any entry.
    fn has_tag(&self, tag: u32) -> bool {
        self.slots.tags.holds(tag, |slot| unpack_key(self.slots.keys[slot]).0)
    }

    /// Drops the entries of `tag` at every depth whose region overlaps `[iova, iova + size)`
    /// (the tables an unmap of that range may have changed or freed). Returns how many.
    /// Nothing to do when the tag has no entry (O(1)). A depth is probed page by page when
    /// that costs no more key comparisons than its array has slots, else the tag's entries
    /// are visited.
    pub fn invalidate_range(&mut self, tag: u32, iova: u64, size: u64) -> u32 {
        if size == 0 || !self.has_tag(tag) {
            return 0;
        }
        let (first, last) = (iova, iova.saturating_add(size - 1));
        let g = self.slots.geom;
        let mut n = 0;
        for i in 0..self.levels.len() {
            let sizes = self.levels[i].sizes;
            if pages_in(sizes, first, last).saturating_mul(g.ways as u64) > g.per_level as u64 {
                n += self.drop_tag_where(tag, |l, k| {
                    let (_, s, vpn) = unpack_key(k);
                    l == i && page_overlaps(s, vpn, first, last)
                });
                continue;
            }
            let mut m = sizes;
            while m != 0 {
                let s = m.trailing_zeros();
                m &= m - 1;
                for vpn in (first >> s)..=(last >> s) {
                    if let Some(slot) = self.slots.find::<0>(self.slots.locate::<0>(i, tag, s, vpn << s).0, page_key(tag, s, vpn)) {
                        self.slots.drop_slot(&mut self.levels[i], slot);
                        n += 1;
                    }
                }
            }
        }
        n
    }

    /// Drops every entry of `tag` (domain-selective invalidation): O(1) when it has none,
    /// O(its entries) otherwise.
    pub fn invalidate_tag(&mut self, tag: u32) -> u32 {
        self.drop_tag_where(tag, |_, _| true)
    }

    /// Drops everything (global invalidation).
    pub fn invalidate_all(&mut self) -> u32 {
        let mut n = 0;
        for l in &mut self.levels {
            n += l.valid;
            l.stats.invalidated += l.valid as u64;
            (l.valid, l.sizes) = (0, 0);
        }
        self.slots.clear();
        n
    }

    /// Counters: `lookups`/`hits`/`misses` count [`WalkCache::lookup`] calls (a hit at any
    /// depth is a hit); fills, evictions and invalidations are summed over the depth arrays.
    pub fn stats(&self) -> CacheStats {
        let mut s = CacheStats::default();
        for l in &self.levels {
            s.add(&l.stats);
        }
        s.lookups = self.lookups;
        s.misses = self.lookups - s.hits;
        s
    }

    /// Counters of the array caching depth-`depth` tables (per-probe lookups), like gem5's
    /// `totalLookupsByStageLevel`; `None` for depths that are not cached.
    pub fn level_stats(&self, depth: u8) -> Option<CacheStats> {
        let l = self.levels.get((depth as usize).checked_sub(2)?)?;
        Some(CacheStats { misses: l.stats.lookups - l.stats.hits, ..l.stats })
    }

    /// Valid entries over all depths.
    pub fn occupancy(&self) -> u32 {
        self.levels.iter().map(|l| l.valid).sum()
    }

    /// The valid entries of the depth-`depth` array as (set, way, key), for tests.
    #[cfg(test)]
    fn slots_at(&self, depth: u8) -> Vec<(usize, usize, u128)> {
        let Some(i) = (depth as usize).checked_sub(2).filter(|&i| i < self.levels.len()) else {
            return Vec::new();
        };
        let g = self.slots.geom;
        let keys = &self.slots.keys[i * g.per_level..(i + 1) * g.per_level];
        let valid = keys.iter().enumerate().filter(|(_, k)| **k != super::page_cache::INVALID_KEY);
        valid.map(|(s, &k)| (s / g.ways, s % g.ways, k)).collect()
    }
}

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;
