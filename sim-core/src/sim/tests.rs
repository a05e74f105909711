//! Whole-simulation tests of the translation and invalidation model (issue 3's invariants):
//! built from in-memory topology and scenario text, so each test says exactly what it runs.

use std::path::Path;

use proptest::prelude::*;

use crate::metrics::RunResult;
use crate::scenario::Scenario;
use crate::sim::run;
use crate::strategy::StrategyName;
use crate::topology::Platform;

/// Two SMMUv3 instances, one ATS device behind the first, plain devices elsewhere; plus an
/// AMD pair whose domains span instances.
const TOPO: &str = r#"Topology(
    name: "t",
    iommus: [
        Iommu(id: "smmu0", kind: ArmSmmuV3, geometry: (walkers: 1)),
        Iommu(id: "smmu1", kind: ArmSmmuV3, geometry: (walkers: 1)),
        Iommu(id: "amd0", kind: AmdVi),
        Iommu(id: "amd1", kind: AmdVi),
    ],
    buses: [
        RootComplex(id: "pci0000:00", iommu: "smmu0"),
        RootPort(id: "0000:00:01.0", parent: "pci0000:00", acs: true),
        RootPort(id: "0000:00:02.0", parent: "pci0000:00", acs: true),
        RootPort(id: "0000:00:03.0", parent: "pci0000:00", acs: true),
        RootComplex(id: "pci0001:00", iommu: "smmu1"),
        RootPort(id: "0001:00:01.0", parent: "pci0001:00", acs: true),
        RootComplex(id: "pci0002:00", iommu: "amd0"),
        RootPort(id: "0002:00:01.0", parent: "pci0002:00", acs: true),
        RootComplex(id: "pci0003:00", iommu: "amd1"),
        RootPort(id: "0003:00:01.0", parent: "pci0003:00", acs: true),
    ],
    devices: [
        Device(id: "0000:01:00.0", parent: "0000:00:01.0", ats: true),
        Device(id: "0000:02:00.0", parent: "0000:00:02.0"),
        Device(id: "0000:03:00.0", parent: "0000:00:03.0"),
        Device(id: "0001:01:00.0", parent: "0001:00:01.0"),
        Device(id: "0002:01:00.0", parent: "0002:00:01.0"),
        Device(id: "0003:01:00.0", parent: "0003:00:01.0"),
    ],
)"#;

fn scenario(body: &str) -> Scenario {
    let platform = Platform::parse(Path::new("t.ron"), TOPO).expect("test topology");
    let text = format!("Scenario(name: \"s\", topology: \"t.ron\", seed: 1, {body})");
    Scenario::from_parts(Path::new("s.ron"), &text, platform).expect("test scenario")
}

fn go(s: &Scenario, strategy: StrategyName) -> RunResult {
    run(s, strategy, s.seed, None)
}

fn dev<'r>(r: &'r RunResult, name: &str) -> &'r crate::metrics::DeviceResult {
    r.devices.iter().find(|d| d.id == name).expect("device")
}

#[test]
fn strict_unmap_leaves_no_translation() {
    let s = scenario(
        r#"containers: [Container(id: "c")],
        events: [
            (at: 0, op: Attach(device: "0000:02:00.0", container: "c")),
            (at: 10, op: Map(container: "c", iova: 0x10000, size: 0x4000)),
            (at: 20, op: Dma(device: "0000:02:00.0", iova: 0x10000, bytes: 0x4000, dir: Read)),
            (at: 30, op: Unmap(container: "c", iova: 0x10000, size: 0x4000)),
            (at: 40, op: Dma(device: "0000:02:00.0", iova: 0x10000, bytes: 0x4000, dir: Read)),
        ]"#,
    );
    let r = go(&s, StrategyName::PerGroup);
    assert_eq!(r.metrics.faults, 32, "every TLP (16 KiB read at MRRS 512: 32 read requests) faults after a strict unmap");
    assert_eq!(r.metrics.stale_translations, 0);
    assert_eq!(r.metrics.invalidations_page, 1, "one range command");
}

