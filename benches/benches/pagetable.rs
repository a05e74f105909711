//! Page-table hot paths: map+unmap of a 4K page and of a 2M superpage in a populated table,
//! the 4-level walk (translate) of a mapped 4K page in a large table, the same walk through the
//! memo of bottom-level tables the translation path uses, and a 128 MiB map made of 4K pages
//! (the SimPy scenario's setup; per page, issue 15).
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::iommu::{Caps, IommuKind};
use sim_core::pagetable::{Format, PageTable, Prot};

const K4: u64 = 1 << 12;
const M2: u64 = 1 << 21;
/// 64K pages (256 MiB) mapped as 4K pages: 128 leaf tables, well beyond any CPU cache line
/// locality of a single table.
const POPULATED_PAGES: u64 = 64 * 1024;

fn vtd_table() -> PageTable {
    let format = Format::for_instance(IommuKind::IntelVtd, &Caps::defaults(IommuKind::IntelVtd)).expect("default VT-d caps are valid");
    let mut pt = PageTable::new(format);
    // Physical address 4K-offset from the IOVA: no superpages, a full 4-level tree.
    pt.map(0, K4, POPULATED_PAGES * K4, Prot::RW).expect("fresh table");
    pt
}

fn map_unmap(c: &mut Criterion) {
    let mut g = c.benchmark_group("pagetable");
    g.throughput(Throughput::Elements(1));

    let mut pt = vtd_table();
    let base = 1u64 << 40;
    let mut i = 0u64;
    g.bench_function("map_unmap_4k", |b| {
        b.iter(|| {
            // Walk through 512 slots of one leaf table so the tree stays warm and allocation-free.
            let iova = base + (i & 511) * K4;
            i += 1;
            black_box(pt.map(black_box(iova), black_box(iova), K4, Prot::RW)).ok();
            black_box(pt.unmap(black_box(iova), K4));
        })
    });

    let mut pt = vtd_table();
    let mut i = 0u64;
    g.bench_function("map_unmap_2m", |b| {
        b.iter(|| {
            let iova = base + (i & 511) * M2;
            i += 1;
            black_box(pt.map(black_box(iova), black_box(iova), M2, Prot::RW)).ok();
            black_box(pt.unmap(black_box(iova), M2));
        })
    });

    let pt = vtd_table();
    let mut i = 0u64;
    g.bench_function("walk_4level_4k", |b| {
        b.iter(|| {
            // A stride that visits every leaf table (odd multiplier, mod pages).
            let page = (i.wrapping_mul(40_503)) % POPULATED_PAGES;
            i += 1;
            black_box(pt.translate(black_box(page * K4 + 0x18)))
        })
    });

    // The translation path's walk (issue 15): through the memo of bottom-level tables, on the
    // same scattered pages (128 leaf tables: each remembered after its first walk) and, beside
    // the plain walk, on pages in order (one device streaming through a buffer). Read these
    // as throughput of independent walks: back to back, the CPU overlaps one walk's pointer
    // chase with the next, and here the plain walk wins (2026-12-02, quiet: 5.1 vs 7.2 ns).
    // In a run a walk sits on its translation's chain of dependent work, and the memo's one
    // read wins: the SimPy-shaped runs are 6-9 % faster with it (`one_run`, interleaved).
    let mut pt = vtd_table();
    let mut i = 0u64;
    g.bench_function("walk_remembered_4k", |b| {
        b.iter(|| {
            let page = (i.wrapping_mul(40_503)) % POPULATED_PAGES;
            i += 1;
            black_box(pt.walk_remembered(black_box(page * K4 + 0x18)))
        })
    });
    let pt = vtd_table();
    let mut i = 0u64;
    g.bench_function("walk_4level_4k_in_order", |b| {
        b.iter(|| {
            i += 1;
            black_box(pt.walk(black_box((i % POPULATED_PAGES) * K4 + 0x18)))
        })
    });
    let mut pt = vtd_table();
    let mut i = 0u64;
    g.bench_function("walk_remembered_4k_in_order", |b| {
        b.iter(|| {
            i += 1;
            black_box(pt.walk_remembered(black_box((i % POPULATED_PAGES) * K4 + 0x18)))
        })
    });

    // 128 MiB as 32 768 4K pages (phys 4K-offset: no superpage), then its covering unmap
    // (frees the leaf tables: one cleared PTE each), in a table kept warm between rounds.
    const PAGES_128M: u64 = 32 * 1024;
    let mut pt = vtd_table();
    g.throughput(Throughput::Elements(PAGES_128M));
    g.bench_function("map_unmap_128m_4k", |b| {
        b.iter(|| {
            black_box(pt.map(black_box(base), black_box(base + K4), PAGES_128M * K4, Prot::RW)).ok();
            black_box(pt.unmap(black_box(base), PAGES_128M * K4));
        })
    });
    g.finish();
}

criterion_group!(benches, map_unmap);
criterion_main!(benches);
