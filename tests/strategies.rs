//! Domain attach semantics and the domain-reuse strategies, checked against numbers worked out
//! by hand on small hand-made topologies (`tests/data/strategies/topologies/`), one per shape
//! of bundled platform: VT-d with mixed DMAR units, AMD with four IOMMUs, four SMMUv3, an
//! SMMUv2 SoC, mixed SMMUv2 + SMMUv3. Each scenario (`tests/data/strategies/*.ron`) attaches
//! every device to one container in a fixed order, maps twice, does DMA from every device,
//! unmaps and detaches everything.
//!
//! Rules the hand-worked numbers follow (docs/strategies.md has the long form):
//! - VFIO (`vfio-type1`, `vfio-emediumtype`, `hard-fail`, `shared-across-instances`) searches
//!   its `domain_list` **newest first** (`list_add` puts a new domain at the head);
//!   `iommufd-auto` searches its IOAS's hwpts **oldest first** (`list_add_tail`).
//! - `vfio-type1` allocates and attaches a fresh domain *before* searching, and only tries an
//!   existing domain with the same driver (ops) and the same enforce-cache-coherency; when one
//!   accepts, the fresh domain is freed. It counts in `domains_allocated`, and it is alive
//!   during the attach, so it counts in `domains_peak` when it pushes the live count to a new
//!   high (core.rs counts the peak at allocation).
//! - Driver verdicts (linux/attach.rs, by kernel version): SMMUv2/v3 domains belong to one instance (SMMUv3 may
//!   share in the `shared-across-instances` what-if); drivers never share domains; VT-d refuses
//!   a snooping domain behind a unit without snoop control and a domain wider (or with larger
//!   superpages) than the unit; AMD accepts every AMD domain.
//! - `trial_attaches` counts attaches against an existing domain, successful or not.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use sim_core::metrics::RunResult;
use sim_core::scenario::Scenario;
use sim_core::sim::run;
use sim_core::strategy::StrategyName;
use sim_core::topology::Platform;

use StrategyName::{CompatIndex, IommufdAuto, PerGroup, SharedAcrossInstances, VfioEmediumtype, VfioType1, WhatIfHardFail};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/strategies")
}

