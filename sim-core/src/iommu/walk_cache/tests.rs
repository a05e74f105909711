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

/// The flat walk cache makes the decisions of the per-depth arrays it replaced (issue 15),
/// kept as `reference::RefWalkCache`: same start depths, same victims in the same slots,
/// same Random draws, same counters, same invalidation counts, over random operations on
/// every policy and 1- to 16-way sets (power-of-two set counts or not), tags sharing tag-index
/// buckets, and domains of different table formats sharing the cache.
#[test]
fn matches_per_depth_arrays() {
    use super::reference::RefWalkCache;
    const SHIFTS: [&[u32]; 4] = [&S4, &[30, 21, 12], &[48, 39, 30, 21, 12], &[64, 30, 21, 12]];
    const TAGS: [u32; 6] = [0, 1, 16, 17, 4096, 4097];
    let geometries = [(1, 1), (4, 1), (3, 1), (8, 2), (6, 2), (16, 4), (12, 4), (8, 8), (32, 8), (32, 16), (6, 0), (0, 4)];
    let mut cases = 0;
    for (entries, ways) in geometries {
        for p in [Replacement::Lru, Replacement::Fifo, Replacement::Random] {
            for seed in 0..3 {
                let max_levels = 4 + seed as u8 % 2;
                let mk = || SimRng::for_source(seed, "walk-flat");
                let mut a = RefWalkCache::new(max_levels, entries, ways, p, mk());
                let mut b = WalkCache::new(max_levels, entries, ways, p, mk());
                let mut r = SimRng::for_source(seed, "walk-flat-ops");
                for step in 0..1500 {
                    let tag = TAGS[r.below(TAGS.len() as u64) as usize];
                    let shifts = SHIFTS[r.below(SHIFTS.len() as u64) as usize];
                    let va = r.below(2) << 39 | r.below(4) << 30 | r.below(8) << 21 | r.below(4) << 12;
                    let depth = 1 + r.below(5) as u8;
                    let what = format!("{entries}/{ways} {p:?} seed {seed} step {step}");
                    match r.below(100) {
                        0..60 => {
                            let fill = r.below(8) != 0;
                            let start = a.lookup(tag, va, depth, shifts);
                            if fill {
                                a.fill_below(tag, va, start, depth, shifts);
                            }
                            assert_eq!(b.lookup_fill(tag, va, depth, shifts, fill), start, "{what}");
                        }
                        60..70 => assert_eq!(b.lookup(tag, va, depth, shifts), a.lookup(tag, va, depth, shifts), "{what}"),
                        70..85 => {
                            let start = 1 + r.below(4) as u8;
                            a.fill_below(tag, va, start, depth, shifts);
                            b.fill_below(tag, va, start, depth, shifts);
                        }
                        85..96 => {
                            let size = [1, 0x1000, 0x20_0000, 0x4000_0000, 1 << 40, 0][r.below(6) as usize];
                            let at = va + r.below(0x1000);
                            assert_eq!(b.invalidate_range(tag, at, size), a.invalidate_range(tag, at, size), "{what}");
                        }
                        96..99 => assert_eq!(b.invalidate_tag(tag), a.invalidate_tag(tag), "{what}"),
                        _ => assert_eq!(b.invalidate_all(), a.invalidate_all(), "{what}"),
                    }
                    assert_eq!(b.stats(), a.stats(), "{what}");
                    assert_eq!(b.occupancy(), a.occupancy(), "{what}");
                    if step % 16 == 0 {
                        for d in 0..=6 {
                            assert_eq!(b.level_stats(d), a.level_stats(d), "{what} depth {d}");
                            assert_eq!(b.slots_at(d), a.slots(d), "{what} depth {d}");
                        }
                    }
                }
                // The cases evict (and, for Random, draw).
                if entries > 0 {
                    assert!(a.stats().evictions > 20, "{entries}/{ways} {p:?}: {:?}", a.stats());
                }
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 12 * 3 * 3);
}
