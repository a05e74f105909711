//! The hot paths of [`SetAssoc`] for the usual narrow associativities, written for a fixed
//! number of ways `N`: the set's keys, stamps and payloads are taken as `[_; N]` arrays once
//! per call, so the compiler unrolls the scans and drops every bounds check and loop counter
//! after the first. [`SetAssoc::probe`] and [`SetAssoc::fill`] dispatch 4 ways (every default
//! IOTLB, device TLB and walk cache but VT-d's fully associative IOTLB) and 1 way (the SimPy
//! benchmark's walk cache) here; dispatching 2 and 8 ways too cost more per call on the
//! translation path (measured: +70 instructions per translation) than they would save.
//! The decisions are exactly those of the general path in `set_assoc.rs` (the property test
//! `set_assoc::prop::index_matches_scan` runs both).

use super::params::Replacement;
use super::set_assoc::{CacheKey, FillOutcome, SetAssoc};
use crate::engine::rng::SimRng;

/// The way of `set_keys` holding `key`. The usual associativities get a loop the compiler
/// unrolls (a fixed-size array: no loop counter, no bounds checks): this is every probe.
#[inline(always)]
pub(super) fn way_of<K: Copy + Eq>(set_keys: &[K], key: K) -> Option<usize> {
    #[inline(always)]
    fn fixed<K: Copy + Eq, const N: usize>(k: &[K; N], key: K) -> Option<usize> {
        (0..N).find(|&w| k[w] == key)
    }
    match set_keys.len() {
        1 => (set_keys[0] == key).then_some(0),
        2 => fixed::<K, 2>(set_keys.try_into().ok()?, key),
        4 => fixed::<K, 4>(set_keys.try_into().ok()?, key),
        8 => fixed::<K, 8>(set_keys.try_into().ok()?, key),
        _ => set_keys.iter().position(|k| *k == key),
    }
}

/// The way with the smallest stamp, the first on ties. Invalid slots have stamp 0 and valid
/// ones ≥ 1, so this is the lowest invalid way, else the LRU/FIFO victim: one branch-free
/// pass, unrolled for the usual associativities.
#[inline(always)]
pub(super) fn oldest_way(stamps: &[u64]) -> usize {
    use oldest_of as fixed;
    match stamps.len() {
        0 | 1 => 0,
        2 => fixed::<2>(stamps.try_into().unwrap_or(&[0; 2])),
        4 => fixed::<4>(stamps.try_into().unwrap_or(&[0; 4])),
        8 => fixed::<8>(stamps.try_into().unwrap_or(&[0; 8])),
        _ => {
            let (mut best, mut min) = (0, stamps[0]);
            for (w, &s) in stamps.iter().enumerate().skip(1) {
                let less = s < min;
                best = if less { w } else { best };
                min = if less { s } else { min };
            }
            best
        }
    }
}

/// [`oldest_way`] of a set of known width `N ≥ 1`.
#[inline(always)]
pub(super) fn oldest_of<const N: usize>(st: &[u64; N]) -> usize {
    let (mut best, mut min) = (0, st[0]);
    for (w, &s) in st.iter().enumerate().skip(1) {
        let less = s < min;
        best = if less { w } else { best };
        min = if less { s } else { min };
    }
    best
}

impl<K: CacheKey, V: Copy + Default> SetAssoc<K, V> {
    /// [`SetAssoc::probe`] of an `N`-way set. `NOTE`: a miss is remembered for the next fill
    /// (see `SetAssoc::missed_key`); callers that fill with [`SetAssoc::fill_n`]`::<_, true>`
    /// know the key is absent themselves and skip it.
    #[inline(always)]
    pub(super) fn probe_n<const N: usize, const NOTE: bool>(&mut self, set: usize, key: K) -> Option<V> {
        // `as_chunks` views the flat arrays as `[_; N]` sets: one bounds check per array.
        let keys = self.keys.as_chunks::<N>().0.get(set)?;
        let Some(w) = (0..N).find(|&w| keys[w] == key) else {
            if NOTE {
                self.missed_key = key;
                self.missed_set = set;
            }
            return None;
        };
        if self.policy == Replacement::Lru {
            self.clock += 1;
            if let Some(s) = self.stamps.as_chunks_mut::<N>().0.get_mut(set) {
                s[w] = self.clock;
            }
        }
        self.vals.as_chunks::<N>().0.get(set).map(|v| v[w])
    }

    /// [`SetAssoc::fill`] of an `N`-way set: the same key is replaced in place, else the
    /// lowest invalid way, else the policy's victim. `ABSENT`: the caller has just probed the
    /// key and knows it is not in the set, so there is nothing to search (any remembered miss
    /// is forgotten: it may be this key's).
    #[inline(always)]
    pub(super) fn fill_n<const N: usize, const ABSENT: bool>(&mut self, set: usize, key: K, val: V, rng: &mut SimRng) -> FillOutcome<K, V> {
        let (Some(keys), Some(vals), Some(stamps)) = (
            self.keys.as_chunks_mut::<N>().0.get_mut(set),
            self.vals.as_chunks_mut::<N>().0.get_mut(set),
            self.stamps.as_chunks_mut::<N>().0.get_mut(set),
        ) else {
            return FillOutcome::Dropped;
        };
        let base = set * N;
        self.stats.fills += 1;
        self.clock += 1;
        let clock = self.clock;
        // The miss path: the probe that just missed this key already searched the set.
        if ABSENT {
            debug_assert!(!keys.contains(&key), "fill_n::<_, true> of a present key");
            self.missed_key = self.invalid;
        } else if self.missed_key == key && self.missed_set == set {
            self.missed_key = self.invalid;
        } else if let Some(w) = (0..N).find(|&w| keys[w] == key) {
            let old = std::mem::replace(&mut vals[w], val);
            if self.policy == Replacement::Lru {
                stamps[w] = clock;
            }
            return FillOutcome::Replaced(old);
        }
        let w = match self.policy {
            Replacement::Lru | Replacement::Fifo => oldest_of::<N>(stamps),
            Replacement::Random => match (0..N).find(|&w| keys[w] == self.invalid) {
                Some(w) => w,
                None => rng.below(N as u64) as usize,
            },
        } % N;
        let old = keys[w];
        let outcome = if old == self.invalid {
            self.valid += 1;
            if let Some(t) = &mut self.tags {
                t.link(key.tag(), base + w);
            }
            FillOutcome::Inserted
        } else {
            self.stats.evictions += 1;
            // The slot stays in its tag bucket's list when the new entry's tag falls in the
            // same bucket (one domain's traffic: always); the order within a list is irrelevant.
            if let Some(t) = &mut self.tags
                && !t.same_bucket(old.tag(), key.tag())
            {
                t.unlink(old.tag(), base + w);
                t.link(key.tag(), base + w);
            }
            FillOutcome::Evicted(old, vals[w])
        };
        keys[w] = key;
        vals[w] = val;
        stamps[w] = clock;
        outcome
    }
}
