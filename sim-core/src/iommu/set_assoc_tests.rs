//! Tests of [`super::SetAssoc`]: geometry, replacement, invalidation, and the property test
//! that checks every fast path and side structure against the plain scanning array.

use super::*;

fn rng() -> SimRng {
    SimRng::for_source(1, "set-assoc-test")
}

// Keys are u64, the set is `key % sets`; u64::MAX is the invalid sentinel.
fn cache(entries: u32, ways: u32, p: Replacement) -> SetAssoc<u64, u64> {
    SetAssoc::new(entries, ways, p, u64::MAX)
}

#[test]
fn geometry_and_index() {
    let c = cache(8, 2, Replacement::Lru);
    assert_eq!((c.sets(), c.ways(), c.capacity()), (4, 2, 8));
    assert_eq!(c.set_of(13), 1);
    // Non-power-of-two set count: modulo.
    let c = cache(12, 4, Replacement::Lru);
    assert_eq!(c.sets(), 3);
    assert_eq!(c.set_of(13), 1);
    // ways == 0: fully associative; entries == 0: stores nothing.
    let c = cache(16, 0, Replacement::Lru);
    assert_eq!((c.sets(), c.ways()), (1, 16));
    let mut c = cache(0, 4, Replacement::Lru);
    assert_eq!(c.capacity(), 0);
    assert_eq!(c.fill(0, 1, 1, &mut rng()), FillOutcome::Dropped);
    assert_eq!(c.lookup(0, 1), None);
}

#[test]
fn invalid_ways_first_and_same_key_replaces() {
    // 1 set × 3 ways, LRU. Fill 1, 2; invalidate 1; fill 3 must take way 0 (the hole),
    // not evict 2. Refill of 3 replaces in place: occupancy stays 2.
    let mut c = cache(3, 3, Replacement::Lru);
    let mut r = rng();
    assert_eq!(c.fill(0, 1, 10, &mut r), FillOutcome::Inserted);
    assert_eq!(c.fill(0, 2, 20, &mut r), FillOutcome::Inserted);
    assert_eq!(c.invalidate_key(0, 1), Some(10));
    assert_eq!(c.fill(0, 3, 30, &mut r), FillOutcome::Inserted);
    assert_eq!(c.slot(0, 0), Some((3, 30)));
    assert_eq!(c.fill(0, 3, 31, &mut r), FillOutcome::Replaced(30));
    assert_eq!(c.occupancy(), 2);
    assert_eq!(c.fill(0, 4, 40, &mut r), FillOutcome::Inserted);
    assert_eq!(c.slot(0, 2), Some((4, 40)));
    let s = c.stats();
    assert_eq!((s.fills, s.evictions, s.invalidated), (5, 0, 1));
    assert_eq!(c.clear(), 3);
    assert_eq!(c.occupancy(), 0);
}

#[test]
fn wide_sets_use_the_hash_index_correctly() {
    // 40-way fully associative (indexed). Keys 1 and 1 << 32 differ only in bits the
    // narrow path never mixes: both must be found exactly.
    let mut c = cache(40, 40, Replacement::Lru);
    let mut r = rng();
    let keys: Vec<u64> = (0..38).map(|k| k * 7 + 2).chain([1, 1 << 32]).collect();
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(c.fill(0, *k, i as u64, &mut r), FillOutcome::Inserted);
    }
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(c.lookup(0, *k), Some(i as u64), "key {k}");
    }
    assert_eq!(c.lookup(0, 3), None);
    assert_eq!(c.lookup(0, (1 << 32) | 1), None);
    assert_eq!(c.invalidate_key(0, 1 << 32), Some(39));
    assert_eq!(c.lookup(0, 1), Some(38));
    assert_eq!(c.lookup(0, 1 << 32), None);
    // The hole is refilled; then the set is full and LRU evicts the least recently used:
    // every key was looked up once in fill order, so key 2 (slot 0) is the oldest.
    assert_eq!(c.fill(0, 5, 100, &mut r), FillOutcome::Inserted);
    assert_eq!(c.fill(0, 6, 101, &mut r), FillOutcome::Evicted(2, 0));
    assert_eq!(c.lookup(0, 2), None);
    assert_eq!(c.lookup(0, 6), Some(101));
}