#[test]
fn lazy_unmap_is_stale_inside_the_window_and_clean_after_the_flush() {
    let s = scenario(
        r#"containers: [DmaApi(id: "c", invalidation: Lazy, flush_queue: 256, flush_timeout: 1000)],
        events: [
            (at: 0, op: Attach(device: "0000:02:00.0", container: "c")),
            (at: 10, op: Map(container: "c", iova: 0x10000, size: 0x1000)),
            (at: 20, op: Dma(device: "0000:02:00.0", iova: 0x10000, bytes: 8, dir: Read)),
            (at: 30, op: Unmap(container: "c", iova: 0x10000, size: 0x1000)),
            (at: 40, op: Dma(device: "0000:02:00.0", iova: 0x10000, bytes: 8, dir: Read)),
            (at: 2000, op: Dma(device: "0000:02:00.0", iova: 0x10000, bytes: 8, dir: Read)),
        ]"#,
    );
    let r = go(&s, StrategyName::PerGroup);
    assert_eq!(r.metrics.stale_translations, 1, "the DMA at 40 hit the unflushed entry");
    assert_eq!(r.metrics.flushes, 1, "the timer at 1030 flushed");
    assert_eq!(r.metrics.faults, 1, "after the flush the page faults");
}

#[test]
fn lazy_flush_queue_full_flushes_at_once() {
    let s = scenario(
        r#"duration: 2_000_000,
        containers: [DmaApi(id: "c", invalidation: Lazy, flush_queue: 4, flush_timeout: 1000000)],
        events: [
            (at: 0, op: Attach(device: "0000:02:00.0", container: "c")),
            (at: 10, repeat: (count: 8, every: 10, stride: 4096), op: Map(container: "c", iova: 0x0, size: 0x1000)),
            (at: 200, repeat: (count: 8, every: 10, stride: 4096), op: Unmap(container: "c", iova: 0x0, size: 0x1000)),
        ]"#,
    );
    let r = go(&s, StrategyName::PerGroup);
    // A 4-entry ring holds 3 (`fq_full`): the 4th and 7th unmaps find it full and flush first;
    // the timer armed by the 1st unmap still fires (a full-ring flush does not disarm it) and
    // flushes the 8th's entries.
    assert_eq!(r.metrics.flushes, 3, "8 unmaps through a 4-entry ring, plus the timer");
    assert_eq!(r.metrics.invalidations_page, 0);
    let early = Scenario { duration: 1_000_199, ..s.clone() };
    assert_eq!(go(&early, StrategyName::PerGroup).metrics.flushes, 2, "the timer fires 10 ms after the first unmap, at 1_000_200");
}

#[test]
fn dma_api_domains_take_no_strategy_and_default_by_architecture() {
    // Two AMD groups: the reuse strategies would share one domain in a VFIO container; as
    // kernel drivers' DMA-API domains each group keeps its own default domain.
    let s = scenario(
        r#"containers: [DmaApi(id: "a"), DmaApi(id: "b"), DmaApi(id: "arm")],
        events: [
            (at: 0, op: Attach(device: "0002:01:00.0", container: "a")),
            (at: 0, op: Attach(device: "0003:01:00.0", container: "b")),
            (at: 0, op: Attach(device: "0000:02:00.0", container: "arm")),
        ]"#,
    );
    for strategy in [StrategyName::VfioEmediumtype, StrategyName::CompatIndex] {
        assert_eq!(go(&s, strategy).metrics.domains_peak, 3, "{strategy:?}");
        assert_eq!(go(&s, strategy).metrics.trial_attaches, 0, "{strategy:?}");
    }
    use crate::spec::Invalidation;
    let modes: Vec<Invalidation> = s.containers.iter().map(|c| c.invalidation).collect();
    assert_eq!(modes, [Invalidation::Lazy, Invalidation::Lazy, Invalidation::Strict], "x86 lazy, Arm strict (Kconfig)");
}

