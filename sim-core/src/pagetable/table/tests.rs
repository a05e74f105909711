use super::*;
use crate::iommu::{Caps, IommuKind, PageSizes as P};
use crate::pagetable::Format;
use proptest::prelude::*;

const K4: u64 = 1 << 12;
const M2: u64 = 1 << 21;
const G1: u64 = 1 << 30;

fn format(kind: IommuKind, width: u8, sizes: u64) -> Format {
    let caps = Caps { address_width: width, page_sizes: P(sizes), ..Caps::defaults(kind) };
    Format::for_instance(kind, &caps).expect("valid format")
}

fn vtd48() -> Format {
    format(IommuKind::IntelVtd, 48, P::SZ_4K | P::SZ_2M | P::SZ_1G)
}

fn amd() -> Format {
    Format::for_instance(IommuKind::AmdVi, &Caps::defaults(IommuKind::AmdVi)).unwrap()
}

fn arm(sizes: u64, ias: u8) -> Format {
    format(IommuKind::ArmSmmuV3, ias, sizes)
}

#[test]
fn new_table_holds_only_the_root() {
    let pt = PageTable::new(vtd48());
    assert_eq!((pt.tables(), pt.table_bytes(), pt.mapped_bytes(), pt.levels()), (1, 4096, 0, 4));
    assert_eq!(pt.translate(0), None);
    assert_eq!(pt.walk(0), Walk { depth: 1, leaf: None });
    assert_eq!((pt.level_shift(1), pt.level_shift(2), pt.level_shift(3), pt.level_shift(4)), (39, 30, 21, 12));
}

#[test]
fn aligned_2m_map_is_one_superpage_pte() {
    let mut pt = PageTable::new(vtd48());
    let s = pt.map(3 * M2, 7 * M2, M2, Prot::RW).unwrap();
    // Two intermediate tables (pointer PTEs) and one 2M leaf.
    assert_eq!(s, MapStats { ptes_written: 3, tables_allocated: 2, tables_freed: 0 });
    let w = pt.walk(3 * M2 + 0x1234);
    assert_eq!(w.depth, pt.levels() - 1);
    assert_eq!(w.leaf, Some(Translation { phys: 7 * M2 + 0x1234, prot: Prot::RW, page_size: M2 }));
    assert_eq!(pt.mapped_bytes(), M2);
}

#[test]
fn unaligned_map_uses_4k_pages() {
    let mut pt = PageTable::new(vtd48());
    // Physical address only 4K aligned: no superpage possible.
    let s = pt.map(M2, 5 * M2 + K4, M2, Prot::READ).unwrap();
    assert_eq!(s.ptes_written, 512 + 3);
    assert_eq!(s.tables_allocated, 3);
    let w = pt.walk(M2 + 5 * K4 + 8);
    assert_eq!(w.depth, pt.levels());
    assert_eq!(w.leaf, Some(Translation { phys: 5 * M2 + 6 * K4 + 8, prot: Prot::READ, page_size: K4 }));
    // A 2M+4K map at a 2M-aligned IOVA/phys: one 2M page then one 4K page (`iommu_pgsize`).
    let mut pt = PageTable::new(vtd48());
    let s = pt.map(4 * M2, 8 * M2, M2 + K4, Prot::RW).unwrap();
    assert_eq!(s.ptes_written, 2 + 1 + 1 + 1);
    assert_eq!(pt.translate(4 * M2).unwrap().page_size, M2);
    assert_eq!(pt.translate(5 * M2).unwrap().page_size, K4);
}

