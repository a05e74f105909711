//! Page-granular caches: a [`SetAssoc`] keyed by (domain tag, page size, page number), which is
//! what the IOTLB, the device TLB and each depth of the walk cache are. Adds what those need on
//! top of the plain array: the gem5 `ARMArchTLB` index function, per-size counts (so a lookup
//! probes only the sizes present) and range invalidation.

use super::params::Replacement;
use super::set_assoc::{FillOutcome, SetAssoc};
use crate::engine::rng::SimRng;

/// Key of a page-granular entry: `vpn | tag << 64 | shift << 96`, where `vpn = addr >> shift`.
/// Real keys have `shift < 64`, so [`INVALID_KEY`] (all ones) is never one of them.
#[inline(always)]
pub(crate) fn page_key(tag: u32, shift: u32, vpn: u64) -> u128 {
    vpn as u128 | (tag as u128) << 64 | (shift as u128) << 96
}

/// The sentinel of caches keyed by [`page_key`].
pub(crate) const INVALID_KEY: u128 = u128::MAX;

/// `(tag, shift, vpn)` of a [`page_key`].
#[inline(always)]
pub(crate) fn unpack_key(k: u128) -> (u32, u32, u64) {
    ((k >> 64) as u32, (k >> 96) as u32, k as u64)
}

/// Whether the `2^shift` page numbered `vpn` overlaps the inclusive range `first..=last`.
#[inline]
pub(crate) fn page_overlaps(shift: u32, vpn: u64, first: u64, last: u64) -> bool {
    let start = vpn << shift;
    let end = start | ((1u64 << shift) - 1);
    start <= last && end >= first
}

/// How many entries of each page size (or region size) a cache holds, so that lookups probe
/// only the sizes present: with one size cached, a lookup is a single probe.
#[derive(Clone, Debug)]
pub(crate) struct ShiftCounts {
    counts: [u32; 64],
    /// Bit `s` set iff `counts[s] > 0`.
    pub(crate) mask: u64,
}

impl ShiftCounts {
    pub(crate) fn new() -> Self {
        ShiftCounts { counts: [0; 64], mask: 0 }
    }

    #[inline]
    pub(crate) fn inc(&mut self, shift: u32) {
        let s = (shift & 63) as usize;
        self.counts[s] += 1;
        self.mask |= 1 << s;
    }

    #[inline]
    pub(crate) fn dec(&mut self, shift: u32) {
        let s = (shift & 63) as usize;
        self.counts[s] = self.counts[s].saturating_sub(1);
        if self.counts[s] == 0 {
            self.mask &= !(1 << s);
        }
    }

    /// Entries of size `2^shift`.
    #[cfg(test)]
    pub(crate) fn count(&self, shift: u32) -> u32 {
        self.counts[(shift & 63) as usize]
    }

    pub(crate) fn clear(&mut self) {
        self.counts = [0; 64];
        self.mask = 0;
    }

    /// Probes needed to visit every page of every present size overlapping `first..=last`.
    pub(crate) fn pages_in(&self, first: u64, last: u64) -> u64 {
        pages_in(self.mask, first, last)
    }
}

/// Pages of every size `2^s` whose bit `s` is set in `sizes` overlapping `first..=last`.
pub(crate) fn pages_in(sizes: u64, first: u64, last: u64) -> u64 {
    let mut m = sizes;
    let mut n = 0u64;
    while m != 0 {
        let s = m.trailing_zeros();
        m &= m - 1;
        n = n.saturating_add(((last >> s) - (first >> s)).saturating_add(1));
    }
    n
}

/// A [`SetAssoc`] of page-granular entries keyed by (domain tag, size, page number), with the
/// gem5 `ARMArchTLB` index function `(vpn ^ tag) % sets` ([ref-MC] §1.2): the IOTLB and each
/// level of the walk cache are one of these.
#[derive(Clone, Debug)]
pub(crate) struct PageCache<V> {
    pub(crate) core: SetAssoc<u128, V>,
    pub(crate) sizes: ShiftCounts,
}

impl<V: Copy + Default> PageCache<V> {
    pub(crate) fn new(entries: u32, ways: u32, policy: Replacement) -> Self {
        PageCache { core: SetAssoc::new(entries, ways, policy, INVALID_KEY).with_tag_index(), sizes: ShiftCounts::new() }
    }

    #[inline(always)]
    fn set(&self, tag: u32, vpn: u64) -> usize {
        self.core.set_of(vpn ^ tag as u64)
    }

    /// Looks up the `2^shift` page holding `addr` (uncounted; `shift < 64`). Tests only: the
    /// reference walk cache.
    #[cfg(test)]
    #[inline(always)]
    pub(crate) fn probe(&mut self, tag: u32, shift: u32, addr: u64) -> Option<V> {
        self.probe_as::<true>(tag, shift, addr)
    }

    #[inline(always)]
    fn probe_as<const NOTE: bool>(&mut self, tag: u32, shift: u32, addr: u64) -> Option<V> {
        let vpn = addr >> shift;
        let set = self.set(tag, vpn);
        let key = page_key(tag, shift, vpn);
        if NOTE { self.core.probe(set, key) } else { self.core.probe_quiet(set, key) }
    }