#[test]
fn a_vfio_container_cannot_be_lazy_nor_a_dma_api_domain_span_groups() {
    let platform = || Platform::parse(Path::new("t.ron"), TOPO).expect("test topology");
    let lazy = r#"Scenario(name: "s", topology: "t.ron", containers: [Container(id: "vm0", invalidation: Lazy)])"#;
    let e = Scenario::from_parts(Path::new("s.ron"), lazy, platform()).expect_err("a lazy VFIO container");
    let text = e.to_string();
    assert!(text.contains("cannot be lazy") && text.contains("DmaApi(id: \"vm0\", invalidation: Lazy)"), "{text}");
    let two = r#"Scenario(name: "s", topology: "t.ron", containers: [DmaApi(id: "nic")], events: [
        (at: 0, op: Attach(device: "0000:02:00.0", container: "nic")),
        (at: 0, op: Attach(device: "0000:03:00.0", container: "nic"))])"#;
    let e = Scenario::from_parts(Path::new("s.ron"), two, platform()).expect_err("two groups");
    assert!(e.to_string().contains("different groups"), "{e}");
    let odd = r#"Scenario(name: "s", topology: "t.ron", containers: [DmaApi(id: "q", invalidation: Lazy, flush_queue: 6)])"#;
    assert!(Scenario::from_parts(Path::new("s.ron"), odd, platform()).is_err(), "a ring size must be a power of two");
}

#[test]
fn vfio_syncs_every_512_chunks_but_the_dma_api_once_per_unmap() {
    // 1 GiB backed by 4K pages, unmapped in one go: VFIO's first domain gathers 512 chunks per
    // sync (512 range commands of 2 MiB); a DMA-API unmap of the same range syncs once: one
    // range command (with RIL arm-smmu-v3 never falls back to ASID-wide).
    let body = |kind: &str| {
        format!(
            r#"containers: [{kind}(id: "c", invalidation: Strict)],
            events: [
                (at: 0, op: Attach(device: "0000:02:00.0", container: "c")),
                (at: 10, op: Map(container: "c", iova: 0x0, size: 0x4000_0000, backing: "4K")),
                (at: 20, op: Unmap(container: "c", iova: 0x0, size: 0x4000_0000)),
            ]"#
        )
    };
    let vfio = go(&scenario(&body("Container")), StrategyName::PerGroup);
    assert_eq!((vfio.metrics.invalidations_page, vfio.metrics.invalidations_domain), (512, 0));
    let dma = go(&scenario(&body("DmaApi")), StrategyName::PerGroup);
    assert_eq!((dma.metrics.invalidations_page, dma.metrics.invalidations_domain), (1, 0));
}

/// The lazy flush queue's two triggers, pinned exactly (issue 16: `>=` → `>` in the size
/// check was caught only by the golden replay). Linux `queue_iova` (dma-iommu.c) flushes when
/// the ring is full — it holds `flush_queue - 1` entries, so the `flush_queue`-th unmap flushes
/// the earlier ones before it goes in — and `fq_flush_timeout` fires `IOVA_DEFAULT_FQ_TIMEOUT`
/// after the timer is armed by the first queued entry.
#[test]
fn lazy_flush_after_exactly_flush_queue_unmaps() {
    // A queue of 4 and a timeout beyond the run: only the size trigger can flush.
    let run_with = |unmaps: u64| {
        let s = scenario(&format!(
            r#"duration: 100000, containers: [DmaApi(id: "c", invalidation: Lazy, flush_queue: 4, flush_timeout: 1000000)],
            events: [
                (at: 0, op: Attach(device: "0000:02:00.0", container: "c")),
                (at: 10, repeat: (count: 5, every: 10, stride: 4096), op: Map(container: "c", iova: 0x0, size: 0x1000)),
                (at: 100, op: Dma(device: "0000:02:00.0", iova: 0x0, bytes: 8, dir: Read)),
                (at: 200, repeat: (count: {unmaps}, every: 10, stride: 4096), op: Unmap(container: "c", iova: 0x0, size: 0x1000)),
                (at: 1000, op: Dma(device: "0000:02:00.0", iova: 0x0, bytes: 8, dir: Read)),
            ]"#
        ));
        go(&s, StrategyName::PerGroup).metrics
    };
    let three = run_with(3);
    assert_eq!((three.flushes, three.stale_translations, three.faults), (0, 1, 0), "3 of 4 queued: no flush, the entry is stale");
    let four = run_with(4);
    assert_eq!((four.flushes, four.stale_translations, four.faults), (1, 0, 1), "the 4th unmap finds the ring full and flushes the 1st");
    let five = run_with(5);
    assert_eq!(five.flushes, 1, "the 5th unmap starts a new queue");
}