#[test]
fn one_gigabyte_pages_and_cap_restrictions() {
    let mut pt = PageTable::new(vtd48());
    let s = pt.map(2 * G1, G1, G1, Prot::RW).unwrap();
    assert_eq!(s.ptes_written, 2);
    let w = pt.walk(2 * G1 + 12345 * K4);
    assert_eq!(w.depth, 2);
    assert_eq!(w.leaf.unwrap().page_size, G1);
    // Without 1G in caps the same map is 512 2M pages.
    let mut pt = PageTable::new(format(IommuKind::IntelVtd, 48, P::SZ_4K | P::SZ_2M));
    let s = pt.map(2 * G1, G1, G1, Prot::RW).unwrap();
    assert_eq!(s.ptes_written, 512 + 2);
    assert_eq!(pt.translate(2 * G1 + 3 * M2 + 5).unwrap(), Translation { phys: G1 + 3 * M2 + 5, prot: Prot::RW, page_size: M2 });
    // 4K only: 2M map is 512 4K pages.
    let mut pt = PageTable::new(format(IommuKind::IntelVtd, 48, P::SZ_4K));
    assert_eq!(pt.map(0, 0, M2, Prot::RW).unwrap().ptes_written, 512 + 3);
    assert_eq!(pt.translate(M2 - 1).unwrap().page_size, K4);
}

#[test]
fn arm_16k_and_64k_granule_blocks() {
    let f16 = arm(P::SZ_16K | P::SZ_32M, 48);
    let mut pt = PageTable::new(f16);
    assert_eq!(pt.table_bytes(), 16 << 10);
    pt.map(5 * P::SZ_32M, 9 * P::SZ_32M, P::SZ_32M, Prot::RW).unwrap();
    let w = pt.walk(5 * P::SZ_32M + 77);
    assert_eq!((w.depth, w.leaf.unwrap().page_size, w.leaf.unwrap().phys), (3, P::SZ_32M, 9 * P::SZ_32M + 77));
    assert_eq!(pt.tables(), 3);
    assert_eq!(pt.table_bytes(), 3 * (16 << 10));
    // Unaligned: 16K pages at depth 4.
    pt.map(0, P::SZ_16K, P::SZ_32M, Prot::READ).unwrap();
    assert_eq!(pt.walk(P::SZ_16K).depth, 4);
    assert_eq!(pt.translate(P::SZ_16K).unwrap().page_size, P::SZ_16K);

    let f64 = arm(P::SZ_64K | P::SZ_512M, 48);
    let mut pt = PageTable::new(f64);
    let s = pt.map(P::SZ_512M, 3 * P::SZ_512M, P::SZ_512M, Prot::RW).unwrap();
    assert_eq!(s.ptes_written, 2);
    let w = pt.walk(P::SZ_512M + P::SZ_64K);
    assert_eq!((w.depth, w.leaf.unwrap().page_size), (2, P::SZ_512M));
    assert_eq!(pt.level_shift(1), 42);
    assert_eq!(pt.table_bytes(), 2 * (64 << 10));
}

#[test]
fn walk_depth_for_4k_and_2m_leaves() {
    for f in [vtd48(), arm(P::SZ_4K | P::SZ_2M | P::SZ_1G, 39), amd(), format(IommuKind::IntelVtd, 57, P::SZ_4K | P::SZ_2M)] {
        let mut pt = PageTable::new(f);
        pt.map(0, 0, K4, Prot::RW).unwrap();
        pt.map(M2, M2, M2, Prot::RW).unwrap();
        assert_eq!(pt.walk(0).depth, pt.levels(), "{f:?}");
        assert_eq!(pt.walk(M2).depth, pt.levels() - 1, "{f:?}");
        // Empty entry in the leaf table ends the walk there.
        assert_eq!(pt.walk(K4), Walk { depth: pt.levels(), leaf: None });
        // Empty root entry: one read.
        assert_eq!(pt.walk(1 << pt.level_shift(1)).depth, 1);
    }
}