#[test]
fn predicate_invalidation() {
    let mut c = cache(8, 2, Replacement::Fifo);
    let mut r = rng();
    for k in 0..8u64 {
        let s = c.set_of(k);
        c.fill(s, k, k * 10, &mut r);
    }
    assert_eq!(c.occupancy(), 8);
    assert_eq!(c.invalidate_where(|k, _| k.is_multiple_of(2)), 4);
    assert_eq!(c.invalidate_in_set(1, |_, v| *v == 10), 1);
    assert_eq!(c.occupancy(), 3);
    assert!(c.contains(3, 7));
    assert!(!c.contains(1, 1));
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Fill(u64, u64),
        Lookup(u64),
        Inv(u64),
        InvWhere(u64),
        InvTag(u32, u64),
        Clear,
    }

    /// Tags 0, 1 and 64 (64 shares tag 0's bucket in caches of ≤ 64 slots) and 2 (never
    /// cached).
    const TAGS: [u64; 4] = [0, 1, 64, 2];

    /// Keys of three tags (top 32 bits) over 96 low values.
    fn key() -> impl Strategy<Value = u64> {
        (0..3usize, 0..96u64).prop_map(|(t, k)| TAGS[t] << 32 | k)
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (key(), any::<u64>()).prop_map(|(k, v)| Op::Fill(k, v)),
            6 => key().prop_map(Op::Lookup),
            2 => key().prop_map(Op::Inv),
            1 => (2..7u64).prop_map(Op::InvWhere),
            1 => (0..4usize, 1..4u64).prop_map(|(t, m)| Op::InvTag(TAGS[t] as u32, m)),
            1 => Just(Op::Clear),
        ]
    }

    fn policy() -> impl Strategy<Value = Replacement> {
        prop_oneof![Just(Replacement::Lru), Just(Replacement::Fifo), Just(Replacement::Random)]
    }

    proptest! {
        /// The side structures and fast paths change speed only: a cache with the hash
        /// index, recency lists, tag index, miss memo and the fixed-way paths of
        /// `narrow_sets.rs`, and the same cache searching, choosing victims and dropping
        /// tags by scanning on the general path, make identical decisions on any
        /// operation sequence, and occupancy always equals the number of valid slots.
        #[test]
        fn index_matches_scan(
            (entries, ways) in prop_oneof![Just((16u32, 16u32)), Just((32, 16)), Just((48, 48)), Just((60, 12)), Just((130, 65)), Just((16, 4)), Just((8, 1)), Just((16, 2)), Just((32, 8)), Just((24, 3))],
            p in policy(),
            ops in proptest::collection::vec(op(), 1..300),
        ) {
            let mut a: SetAssoc<u64, u64> = SetAssoc::new(entries, ways, p, u64::MAX).with_tag_index();
            let mut b = a.clone().without_index();
            prop_assert_eq!(a.wide.is_some(), ways > NARROW_WAYS as u32);
            let (mut ra, mut rb) = (rng(), rng());
            for op in ops {
                match op {
                    Op::Fill(k, v) => {
                        let s = a.set_of(k);
                        b.missed_key = u64::MAX;
                        prop_assert_eq!(a.fill(s, k, v, &mut ra), b.fill(s, k, v, &mut rb));
                    }
                    Op::InvTag(t, m) => {
                        prop_assert_eq!(
                            a.invalidate_tag_where(t, |k, _| k.is_multiple_of(m)),
                            b.invalidate_tag_where(t, |k, _| k.is_multiple_of(m))
                        );
                        prop_assert_eq!(a.has_tag(t), Some((0..a.sets()).any(|s| (0..a.ways()).any(|w| a.slot(s, w).is_some_and(|(k, _)| k.tag() == t)))));
                    }
                    Op::Lookup(k) => {
                        let s = a.set_of(k);
                        prop_assert_eq!(a.lookup(s, k), b.lookup(s, k));
                    }
                    Op::Inv(k) => {
                        let s = a.set_of(k);
                        prop_assert_eq!(a.invalidate_key(s, k), b.invalidate_key(s, k));
                    }
                    Op::InvWhere(m) => {
                        prop_assert_eq!(a.invalidate_where(|k, _| k.is_multiple_of(m)), b.invalidate_where(|k, _| k.is_multiple_of(m)));
                    }
                    Op::Clear => prop_assert_eq!(a.clear(), b.clear()),
                }
                let valid = (0..a.sets()).flat_map(|s| (0..a.ways()).map(move |w| (s, w)))
                    .filter(|&(s, w)| a.slot(s, w).is_some()).count();
                prop_assert_eq!(valid as u32, a.occupancy());
            }
            for s in 0..a.sets() {
                for w in 0..a.ways() {
                    prop_assert_eq!(a.slot(s, w), b.slot(s, w));
                }
            }
            prop_assert_eq!(a.stats(), b.stats());
        }
    }
}
