//! The storage of [`super::WalkCache`]: every depth array in one flat array of slots, and the
//! probe, fill and drop of one slot. Per-depth counters live in [`Level`], kept by the caller.

use crate::engine::rng::SimRng;
use crate::iommu::cache_index::TagIndex;
use crate::iommu::narrow_sets::{oldest_of, oldest_way, way_of};
use crate::iommu::page_cache::{INVALID_KEY, page_key, unpack_key};
use crate::iommu::params::Replacement;
use crate::iommu::set_assoc::CacheStats;

/// Counters of one depth array.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Level {
    /// Probes, hits, fills, evictions, invalidations (`misses` is formed when read).
    pub(super) stats: CacheStats,
    /// Valid entries.
    pub(super) valid: u32,
    /// Bit `s` set once a `2^s` entry was filled (until the next global invalidation): the
    /// sizes `WalkCache::invalidate_range` probes page by page. A superset of the sizes
    /// present only costs probes that find nothing, and keeps per-size counts off the fill
    /// path.
    pub(super) sizes: u64,
}

/// Whether `k` is [`INVALID_KEY`]: its high half alone says so, since real keys have a
/// shift below 64 in bits 96.. (one compare instead of two).
#[inline(always)]
fn invalid(k: u128) -> bool {
    (k >> 64) as u64 == u64::MAX
}

/// A Random victim among `ways` (out of line: see [`Slots::link`]).
#[cold]
#[inline(never)]
fn draw(rng: &mut SimRng, ways: usize) -> usize {
    rng.below(ways as u64) as usize
}

/// Geometry of each depth array, as `SetAssoc::new` derives it from `(entries, ways)`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Geom {
    pub(super) ways: usize,
    pub(super) sets: usize,
    /// `sets - 1` when `sets` is a power of two (then the index is a mask).
    mask: usize,
    pub(super) pow2: bool,
    /// `sets * ways`: the slots of one depth array.
    pub(super) per_level: usize,
}

impl Geom {
    pub(super) fn new(entries: u32, ways: u32) -> Geom {
        let entries = entries as usize;
        // `ways == 0` means fully associative; a remainder is dropped; 0 entries: one empty set.
        let ways = if ways == 0 { entries } else { (ways as usize).min(entries) };
        let sets = entries.checked_div(ways).unwrap_or(1).max(1);
        let pow2 = sets.is_power_of_two();
        Geom { ways, sets, mask: if pow2 { sets - 1 } else { 0 }, pow2, per_level: sets * ways }
    }

    /// The set, numbered over all depth arrays, of the `vpn` of `tag` in the array at index
    /// `i`: the gem5 `ARMArchTLB` index `(vpn ^ tag) % sets` ([ref-MC] §1.2). Its first slot
    /// is `set * ways`. `N > 0` (a fixed associativity) implies a power-of-two set count.
    #[inline(always)]
    fn set<const N: usize>(&self, i: usize, tag: u32, vpn: u64) -> usize {
        let h = vpn ^ tag as u64;
        let s = if N != 0 || self.pow2 { h as usize & self.mask } else { (h % self.sets as u64) as usize };
        i * self.sets + s
    }
}

/// Every depth array's slots: slot `set * ways + way`, where sets `i * sets..` belong to the
/// array at index `i` (depth `i + 2`). `N` in the methods is the associativity when fixed
/// (1 or 4, with a power-of-two set count), 0 for any.
#[derive(Clone, Debug)]
pub(super) struct Slots {
    /// [`INVALID_KEY`] marks an invalid slot.
    pub(super) keys: Vec<u128>,
    /// LRU: last touch; FIFO: insertion time; 0 for an invalid slot. Empty when nothing reads
    /// them (`stamped` false: 1-way sets, whose victim is their only way, and Random).
    stamps: Vec<u64>,
    /// Slots by tag bucket, all depths together: a domain-selective invalidation visits only
    /// the tag's entries.
    pub(super) tags: TagIndex,
    pub(super) geom: Geom,
    policy: Replacement,
    stamped: bool,
    /// `stamped` with LRU: a probe hit refreshes the stamp (one test on the hit path).
    touches: bool,
    /// Orders the stamps: one clock for all depths (only the order within a set is ever read,
    /// and a per-depth clock gives the same); `u64` never wraps in a run.
    clock: u64,
    /// Drawn from only by Random replacement in a full set.
    rng: SimRng,
}

impl Slots {
    pub(super) fn new(arrays: usize, geom: Geom, policy: Replacement, rng: SimRng) -> Slots {
        let n = arrays * geom.per_level;
        let stamped = geom.ways > 1 && policy != Replacement::Random;
        Slots {
            keys: vec![INVALID_KEY; n],
            stamps: if stamped { vec![0; n] } else { Vec::new() },
            tags: TagIndex::new(n),
            geom,
            policy,
            stamped,
            touches: stamped && policy == Replacement::Lru,
            clock: 0,
            rng,
        }
    }

