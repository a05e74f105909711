//! The set-associative array shared by every translation cache (IOTLB, device TLB, walk cache).
//!
//! Modelled on gem5's SMMUv3 caches (`src/dev/arm/smmu_v3_caches.cc`, [ref-MC] §1.2): a
//! `sets × ways` array, the caller chooses the set (each cache has its own index function),
//! an invalid way is always filled before anything is evicted, and the victim in a full set is
//! chosen by the replacement policy. Unlike gem5, whose "rr" pointer is one counter shared by
//! all sets, FIFO here is per set (the oldest insertion in the set goes first), which is what
//! a hardware round-robin pointer per set does; gem5's shared pointer is an artefact of its code.
//!
//! Layout is structure-of-arrays so that the hit path only scans a dense run of keys: `keys`
//! (compared for equality; an *invalid* slot holds a sentinel key that no real key equals),
//! `vals` (the payload, copied out on a hit) and `stamps` (LRU: last touch; FIFO: insertion
//! time; unused for Random). Everything is allocated in [`SetAssoc::new`]; no call allocates
//! afterwards.

use super::cache_index::{HashIndex, Recency, TagIndex};
use super::narrow_sets::{oldest_way, way_of};
use super::params::Replacement;
use crate::engine::rng::SimRng;

/// Counters every cache keeps (the gem5 per-cache stats and the VT-d perfmon
/// `iotlb_lookup`/`iotlb_hit` pair, [ref-MC] §1.5, §4.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups (one per request, however many probes it took).
    pub lookups: u64,
    /// Lookups that found an entry.
    pub hits: u64,
    /// Lookups that found nothing.
    pub misses: u64,
    /// Entries written (new entries and same-key replacements).
    pub fills: u64,
    /// Valid entries pushed out by a fill into a full set.
    pub evictions: u64,
    /// Valid entries dropped by an invalidation.
    pub invalidated: u64,
}

impl CacheStats {
    /// Field-wise sum (aggregating the per-level arrays of a walk cache).
    pub fn add(&mut self, o: &CacheStats) {
        self.lookups += o.lookups;
        self.hits += o.hits;
        self.misses += o.misses;
        self.fills += o.fills;
        self.evictions += o.evictions;
        self.invalidated += o.invalidated;
    }
}

/// What a [`SetAssoc::fill`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillOutcome<K, V> {
    /// The key was absent and an invalid way took it.
    Inserted,
    /// The key was present; its payload was overwritten in place (previous payload returned).
    Replaced(V),
    /// The set was full; this valid entry was evicted to make room.
    Evicted(K, V),
    /// The cache has no capacity (0 entries): nothing was stored.
    Dropped,
}

/// A cache key: compared for equality, and hashed to index wide sets.
pub trait CacheKey: Copy + Eq {
    /// Any cheap function of the key (equal keys, equal hashes); [`HashIndex`] mixes it.
    fn hash64(self) -> u64;
    /// The group (domain tag) the key belongs to, for caches built with a tag index
    /// ([`SetAssoc::with_tag_index`]).
    fn tag(self) -> u32;
}

impl CacheKey for u64 {
    #[inline(always)]
    fn hash64(self) -> u64 {
        self
    }
    /// Plain `u64` keys (tests) group by their top 32 bits.
    #[inline(always)]
    fn tag(self) -> u32 {
        (self >> 32) as u32
    }
}

impl CacheKey for u128 {
    #[inline(always)]
    fn hash64(self) -> u64 {
        (self as u64) ^ ((self >> 64) as u64).rotate_left(29)
    }
    /// The domain tag of a [`page_key`].
    #[inline(always)]
    fn tag(self) -> u32 {
        (self >> 64) as u32
    }
}

/// Sets with more ways than this are searched through a [`HashIndex`]; narrower ones by
/// comparing their keys in order (4 ways: one or two cache lines, ~4 ns a hit).
const NARROW_WAYS: usize = 8;

/// What sets wider than [`NARROW_WAYS`] add: a hash index of every valid slot (no scan of the
/// set per lookup) and each set's invalid ways and valid slots oldest first (no scan per
/// victim).
#[derive(Clone, Debug)]
pub(super) struct Wide {
    index: HashIndex,
    recency: Recency,
}

