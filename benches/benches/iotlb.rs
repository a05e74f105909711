//! IOTLB lookup cost. The simulator's budget is ≥ 50 M IOTLB-hit translations per second on a
//! 2-core machine, so a hit must cost well under 10 ns. Each iteration runs a batch of
//! lookups; criterion reports time per element (= per lookup).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::engine::rng::SimRng;
use sim_core::iommu::instance::Instance;
use sim_core::iommu::iotlb::{Iotlb, TlbEntry};
use sim_core::iommu::walk_cache::WalkCache;
use sim_core::iommu::{IommuKind, IommuParams, Replacement};

const BATCH: u64 = 1000;

fn entry(tag: u32, page: u64) -> TlbEntry {
    TlbEntry { tag, iova: page << 12, page_shift: 12, phys: 0x1_0000_0000 + (page << 12), prot: 3, epoch: 0 }
}

fn tlb(entries: u32, ways: u32, p: Replacement) -> Iotlb {
    Iotlb::new(entries, ways, p, SimRng::for_source(1, "bench"))
}

fn lookups(c: &mut Criterion) {
    let mut g = c.benchmark_group("iotlb");
    g.throughput(Throughput::Elements(BATCH));

    // Hit: gem5's main-TLB geometry (2048 × 4-way), 1000 pages round-robin (fits).
    for (name, entries, ways, p) in [
        ("hit_2048x4_lru", 2048, 4, Replacement::Lru),
        ("hit_2048x4_fifo", 2048, 4, Replacement::Fifo),
        ("hit_64_fully_assoc_lru", 64, 64, Replacement::Lru),
    ] {
        let pages = BATCH.min(entries as u64);
        let mut t = tlb(entries, ways, p);
        for pg in 0..pages {
            t.fill(entry(1, pg));
        }
        let addrs: Vec<u64> = (0..BATCH).map(|i| (i % pages) << 12 | 0x80).collect();
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut acc = 0u64;
                for &a in &addrs {
                    if let Some(e) = t.lookup(black_box(1), black_box(a)) {
                        acc = acc.wrapping_add(e.phys);
                    }
                }
                black_box(acc)
            })
        });
    }

    // Hit with two page sizes present (4 KiB probe misses, 2 MiB probe hits).
    {
        let mut t = tlb(2048, 4, Replacement::Lru);
        t.fill(entry(1, 1 << 30)); // one far-away 4 KiB entry keeps the 4 KiB size present
        for i in 0..BATCH {
            t.fill(TlbEntry { tag: 1, iova: i << 21, page_shift: 21, phys: i << 21, prot: 3, epoch: 0 });
        }
        let addrs: Vec<u64> = (0..BATCH).map(|i| (i << 21) | 0x1234).collect();
        g.bench_function("hit_2m_with_4k_present", |b| {
            b.iter(|| {
                let mut acc = 0u64;
                for &a in &addrs {
                    acc += t.lookup(black_box(1), black_box(a)).is_some() as u64;
                }
                black_box(acc)
            })
        });
    }

    // Miss: the cache is full of other pages, the working set (1 M pages) is far larger.
    {
        let mut t = tlb(2048, 4, Replacement::Lru);
        for pg in 0..2048 {
            t.fill(entry(1, pg));
        }
        let mut next = 1u64 << 20;
        g.bench_function("miss_2048x4", |b| {
            b.iter(|| {
                let mut acc = 0u64;
                for _ in 0..BATCH {
                    next = if next + 1 >= 2 << 20 { 1 << 20 } else { next + 1 };
                    acc += t.lookup(black_box(1), black_box(next << 12)).is_some() as u64;
                }
                black_box(acc)
            })
        });
    }

    // Fill on miss: a 100 k-page round robin through a 2048-entry cache always misses, so
    // every lookup is followed by a fill that evicts. The 64-entry fully associative IOTLB is
    // the VT-d/AMD default (issue 15: it cost 2x a 4-way one per miss).
    for (name, entries, ways, p) in [
        ("fill_on_miss_lru", 2048, 4, Replacement::Lru),
        ("fill_on_miss_random", 2048, 4, Replacement::Random),
        ("fill_on_miss_64_fully_assoc_lru", 64, 64, Replacement::Lru),
        ("fill_on_miss_64_fully_assoc_fifo", 64, 64, Replacement::Fifo),
    ] {
        let mut t = tlb(entries, ways, p);
        let mut next = 0u64;
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut acc = 0u64;
                for _ in 0..BATCH {
                    next = (next + 1) % 100_000;
                    if t.lookup(1, black_box(next << 12)).is_none() {
                        acc += t.fill(entry(1, next)).is_some() as u64;
                    }
                }
                black_box(acc)
            })
        });
    }
    g.finish();
}

