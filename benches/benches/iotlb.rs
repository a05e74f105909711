//! IOTLB lookup cost. The simulator's budget is ≥ 50 M IOTLB-hit translations per second on a
//! 2-core machine, so a hit must cost well under 10 ns. Each iteration runs a batch of
//! lookups; criterion reports time per element (= per lookup).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::engine::rng::SimRng;
use sim_core::iommu::Replacement;
use sim_core::iommu::iotlb::{Iotlb, TlbEntry};

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
    // every lookup is followed by a fill that evicts.
    for (name, p) in [("fill_on_miss_lru", Replacement::Lru), ("fill_on_miss_random", Replacement::Random)] {
        let mut t = tlb(2048, 4, p);
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

criterion_group!(benches, lookups);
criterion_main!(benches);