/// A set-associative array of `Copy` entries keyed by `K`.
#[derive(Clone, Debug)]
pub struct SetAssoc<K, V> {
    pub(super) keys: Vec<K>,
    /// Present when sets are wider than [`NARROW_WAYS`]. One `Option` (not one per side
    /// structure) so that the narrow path tests it once.
    pub(super) wide: Option<Wide>,
    /// Present when built [`SetAssoc::with_tag_index`]: slots by tag bucket.
    pub(super) tags: Option<TagIndex>,
    pub(super) vals: Vec<V>,
    /// LRU: last touch; FIFO: insertion time; 0 for an invalid slot, ≥ 1 for a valid one.
    pub(super) stamps: Vec<u64>,
    pub(super) invalid: K,
    pub(super) sets: usize,
    pub(super) ways: usize,
    /// `sets - 1` when `sets` is a power of two (then the index is a mask, no division).
    pub(super) mask: usize,
    pub(super) pow2: bool,
    pub(super) policy: Replacement,
    /// Monotonic time for LRU touches and FIFO insertions; `u64` never wraps in a run.
    pub(super) clock: u64,
    pub(super) valid: u32,
    /// The last key a probe missed (`invalid` when none), and its set: the key stays absent
    /// until it is filled, so that fill (the miss path: lookup, walk, fill) skips the search.
    /// Two plain fields rather than an `Option`: this is written on every miss.
    pub(super) missed_key: K,
    pub(super) missed_set: usize,
    pub(super) stats: CacheStats,
    /// Tests: every call takes the general path (the reference the fixed-`N` paths of
    /// `narrow_sets.rs` are checked against).
    #[cfg(test)]
    general: bool,
}

impl<K: CacheKey, V: Copy + Default> SetAssoc<K, V> {
    /// A cache of `entries` slots in sets of `ways`. The caller validates the geometry
    /// (`entries % ways == 0`); to never panic on a bad one anyway, `ways == 0` means fully
    /// associative (gem5's `assoc = 0` convention), a remainder is dropped, and `entries == 0`
    /// gives a cache that stores nothing. `invalid` is a key no real entry ever uses.
    pub fn new(entries: u32, ways: u32, policy: Replacement, invalid: K) -> Self {
        let entries = entries as usize;
        let ways = if ways == 0 { entries } else { (ways as usize).min(entries) };
        // ways == 0 only when entries == 0: one empty set.
        let sets = entries.checked_div(ways).unwrap_or(1).max(1);
        let n = sets * ways;
        let pow2 = sets.is_power_of_two();
        let wide = ways > NARROW_WAYS;
        SetAssoc {
            keys: vec![invalid; n],
            wide: wide.then(|| Wide { index: HashIndex::new(n), recency: Recency::new(sets, ways) }),
            tags: None,
            vals: vec![V::default(); n],
            stamps: vec![0; n],
            invalid,
            sets,
            ways,
            mask: if pow2 { sets - 1 } else { 0 },
            pow2,
            policy,
            clock: 0,
            valid: 0,
            missed_key: invalid,
            missed_set: 0,
            stats: CacheStats::default(),
            #[cfg(test)]
            general: false,
        }
    }

    /// The same cache, also keeping each tag's slots ([`CacheKey::tag`]) so that
    /// [`SetAssoc::invalidate_tag`] costs O(entries of the tag).
    pub fn with_tag_index(mut self) -> Self {
        self.tags = Some(TagIndex::new(self.keys.len()));
        self
    }

    /// Number of sets.
    #[inline]
    pub fn sets(&self) -> usize {
        self.sets
    }

    /// Associativity.
    #[inline]
    pub fn ways(&self) -> usize {
        self.ways
    }

    /// Total slots.
    #[inline]
    pub fn capacity(&self) -> u32 {
        (self.sets * self.ways) as u32
    }

    /// Valid entries.
    #[inline]
    pub fn occupancy(&self) -> u32 {
        self.valid
    }

    /// The replacement policy.
    pub fn policy(&self) -> Replacement {
        self.policy
    }

    /// Counters.
    pub fn stats(&self) -> CacheStats {
        CacheStats { misses: self.stats.lookups - self.stats.hits, ..self.stats }
    }