#[test]
fn partial_unmap_splits_a_superpage() {
    let mut pt = PageTable::new(vtd48());
    pt.map(M2, 4 * M2, M2, Prot::RW).unwrap();
    let tables = pt.tables();
    let hole = M2 + 100 * K4;
    let s = pt.unmap(hole, K4);
    assert_eq!(pt.tables(), tables + 1);
    assert_eq!(s.tables_allocated, 1);
    assert_eq!(s.bytes_unmapped, K4);
    assert_eq!(s.ptes_cleared, 1);
    // 511 leaves and the new table pointer.
    assert_eq!(s.ptes_written, 512);
    assert_eq!(pt.translate(hole), None);
    assert_eq!(pt.mapped_bytes(), M2 - K4);
    for i in (0..512).filter(|&i| i != 100) {
        let t = pt.translate(M2 + i * K4 + 3).unwrap();
        assert_eq!(t, Translation { phys: 4 * M2 + i * K4 + 3, prot: Prot::RW, page_size: K4 });
    }
    // Unmapping the rest frees the split table (its whole 2M region is covered).
    let s = pt.unmap(M2, M2);
    assert_eq!(s.bytes_unmapped, M2 - K4);
    assert_eq!(s.tables_freed, 1);
    assert_eq!(pt.tables(), tables);
    assert_eq!(pt.mapped_bytes(), 0);
}

#[test]
fn splitting_a_1g_page_keeps_2m_pages_where_possible() {
    let mut pt = PageTable::new(vtd48());
    pt.map(G1, 0, G1, Prot::READ).unwrap();
    let before = pt.tables();
    let s = pt.unmap(G1 + 3 * M2 + K4, K4);
    assert_eq!(s.tables_allocated, 2);
    assert_eq!(pt.tables(), before + 2);
    assert_eq!(pt.translate(G1).unwrap().page_size, M2);
    assert_eq!(pt.translate(G1 + 3 * M2).unwrap(), Translation { phys: 3 * M2, prot: Prot::READ, page_size: K4 });
    assert_eq!(pt.translate(G1 + 3 * M2 + K4), None);
    assert_eq!(pt.translate(G1 + 3 * M2 + 2 * K4).unwrap().phys, 3 * M2 + 2 * K4);
    assert_eq!(pt.mapped_bytes(), G1 - K4);
    // Only 4K|1G available: the split re-maps with 4K pages.
    let mut pt = PageTable::new(format(IommuKind::IntelVtd, 48, P::SZ_4K | P::SZ_1G));
    pt.map(0, G1, G1, Prot::RW).unwrap();
    pt.unmap(0, K4);
    assert_eq!(pt.translate(M2).unwrap().page_size, K4);
    assert_eq!(pt.mapped_bytes(), G1 - K4);
}

#[test]
fn overlap_is_refused_and_changes_nothing() {
    let mut pt = PageTable::new(vtd48());
    pt.map(M2 + K4, 0, K4, Prot::RW).unwrap();
    let (tables, bytes) = (pt.tables(), pt.mapped_bytes());
    assert_eq!(pt.map(0, 0, 4 * M2, Prot::RW), Err(MapError::Overlap));
    assert_eq!(pt.map(M2 + K4, 0, K4, Prot::RW), Err(MapError::Overlap));
    assert_eq!((pt.tables(), pt.mapped_bytes()), (tables, bytes));
    assert_eq!(pt.translate(0), None);
    pt.map(4 * M2, 4 * M2, M2, Prot::RW).unwrap();
    assert_eq!(pt.map(4 * M2 + 8 * K4, 0, K4, Prot::RW), Err(MapError::Overlap));
}

#[test]
fn superpage_replaces_an_empty_table() {
    let mut pt = PageTable::new(vtd48());
    pt.map(M2, 0, K4, Prot::RW).unwrap();
    pt.unmap(M2, K4);
    // The now-empty 4K table stays: the unmap covered 4K of its 2M region.
    let tables = pt.tables();
    let s = pt.map(M2, M2, M2, Prot::RW).unwrap();
    assert_eq!(s.tables_freed, 1);
    assert_eq!(pt.tables(), tables - 1);
    assert_eq!(pt.translate(M2 + 5).unwrap().page_size, M2);
}