fn load(name: &str) -> Scenario {
    let path = data().join(format!("{name}.ron"));
    Scenario::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A scenario written in the test, on one of the hand-made topologies (optionally edited).
fn scenario_text(topology: &str, topology_edit: Option<(&str, &str)>, text: &str) -> Scenario {
    let topo_path = data().join("topologies").join(format!("{topology}.ron"));
    let mut source = std::fs::read_to_string(&topo_path).expect("topology file");
    if let Some((from, to)) = topology_edit {
        assert!(source.contains(from), "edit `{from}` not found in {topology}");
        source = source.replace(from, to);
    }
    let platform = Platform::parse(&topo_path, &source).unwrap_or_else(|e| panic!("{e}"));
    Scenario::from_parts(&data().join("generated.ron"), text, platform).unwrap_or_else(|e| panic!("{e}"))
}

fn run_all(s: &Scenario) -> BTreeMap<StrategyName, RunResult> {
    StrategyName::ALL.into_iter().map(|n| (n, run(s, n, s.seed, None))).collect()
}

/// Devices grouped by the domain they ended on (`devices[*].domain`, a creation serial),
/// each group sorted, groups sorted; devices never attached are left out. Serials differ
/// between strategies that allocate differently, the grouping does not.
fn partition(r: &RunResult) -> Vec<Vec<String>> {
    let mut by: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for d in &r.devices {
        if let Some(s) = d.domain {
            by.entry(s).or_default().push(d.id.clone());
        }
    }
    let mut groups: Vec<Vec<String>> = by
        .into_values()
        .map(|mut g| {
            g.sort();
            g
        })
        .collect();
    groups.sort();
    groups
}

fn groups(spec: &[&[&str]]) -> Vec<Vec<String>> {
    let mut g: Vec<Vec<String>> = spec
        .iter()
        .map(|g| {
            let mut v: Vec<String> = g.iter().map(|s| s.to_string()).collect();
            v.sort();
            v
        })
        .collect();
    g.sort();
    g
}

/// One strategy's hand-worked outcome on a scenario.
struct Expect {
    strategy: StrategyName,
    allocated: u64,
    peak: u64,
    /// Domains in the container after all attaches (what maps replicate into).
    held: u64,
    trials: u64,
    soft: u64,
    hard: u64,
    /// Failed group attaches (each hard failure here fails one attach).
    failed: u64,
    grouping: &'static [&'static [&'static str]],
}

/// `row(strategy, [allocated, peak, held, trials, soft, hard, failed], grouping)`.
fn row(strategy: StrategyName, v: [u64; 7], grouping: &'static [&'static [&'static str]]) -> Expect {
    let [allocated, peak, held, trials, soft, hard, failed] = v;
    Expect { strategy, allocated, peak, held, trials, soft, hard, failed, grouping }
}

/// Checks every hand-worked value, plus the invariants every scenario here shares: two maps
/// after all attaches replicate into every extra domain, everything is freed at the end, and
/// log lines appear exactly for hard failures.
fn check(name: &str, expected: &[Expect]) {
    let s = load(name);
    let all = run_all(&s);
    assert_eq!(expected.len(), StrategyName::ALL.len(), "{name}: one row per strategy");
    for e in expected {
        let r = &all[&e.strategy];
        let m = &r.metrics;
        let what = format!("{name} / {}", e.strategy);
        assert_eq!(
            (m.domains_allocated, m.domains_peak, m.trial_attaches, m.soft_failures, m.hard_failures, m.attaches_failed),
            (e.allocated, e.peak, e.trials, e.soft, e.hard, e.failed),
            "{what}: (allocated, peak, trials, soft, hard, failed)"
        );
        assert_eq!(partition(r), groups(e.grouping), "{what}: devices per domain");
        // Replication: maps × (domains held − 1), the maps being issued after every attach.
        assert_eq!(m.maps, 2, "{what}");
        assert_eq!(m.map_replications, m.maps * (e.held - 1), "{what}: map_replications");
        assert_eq!((m.domains_final, m.pagetable_bytes_final), (0, 0), "{what}: everything freed");
        // Soft refusals print nothing; every other hard failure prints a line, but from v6.2
        // (these scenarios model the newest kernel) an incompatible domain prints nothing even
        // when the what-if treats the refusal as final.
        let logs = if e.strategy == WhatIfHardFail { 0 } else { e.hard };
        assert_eq!(m.log_lines, logs, "{what}: log_lines");
        // Devices whose attach failed fault on their DMA; the others never do.
        assert_eq!(m.faults > 0, e.failed > 0, "{what}: faults");
    }
}

// ----- VT-d with mixed DMAR units ------------------------------------------------------------
//
// Topology t-vtd-mixed: dmar0 (01:00.0, 02:00.0) and dmar1 (41:00.0) have server defaults; a
// domain made there is W = {48-bit, 4K|2M|1G, enforces snooping}. dmar2 (81:00.0) is 39-bit,
// 4K|2M, no snoop control; a domain made there is N = {39-bit, 4K|2M, no snooping}.
// W behind dmar2: refused (snoop control). N behind dmar0/1: accepted (narrower, subset of page
// sizes, not snooping). Attach order: 01 (dmar0), 81 (dmar2), 41 (dmar1), 02 (dmar0).
//
// - per-group: a domain per group: 4 allocated, 4 alive, no trials.
// - vfio-type1: 01 → W0. 81 → fresh N; W0 has another ecc, so it is not even tried → N joins
//   (2 alive). 41 → fresh W' (3 alive: the peak); newest first: N skipped (ecc), W0 accepts →
//   W' freed. 02 → the same (fresh W'' freed). Allocated 4, peak 3, held 2, 2 trials, 0 soft.
//   Grouping {01, 41, 02} {81}.
// - vfio-emediumtype: 01 → W0. 81 → W0 refuses (soft) → N. 41 → newest first: N accepts.
//   02 → N accepts. Allocated 2, 3 trials, 1 soft. Grouping {01} {81, 41, 02}: the later
//   groups land in the non-snooping domain (the series dropped the ecc match, reference §1.1).
// - iommufd-auto: oldest first: 81 → W0 refuses (EINVAL) → N; 41 and 02 → W0 accepts.
//   Allocated 2, 3 trials, 1 soft. Grouping {01, 41, 02} {81}.
// - hard-fail: 81 → W0 refuses with a hard errno → the attach fails (1 hard, 1 log line); 41
//   and 02 → W0. Allocated 1, 3 trials.
// - compat-index: same domains as vfio-emediumtype without the refused trial: 2 trials (41,
//   02 going straight into N), 0 soft.
// - shared-across-instances: VT-d domains already span units: as vfio-emediumtype.
#[test]
fn vtd_mixed_dmar_domain_counts() {
    const SPLIT_ECC: &[&[&str]] = &[&["0000:01:00.0", "0000:41:00.0", "0000:02:00.0"], &["0000:81:00.0"]];
    const INTO_NARROW: &[&[&str]] = &[&["0000:01:00.0"], &["0000:81:00.0", "0000:41:00.0", "0000:02:00.0"]];
    check(
        "vtd-mixed",
        &[
            row(PerGroup, [4, 4, 4, 0, 0, 0, 0], &[&["0000:01:00.0"], &["0000:02:00.0"], &["0000:41:00.0"], &["0000:81:00.0"]]),
            row(VfioType1, [4, 3, 2, 2, 0, 0, 0], SPLIT_ECC),
            row(VfioEmediumtype, [2, 2, 2, 3, 1, 0, 0], INTO_NARROW),
            row(IommufdAuto, [2, 2, 2, 3, 1, 0, 0], SPLIT_ECC),
            row(WhatIfHardFail, [1, 1, 1, 3, 0, 1, 1], &[&["0000:01:00.0", "0000:41:00.0", "0000:02:00.0"]]),
            row(CompatIndex, [2, 2, 2, 2, 0, 0, 0], INTO_NARROW),
            row(SharedAcrossInstances, [2, 2, 2, 3, 1, 0, 0], INTO_NARROW),
        ],
    );
}

// ----- AMD with four IOMMUs ------------------------------------------------------------------
//
// Topology t-amd4: one device behind each of ivhd0..3, attached in that order. amd_iommu
// accepts any AMD domain behind any AMD IOMMU, so the first domain serves all four groups.
//
// - per-group: 4 allocated, 4 alive.
// - vfio-type1: every later attach allocates a fresh domain (2 alive at once: the peak), finds
//   the first domain accepting and frees the fresh one: 4 allocated, peak 2, 3 trials.
// - every searching strategy: 1 domain, 3 trials (each accepted), no refusal.
#[test]
fn amd_four_iommus_domain_counts() {
    const ONE: &[&[&str]] = &[&["0000:01:00.0", "0000:21:00.0", "0000:41:00.0", "0000:61:00.0"]];
    check(
        "amd4",
        &[
            row(PerGroup, [4, 4, 4, 0, 0, 0, 0], &[&["0000:01:00.0"], &["0000:21:00.0"], &["0000:41:00.0"], &["0000:61:00.0"]]),
            row(VfioType1, [4, 2, 1, 3, 0, 0, 0], ONE),
            row(VfioEmediumtype, [1, 1, 1, 3, 0, 0, 0], ONE),
            row(IommufdAuto, [1, 1, 1, 3, 0, 0, 0], ONE),
            row(WhatIfHardFail, [1, 1, 1, 3, 0, 0, 0], ONE),
            row(CompatIndex, [1, 1, 1, 3, 0, 0, 0], ONE),
            row(SharedAcrossInstances, [1, 1, 1, 3, 0, 0, 0], ONE),
        ],
    );
}

// ----- Four SMMUv3 -----------------------------------------------------------------------------
//
// Topology t-smmuv3x4: a0 = 0000:01:00.0 and a1 = 0000:02:00.0 behind smmu0, b = 0001:01:00.0
// (smmu1), c = 0002:01:00.0 (smmu2), d = 0003:01:00.0 (smmu3). Order a0, b, c, d, a1. An
// SMMUv3 domain belongs to its instance, so a container needs one domain per instance.
//
// - per-group: 5 groups, 5 domains.
// - vfio-emediumtype (newest first): a0 → D0; b tries D0 (1 refusal) → D1; c tries D1, D0
//   (2) → D2; d tries D2, D1, D0 (3) → D3; a1 tries D3, D2, D1 (3 refusals), D0 accepts.
//   4 allocated, 1+2+3+4 = 10 trials, 9 soft.
// - vfio-type1: the same search after allocating a fresh domain each time; a1's fresh domain
//   makes 5 alive before D0 accepts and it is freed: 5 allocated, peak 5, 10 trials, 9 soft.
// - iommufd-auto (oldest first): b: D0 (1); c: D0, D1 (2); d: D0..D2 (3); a1: D0 accepts at
//   once. 4 allocated, 1+2+3+1 = 7 trials, 6 soft.
// - hard-fail: b, c and d are refused with a hard errno by D0 and fail (3 hard, 3 log lines);
//   a1 joins D0. 1 allocated, 4 trials.
// - compat-index: 4 allocated, only a1 is a trial (accepted).
// - shared-across-instances: D0 is shareable with every instance (same page sizes, OAS,
//   coherency): 1 domain, 4 accepted trials.
#[test]
fn four_smmuv3_domain_counts() {
    const PER_SMMU: &[&[&str]] = &[&["0000:01:00.0", "0000:02:00.0"], &["0001:01:00.0"], &["0002:01:00.0"], &["0003:01:00.0"]];
    check(
        "smmuv3x4",
        &[
            row(
                PerGroup,
                [5, 5, 5, 0, 0, 0, 0],
                &[&["0000:01:00.0"], &["0000:02:00.0"], &["0001:01:00.0"], &["0002:01:00.0"], &["0003:01:00.0"]],
            ),
            row(VfioType1, [5, 5, 4, 10, 9, 0, 0], PER_SMMU),
            row(VfioEmediumtype, [4, 4, 4, 10, 9, 0, 0], PER_SMMU),
            row(IommufdAuto, [4, 4, 4, 7, 6, 0, 0], PER_SMMU),
            row(WhatIfHardFail, [1, 1, 1, 4, 0, 3, 3], &[&["0000:01:00.0", "0000:02:00.0"]]),
            row(CompatIndex, [4, 4, 4, 1, 0, 0, 0], PER_SMMU),
            row(
                SharedAcrossInstances,
                [1, 1, 1, 4, 0, 0, 0],
                &[&["0000:01:00.0", "0000:02:00.0", "0001:01:00.0", "0002:01:00.0", "0003:01:00.0"]],
            ),
        ],
    );
}

// ----- SMMUv2 SoC ------------------------------------------------------------------------------
//
// Topology t-smmuv2-soc: ufs behind apps_smmu (128 context banks); gpu, venus, camera behind
// mm_smmu with 2 context banks. Order ufs, gpu, venus, camera.
//
// - per-group: ufs → A, gpu → M1 (bank 1), venus → M2 (bank 2), camera: a fourth domain is
//   allocated (4 alive: the peak) but mm_smmu has no bank left: ENOSPC, a hard failure, and
//   the domain is freed. 4 allocated, peak 4, 3 held, 1 hard, 1 failed attach.
// - vfio-type1: gpu: fresh M; A (same driver, same ecc) refuses (1 soft) → M joins. venus:
//   fresh M' takes bank 2 (3 alive: the peak), M accepts, M' freed (bank 2 free again).
//   camera: the same. 4 allocated, peak 3, 3 trials, 1 soft.
// - vfio-emediumtype: gpu: A refuses → M; venus, camera: M (newest) accepts. 2 allocated,
//   3 trials, 1 soft.
// - iommufd-auto: gpu: A refuses → M; venus, camera: A refuses, M accepts. 5 trials, 3 soft.
// - hard-fail: gpu, venus, camera each refused by A with a hard errno: 3 failed attaches.
// - compat-index: as vfio-emediumtype with 2 (accepted) trials.
// - shared-across-instances: SMMUv2 domains do not cross instances even in the what-if: as
//   vfio-emediumtype.
#[test]
fn smmuv2_soc_domain_counts() {
    const TWO: &[&[&str]] = &[&["ufs@1d84000"], &["gpu@2c00000", "venus@aa00000", "camera@acb3000"]];
    check(
        "smmuv2-soc",
        &[
            row(PerGroup, [4, 4, 3, 0, 0, 1, 1], &[&["ufs@1d84000"], &["gpu@2c00000"], &["venus@aa00000"]]),
            row(VfioType1, [4, 3, 2, 3, 1, 0, 0], TWO),
            row(VfioEmediumtype, [2, 2, 2, 3, 1, 0, 0], TWO),
            row(IommufdAuto, [2, 2, 2, 5, 3, 0, 0], TWO),
            row(WhatIfHardFail, [1, 1, 1, 3, 0, 3, 3], &[&["ufs@1d84000"]]),
            row(CompatIndex, [2, 2, 2, 2, 0, 0, 0], TWO),
            row(SharedAcrossInstances, [2, 2, 2, 3, 1, 0, 0], TWO),
        ],
    );
}

// ----- Mixed SMMUv2 + SMMUv3 -------------------------------------------------------------------
//
// Topology t-mixed-arm: n0 = 0000:01:00.0 and n1 = 0000:02:00.0 behind the SMMUv3; hdlcd
// behind smmuv2-display; dma and ethos behind smmuv2-dma. Order n0, hdlcd, dma, n1, ethos.
//
// - per-group: 5.
// - vfio-emediumtype (newest first): n0 → V; hdlcd: V refuses (other driver) → P; dma: P, V
//   refuse → Q; n1: Q, P refuse, V accepts; ethos: Q accepts. 3 allocated, 1+2+3+1 = 7
//   trials, 1+2+2 = 5 soft.
// - vfio-type1: the ops check skips domains of the other driver without trying them. hdlcd:
//   fresh P, V skipped → P joins; dma: fresh Q, P refuses (1 soft), V skipped → Q joins; n1:
//   fresh V' (4 alive: the peak), Q, P skipped, V accepts; ethos: fresh Q' (4 alive), Q
//   accepts. 5 allocated, peak 4, 3 trials, 1 soft.
// - iommufd-auto (oldest first): hdlcd: V (1); dma: V, P (2); n1: V accepts; ethos: V, P
//   refuse, Q accepts. 7 trials, 5 soft, 3 allocated.
// - hard-fail: hdlcd, dma, ethos refused by V with a hard errno: 3 failures; n1 joins V.
// - compat-index: 3 allocated, 2 accepted trials (n1, ethos).
// - shared-across-instances: only one SMMUv3 and SMMUv2 never shares: as vfio-emediumtype.
#[test]
fn mixed_smmuv2_v3_domain_counts() {
    const THREE: &[&[&str]] = &[&["0000:01:00.0", "0000:02:00.0"], &["hdlcd@7ff50000"], &["dma@7ff00000", "ethos-u@6f300000"]];
    check(
        "mixed-arm",
        &[
            row(
                PerGroup,
                [5, 5, 5, 0, 0, 0, 0],
                &[&["0000:01:00.0"], &["0000:02:00.0"], &["hdlcd@7ff50000"], &["dma@7ff00000"], &["ethos-u@6f300000"]],
            ),
            row(VfioType1, [5, 4, 3, 3, 1, 0, 0], THREE),
            row(VfioEmediumtype, [3, 3, 3, 7, 5, 0, 0], THREE),
            row(IommufdAuto, [3, 3, 3, 7, 5, 0, 0], THREE),
            row(WhatIfHardFail, [1, 1, 1, 4, 0, 3, 3], &[&["0000:01:00.0", "0000:02:00.0"]]),
            row(CompatIndex, [3, 3, 3, 2, 0, 0, 0], THREE),
            row(SharedAcrossInstances, [3, 3, 3, 7, 5, 0, 0], THREE),
        ],
    );
}

// ----- Focused properties ----------------------------------------------------------------------

/// `hard-fail` fails an attach that `vfio-emediumtype` and `iommufd-auto` complete: on four
/// SMMUv3 the second instance's group meets the first instance's domain.
#[test]
fn hard_fail_fails_where_soft_errno_strategies_complete() {
    let all = run_all(&load("smmuv3x4"));
    let (hard, series, iommufd) = (&all[&WhatIfHardFail].metrics, &all[&VfioEmediumtype].metrics, &all[&IommufdAuto].metrics);
    assert!(hard.attaches_failed >= 1 && hard.hard_failures >= 1, "{hard:?}");
    assert_eq!((series.attaches_failed, series.attaches_ok), (0, 5));
    assert_eq!((iommufd.attaches_failed, iommufd.attaches_ok), (0, 5));
    // The failed device never got a domain.
    let b = all[&WhatIfHardFail].devices.iter().find(|d| d.id == "0001:01:00.0").expect("device");
    assert_eq!(b.domain, None);
}

/// `compat-index` never makes a failed trial attach and ends with exactly the domains of
/// `vfio-emediumtype`, on every hand-made topology.
#[test]
fn compat_index_matches_emediumtype_without_failed_trials() {
    for name in ["vtd-mixed", "amd4", "smmuv3x4", "smmuv2-soc", "mixed-arm"] {
        let s = load(name);
        let (ci, series) = (run(&s, CompatIndex, s.seed, None), run(&s, VfioEmediumtype, s.seed, None));
        assert_eq!(ci.metrics.soft_failures + ci.metrics.hard_failures, 0, "{name}");
        assert_eq!(ci.metrics.domains_peak, series.metrics.domains_peak, "{name}");
        assert_eq!(ci.metrics.domains_allocated, series.metrics.domains_allocated, "{name}");
        assert_eq!(partition(&ci), partition(&series), "{name}");
        // Same domains: same serials per device, not only the same grouping.
        let doms = |r: &RunResult| r.devices.iter().map(|d| d.domain).collect::<Vec<_>>();
        assert_eq!(doms(&ci), doms(&series), "{name}");
    }
}

/// `vfio-type1` allocates before it searches and frees the fresh domain when an existing one
/// accepts the group: `domains_allocated` counts it, the container does not grow, and the
/// peak grows by that one transient domain at most (core.rs counts the peak at allocation).
#[test]
fn vfio_type1_frees_its_fresh_domain_on_reuse() {
    let s = scenario_text(
        "amd4",
        None,
        r#"Scenario(name: "g", topology: "x", containers: [Container(id: "vm0")], events: [
            (at: 0, op: Attach(device: "0000:01:00.0", container: "vm0")),
            (at: 1, op: Attach(device: "0000:21:00.0", container: "vm0")),
            (at: 2, op: Map(container: "vm0", iova: 0, size: 0x1000)),
        ])"#,
    );
    let t1 = run(&s, VfioType1, 0, None).metrics;
    let series = run(&s, VfioEmediumtype, 0, None).metrics;
    // Two allocations (the second freed at once) against one.
    assert_eq!((t1.domains_allocated, series.domains_allocated), (2, 1));
    // The container holds one domain either way: no replication, one domain left.
    assert_eq!((t1.domains_final, t1.map_replications), (1, 0));
    assert_eq!(t1.domains_final, series.domains_final);
    // The transient domain and the kept one were alive together during the attach.
    assert_eq!((t1.domains_peak, series.domains_peak), (2, 1));
    // Freeing the fresh domain is cheaper than nothing: type1 pays for its alloc/attach/free.
    assert!(t1.cpu_cycles_attach > series.cpu_cycles_attach);
}

/// The transient domain of `vfio-type1` needs a free ID on the instance: with a single
/// context bank left, type1 fails (ENOSPC) an attach the series' flow completes by reuse.
#[test]
fn vfio_type1_needs_a_spare_id_for_its_fresh_domain() {
    let s = scenario_text(
        "smmuv2-soc",
        Some(("caps: (domain_ids: 2)", "caps: (domain_ids: 1)")),
        r#"Scenario(name: "g", topology: "x", containers: [Container(id: "vm0")], events: [
            (at: 0, op: Attach(device: "gpu@2c00000", container: "vm0")),
            (at: 1, op: Attach(device: "venus@aa00000", container: "vm0")),
        ])"#,
    );
    let t1 = run(&s, VfioType1, 0, None).metrics;
    assert_eq!((t1.attaches_ok, t1.attaches_failed, t1.hard_failures), (1, 1, 1));
    for n in [VfioEmediumtype, IommufdAuto, CompatIndex] {
        let m = run(&s, n, 0, None).metrics;
        assert_eq!((m.attaches_ok, m.attaches_failed, m.hard_failures), (2, 0, 0), "{n}");
    }
}