    /// The set an index hash falls in: a mask when `sets` is a power of two, else a modulo.
    #[inline(always)]
    pub fn set_of(&self, hash: u64) -> usize {
        if self.pow2 { (hash as usize) & self.mask } else { (hash % self.sets as u64) as usize }
    }

    /// Looks `key` up in `set` without counting it (for caches that probe several times per
    /// request and count the request themselves with [`SetAssoc::record_lookup`]). A hit
    /// refreshes the LRU stamp.
    #[inline(always)]
    pub fn probe(&mut self, set: usize, key: K) -> Option<V> {
        self.probe_as::<true>(set, key)
    }

    /// [`SetAssoc::probe`] whose miss is not remembered: for callers that then fill with
    /// [`SetAssoc::fill_absent`] (they know the key is absent themselves).
    #[inline(always)]
    pub fn probe_quiet(&mut self, set: usize, key: K) -> Option<V> {
        self.probe_as::<false>(set, key)
    }

    /// [`SetAssoc::probe`] (`NOTE`: remember a miss for the next fill) or
    /// [`SetAssoc::probe_quiet`]. The general path always remembers: harmless, the next fill
    /// of the key forgets it.
    #[inline(always)]
    fn probe_as<const NOTE: bool>(&mut self, set: usize, key: K) -> Option<V> {
        #[cfg(test)]
        if self.general {
            return self.probe_any_ways(set, key);
        }
        match self.ways {
            4 => self.probe_n::<4, NOTE>(set, key),
            1 => self.probe_n::<1, NOTE>(set, key),
            _ => self.probe_any_ways(set, key),
        }
    }

    /// [`SetAssoc::probe`] for any associativity (wide sets, and narrow ones of unusual width).
    #[inline(always)]
    fn probe_any_ways(&mut self, set: usize, key: K) -> Option<V> {
        let Some(i) = self.find(set, key) else {
            self.missed_key = key;
            self.missed_set = set;
            return None;
        };
        if self.policy == Replacement::Lru {
            self.clock += 1;
            self.stamps[i] = self.clock;
            if let Some(w) = &mut self.wide {
                w.recency.touch(set, i);
            }
        }
        Some(self.vals[i])
    }

    /// [`SetAssoc::probe`] that also counts one lookup and its outcome.
    #[inline]
    pub fn lookup(&mut self, set: usize, key: K) -> Option<V> {
        let r = self.probe(set, key);
        self.record_lookup(r.is_some());
        r
    }

    /// Whether `key` is in `set`, touching nothing (no LRU update, no counters).
    #[inline]
    pub fn contains(&self, set: usize, key: K) -> bool {
        self.find(set, key).is_some()
    }

    /// The slot holding `key` in `set`.
    #[inline(always)]
    fn find(&self, set: usize, key: K) -> Option<usize> {
        match &self.wide {
            None => {
                let base = set * self.ways;
                let keys = self.keys.get(base..base + self.ways)?;
                way_of(keys, key).map(|w| base + w)
            }
            // A key lives only in its own set, so a global index answers for the set.
            Some(w) => w.index.find(&self.keys, key),
        }
    }

    /// Counts one lookup (misses are the difference, formed by [`SetAssoc::stats`]).
    #[inline(always)]
    pub fn record_lookup(&mut self, hit: bool) {
        self.stats.lookups += 1;
        if hit {
            self.stats.hits += 1;
        }
    }

    /// The way a fill of a new key takes in the full or partly invalid `set` at `base`: the
    /// lowest-numbered invalid way, else the policy's victim (LRU: oldest touch; FIFO: oldest
    /// insertion; ties, which only invalid ways can have, go to the lower way).
    #[inline(always)]
    fn victim_way(&mut self, set: usize, base: usize, rng: &mut SimRng) -> usize {
        if let Some(w) = &self.wide {
            let r = &w.recency;
            return match (r.lowest_free(set), self.policy) {
                (Some(w), _) => w,
                (None, Replacement::Random) => rng.below(self.ways as u64) as usize,
                (None, _) => r.oldest(set) - base,
            };
        }
        match self.policy {
            // Invalid slots have stamp 0 and valid ones ≥ 1, so one branch-free pass for the
            // smallest stamp (first on ties) finds the lowest invalid way or else the victim.
            Replacement::Lru | Replacement::Fifo => oldest_way(&self.stamps[base..base + self.ways]),
            Replacement::Random => match self.keys[base..base + self.ways].iter().position(|k| *k == self.invalid) {
                Some(w) => w,
                None => rng.below(self.ways as u64) as usize,
            },
        }
    }