#[test]
fn lazy_flush_at_exactly_the_timeout() {
    // One unmap at 200 arms the timer for 200 + 1000. The script's DMAs were queued before the
    // timer, so at 1200 the DMA still runs first (stale) and at 1201 the flush has happened.
    let run_at = |dma: u64| {
        let s = scenario(&format!(
            r#"containers: [DmaApi(id: "c", invalidation: Lazy, flush_queue: 256, flush_timeout: 1000)],
            events: [
                (at: 0, op: Attach(device: "0000:02:00.0", container: "c")),
                (at: 10, op: Map(container: "c", iova: 0x0, size: 0x1000)),
                (at: 100, op: Dma(device: "0000:02:00.0", iova: 0x0, bytes: 8, dir: Read)),
                (at: 200, op: Unmap(container: "c", iova: 0x0, size: 0x1000)),
                (at: {dma}, op: Dma(device: "0000:02:00.0", iova: 0x0, bytes: 8, dir: Read)),
            ]"#
        ));
        let m = go(&s, StrategyName::PerGroup).metrics;
        (m.flushes, m.stale_translations, m.faults)
    };
    assert_eq!(run_at(1199), (1, 1, 0));
    assert_eq!(run_at(1200), (1, 1, 0), "the timer fires at 1200, after the DMA queued earlier");
    assert_eq!(run_at(1201), (1, 0, 1), "flushed at 1200");
}

#[test]
fn a_domain_behind_two_instances_invalidates_on_both() {
    // AMD domains span instances, so vfio-emediumtype puts both devices in one domain.
    let s = scenario(
        r#"containers: [Container(id: "c")],
        events: [
            (at: 0, op: Attach(device: "0002:01:00.0", container: "c")),
            (at: 0, op: Attach(device: "0003:01:00.0", container: "c")),
            (at: 10, op: Map(container: "c", iova: 0x0, size: 0x1000)),
            (at: 20, op: Unmap(container: "c", iova: 0x0, size: 0x1000)),
        ]"#,
    );
    let r = go(&s, StrategyName::VfioEmediumtype);
    assert_eq!(r.metrics.domains_peak, 1);
    assert_eq!(r.metrics.invalidations_page, 2, "one command per instance");
    let inv: Vec<u64> = r.iommus.iter().filter(|i| i.id.starts_with("amd")).map(|i| i.invalidations_page).collect();
    assert_eq!(inv, vec![1, 1]);
}