/// An exhausted ID space answers ENOSPC, a hard failure, for every strategy that needs a new
/// domain: three VMs each want their own domain on an SMMU with two context banks.
#[test]
fn exhausted_id_space_is_a_hard_enospc() {
    let s = scenario_text(
        "smmuv2-soc",
        None,
        r#"Scenario(name: "g", topology: "x",
            containers: [Container(id: "vm0"), Container(id: "vm1"), Container(id: "vm2")],
            events: [
            (at: 0, op: Attach(device: "gpu@2c00000", container: "vm0")),
            (at: 1, op: Attach(device: "venus@aa00000", container: "vm1")),
            (at: 2, op: Attach(device: "camera@acb3000", container: "vm2")),
        ])"#,
    );
    for n in StrategyName::ALL {
        let r = run(&s, n, 0, None);
        let m = &r.metrics;
        assert_eq!((m.attaches_ok, m.attaches_failed, m.hard_failures, m.soft_failures), (2, 1, 1, 0), "{n}");
        assert!(m.log_lines >= 1, "{n}: a hard failure is logged");
        let mm = r.iommus.iter().find(|i| i.id == "mm_smmu").expect("mm_smmu");
        assert_eq!(mm.domain_ids_peak, 2, "{n}: both banks used, no more");
        // The failed attach left nothing behind.
        assert_eq!(m.domains_final, 2, "{n}");
    }
    // In one container only per-group needs a third bank (see smmuv2_soc_domain_counts).
}