    /// Stores `key → val` in `set`. Same key: overwritten in place (an LRU touch; FIFO keeps
    /// its insertion time, as a re-fill does not move a round-robin pointer). Otherwise the
    /// lowest-numbered invalid way, else the policy's victim. `rng` is drawn from only for
    /// Random replacement of a full set. Inlined so that callers that drop the outcome (the
    /// translation path) never build it.
    #[inline(always)]
    pub fn fill(&mut self, set: usize, key: K, val: V, rng: &mut SimRng) -> FillOutcome<K, V> {
        self.fill_as::<false>(set, key, val, rng)
    }

    /// [`SetAssoc::fill`] of a key the caller has just probed and missed in `set` (nothing
    /// filled it since): no search for it. Same decisions as `fill`.
    #[inline(always)]
    pub fn fill_absent(&mut self, set: usize, key: K, val: V, rng: &mut SimRng) -> FillOutcome<K, V> {
        self.fill_as::<true>(set, key, val, rng)
    }

    /// [`SetAssoc::fill`], or with `ABSENT` [`SetAssoc::fill_absent`] (the general path is told
    /// through the remembered miss).
    #[inline(always)]
    fn fill_as<const ABSENT: bool>(&mut self, set: usize, key: K, val: V, rng: &mut SimRng) -> FillOutcome<K, V> {
        #[cfg(test)]
        if self.general {
            if ABSENT {
                (self.missed_key, self.missed_set) = (key, set);
            }
            return self.fill_any_ways(set, key, val, rng);
        }
        match self.ways {
            4 => self.fill_n::<4, ABSENT>(set, key, val, rng),
            1 => self.fill_n::<1, ABSENT>(set, key, val, rng),
            _ => {
                if ABSENT {
                    (self.missed_key, self.missed_set) = (key, set);
                }
                self.fill_any_ways(set, key, val, rng)
            }
        }
    }

    /// [`SetAssoc::fill`] for any associativity (wide sets, and narrow ones of unusual width).
    #[inline(always)]
    fn fill_any_ways(&mut self, set: usize, key: K, val: V, rng: &mut SimRng) -> FillOutcome<K, V> {
        let base = set * self.ways;
        if self.ways == 0 || base + self.ways > self.keys.len() {
            return FillOutcome::Dropped;
        }
        self.stats.fills += 1;
        self.clock += 1;
        // The miss path: the probe that just missed this key already searched the set.
        let known_absent = self.missed_key == key && self.missed_set == set;
        if known_absent {
            self.missed_key = self.invalid;
        }
        if !known_absent && let Some(i) = self.find(set, key) {
            let old = std::mem::replace(&mut self.vals[i], val);
            if self.policy == Replacement::Lru {
                self.stamps[i] = self.clock;
                if let Some(w) = &mut self.wide {
                    w.recency.touch(set, i);
                }
            }
            return FillOutcome::Replaced(old);
        }
        let i = base + self.victim_way(set, base, rng);
        let outcome = if self.keys[i] == self.invalid {
            self.valid += 1;
            FillOutcome::Inserted
        } else {
            self.stats.evictions += 1;
            let old = self.keys[i];
            if let Some(w) = &mut self.wide {
                w.index.remove(&self.keys, i);
                w.recency.remove(set, i);
            }
            // The slot stays in its tag bucket's list when the new entry's tag falls in the
            // same bucket (one domain's traffic: always); the order within a list is irrelevant.
            if let Some(t) = &mut self.tags
                && !t.same_bucket(old.tag(), key.tag())
            {
                t.unlink(old.tag(), i);
                t.link(key.tag(), i);
            }
            FillOutcome::Evicted(old, self.vals[i])
        };
        if let Some(w) = &mut self.wide {
            w.index.insert(key, i);
            w.recency.push_newest(set, i);
        }
        if let FillOutcome::Inserted = outcome
            && let Some(t) = &mut self.tags
        {
            t.link(key.tag(), i);
        }
        self.keys[i] = key;
        self.vals[i] = val;
        self.stamps[i] = self.clock;
        outcome
    }

