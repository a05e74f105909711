//! The side structures that make a [`super::set_assoc::SetAssoc`] fast without changing any of
//! its decisions: a key → slot hash index for wide sets, slot lists by tag bucket (so dropping
//! a domain's entries costs what the domain has cached, not the size of the cache) and per-set
//! recency lists (so a wide set finds its LRU/FIFO victim without scanning every way).
//!
//! Each is checked against the plain scanning array by the property tests in `set_assoc.rs`.

use super::set_assoc::CacheKey;

/// "No slot" in the linked lists below.
pub(crate) const NIL: u32 = u32::MAX;

/// Key → slot index for caches with wide sets (e.g. a 64-entry fully associative IOTLB, where a
/// linear scan costs ~20 ns a hit). Open addressing with linear probing at ≤ 50 % load and
/// backward-shift deletion (no tombstones), so a lookup touches one or two buckets. It only
/// speeds lookups up: which slot an entry occupies, and so every replacement decision, is
/// decided by the set-associative array exactly as for narrow sets.
#[derive(Clone, Debug)]
pub(crate) struct HashIndex {
    /// Slot numbers; [`HashIndex::EMPTY`] marks a free bucket.
    buckets: Vec<u32>,
    /// log2 of the bucket count.
    bits: u32,
}

impl HashIndex {
    const EMPTY: u32 = u32::MAX;

    pub(crate) fn new(slots: usize) -> Self {
        let n = (slots * 2).next_power_of_two().max(2);
        HashIndex { buckets: vec![Self::EMPTY; n], bits: n.trailing_zeros() }
    }

    #[inline(always)]
    fn home<K: CacheKey>(&self, key: K) -> usize {
        // Fibonacci hashing: the top bits of a multiply by 2^64/φ.
        (key.hash64().wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - self.bits)) as usize
    }

    #[inline(always)]
    fn mask(&self) -> usize {
        self.buckets.len() - 1
    }

    #[inline(always)]
    pub(crate) fn find<K: CacheKey>(&self, keys: &[K], key: K) -> Option<usize> {
        let mut b = self.home(key);
        loop {
            let s = *self.buckets.get(b)?;
            if s == Self::EMPTY {
                return None;
            }
            if keys.get(s as usize) == Some(&key) {
                return Some(s as usize);
            }
            b = (b + 1) & self.mask();
        }
    }

    pub(crate) fn insert<K: CacheKey>(&mut self, key: K, slot: usize) {
        let mut b = self.home(key);
        while self.buckets[b] != Self::EMPTY {
            b = (b + 1) & self.mask();
        }
        self.buckets[b] = slot as u32;
    }

    /// Removes `slot`, whose key is still `keys[slot]` (call before overwriting it).
    pub(crate) fn remove<K: CacheKey>(&mut self, keys: &[K], slot: usize) {
        let mask = self.mask();
        let mut i = self.home(keys[slot]);
        loop {
            match self.buckets[i] {
                Self::EMPTY => return,
                s if s as usize == slot => break,
                _ => i = (i + 1) & mask,
            }
        }
        // Backward shift: pull later members of the probe run into the hole unless their home
        // lies cyclically in (hole, j], where they must stay.
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let s = self.buckets[j];
            if s == Self::EMPTY {
                break;
            }
            let h = self.home(keys[s as usize]);
            let stays = if i <= j { i < h && h <= j } else { i < h || h <= j };
            if !stays {
                self.buckets[i] = s;
                i = j;
            }
        }
        self.buckets[i] = Self::EMPTY;
    }

    pub(crate) fn clear(&mut self) {
        self.buckets.fill(Self::EMPTY);
    }
}

/// Slot lists by tag bucket (`tag mod buckets`, a power of two ≥ the slot count up to 4096):
/// a doubly linked list per bucket of the slots whose entry's tag falls in it. Dropping a tag
/// (a domain-selective invalidation, or the detach after a failed trial attach in VFIO type1's
/// search) then visits only its bucket: O(1) when nothing of the tag (or its bucket) is cached,
/// O(k) for k entries as long as live tags do not collide — domain tags are small dense ids, so
/// they rarely do. Linking and unlinking are a few array writes, no hashing: this sits on the
/// fill path of every miss.
#[derive(Clone, Debug)]
pub(crate) struct TagIndex {
    next: Vec<u32>,
    prev: Vec<u32>,
    /// Bucket → first slot of its list, or `NIL`.
    heads: Vec<u32>,
}

impl TagIndex {
    pub(crate) fn new(slots: usize) -> Self {
        let buckets = slots.next_power_of_two().clamp(1, 4096);
        TagIndex { next: vec![NIL; slots], prev: vec![NIL; slots], heads: vec![NIL; buckets] }
    }

    #[inline(always)]
    fn bucket(&self, tag: u32) -> usize {
        tag as usize & (self.heads.len() - 1)
    }

    /// Whether tags `a` and `b` share a bucket (and so a list).
    #[inline(always)]
    pub(crate) fn same_bucket(&self, a: u32, b: u32) -> bool {
        self.bucket(a) == self.bucket(b)
    }

    /// Adds `slot` (now holding an entry of `tag`) to the front of its bucket's list.
    #[inline]
    pub(crate) fn link(&mut self, tag: u32, slot: usize) {
        let b = self.bucket(tag);
        let head = self.heads[b];
        self.next[slot] = head;
        self.prev[slot] = NIL;
        if head != NIL {
            self.prev[head as usize] = slot as u32;
        }
        self.heads[b] = slot as u32;
    }