/// `shared-across-instances` uses fewer domains than `vfio-emediumtype` on four SMMUv3, and
/// its shared domain's invalidations reach every instance it spans.
#[test]
fn shared_domain_uses_fewer_domains_and_invalidates_everywhere() {
    let all = run_all(&load("smmuv3x4"));
    let (shared, series) = (&all[&SharedAcrossInstances], &all[&VfioEmediumtype]);
    assert!(shared.metrics.domains_peak < series.metrics.domains_peak);
    assert!(shared.metrics.pagetable_bytes_peak < series.metrics.pagetable_bytes_peak);
    assert_eq!(shared.iommus.len(), 4);
    for i in &shared.iommus {
        // The 16-page unmap is page/range granular (detach flushes are domain-wide).
        assert!(i.invalidations_page > 0, "{}: {i:?}", i.id);
        assert!(i.invalidations > 0, "{}", i.id);
        assert_eq!(i.domain_ids_peak, 1, "{}: one tag for the one shared domain", i.id);
    }
    // Two unmaps, 16 pages of 4K and one 2M block: smmu3 lacks range invalidation and sends a
    // command per leaf (arm-smmu-v3 `__arm_smmu_tlb_inv_range`, `inv_range = granule`),
    // 16 + 1; the others one range each.
    let page = |id: &str| shared.iommus.iter().find(|i| i.id == id).expect("iommu").invalidations_page;
    assert_eq!(page("smmu3"), 16 + 1);
    assert_eq!(page("smmu0"), 2);
}