    #[inline]
    fn drop_slot(&mut self, i: usize) {
        if let Some(w) = &mut self.wide {
            w.index.remove(&self.keys, i);
            w.recency.remove(i / self.ways, i);
        }
        if let Some(t) = &mut self.tags {
            t.unlink(self.keys[i].tag(), i);
        }
        self.keys[i] = self.invalid;
        self.stamps[i] = 0;
        self.valid -= 1;
        self.stats.invalidated += 1;
    }

    /// Drops `key` from `set`; returns its payload if it was there.
    pub fn invalidate_key(&mut self, set: usize, key: K) -> Option<V> {
        let i = self.find(set, key)?;
        self.drop_slot(i);
        Some(self.vals[i])
    }

    /// Drops every valid entry of `set` for which `f` is true; returns how many.
    pub fn invalidate_in_set(&mut self, set: usize, mut f: impl FnMut(&K, &V) -> bool) -> u32 {
        let base = set * self.ways;
        let mut n = 0;
        for i in base..(base + self.ways).min(self.keys.len()) {
            if self.keys[i] != self.invalid && f(&self.keys[i], &self.vals[i]) {
                self.drop_slot(i);
                n += 1;
            }
        }
        n
    }

    /// Drops every valid entry for which `f` is true, scanning the whole array; returns how many.
    pub fn invalidate_where(&mut self, mut f: impl FnMut(&K, &V) -> bool) -> u32 {
        let mut n = 0;
        for i in 0..self.keys.len() {
            if self.keys[i] != self.invalid && f(&self.keys[i], &self.vals[i]) {
                self.drop_slot(i);
                n += 1;
            }
        }
        n
    }

    /// Drops the entries of `tag` ([`CacheKey::tag`]) for which `f` is true; returns how
    /// many. With a tag index this visits only the tag's entries (O(1) when it has none);
    /// without one it scans the array.
    pub fn invalidate_tag_where(&mut self, tag: u32, mut f: impl FnMut(&K, &V) -> bool) -> u32 {
        let Some(t) = &self.tags else {
            return self.invalidate_where(|k, v| k.tag() == tag && f(k, v));
        };
        let mut n = 0;
        let mut cur = t.first(tag);
        while let Some(i) = cur {
            cur = self.tags.as_ref().and_then(|t| t.next(i));
            if self.keys[i].tag() == tag && f(&self.keys[i], &self.vals[i]) {
                self.drop_slot(i);
                n += 1;
            }
        }
        n
    }

    /// Whether `tag` has any entry; `None` without a tag index (unknown without a scan).
    pub fn has_tag(&self, tag: u32) -> Option<bool> {
        let t = self.tags.as_ref()?;
        Some(t.holds(tag, |i| self.keys[i].tag()))
    }

    /// Drops everything; returns how many valid entries there were.
    pub fn clear(&mut self) -> u32 {
        let n = self.valid;
        self.keys.fill(self.invalid);
        if let Some(w) = &mut self.wide {
            w.index.clear();
            w.recency.clear();
        }
        if let Some(t) = &mut self.tags {
            t.clear();
        }
        self.stamps.fill(0);
        self.valid = 0;
        self.stats.invalidated += n as u64;
        n
    }

    /// The same cache searched by scanning keys even for wide sets, victims chosen by
    /// scanning stamps, tags dropped by scanning, and no fixed-way fast path: the reference
    /// the side structures and fast paths are checked against.
    #[cfg(test)]
    fn without_index(mut self) -> Self {
        self.wide = None;
        self.tags = None;
        self.general = true;
        self
    }

    /// The entry in `(set, way)`, if valid (inspection and tests).
    pub fn slot(&self, set: usize, way: usize) -> Option<(K, V)> {
        if way >= self.ways {
            return None;
        }
        let i = set.checked_mul(self.ways)?.checked_add(way)?;
        let k = *self.keys.get(i)?;
        (k != self.invalid).then(|| (k, self.vals[i]))
    }
}

#[cfg(test)]
#[path = "set_assoc_tests.rs"]
mod tests;
