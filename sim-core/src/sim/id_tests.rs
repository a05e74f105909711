//! Domain-ID spaces as Linux allocates them (issue 10 item 5): each test would fail if the
//! pool were per instance where Linux's is global, taken at attach where Linux takes it at
//! allocation, or returned the wrong errno when full. Sources: `linux/id_pools.rs::usable_ids`.

use std::path::Path;

use crate::linux::Errno;
use crate::scenario::Scenario;
use crate::sim::core::Core;
use crate::sim::run;
use crate::strategy::StrategyName;
use crate::topology::Platform;

/// One IOMMU per root complex; three single-device groups: two behind `a`, one behind `b`.
fn topology(kind: &str, caps_a: &str) -> String {
    format!(
        r#"Topology(name: "t",
        iommus: [Iommu(id: "a", kind: {kind}, caps: ({caps_a})), Iommu(id: "b", kind: {kind})],
        buses: [
            RootComplex(id: "pci0000:00", iommu: "a"),
            RootPort(id: "0000:00:01.0", parent: "pci0000:00", acs: true),
            RootPort(id: "0000:00:02.0", parent: "pci0000:00", acs: true),
            RootComplex(id: "pci0001:00", iommu: "b"),
            RootPort(id: "0001:00:01.0", parent: "pci0001:00", acs: true),
        ],
        devices: [
            Device(id: "0000:01:00.0", parent: "0000:00:01.0"),
            Device(id: "0000:02:00.0", parent: "0000:00:02.0"),
            Device(id: "0001:01:00.0", parent: "0001:00:01.0"),
        ])"#
    )
}

/// Each device in its own container (one domain each), or all in one container.
fn scenario(topo: &str, shared: bool) -> Scenario {
    let platform = Platform::parse(Path::new("t.ron"), topo).expect("test topology");
    let c = |i: usize| if shared { "c0".to_string() } else { format!("c{i}") };
    let text = format!(
        r#"Scenario(name: "s", topology: "t.ron", containers: [Container(id: "c0"), Container(id: "c1"), Container(id: "c2")],
        events: [
            (at: 0, op: Attach(device: "0000:01:00.0", container: "{}")),
            (at: 1, op: Attach(device: "0000:02:00.0", container: "{}")),
            (at: 2, op: Attach(device: "0001:01:00.0", container: "{}")),
        ])"#,
        c(0),
        c(1),
        c(2)
    );
    Scenario::from_parts(Path::new("s.ron"), &text, platform).expect("test scenario")
}

/// Allocates and attaches a fresh domain for every group in turn; the results.
fn fresh_domains(s: &Scenario) -> Vec<Result<(), Errno>> {
    let mut core = Core::new(s, 1, false, false);
    (0..s.platform.groups.len())
        .map(|g| {
            let g = crate::ids::GroupId::from_index(g);
            let d = core.alloc_domain(g)?;
            core.attach(d, g, false)
        })
        .collect()
}

#[test]
fn amd_runs_out_of_domain_ids_at_allocation_across_units() {
    // Unit a has 3 ids (2 usable); unit b 65536. Per-unit pools would give all three groups a
    // domain; Linux's one platform-wide pool (sized by the smallest) runs out on the third —
    // behind unit b — and the allocation itself fails with ENOMEM.
    let s = scenario(&topology("AmdVi", "domain_ids: 3"), false);
    assert_eq!(fresh_domains(&s), [Ok(()), Ok(()), Err(Errno::ENOMEM)]);
    let r = run(&s, StrategyName::PerGroup, 1, None);
    assert_eq!((r.metrics.attaches_failed, r.metrics.domains_allocated, r.metrics.trial_attaches), (1, 2, 0));
    let peak: Vec<u64> = r.iommus.iter().map(|i| i.domain_ids_peak).collect();
    assert_eq!(peak, [2, 2], "one pool, seen from both units");
    // One domain spanning both units needs one id only.
    let shared = run(&scenario(&topology("AmdVi", "domain_ids: 3"), true), StrategyName::VfioEmediumtype, 1, None);
    assert_eq!((shared.metrics.attaches_failed, shared.metrics.domains_peak), (0, 1));
}

#[test]
fn vtd_reserves_dids_0_and_1_per_unit() {
    // cap_ndoms 4: IDA_START_DID = 2 leaves DIDs 2 and 3; the third domain on the unit fails
    // at attach with ENOSPC, but unit b has its own pool.
    let s = scenario(&topology("IntelVtd", "domain_ids: 4"), false);
    assert_eq!(fresh_domains(&s), [Ok(()), Ok(()), Ok(())]);
    let s3 = scenario(&topology("IntelVtd", "domain_ids: 3"), false);
    assert_eq!(fresh_domains(&s3), [Ok(()), Err(Errno::ENOSPC), Ok(())], "cap_ndoms 3: only DID 2");
}

#[test]
fn smmuv3_asids_are_global_and_a_full_xarray_is_ebusy() {
    // Unit a: 2^1 ASIDs → ASID 1 only, and the pool is global: the third domain, behind b,
    // finds it full too. xa_alloc says -EBUSY.
    let s = scenario(&topology("ArmSmmuV3", "domain_ids: 2"), false);
    assert_eq!(fresh_domains(&s), [Ok(()), Err(Errno::EBUSY), Err(Errno::EBUSY)]);
}

#[test]
fn smmuv2_stage1_context_banks_start_after_the_stage2_ones() {
    // 4 banks, 2 of them stage-2 only: two stage-1 domains fit, the third is ENOSPC.
    let s = scenario(&topology("ArmSmmuV2", "domain_ids: 4, s2_context_banks: 2"), false);
    assert_eq!(fresh_domains(&s), [Ok(()), Ok(()), Ok(())]);
    let s1 = scenario(&topology("ArmSmmuV2", "domain_ids: 4, s2_context_banks: 3"), false);
    assert_eq!(fresh_domains(&s1), [Ok(()), Err(Errno::ENOSPC), Ok(())]);
    let bad = Platform::parse(Path::new("t.ron"), &topology("ArmSmmuV2", "domain_ids: 4, s2_context_banks: 4"));
    assert!(bad.is_err(), "every bank stage-2 only leaves none for stage 1");
}