#[test]
fn covering_unmap_frees_tables_but_not_the_root() {
    let mut pt = PageTable::new(vtd48());
    pt.map(0, 0, K4, Prot::RW).unwrap();
    pt.map(5 * G1, 0, K4, Prot::RW).unwrap();
    assert_eq!(pt.tables(), 6);
    let s = pt.unmap(0, G1);
    assert_eq!((s.tables_freed, s.ptes_cleared, s.bytes_unmapped), (2, 1, K4));
    assert_eq!(pt.tables(), 4);
    let s = pt.unmap(0, 1 << 48);
    assert_eq!(s.tables_freed, 3);
    assert_eq!(pt.tables(), 1);
    assert_eq!(pt.table_bytes(), 4096);
    // Holes and unaligned requests are harmless.
    assert_eq!(pt.unmap(0, 1 << 48), UnmapStats::default());
    assert_eq!(pt.unmap(7, K4), UnmapStats::default());
    assert_eq!(pt.unmap(0, 0), UnmapStats::default());
}

#[test]
fn amd_v1_grows_one_level_at_a_time() {
    let mut pt = PageTable::new(amd());
    assert_eq!(pt.levels(), 3);
    pt.map(0x1000, 0x5000, K4, Prot::RW).unwrap();
    assert_eq!(pt.walk(0x1000).depth, 3);
    assert_eq!(pt.translate(1 << 39), None);
    assert_eq!(pt.walk(1 << 39).depth, 0);
    for (addr, levels) in [(1u64 << 39, 4u8), (1 << 48, 5), (1 << 57, 6), (u64::MAX - K4 + 1, 6)] {
        let tables = pt.tables();
        let s = pt.map(addr, 0x8000, K4, Prot::READ).unwrap();
        assert_eq!(pt.levels(), levels);
        assert_eq!(pt.walk(addr).depth, levels);
        assert_eq!(pt.translate(addr + 4).unwrap().phys, 0x8004);
        // The old tree stays reachable under entry 0 of the new root.
        assert_eq!(pt.translate(0x1000).unwrap().phys, 0x5000);
        assert_eq!(pt.walk(0x1000).depth, levels);
        assert_eq!(pt.tables() - tables, s.tables_allocated);
        assert_eq!(pt.level_shift(1), 12 + 9 * (u32::from(levels) - 1));
    }
    // Growing by two levels in one map.
    let mut pt = PageTable::new(amd());
    let s = pt.map(1 << 50, 0, M2, Prot::RW).unwrap();
    assert_eq!(pt.levels(), 5);
    assert_eq!(s.tables_allocated, 2 + 3);
    assert_eq!(pt.walk(1 << 50).depth, 4);
    pt.unmap(1 << 50, M2);
    assert_eq!(pt.destroy().tables_freed, 1 + 2 + 3);
    assert_eq!(pt.table_bytes(), 0);
}

#[test]
fn invalid_maps() {
    let mut pt = PageTable::new(vtd48());
    assert_eq!(pt.map(0, 0, 0, Prot::RW), Err(MapError::ZeroSize));
    assert_eq!(pt.map(1, 0, K4, Prot::RW), Err(MapError::Unaligned));
    assert_eq!(pt.map(0, 0x800, K4, Prot::RW), Err(MapError::Unaligned));
    assert_eq!(pt.map(0, 0, 100, Prot::RW), Err(MapError::Unaligned));
    assert_eq!(pt.map(1 << 48, 0, K4, Prot::RW), Err(MapError::OutOfRange));
    assert_eq!(pt.map((1 << 48) - K4, 0, 2 * K4, Prot::RW), Err(MapError::OutOfRange));
    assert_eq!(pt.map(u64::MAX - K4 + 1, 0, 2 * K4, Prot::RW), Err(MapError::OutOfRange));
    // Output width 46 (VT-d default).
    assert_eq!(pt.map(0, 1 << 46, K4, Prot::RW), Err(MapError::OutOfRange));
    assert_eq!((pt.tables(), pt.mapped_bytes()), (1, 0));
    assert_eq!(pt.translate(u64::MAX), None);
    // 16K granule refuses 4K alignment.
    let mut pt = PageTable::new(arm(P::SZ_16K | P::SZ_32M, 48));
    assert_eq!(pt.map(K4, 0, P::SZ_16K, Prot::RW), Err(MapError::Unaligned));
}