/// With the series' errno (EMEDIUMTYPE) `iommufd-auto` fails where `vfio-emediumtype`
/// succeeds: iommufd continues only on a literal -EINVAL.
#[test]
fn emediumtype_breaks_iommufd_auto() {
    let text = std::fs::read_to_string(data().join("smmuv3x4.ron")).expect("scenario");
    let text = text.replace("seed: 1,", "seed: 1, soft_errno: EMEDIUMTYPE,");
    let s = scenario_text("smmuv3x4", None, &text);
    let iommufd = run(&s, IommufdAuto, 1, None).metrics;
    let series = run(&s, VfioEmediumtype, 1, None).metrics;
    // b, c, d each meet D0 first, get EMEDIUMTYPE and fail; a1 lands on D0.
    assert_eq!((iommufd.attaches_ok, iommufd.attaches_failed), (2, 3));
    // The driver's errno is still the soft one: counted soft, never logged.
    assert_eq!((iommufd.soft_failures, iommufd.hard_failures, iommufd.log_lines), (3, 0, 0));
    assert_eq!((series.attaches_ok, series.attaches_failed, series.soft_failures, series.log_lines), (5, 0, 9, 0));
    // With EINVAL (the default, as merged) iommufd completes them all.
    assert_eq!(run(&load("smmuv3x4"), IommufdAuto, 1, None).metrics.attaches_failed, 0);
}