    /// The set (numbered over all arrays) and key of the `2^sh` region of `tag` holding
    /// `iova` (`sh < 64`) in the array at index `i`.
    #[inline(always)]
    pub(super) fn locate<const N: usize>(&self, i: usize, tag: u32, sh: u32, iova: u64) -> (usize, u128) {
        let vpn = iova >> sh;
        (self.geom.set::<N>(i, tag, vpn), page_key(tag, sh, vpn))
    }

    /// The slot holding `key` in `set`.
    #[inline(always)]
    pub(super) fn find<const N: usize>(&self, set: usize, key: u128) -> Option<usize> {
        if N == 0 {
            let base = set * self.geom.ways;
            way_of(self.keys.get(base..base + self.geom.ways)?, key).map(|w| base + w)
        } else {
            let k = self.keys.as_chunks::<N>().0.get(set)?;
            (0..N).find(|&w| k[w] == key).map(|w| set * N + w)
        }
    }

    /// A probe hit `slot`: an LRU touch.
    #[inline(always)]
    pub(super) fn touch<const N: usize>(&mut self, slot: usize) {
        if N != 1 && self.touches {
            self.clock += 1;
            if let Some(s) = self.stamps.get_mut(slot) {
                *s = self.clock;
            }
        }
    }

    /// Stores the `2^sh` region of `tag` holding `iova` (`sh < 64`) in the array at index
    /// `i`, counted in `level`: the same key is rewritten in place (an LRU touch; FIFO keeps
    /// its insertion time), else [`Slots::insert`].
    pub(super) fn fill(&mut self, level: &mut Level, i: usize, tag: u32, sh: u32, iova: u64) {
        let (set, key) = self.locate::<0>(i, tag, sh, iova);
        if let Some(slot) = self.find::<0>(set, key) {
            level.stats.fills += 1;
            self.touch::<0>(slot);
        } else {
            self.insert::<0>(level, set, tag, sh, key);
        }
    }

    /// Stores `key`, of `tag` and size `2^sh`, absent from `set`: the lowest invalid way takes
    /// it, else the policy's victim (`rng` drawn from only by Random in a full set).
    #[inline(always)]
    pub(super) fn insert<const N: usize>(&mut self, level: &mut Level, set: usize, tag: u32, sh: u32, key: u128) {
        let ways = if N == 0 { self.geom.ways } else { N };
        let base = set * ways;
        let keys = if N == 0 {
            self.keys.get_mut(base..base + ways)
        } else {
            self.keys.as_chunks_mut::<N>().0.get_mut(set).map(|k| k.as_mut_slice())
        };
        let Some(keys) = keys.filter(|k| !k.is_empty()) else {
            return;
        };
        level.stats.fills += 1;
        level.sizes |= 1 << sh;
        let stamped = N != 1 && self.stamped;
        let w = if stamped {
            if N == 0 {
                oldest_way(&self.stamps[base..base + ways])
            } else {
                self.stamps.as_chunks::<N>().0.get(set).map_or(0, oldest_of::<N>)
            }
        } else {
            match keys.iter().position(|k| invalid(*k)) {
                Some(w) => w,
                None if self.policy == Replacement::Random => draw(&mut self.rng, ways),
                None => 0,
            }
        };
        // A fixed `N` lets the compiler drop the bounds checks below.
        let w = if N == 0 { w } else { w % N };
        let slot = base + w;
        let old = std::mem::replace(&mut keys[w], key);
        if invalid(old) {
            level.valid += 1;
            self.link(tag, slot);
        } else {
            level.stats.evictions += 1;
            // The slot stays in its tag bucket's list when the new entry's tag falls in the
            // same bucket (one domain's traffic: always); the order within a list is irrelevant.
            let old_tag = unpack_key(old).0;
            if old_tag != tag && !self.tags.same_bucket(old_tag, tag) {
                self.relink(old_tag, tag, slot);
            }
        }
        if stamped {
            self.clock += 1;
            if let Some(s) = self.stamps.get_mut(slot) {
                *s = self.clock;
            }
        }
    }

    /// The rare parts of [`Slots::insert`] (with [`draw`]), out of line so that the
    /// translation path, which inlines it, holds fewer registers around it (issue 15): a slot that was invalid joining its tag's list (the cache warming up) ...
    #[cold]
    #[inline(never)]
    fn link(&mut self, tag: u32, slot: usize) {
        self.tags.link(tag, slot);
    }

    /// ... and a slot moving between tag buckets (several domains sharing the cache).
    #[cold]
    #[inline(never)]
    fn relink(&mut self, old_tag: u32, tag: u32, slot: usize) {
        self.tags.unlink(old_tag, slot);
        self.tags.link(tag, slot);
    }

    /// Invalidates the valid `slot`, counted in `level` (its array's).
    pub(super) fn drop_slot(&mut self, level: &mut Level, slot: usize) {
        level.valid -= 1;
        level.stats.invalidated += 1;
        self.tags.unlink(unpack_key(self.keys[slot]).0, slot);
        self.keys[slot] = INVALID_KEY;
        if let Some(s) = self.stamps.get_mut(slot) {
            *s = 0;
        }
    }

    /// Invalidates every slot.
    pub(super) fn clear(&mut self) {
        self.keys.fill(INVALID_KEY);
        self.stamps.fill(0);
        self.tags.clear();
    }
}