/// Domain-selective invalidation of one tag (the trial detach of VFIO type1's search, issue
/// 15 item 1): of a tag with nothing cached (must not depend on the cache size), and of a tag
/// with 16 entries among 2032 of other tags (must cost ~16 entries, not 2048).
fn invalidation(c: &mut Criterion) {
    let mut g = c.benchmark_group("invalidate_tag");
    g.throughput(Throughput::Elements(1));
    for entries in [256u32, 2048, 16384] {
        let mut t = tlb(entries, 4, Replacement::Lru);
        for pg in 0..entries as u64 {
            t.fill(entry(1 + (pg % 64) as u32, pg));
        }
        g.bench_function(format!("absent_tag_{entries}x4"), |b| b.iter(|| black_box(t.invalidate_tag(black_box(999)))));
    }
    let mut t = tlb(2048, 4, Replacement::Lru);
    for pg in 0..2032 {
        t.fill(entry(1, pg));
    }
    g.bench_function("tag_with_16_entries_2048x4", |b| {
        b.iter(|| {
            for pg in 0..16 {
                t.fill(entry(7, 5000 + pg * 4));
            }
            black_box(t.invalidate_tag(black_box(7)))
        })
    });
    // The walk cache of an SMMUv3 (5 depth arrays of 256 entries), full of other tags.
    let mut w = WalkCache::new(6, 256, 4, Replacement::Lru, SimRng::for_source(1, "bench-wc"));
    for i in 0..2048u64 {
        w.fill(1 + (i % 64) as u32, i << 21, 4, &S4);
    }
    g.bench_function("walk_cache_absent_tag", |b| b.iter(|| black_box(w.invalidate_tag(black_box(999)))));
    g.finish();
}

const S4: [u32; 4] = [39, 30, 21, 12];

/// The rest of the miss path: a walk-cache lookup that hits at depth 3 and the fill after the
/// walk, and picking the earliest-free of 16 walkers.
fn miss_path(c: &mut Criterion) {
    let mut g = c.benchmark_group("miss_path");
    g.throughput(Throughput::Elements(BATCH));
    let mut w = WalkCache::new(6, 256, 4, Replacement::Lru, SimRng::for_source(1, "bench-wc"));
    let mut next = 0u64;
    g.bench_function("walk_cache_lookup_fill_256x4", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for _ in 0..BATCH {
                // A new 2 MiB region every 512 pages; the 1 GiB region changes rarely.
                next = next.wrapping_add(0x20_1000);
                let iova = next & 0xff_ffff_f000;
                let start = w.lookup(1, black_box(iova), 4, &S4);
                if start < 4 {
                    w.fill(1, iova, 4, &S4);
                }
                acc += u64::from(start);
            }
            black_box(acc)
        })
    });
    let params = IommuParams::defaults(IommuKind::ArmSmmuV3);
    let mut inst = Instance::new("bench", &params, 1);
    let mut rng = SimRng::for_source(1, "bench-walkers");
    let jitter: Vec<u64> = (0..4096).map(|_| rng.below(400)).collect();
    let mut now = 0u64;
    g.bench_function("reserve_walker_16", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for i in 0..BATCH as usize {
                now += 25;
                acc += inst.reserve_walker(black_box(now), 200 + jitter[i & 4095]);
            }
            black_box(acc)
        })
    });
    g.finish();
}

criterion_group!(benches, lookups, invalidation, miss_path);
criterion_main!(benches);