/// Soft refusals print nothing; hard ones print.
#[test]
fn log_lines_follow_hardness() {
    let all = run_all(&load("mixed-arm"));
    let series = &all[&VfioEmediumtype].metrics;
    assert!(series.soft_failures > 0);
    assert_eq!(series.log_lines, 0);
    let hard = &all[&WhatIfHardFail].metrics;
    assert!(hard.hard_failures > 0 && hard.log_lines == 0, "v6.2+: no dev_err for an incompatible domain");
    // Before v6.2 other-SMMU refusals came with the drivers' own errnos and dev_err lines
    // (arm-smmu-v3 "cannot attach to SMMU %s (upstream of %s)", -ENXIO).
    let mut old = load("smmuv3x4");
    old.kernel = sim_core::linux::Kernel::parse("6.1").unwrap();
    let old_all = run_all(&old);
    let (hard61, type1) = (&old_all[&WhatIfHardFail].metrics, &old_all[&VfioType1].metrics);
    assert!(hard61.hard_failures > 0 && hard61.log_lines == hard61.hard_failures, "{hard61:?}");
    assert_eq!(type1.attaches_failed, 0, "type1 went on after any error");
}

// ----- compat-index ≡ vfio-emediumtype under random attach orders ------------------------------

/// A scenario on `topology` attaching/detaching devices in the given order (one container),
/// then mapping and DMA from every device.
fn ops_scenario(platform: &Platform, ops: &[(usize, bool)]) -> Scenario {
    let mut ev = String::new();
    for (t, &(dev, attach)) in ops.iter().enumerate() {
        let name = &platform.devices[dev].name;
        if attach {
            ev += &format!("(at: {t}, op: Attach(device: \"{name}\", container: \"vm0\")),");
        } else {
            ev += &format!("(at: {t}, op: Detach(device: \"{name}\")),");
        }
    }
    ev += "(at: 1000, op: Map(container: \"vm0\", iova: 0, size: 0x10000)),";
    for d in &platform.devices {
        ev += &format!("(at: 2000, op: Dma(device: \"{}\", iova: 0, bytes: 8192, dir: Read)),", d.name);
    }
    let text = format!("Scenario(name: \"p\", topology: \"x\", containers: [Container(id: \"vm0\")], events: [{ev}])");
    Scenario::from_parts(&data().join("generated.ron"), &text, platform.clone()).expect("generated scenario")
}