#[test]
fn prot_is_kept_per_leaf() {
    let mut pt = PageTable::new(vtd48());
    pt.map(0, 0, K4, Prot::READ).unwrap();
    pt.map(K4, K4, K4, Prot::WRITE).unwrap();
    pt.map(2 * K4, 0, K4, Prot::NONE).unwrap();
    assert_eq!(pt.translate(0).unwrap().prot, Prot::READ);
    assert_eq!(pt.translate(K4).unwrap().prot, Prot::WRITE);
    assert!(!pt.translate(2 * K4).unwrap().prot.allows(Prot::READ));
    assert!(Prot::RW.allows(Prot::WRITE) && !Prot::READ.allows(Prot::RW));
}

#[test]
fn destroy_frees_everything_and_the_table_can_be_rebuilt() {
    let mut pt = PageTable::new(vtd48());
    pt.map(0, 0, 3 * M2 + K4, Prot::RW).unwrap();
    pt.map(7 * G1, 0, G1, Prot::RW).unwrap();
    let tables = pt.tables();
    let s = pt.destroy();
    assert_eq!(s.tables_freed, tables);
    assert_eq!(s.bytes_unmapped, 3 * M2 + K4 + G1);
    assert_eq!((pt.table_bytes(), pt.tables(), pt.mapped_bytes()), (0, 0, 0));
    assert_eq!(pt.walk(0), Walk { depth: 0, leaf: None });
    assert_eq!(pt.unmap(0, M2), UnmapStats::default());
    assert_eq!(pt.destroy(), UnmapStats::default());
    let s = pt.map(0, 0, K4, Prot::RW).unwrap();
    assert_eq!(s.tables_allocated, 4);
    assert_eq!(pt.translate(0).unwrap().phys, 0);
}

#[test]
fn steady_map_unmap_allocates_nothing_after_warm_up() {
    let mut pt = PageTable::new(vtd48());
    pt.map(G1, 0, K4, Prot::RW).unwrap();
    for round in 0..3 {
        for i in 0..64u64 {
            pt.map(i * M2, i * M2, M2, Prot::RW).unwrap();
            pt.map(i * M2 + 512 * G1, i * K4, K4, Prot::RW).unwrap();
        }
        for i in 0..64u64 {
            pt.unmap(i * M2, M2);
            pt.unmap(i * M2 + 512 * G1, K4);
        }
        if round == 0 {
            continue;
        }
        let cap = (pt.entries.len(), pt.entries.capacity(), pt.free.capacity());
        for i in 0..64u64 {
            pt.map(i * M2, i * M2, M2, Prot::RW).unwrap();
            pt.unmap(i * M2, M2);
        }
        assert_eq!(cap, (pt.entries.len(), pt.entries.capacity(), pt.free.capacity()));
    }
}

#[derive(Clone, Debug)]
enum Op {
    Map { page: u64, pages: u64, phys_page: u64, prot: u8 },
    Unmap { page: u64, pages: u64 },
}

/// Pages of the model's window.
const WINDOW: u64 = 6 * 512;

fn op() -> impl Strategy<Value = Op> {
    let page = prop_oneof![0..WINDOW - 1, (0..5u64).prop_map(|k| k * 512)];
    let pages = prop_oneof![1..8u64, Just(512u64), 500..1100u64];
    let map = (page.clone(), pages.clone(), prop_oneof![Just(0u64), Just(3 * 512), 1..50u64], 0..4u8)
        .prop_map(|(page, pages, delta, prot)| Op::Map { page, pages: pages.min(WINDOW - page), phys_page: page + delta, prot });
    let unmap = (page, pages).prop_map(|(page, pages)| Op::Unmap { page, pages: pages.min(WINDOW - page) });
    prop_oneof![3 => map, 2 => unmap]
}

