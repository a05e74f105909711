//! Generators of the large topologies and scenarios the scaling benchmarks need (issue 15).
//! Only public `sim-core` APIs are used, so the same benches build against an older commit
//! for before/after comparisons.

use std::fmt::Write;
use std::path::Path;

use sim_core::scenario::Scenario;
use sim_core::topology::Platform;

pub mod queues;

/// One SMMUv3 with 4K pages only (so a large working set really needs 4K IOTLB entries) and
/// one device: the platform of the scenario and closed-loop benches.
pub const ONE_SMMU_4K: &str = r#"Topology(
    name: "bench",
    iommus: [Iommu(id: "smmu0", kind: ArmSmmuV3, caps: (page_sizes: ["4K"]))],
    buses: [
        RootComplex(id: "pci0000:00", iommu: "smmu0"),
        RootPort(id: "0000:00:01.0", parent: "pci0000:00", acs: true),
    ],
    devices: [Device(id: "0000:01:00.0", parent: "0000:00:01.0")],
)"#;

/// `n` SMMUv3 instances, each with one root complex, one root port and one device: every
/// device is its own group behind its own instance, so no domain can be shared and VFIO type1
/// tries every existing domain of the container before allocating one (issue 15, item 1).
pub fn instances_topology(n: usize) -> String {
    let mut t = String::from("Topology(name: \"many-smmu\", iommus: [");
    for i in 0..n {
        write!(t, "Iommu(id: \"smmu{i}\", kind: ArmSmmuV3),").unwrap();
    }
    t.push_str("], buses: [");
    for i in 0..n {
        write!(t, "RootComplex(id: \"pci{i:04x}:00\", iommu: \"smmu{i}\"), RootPort(id: \"{i:04x}:00:01.0\", parent: \"pci{i:04x}:00\"),")
            .unwrap();
    }
    t.push_str("], devices: [");
    for i in 0..n {
        write!(t, "Device(id: \"{i:04x}:01:00.0\", parent: \"{i:04x}:00:01.0\"),").unwrap();
    }
    t.push_str("])");
    t
}

/// Attaches the `n` devices of [`instances_topology`] to one container, one per cycle.
pub fn attach_scenario(n: usize, strategy: &str) -> Scenario {
    let platform = Platform::parse(Path::new("many-smmu.ron"), &instances_topology(n)).expect("bench topology");
    let mut s = format!(
        "Scenario(name: \"attach\", topology: \"many-smmu.ron\", seed: 1, strategies: [\"{strategy}\"], containers: [Container(id: \"c\")], events: ["
    );
    for i in 0..n {
        write!(s, "(at: {}, op: Attach(device: \"{i:04x}:01:00.0\", container: \"c\")),", i + 1).unwrap();
    }
    s.push_str("])");
    Scenario::from_parts(Path::new("attach.ron"), &s, platform).expect("bench scenario")
}

/// The device names of [`flat_topology`]: 255 devices per PCI segment, one per root port.
pub fn flat_device(i: usize) -> String {
    format!("{:04x}:{:02x}:00.0", i / 255, i % 255 + 1)
}

/// `n` devices behind one VT-d instance: one root complex per PCI segment, each device below
/// its own root port (so each is its own group).
pub fn flat_topology(n: usize) -> String {
    let mut t = String::from("Topology(name: \"flat\", iommus: [Iommu(id: \"dmar0\", kind: IntelVtd)], buses: [");
    for seg in 0..n.div_ceil(255) {
        write!(t, "RootComplex(id: \"pci{seg:04x}:00\", iommu: \"dmar0\"),").unwrap();
    }
    for i in 0..n {
        let (seg, k) = (i / 255, i % 255);
        write!(t, "RootPort(id: \"{seg:04x}:00:{:02x}.{}\", parent: \"pci{seg:04x}:00\"),", k / 8, k % 8).unwrap();
    }
    t.push_str("], devices: [");
    for i in 0..n {
        let (seg, k) = (i / 255, i % 255);
        write!(t, "Device(id: \"{}\", parent: \"{seg:04x}:00:{:02x}.{}\"),", flat_device(i), k / 8, k % 8).unwrap();
    }
    t.push_str("])");
    t
}