fn mixed_platforms() -> Vec<Platform> {
    ["mixed-arm", "vtd-mixed"]
        .iter()
        .map(|t| Platform::load(&data().join("topologies").join(format!("{t}.ron"))).expect("topology"))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any attach order (with detaches mixed in) on the mixed topologies: compat-index makes
    /// no failed trial attach and ends with the same domains as vfio-emediumtype.
    #[test]
    fn compat_index_equals_emediumtype_in_any_order(
        which in 0usize..2,
        order in Just((0usize..5).collect::<Vec<_>>()).prop_shuffle(),
        extra in proptest::collection::vec((0usize..5, any::<bool>()), 0..12),
    ) {
        let platforms = mixed_platforms();
        let platform = &platforms[which];
        let n = platform.devices.len();
        let mut ops: Vec<(usize, bool)> = order.into_iter().filter(|&d| d < n).map(|d| (d, true)).collect();
        ops.extend(extra.into_iter().map(|(d, a)| (d % n, a)));
        let s = ops_scenario(platform, &ops);
        let ci = run(&s, CompatIndex, 0, None);
        let series = run(&s, VfioEmediumtype, 0, None);
        prop_assert_eq!(ci.metrics.soft_failures + ci.metrics.hard_failures, 0);
        prop_assert_eq!(ci.metrics.domains_peak, series.metrics.domains_peak);
        prop_assert_eq!(ci.metrics.domains_allocated, series.metrics.domains_allocated);
        prop_assert_eq!(ci.metrics.attaches_ok, series.metrics.attaches_ok);
        prop_assert_eq!(ci.metrics.map_replications, series.metrics.map_replications);
        let doms = |r: &RunResult| r.devices.iter().map(|d| d.domain).collect::<Vec<_>>();
        prop_assert_eq!(doms(&ci), doms(&series));
    }
}