    /// Looks up `addr` in every size present, smallest first (uncounted); returns the hit's
    /// shift and payload.
    #[inline(always)]
    pub(crate) fn probe_any(&mut self, tag: u32, addr: u64) -> Option<(u32, V)> {
        self.probe_any_as::<true>(tag, addr)
    }

    /// [`PageCache::probe_any`] whose misses are not remembered: for callers that then fill
    /// the address with [`PageCache::fill_absent`].
    #[inline(always)]
    pub(crate) fn probe_any_quiet(&mut self, tag: u32, addr: u64) -> Option<(u32, V)> {
        self.probe_any_as::<false>(tag, addr)
    }

    #[inline(always)]
    fn probe_any_as<const NOTE: bool>(&mut self, tag: u32, addr: u64) -> Option<(u32, V)> {
        let mut m = self.sizes.mask;
        while m != 0 {
            let s = m.trailing_zeros();
            m &= m - 1;
            if let Some(v) = self.probe_as::<NOTE>(tag, s, addr) {
                return Some((s, v));
            }
        }
        None
    }

    /// Stores the `2^shift` page holding `addr`; `shift >= 64` is not a page and is dropped.
    #[inline(always)]
    pub(crate) fn fill(&mut self, tag: u32, shift: u32, addr: u64, v: V, rng: &mut SimRng) -> FillOutcome<u128, V> {
        self.fill_as::<false>(tag, shift, addr, v, rng)
    }

    /// [`PageCache::fill`] of a page holding an address that [`PageCache::probe_any_quiet`]
    /// has just missed for `tag` (nothing filled since): every size present was probed for
    /// it, so the page is absent whatever its size, and no search is made.
    #[inline(always)]
    pub(crate) fn fill_absent(&mut self, tag: u32, shift: u32, addr: u64, v: V, rng: &mut SimRng) -> FillOutcome<u128, V> {
        self.fill_as::<true>(tag, shift, addr, v, rng)
    }

    #[inline(always)]
    fn fill_as<const ABSENT: bool>(&mut self, tag: u32, shift: u32, addr: u64, v: V, rng: &mut SimRng) -> FillOutcome<u128, V> {
        if shift >= 64 {
            return FillOutcome::Dropped;
        }
        let vpn = addr >> shift;
        let set = self.set(tag, vpn);
        let key = page_key(tag, shift, vpn);
        let out = if ABSENT { self.core.fill_absent(set, key, v, rng) } else { self.core.fill(set, key, v, rng) };
        self.count_fill(shift, &out);
        out
    }

    /// Keeps the per-size counts after a fill of a `2^shift` entry that ended in `out`.
    #[inline(always)]
    fn count_fill(&mut self, shift: u32, out: &FillOutcome<u128, V>) {
        match *out {
            FillOutcome::Inserted => self.sizes.inc(shift),
            FillOutcome::Evicted(k, _) => {
                let old = unpack_key(k).1;
                if old != shift {
                    self.sizes.inc(shift);
                    self.sizes.dec(old);
                }
            }
            FillOutcome::Replaced(_) | FillOutcome::Dropped => {}
        }
    }

    /// Drops the entries of `tag` of any size overlapping `first..=last`. Nothing to do when
    /// the tag has no entry (O(1)). Probes page by page when that costs no more key
    /// comparisons than scanning the array (pages × ways ≤ capacity, i.e. fewer pages than
    /// sets), else visits the tag's entries.
    pub(crate) fn invalidate_range(&mut self, tag: u32, first: u64, last: u64) -> u32 {
        if self.core.has_tag(tag) == Some(false) {
            return 0;
        }
        let pages = self.sizes.pages_in(first, last);
        let sizes = &mut self.sizes;
        if pages.saturating_mul(self.core.ways() as u64) <= self.core.capacity() as u64 {
            let mut n = 0;
            let mut m = sizes.mask;
            while m != 0 {
                let s = m.trailing_zeros();
                m &= m - 1;
                for vpn in (first >> s)..=(last >> s) {
                    let set = self.core.set_of(vpn ^ tag as u64);
                    if self.core.invalidate_key(set, page_key(tag, s, vpn)).is_some() {
                        sizes.dec(s);
                        n += 1;
                    }
                }
            }
            n
        } else {
            self.core.invalidate_tag_where(tag, |k, _| {
                let (t, s, vpn) = unpack_key(*k);
                let hit = t == tag && page_overlaps(s, vpn, first, last);
                if hit {
                    sizes.dec(s);
                }
                hit
            })
        }
    }

    /// Drops every entry of `tag`: O(1) when it has none, O(its entries) otherwise.
    pub(crate) fn invalidate_tag(&mut self, tag: u32) -> u32 {
        let sizes = &mut self.sizes;
        self.core.invalidate_tag_where(tag, |k, _| {
            let (t, s, _) = unpack_key(*k);
            if t == tag {
                sizes.dec(s);
            }
            t == tag
        })
    }

    /// Drops everything.
    pub(crate) fn clear(&mut self) -> u32 {
        self.sizes.clear();
        self.core.clear()
    }
}