/// A scenario on [`flat_topology`] with one NIC generator per device (`n` generators to
/// check at load time: ids, devices, containers).
pub fn generators_scenario_text(n: usize) -> String {
    let mut s = String::from(
        "Scenario(name: \"gens\", topology: \"flat.ron\", seed: 1, duration: 1000000, strategies: [\"per-group\"], containers: [Container(id: \"c\")], events: [], generators: [",
    );
    for i in 0..n {
        write!(s, "Nic(id: \"nic{i}\", device: \"{}\", container: \"c\", rate: Gbps(1)),", flat_device(i)).unwrap();
    }
    s.push_str("])");
    s
}

/// The SimPy-shaped workload of issue 15: 4 devices behind one SMMUv3 with a 2048-entry 4-way
/// LRU IOTLB and 16 walkers, 4-level tables with 4 KiB pages only, and the walk cache at its
/// minimum (1 entry per level) so that nearly every walk reads its levels from memory; each
/// device does 50 000 translations.
pub const SIMPY_TOPOLOGY: &str = r#"Topology(
    name: "simpy-shaped",
    iommus: [Iommu(id: "smmu0", kind: ArmSmmuV3, caps: (page_sizes: ["4K"]),
        geometry: (iotlb_entries: 2048, iotlb_ways: 4, iotlb_replacement: Lru, walkers: 16,
                   walk_cache_entries: 1, walk_cache_ways: 1))],
    buses: [
        RootComplex(id: "pci0000:00", iommu: "smmu0"),
        RootPort(id: "0000:00:01.0", parent: "pci0000:00", acs: true),
        RootPort(id: "0000:00:02.0", parent: "pci0000:00", acs: true),
        RootPort(id: "0000:00:03.0", parent: "pci0000:00", acs: true),
        RootPort(id: "0000:00:04.0", parent: "pci0000:00", acs: true),
    ],
    // MRRS 4096: a 4 KiB read is one TLP, so one translation per page as in the SimPy model
    // (at the default 512 a page is 8 TLPs: 8 lookups, 7 of them repeats of the first).
    devices: [
        Device(id: "0000:01:00.0", parent: "0000:00:01.0", link: (mrrs: 4096)),
        Device(id: "0000:02:00.0", parent: "0000:00:02.0", link: (mrrs: 4096)),
        Device(id: "0000:03:00.0", parent: "0000:00:03.0", link: (mrrs: 4096)),
        Device(id: "0000:04:00.0", parent: "0000:00:04.0", link: (mrrs: 4096)),
    ],
)"#;

/// The SimPy-shaped scenario: `hit_percent` 50 makes every DMA touch two 4 KiB pages, the
/// first filled by the previous DMA (a hit) and the second new (a miss); 0 makes every DMA a
/// single new page. 200 000 translations in all, interleaved between the 4 devices, which
/// share one domain (`vfio-type1`) and each sweep their own 32 MiB region: 4 × 8191 pages, 16×
/// the IOTLB, so under LRU a wrapped-around page is long gone (the map of 128 MiB at cycle 1
/// is ~5 % of the run's instructions).
pub fn simpy_scenario_text(hit_percent: u32) -> String {
    let (bytes, dmas) = if hit_percent == 50 { (8192, 25_000) } else { (4096, 50_000) };
    let mut s = String::from(
        "Scenario(name: \"simpy-shaped\", topology: \"simpy.ron\", seed: 1, strategies: [\"vfio-type1\"], containers: [Container(id: \"c\")], events: [",
    );
    for d in 1..=4 {
        write!(s, "(at: 0, op: Attach(device: \"0000:0{d}:00.0\", container: \"c\")),").unwrap();
    }
    s.push_str("(at: 1, op: Map(container: \"c\", iova: 0, size: 0x8000000)),");
    for d in 1..=4u64 {
        write!(
            s,
            "(at: {}, repeat: (count: {dmas}, every: 100, stride: 4096, wrap: 0x1fff000), op: Dma(device: \"0000:0{d}:00.0\", iova: {:#x}, bytes: {bytes}, dir: Read)),",
            1000 + d,
            (d - 1) << 25
        )
        .unwrap();
    }
    s.push_str("])");
    s
}

/// [`simpy_scenario_text`] parsed against [`SIMPY_TOPOLOGY`].
pub fn simpy_scenario(hit_percent: u32) -> Scenario {
    let platform = Platform::parse(Path::new("simpy.ron"), SIMPY_TOPOLOGY).expect("simpy topology");
    Scenario::from_parts(Path::new("simpy-scenario.ron"), &simpy_scenario_text(hit_percent), platform).expect("simpy scenario")
}