#[test]
fn backing_pages_limit_iommu_pages_and_cost_a_call_each() {
    // 2 MiB of guest RAM: hugepage-backed it is one 2M leaf and one map call; 4K-backed it is
    // 512 calls writing 512 leaves into a leaf table of its own.
    let body = |backing: &str| {
        format!(
            r#"containers: [Container(id: "c")],
            events: [
                (at: 0, op: Attach(device: "0000:02:00.0", container: "c")),
                (at: 10, op: Map(container: "c", iova: 0x200000, size: 0x200000{backing})),
                (at: 20, op: Dma(device: "0000:02:00.0", iova: 0x200000, bytes: 0x200000, dir: Read)),
            ]"#
        )
    };
    let huge = go(&scenario(&body("")), StrategyName::PerGroup);
    let small = go(&scenario(&body(r#", backing: "4K""#)), StrategyName::PerGroup);
    let costs = crate::iommu::Costs::defaults(crate::iommu::IommuKind::ArmSmmuV3);
    // 511 more calls and leaves, plus the leaf table and the PTE that points at it.
    assert_eq!(
        small.metrics.cpu_cycles_map - huge.metrics.cpu_cycles_map,
        511 * (costs.cpu_map_call + costs.cpu_pte_write) + costs.cpu_table_alloc + costs.cpu_pte_write
    );
    assert_eq!(small.metrics.pagetable_bytes_peak, huge.metrics.pagetable_bytes_peak + 4096);
    assert_eq!(huge.metrics.iotlb_misses, 1, "one 2M entry serves all 512 requests");
    assert_eq!(small.metrics.iotlb_misses, 512, "every 4K page misses once");
}

#[test]
fn an_unplugged_device_cannot_be_attached_again() {
    let s = scenario(
        r#"containers: [Container(id: "c")],
        faults: [Unplug(at: 5, device: "0000:02:00.0")],
        events: [
            (at: 0, op: Attach(device: "0000:02:00.0", container: "c")),
            (at: 10, op: Attach(device: "0000:02:00.0", container: "c")),
            (at: 20, op: Dma(device: "0000:02:00.0", iova: 0x0, bytes: 8, dir: Read)),
        ]"#,
    );
    let r = go(&s, StrategyName::PerGroup);
    assert_eq!((r.metrics.attaches_ok, r.metrics.attaches_failed), (1, 1));
    assert_eq!((r.metrics.dma_dropped, r.metrics.domains_final), (1, 0));
}

#[test]
fn global_invalidation_reaches_other_domains_entries() {
    // Two devices behind smmu0 in two containers; c1 invalidates globally, so c2's device
    // loses its cached translation and walks again.
    let body = |scope: &str| {
        format!(
            r#"containers: [Container(id: "c1", granularity: {scope}), Container(id: "c2")],
            events: [
                (at: 0, op: Attach(device: "0000:02:00.0", container: "c1")),
                (at: 0, op: Attach(device: "0000:03:00.0", container: "c2")),
                (at: 10, op: Map(container: "c1", iova: 0x0, size: 0x1000)),
                (at: 10, op: Map(container: "c2", iova: 0x0, size: 0x1000)),
                (at: 20, op: Dma(device: "0000:03:00.0", iova: 0x0, bytes: 8, dir: Read)),
                (at: 30, op: Unmap(container: "c1", iova: 0x0, size: 0x1000)),
                (at: 40, op: Dma(device: "0000:03:00.0", iova: 0x0, bytes: 8, dir: Read)),
            ]"#
        )
    };
    let auto = go(&scenario(&body("Auto")), StrategyName::PerGroup);
    let global = go(&scenario(&body("Global")), StrategyName::PerGroup);
    assert_eq!((auto.metrics.invalidations_page, auto.metrics.invalidations_global), (1, 0));
    assert_eq!(global.metrics.invalidations_global, 1);
    assert_eq!(dev(&auto, "0000:03:00.0").iotlb_hits, 1, "a range invalidation of c1 leaves c2's entry");
    assert_eq!(dev(&global, "0000:03:00.0").iotlb_hits, 0, "a global one drops it");
}

#[test]
fn walkers_contend_behind_one_iommu_not_across() {
    // Each instance has one walker. Two devices missing at the same cycle behind one SMMU
    // queue; behind different SMMUs they do not.
    let body = |a: &str, b: &str| {
        format!(
            r#"containers: [Container(id: "c")],
            events: [
                (at: 0, op: Attach(device: "{a}", container: "c")),
                (at: 0, op: Attach(device: "{b}", container: "c")),
                (at: 10, op: Map(container: "c", iova: 0x0, size: 0x100000)),
                (at: 100, op: Dma(device: "{a}", iova: 0x0, bytes: 0x1000, dir: Read)),
                (at: 100, op: Dma(device: "{b}", iova: 0x80000, bytes: 0x1000, dir: Read)),
            ]"#
        )
    };
    let same = go(&scenario(&body("0000:02:00.0", "0000:03:00.0")), StrategyName::PerGroup);
    let apart = go(&scenario(&body("0000:02:00.0", "0001:01:00.0")), StrategyName::PerGroup);
    assert!(same.metrics.walk_queue_cycles > 0, "same IOMMU: the second walk waits");
    assert_eq!(apart.metrics.walk_queue_cycles, 0, "different IOMMUs: no waiting");
    assert!(same.metrics.dma_latency_max > apart.metrics.dma_latency_max);
}

#[test]
fn ats_device_tlb_serves_repeats_and_is_invalidated() {
    let s = scenario(
        r#"containers: [Container(id: "c")],
        events: [
            (at: 0, op: Attach(device: "0000:01:00.0", container: "c")),
            (at: 10, op: Map(container: "c", iova: 0x0, size: 0x1000)),
            (at: 20, repeat: (count: 3, every: 10), op: Dma(device: "0000:01:00.0", iova: 0x0, bytes: 8, dir: Write)),
            (at: 100, op: Unmap(container: "c", iova: 0x0, size: 0x1000)),
            (at: 110, op: Dma(device: "0000:01:00.0", iova: 0x0, bytes: 8, dir: Write)),
        ]"#,
    );
    let r = go(&s, StrategyName::PerGroup);
    let d = dev(&r, "0000:01:00.0");
    assert_eq!(d.devtlb_hits, 2, "first access misses, two repeats hit the device TLB");
    assert_eq!(r.metrics.invalidations_devtlb, 1, "the unmap reached the ATC");
    assert_eq!(d.faults, 1, "no stale device-TLB hit after a strict unmap");
    assert_eq!(r.metrics.stale_translations, 0);
}

#[test]
fn same_seed_same_digest_other_seed_other_digest() {
    let s = scenario(
        r#"containers: [Container(id: "c")],
        events: [
            (at: 0, op: Attach(device: "0000:02:00.0", container: "c")),
            (at: 10, op: Map(container: "c", iova: 0x0, size: 0x200000)),
            (at: 20, repeat: (count: 100, every: 10, stride: 4096), op: Dma(device: "0000:02:00.0", iova: 0x0, bytes: 64, dir: Read)),
        ]"#,
    );
    let a = run(&s, StrategyName::PerGroup, 1, None);
    let b = run(&s, StrategyName::PerGroup, 1, None);
    let c = run(&s, StrategyName::PerGroup, 2, None);
    assert_eq!(a, b);
    assert_ne!(a.digest, c.digest);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Random map / unmap / DMA sequences in strict mode: a DMA to a page that is not mapped
    /// at that moment always faults (never a stale translation), a mapped page never faults,
    /// and after the final unmap-all and detach no page-table memory remains.
    #[test]
    fn strict_mode_never_serves_stale_and_memory_returns_to_zero(
        ops in proptest::collection::vec((0u8..3, 0u64..64, 1u64..4), 1..60),
        strategy in prop_oneof![Just(StrategyName::PerGroup), Just(StrategyName::VfioEmediumtype), Just(StrategyName::VfioType1)],
    ) {
        let mut events = String::from(
            r#"(at: 0, op: Attach(device: "0000:02:00.0", container: "c")),
               (at: 0, op: Attach(device: "0001:01:00.0", container: "c")),"#,
        );
        let mut mapped = std::collections::BTreeMap::<u64, u64>::new(); // page -> len (start pages)
        let mut expect_faults = 0u64;
        let mut t = 10;
        for (kind, page, len) in ops {
            t += 10;
            let iova = page * 0x1000;
            match kind {
                0 => {
                    let overlaps = mapped.iter().any(|(&p, &l)| p < page + len && page < p + l);
                    if !overlaps {
                        mapped.insert(page, len);
                    }
                    events += &format!("(at: {t}, op: Map(container: \"c\", iova: {iova}, size: {})),", len * 0x1000);
                }
                1 => {
                    if mapped.get(&page) == Some(&len) {
                        mapped.remove(&page);
                        events += &format!("(at: {t}, op: Unmap(container: \"c\", iova: {iova}, size: {})),", len * 0x1000);
                    }
                }
                _ => {
                    let covered = mapped.iter().any(|(&p, &l)| p <= page && page < p + l);
                    if !covered {
                        expect_faults += 2; // both devices
                    }
                    events += &format!("(at: {t}, op: Dma(device: \"0000:02:00.0\", iova: {iova}, bytes: 8, dir: Read)),");
                    events += &format!("(at: {t}, op: Dma(device: \"0001:01:00.0\", iova: {iova}, bytes: 8, dir: Read)),");
                }
            }
        }
        for (&p, &l) in &mapped {
            t += 10;
            events += &format!("(at: {t}, op: Unmap(container: \"c\", iova: {}, size: {})),", p * 0x1000, l * 0x1000);
        }
        t += 10;
        events += &format!("(at: {t}, op: Detach(device: \"0000:02:00.0\")), (at: {t}, op: Detach(device: \"0001:01:00.0\")),");
        let s = scenario(&format!("containers: [Container(id: \"c\")], events: [{events}]"));
        let r = go(&s, strategy);
        prop_assert_eq!(&go(&s, strategy), &r, "the same scenario and seed must replay identically");
        prop_assert_eq!(r.metrics.stale_translations, 0);
        prop_assert_eq!(r.metrics.faults, expect_faults);
        prop_assert_eq!(r.metrics.pagetable_bytes_final, 0);
        prop_assert_eq!(r.metrics.domains_final, 0);
    }
}

#[test]
fn smmuv3_invalidation_follows_the_kernel_version() {
    // 4 MiB (1024 pages) and 1 GiB unmapped from an SMMUv3 domain (a DMA-API domain: one
    // sync per unmap, no VFIO batching).
    let mut s = scenario(
        r#"containers: [DmaApi(id: "c", invalidation: Strict)],
        events: [
            (at: 0, op: Attach(device: "0000:02:00.0", container: "c")),
            (at: 10, op: Map(container: "c", iova: 0x0, size: 0x40_0000)),
            (at: 20, op: Unmap(container: "c", iova: 0x0, size: 0x40_0000)),
            (at: 30, op: Map(container: "c", iova: 0x4000_0000, size: 0x4000_0000)),
            (at: 40, op: Unmap(container: "c", iova: 0x4000_0000, size: 0x4000_0000)),
        ]"#,
    );
    let counts = |s: &Scenario| {
        let r = go(s, StrategyName::PerGroup);
        (r.metrics.invalidations_page, r.metrics.invalidations_domain)
    };
    // With RIL: one range command each, never ASID-wide — released and proposed alike (the
    // old model's 512-page fallback would give (1, 1) plus the detach-free flush).
    for kernel in [crate::linux::Kernel::release(crate::linux::KernelVersion::new(6, 1, 0)), crate::linux::Kernel::PROPOSED] {
        s.kernel = kernel;
        assert_eq!(counts(&s), (2, 0), "{kernel:?}");
    }
    // Without RIL: one command per leaf in every release — 2 for the two 2M blocks of the
    // 4 MiB mapping, 1 for the 1G block — and none larger falls back. Backed by 4K pages the
    // 4 MiB range has 1024 leaves: 1024 commands, until the invalidation array (proposed)
    // turns ≥ 512 leaves of 4K into one ASID-wide command.
    s.platform.iommus[0].params.caps.range_invalidation = false;
    s.kernel = crate::linux::Kernel::NEWEST;
    assert_eq!(counts(&s), (3, 0));
    let small = |s: &Scenario| {
        let mut s = s.clone();
        let Some(crate::spec::Line { action: crate::spec::Action::Map { backing_shift, .. }, .. }) = s.script.get_mut(1) else {
            panic!("line 1 maps")
        };
        *backing_shift = 12;
        s
    };
    assert_eq!(counts(&small(&s)), (1024 + 1, 0));
    s.kernel = crate::linux::Kernel::PROPOSED;
    assert_eq!(counts(&small(&s)), (1, 1));
}

#[test]
fn a_replayed_mapping_a_late_narrower_domain_cannot_hold_is_a_map_error_and_faults() {
    // dmar0 translates 48 bits, dmar1 only 39. The map at 2^40 fits the first device's domain;
    // the second device's domain (per-group: a domain of its own, created late) gets the
    // container's mappings replayed and cannot hold that one: a map error, and its DMA faults.
    let topo = r#"Topology(name: "w",
        iommus: [Iommu(id: "dmar0", kind: IntelVtd), Iommu(id: "dmar1", kind: IntelVtd, caps: (address_width: 39))],
        buses: [RootComplex(id: "pci0000:00", iommu: "dmar0"), RootPort(id: "0000:00:01.0", parent: "pci0000:00", acs: true),
                RootComplex(id: "pci0001:00", iommu: "dmar1"), RootPort(id: "0001:00:01.0", parent: "pci0001:00", acs: true)],
        devices: [Device(id: "0000:01:00.0", parent: "0000:00:01.0"), Device(id: "0001:01:00.0", parent: "0001:00:01.0")])"#;
    let platform = Platform::parse(Path::new("w.ron"), topo).expect("test topology");
    let text = r#"Scenario(name: "s", topology: "w.ron", seed: 1, containers: [Container(id: "c")],
        events: [
            (at: 0, op: Attach(device: "0000:01:00.0", container: "c")),
            (at: 10, op: Map(container: "c", iova: 0x100_0000_0000, size: 0x1000)),
            (at: 10, op: Map(container: "c", iova: 0x0, size: 0x1000)),
            (at: 20, op: Attach(device: "0001:01:00.0", container: "c")),
            (at: 30, op: Dma(device: "0000:01:00.0", iova: 0x100_0000_0000, bytes: 64, dir: Read)),
            (at: 40, op: Dma(device: "0001:01:00.0", iova: 0x100_0000_0000, bytes: 64, dir: Read)),
            (at: 50, op: Dma(device: "0001:01:00.0", iova: 0x0, bytes: 64, dir: Read)),
            (at: 60, op: Unmap(container: "c", iova: 0x100_0000_0000, size: 0x1000)),
        ])"#;
    let s = Scenario::from_parts(Path::new("s.ron"), text, platform).expect("test scenario");
    let r = go(&s, StrategyName::PerGroup);
    assert_eq!(r.metrics.domains_peak, 2);
    assert_eq!(r.metrics.maps, 2);
    assert_eq!(r.metrics.replayed_maps, 2, "both mappings are replayed into the late domain");
    assert_eq!(r.metrics.map_errors, 1, "the one beyond 39 bits is an error, not a success");
    assert_eq!(dev(&r, "0000:01:00.0").faults, 0, "the wide domain holds it");
    assert_eq!(dev(&r, "0001:01:00.0").faults, 1, "the narrow domain does not: its DMA faults, the one at 0 does not");
    assert_eq!((r.metrics.unmaps, r.metrics.map_errors), (1, 1), "the container's unmap still succeeds: the wide domain held it");
}