    /// Removes `slot` (holding an entry of `tag`) from its bucket's list.
    #[inline]
    pub(crate) fn unlink(&mut self, tag: u32, slot: usize) {
        let (p, n) = (self.prev[slot], self.next[slot]);
        if n != NIL {
            self.prev[n as usize] = p;
        }
        if p != NIL {
            self.next[p as usize] = n;
        } else {
            let b = self.bucket(tag);
            self.heads[b] = n;
        }
    }

    /// The first slot of the list of `tag`'s bucket (it may hold other tags of the bucket).
    #[inline]
    pub(crate) fn first(&self, tag: u32) -> Option<usize> {
        let h = self.heads[self.bucket(tag)];
        (h != NIL).then_some(h as usize)
    }

    /// The slot after `slot` in its bucket's list.
    #[inline]
    pub(crate) fn next(&self, slot: usize) -> Option<usize> {
        let n = self.next[slot];
        (n != NIL).then_some(n as usize)
    }

    /// Whether any slot of `tag`'s bucket holds an entry of `tag` (`tag_of`: the tag of the
    /// entry in a slot; buckets are shared, so each slot is checked).
    pub(crate) fn holds(&self, tag: u32, tag_of: impl Fn(usize) -> u32) -> bool {
        let mut cur = self.first(tag);
        while let Some(slot) = cur {
            if tag_of(slot) == tag {
                return true;
            }
            cur = self.next(slot);
        }
        false
    }

    pub(crate) fn clear(&mut self) {
        self.heads.fill(NIL);
    }
}

/// Per-set recency order for wide sets: a doubly linked list of the valid slots of each set,
/// oldest first (LRU: least recently touched; FIFO: earliest inserted), plus a bitmap of the
/// invalid ways. Victim choice is then O(1): the lowest invalid way, else the list's head.
/// It reproduces the stamp order exactly, because every touch and insertion takes a fresh
/// clock value, so no two valid slots of a set ever tie.
#[derive(Clone, Debug)]
pub(crate) struct Recency {
    next: Vec<u32>,
    prev: Vec<u32>,
    /// Per set: (oldest, newest) slot, or `NIL` when the set has no valid slot.
    ends: Vec<(u32, u32)>,
    /// Per set, `words` u64s: bit `w` set iff way `w` is invalid.
    free: Vec<u64>,
    words: usize,
    ways: usize,
}

impl Recency {
    pub(crate) fn new(sets: usize, ways: usize) -> Self {
        let words = ways.div_ceil(64).max(1);
        let mut r = Recency {
            next: vec![NIL; sets * ways],
            prev: vec![NIL; sets * ways],
            ends: vec![(NIL, NIL); sets],
            free: vec![0; sets * words],
            words,
            ways,
        };
        r.all_free();
        r
    }

    /// Marks every way of every set invalid.
    fn all_free(&mut self) {
        let (words, ways) = (self.words, self.ways);
        for (i, f) in self.free.iter_mut().enumerate() {
            let first = (i % words) * 64;
            let n = ways.saturating_sub(first).min(64);
            *f = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
        }
    }

    /// The lowest invalid way of `set`, if any.
    #[inline]
    pub(crate) fn lowest_free(&self, set: usize) -> Option<usize> {
        let words = &self.free[set * self.words..(set + 1) * self.words];
        words.iter().enumerate().find(|(_, w)| **w != 0).map(|(i, w)| i * 64 + w.trailing_zeros() as usize)
    }

    /// The oldest valid slot of `set` (the LRU/FIFO victim of a full set).
    #[inline]
    pub(crate) fn oldest(&self, set: usize) -> usize {
        self.ends[set].0 as usize
    }

    /// `slot` (in `set`) becomes valid and newest.
    #[inline]
    pub(crate) fn push_newest(&mut self, set: usize, slot: usize) {
        let w = slot - set * self.ways;
        self.free[set * self.words + w / 64] &= !(1 << (w % 64));
        self.append(set, slot);
    }

    #[inline]
    fn append(&mut self, set: usize, slot: usize) {
        let (old, new) = self.ends[set];
        self.prev[slot] = new;
        self.next[slot] = NIL;
        if new != NIL {
            self.next[new as usize] = slot as u32;
        }
        self.ends[set] = (if old == NIL { slot as u32 } else { old }, slot as u32);
    }

    #[inline]
    fn detach(&mut self, set: usize, slot: usize) {
        let (p, n) = (self.prev[slot], self.next[slot]);
        let (mut old, mut new) = self.ends[set];
        if p != NIL {
            self.next[p as usize] = n;
        } else {
            old = n;
        }
        if n != NIL {
            self.prev[n as usize] = p;
        } else {
            new = p;
        }
        self.ends[set] = (old, new);
    }

    /// A valid `slot` was touched: it becomes newest.
    #[inline]
    pub(crate) fn touch(&mut self, set: usize, slot: usize) {
        if self.ends[set].1 as usize != slot {
            self.detach(set, slot);
            self.append(set, slot);
        }
    }

    /// A valid `slot` becomes invalid.
    #[inline]
    pub(crate) fn remove(&mut self, set: usize, slot: usize) {
        self.detach(set, slot);
        let w = slot - set * self.ways;
        self.free[set * self.words + w / 64] |= 1 << (w % 64);
    }

    pub(crate) fn clear(&mut self) {
        self.ends.fill((NIL, NIL));
        self.all_free();
    }
}