/// Runs `ops` in a window starting at `base` and checks every page against a model.
fn run_model(f: Format, base: u64, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut pt = PageTable::new(f);
    let mut model: std::collections::BTreeMap<u64, (u64, Prot)> = Default::default();
    for op in ops {
        match *op {
            Op::Map { page, pages, phys_page, prot } => {
                let before = (pt.tables(), pt.mapped_bytes(), pt.levels());
                let r = pt.map(base + page * K4, phys_page * K4, pages * K4, Prot(prot));
                if model.range(page..page + pages).next().is_some() {
                    prop_assert_eq!(r, Err(MapError::Overlap));
                    prop_assert_eq!(before, (pt.tables(), pt.mapped_bytes(), pt.levels()));
                } else {
                    prop_assert!(r.is_ok(), "{:?}", r);
                    for i in 0..pages {
                        model.insert(page + i, ((phys_page + i) * K4, Prot(prot)));
                    }
                }
            }
            Op::Unmap { page, pages } => {
                let s = pt.unmap(base + page * K4, pages * K4);
                let gone: Vec<u64> = model.range(page..page + pages).map(|(&k, _)| k).collect();
                for k in &gone {
                    model.remove(k);
                }
                prop_assert_eq!(s.bytes_unmapped, gone.len() as u64 * K4);
            }
        }
        prop_assert_eq!(pt.mapped_bytes(), model.len() as u64 * K4);
        for page in 0..WINDOW {
            let got = pt.translate(base + page * K4 + 0x18);
            let want = model.get(&page).map(|&(phys, prot)| (phys + 0x18, prot));
            prop_assert_eq!(got.map(|t| (t.phys, t.prot)), want, "page {}", page);
            // The leaf-table memo, warmed by the previous op's pass, answers as the walk does
            // after maps and unmaps that freed tables, replaced them by blocks or grew levels.
            let addr = base + page * K4 + 0x18;
            prop_assert_eq!(pt.walk_remembered(addr), pt.walk(addr), "memo, page {}", page);
        }
    }
    pt.unmap(base, WINDOW * K4);
    prop_assert_eq!(pt.mapped_bytes(), 0);
    pt.destroy();
    prop_assert_eq!(pt.table_bytes(), 0);
    prop_assert_eq!(pt.tables(), 0);
    prop_assert_eq!(pt.free.len() * (1 << f.bits_per_level), pt.entries.len());
    prop_assert!(pt.entries.iter().all(|&e| e == 0));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn vtd_agrees_with_model(ops in proptest::collection::vec(op(), 1..40)) {
        run_model(vtd48(), 0, &ops)?;
    }

    #[test]
    fn arm_3_level_agrees_with_model(ops in proptest::collection::vec(op(), 1..40)) {
        // Window straddles a 1G boundary.
        run_model(arm(P::SZ_4K | P::SZ_2M | P::SZ_1G, 39), G1 - 2 * M2, &ops)?;
    }

    #[test]
    fn amd_growing_agrees_with_model(ops in proptest::collection::vec(op(), 1..40)) {
        // Window straddles the 3-level reach (2^39): maps above it grow the table.
        run_model(amd(), (1 << 39) - 3 * M2, &ops)?;
    }
}

/// VT-d before v6.13 knocks out top levels when a domain meets a unit with a smaller AGAW:
/// mappings below the new reach survive and translate the same, the old root is freed.
#[test]
fn shedding_levels_keeps_low_mappings() {
    let caps = crate::iommu::Caps::defaults(crate::iommu::IommuKind::IntelVtd);
    let f = Format::for_instance(crate::iommu::IommuKind::IntelVtd, &caps).unwrap();
    let mut t = PageTable::new(f);
    assert_eq!(t.levels(), 4);
    t.map(0x4000_0000, 0x8000_0000, 0x20_0000, Prot(3)).unwrap();
    let before = t.translate(0x4000_1000);
    let walk_before = t.walk_remembered(0x4000_1000);
    let tables = t.tables();
    assert_eq!(t.shed_levels(3), 1);
    // One level fewer: the remembered walk is one read shorter too.
    assert_eq!(t.walk_remembered(0x4000_1000).depth, walk_before.depth - 1);
    assert_eq!((t.levels(), t.tables()), (3, tables - 1));
    assert_eq!(t.translate(0x4000_1000), before);
    assert!(t.map(1 << 40, 0, 0x1000, Prot(3)).is_err(), "beyond the 39-bit reach");
    // Something mapped above the new reach stops the shedding.
    let mut t = PageTable::new(f);
    t.map(1 << 40, 0, 0x1000, Prot(3)).unwrap();
    assert_eq!((t.shed_levels(3), t.levels()), (0, 4));
}

/// The old `map_range`: the greedy size chosen and installed from the root page by page.
fn map_range_page_by_page(pt: &mut PageTable, mut iova: u64, mut phys: u64, size: u64, prot: Prot) -> MapStats {
    let mut stats = MapStats::default();
    let sizes = pt.format.page_sizes.0;
    let mut remaining = size;
    while remaining != 0 {
        let mut candidates = sizes & low_mask(64 - remaining.leading_zeros());
        if iova | phys != 0 {
            candidates &= low_mask((iova | phys).trailing_zeros() + 1);
        }
        let page_shift = 63 - candidates.leading_zeros();
        pt.install(iova, phys, page_shift, prot, &mut stats);
        iova += 1 << page_shift;
        phys += 1 << page_shift;
        remaining -= 1 << page_shift;
    }
    stats
}

/// Writing runs of consecutive PTEs (the `map_range` fast path) leaves exactly the arena,
/// counters and statistics that installing every greedy page from the root does: same table
/// allocation order, same PTEs, across table and superpage boundaries, misaligned physical
/// addresses and every format's sizes.
#[test]
fn map_runs_match_page_by_page_installs() {
    let formats = [
        vtd48(),
        amd(),
        arm(P::SZ_4K | P::SZ_2M | P::SZ_1G, 39),
        arm(P::SZ_16K | P::SZ_32M, 48),
        arm(P::SZ_64K, 48),
        arm(P::SZ_4K | P::SZ_1G, 48),
    ];
    let mut r = crate::engine::rng::SimRng::for_source(5, "map-runs");
    for f in formats {
        let g = f.granule();
        for _ in 0..200 {
            let (mut a, mut b) = (PageTable::new(f), PageTable::new(f));
            // A superpage-sized empty table in the way (freed by both), then the tested map.
            a.map(G1, 0, g, Prot::RW).unwrap();
            b.map(G1, 0, g, Prot::RW).unwrap();
            a.unmap(G1, g);
            b.unmap(G1, g);
            let iova = G1 - r.below(1 << 10) * g * r.below(3);
            let phys = [0, r.below(1 << 12) * g, r.below(8) * M2][r.below(3) as usize];
            let size = (1 + r.below(1 << 11)) * g * (1 + r.below(2) * 511);
            let sa = {
                let mut s = MapStats::default();
                a.map_range(iova, phys, size, Prot(r.below(4) as u8), &mut s);
                s
            };
            let prot = a.translate(iova).map_or(Prot::NONE, |t| t.prot);
            let sb = map_range_page_by_page(&mut b, iova, phys, size, prot);
            assert_eq!(sa, sb, "{f:?} {iova:#x} {phys:#x} {size:#x}");
            assert_eq!((a.entries == b.entries, a.free == b.free), (true, true), "{f:?} {iova:#x} {phys:#x} {size:#x}");
            assert_eq!((a.mapped_bytes(), a.tables()), (b.mapped_bytes(), b.tables()));
        }
    }
}
