//! Closed-loop throughput: the done-when tests of issue 12, on in-memory scenarios.

use std::path::Path;

use super::transfer::Bypass;
use crate::metrics::{GeneratorResult, RunResult};
use crate::scenario::Scenario;
use crate::sim::run_with;
use crate::strategy::StrategyName;
use crate::topology::Platform;

/// One VT-d unit, one device whose link is `link`.
fn topo(link: &str, costs: &str) -> Platform {
    let text = format!(
        r#"Topology(name: "t", iommus: [Iommu(id: "dmar0", kind: IntelVtd, costs: ({costs}))],
        buses: [RootComplex(id: "pci0000:00", iommu: "dmar0"), RootPort(id: "0000:00:01.0", parent: "pci0000:00")],
        devices: [Device(id: "0000:01:00.0", parent: "0000:00:01.0", link: ({link}))])"#
    );
    Platform::parse(Path::new("t.ron"), &text).expect("test topology")
}

fn scenario(platform: Platform, duration: u64, generators: &str) -> Scenario {
    let text = format!(
        r#"Scenario(name: "s", topology: "t.ron", seed: 3, duration: {duration},
        containers: [Container(id: "c")],
        events: [(at: 0, op: Attach(device: "0000:01:00.0", container: "c"))],
        generators: [{generators}])"#
    );
    Scenario::from_parts(Path::new("s.ron"), &text, platform).expect("test scenario")
}

fn gen0(r: &RunResult) -> &GeneratorResult {
    &r.generators[0]
}

fn engine(body: &str) -> String {
    format!(r#"DmaEngine(id: "e", device: "0000:01:00.0", container: "c", start: 1000, {body})"#)
}

/// Gen1 x1 moves a byte in exactly 4 ns, so every wire time is whole cycles; a long link
/// latency keeps the link far from saturated: each 64-byte read takes exactly
/// L = 24·4 (request) + 10 000 + translation + 90 (DRAM) + 84·4 (completion) + 10 000.
const SLOW_EXACT_LINK: &str = "generation: 1, width: 1, latency: 10000";

#[test]
fn n_outstanding_with_fixed_latency_move_exactly_n_size_per_latency() {
    for (bypass, translation) in [(Bypass::Off, 0), (Bypass::None, 3)] {
        let l = 96 + 10_000 + translation + 90 + 336 + 10_000;
        let (n, size, k) = (4u64, 64u64, 7u64);
        let body = engine(&format!("request_bytes: {size}, window_bytes: 4096, outstanding: {n}"));
        let bytes_at = |duration: u64| {
            let s = scenario(topo(SLOW_EXACT_LINK, ""), duration, &body);
            gen0(&run_with(&s, StrategyName::PerGroup, 3, bypass, None)).bytes
        };
        // Steady state from the third round on; over k latencies exactly N·k requests finish.
        let d1 = 1000 + 5 * l;
        let moved = bytes_at(d1 + k * l) - bytes_at(d1);
        assert_eq!(moved, n * size * k, "{bypass:?}: N × size per L exactly (L = {l})");
        // One more cycle of window is not one more request per slot.
        assert_eq!(bytes_at(d1 + k * l + 1) - bytes_at(d1 + 1), n * size * k);
    }
}

#[test]
fn raising_translation_latency_lowers_bandwidth() {
    let body = engine("pattern: Random, request_bytes: 4096, window_bytes: 0x4000000, outstanding: 32");
    let achieved = |pte: u64| {
        let s = scenario(topo("", &format!("pte_read: {pte}")), 2_000_000, &body);
        gen0(&run_with(&s, StrategyName::PerGroup, 3, Bypass::None, None)).achieved_mbps
    };
    let (fast, slow, slower) = (achieved(50), achieved(200), achieved(800));
    assert!(fast > slow && slow > slower, "{fast} > {slow} > {slower} Mb/s");
}

#[test]
fn a_working_set_within_the_iotlb_reach_runs_as_fast_as_identity() {
    let achieved = |window: u64, pattern: &str, bypass| {
        // Small requests and few in flight: latency, not the link, sets the rate (as in
        // pcie-bench's 64–512-byte sweeps; 4 KiB requests with 256 tags hide the misses).
        let body = engine(&format!("pattern: {pattern}, request_bytes: 256, window_bytes: {window}, outstanding: 8, page: \"4K\""));
        let s = scenario(topo("", ""), 2_000_000, &body);
        gen0(&run_with(&s, StrategyName::PerGroup, 3, bypass, None)).achieved_mbps
    };
    // VT-d default IOTLB: 64 entries of 4 KiB = 256 KiB of reach (the window is backed by
    // 4 KiB pages, so the IOMMU cannot use superpages).
    let (inside, identity) = (achieved(128 << 10, "Sequential", Bypass::None), achieved(128 << 10, "Sequential", Bypass::Identity));
    assert!(inside.abs_diff(identity) * 100 <= identity, "within reach {inside} vs identity {identity} Mb/s: more than 1 % apart");
    // The same test fails when the working set does not fit (so it can tell).
    let outside = achieved(64 << 20, "Random", Bypass::None);
    let identity_outside = achieved(64 << 20, "Random", Bypass::Identity);
    assert!(outside * 100 < identity_outside * 99, "outside reach {outside} vs identity {identity_outside} Mb/s");
}

#[test]
fn a_nic_offered_more_than_it_achieves_reports_the_difference() {
    // 100 Gb/s of 1500-byte packets (8.33 M/s) through strict map/unmap on one CPU.
    let body = r#"Nic(id: "n", device: "0000:01:00.0", container: "c", start: 1000, rate: Gbps(100), ring: 64)"#;
    let s = scenario(topo("", ""), 1_001_000, body);
    let r = run_with(&s, StrategyName::PerGroup, 3, Bypass::None, None);
    let g = gen0(&r);
    assert_eq!(g.offered_mbps, 99_999, "8 333 333 packets/s of 1500 bytes");
    assert!(g.achieved_mbps < g.offered_mbps / 2, "{} of {} Mb/s", g.achieved_mbps, g.offered_mbps);
    // Every arrival is either carried, dropped or still holding one of the 64 buffers.
    let arrivals = 1_000_000 * 8_333_333 / 1_000_000_000 + 1;
    assert!(g.requests + g.dropped <= arrivals && arrivals <= g.requests + g.dropped + 64, "{} + {} vs {arrivals}", g.requests, g.dropped);
    assert!(g.dropped > 0 && g.backpressure_cycles > 0);
    assert_eq!(r.metrics.requests_dropped, g.dropped);
    // Without the IOMMU's CPU work the same NIC keeps up.
    let base = run_with(&s, StrategyName::PerGroup, 3, Bypass::Off, None);
    assert_eq!(gen0(&base).dropped, 0);
}

#[test]
fn a_dma_engine_byte_budget_stops_it() {
    let body = engine("request_bytes: 4096, window_bytes: 65536, outstanding: 8, total_bytes: 1048576");
    let s = scenario(topo("", ""), 10_000_000, &body);
    let r = run_with(&s, StrategyName::PerGroup, 3, Bypass::None, None);
    assert_eq!(gen0(&r).bytes, 1 << 20);
    // Reads of 4 KiB at MRRS 512: 8 TLPs, each one IOMMU lookup.
    assert_eq!(r.devices[0].tlps, 256 * 8);
    assert_eq!(r.devices[0].translations, 256 * 8);
    assert!(r.devices[0].link_util_permille > 0 && r.devices[0].link_util_permille <= 1000);
}

/// An NVMe drive offered far more IOPS than it can carry, `qd` deep, 4 KiB reads with a short
/// media time, with `cpu` as its per-I/O driver cost (split submit / complete).
fn nvme(qd: u32, cpus: u32, submit: u64, complete: u64) -> String {
    format!(
        r#"Nvme(id: "d", device: "0000:01:00.0", container: "c", start: 1000, iops: 50_000_000, queue_depth: {qd},
           block_bytes: 4096, pattern: Uniform, working_set: 0x400000, reads_per_mille: 1000, service: 2000,
           cpus: {cpus}, submit_cpu: {submit}, complete_cpu: {complete})"#
    )
}

#[test]
fn nvme_iops_become_cpu_bound_as_the_per_io_cpu_cost_grows() {
    let run = |cpus: u32, submit: u64, complete: u64, bypass| {
        let s = scenario(topo("", ""), 2_001_000, &nvme(64, cpus, submit, complete));
        gen0(&run_with(&s, StrategyName::PerGroup, 3, bypass, None)).clone()
    };
    // Without translation: cheap I/O is bound by the device (64 × 4 KiB per ≈ 3 µs), costly
    // I/O by the CPU at 1 / (submit + complete) per second.
    let cheap = run(1, 50, 50, Bypass::Off).achieved_per_sec;
    let costly = run(1, 2000, 3000, Bypass::Off).achieved_per_sec;
    let costlier = run(1, 4000, 6000, Bypass::Off).achieved_per_sec;
    assert!(cheap > costly && costly > costlier, "{cheap} > {costly} > {costlier} IOPS");
    assert!(costly.abs_diff(200_000) * 100 <= 200_000, "CPU-bound at 1 / 5 µs: {costly}");
    assert!(costlier.abs_diff(100_000) * 100 <= 100_000, "CPU-bound at 1 / 10 µs: {costlier}");
    // Two CPUs carry twice as much once CPU-bound.
    let two = run(2, 4000, 6000, Bypass::Off).achieved_per_sec;
    assert!(two.abs_diff(2 * costlier) * 100 <= 2 * costlier, "{two} vs 2 × {costlier}");
    // Through the IOMMU (a strict VFIO container): map, unmap and the invalidation are CPU
    // work of the same CPU, so the translated run carries fewer IOPS than the baseline.
    let strict = run(1, 625, 625, Bypass::None);
    let off = run(1, 625, 625, Bypass::Off);
    assert!(
        strict.achieved_per_sec * 100 < off.achieved_per_sec * 80,
        "strict {} vs off {}",
        strict.achieved_per_sec,
        off.achieved_per_sec
    );
    assert!(strict.backpressure_cycles > 0);
}

#[test]
fn nvme_qd1_latency_includes_the_cpu_cost() {
    let latency = |submit: u64, complete: u64, bypass| {
        let s = scenario(topo("", ""), 1_001_000, &nvme(1, 1, submit, complete));
        gen0(&run_with(&s, StrategyName::PerGroup, 3, bypass, None)).mean_request_latency
    };
    // At QD1 nothing waits for the CPU: the latency grows by exactly the added CPU work.
    assert_eq!(latency(1000, 3000, Bypass::Off), latency(0, 0, Bypass::Off) + 4000);
    // Translated, it also includes the map, unmap and invalidation (1 500 cycles each call
    // or more by default), so it is longer than the baseline's by at least those.
    assert!(latency(1000, 3000, Bypass::None) >= latency(1000, 3000, Bypass::Off) + 3000);
}

/// One device on a slow-latency link with `device` extra fields, driven by `generator`.
fn classed(device: &str, generator: &str) -> Scenario {
    let text = format!(
        r#"Topology(name: "t", iommus: [Iommu(id: "dmar0", kind: IntelVtd)],
        buses: [RootComplex(id: "pci0000:00", iommu: "dmar0"), RootPort(id: "0000:00:01.0", parent: "pci0000:00")],
        devices: [Device(id: "0000:01:00.0", parent: "0000:00:01.0", {device})])"#
    );
    scenario(Platform::parse(Path::new("t.ron"), &text).expect("test topology"), 2_000_000, generator)
}

#[test]
fn the_tag_default_follows_the_device_class_and_an_explicit_value_wins() {
    use crate::pcie::DeviceClass;
    let dev = |s: &Scenario| s.platform.devices[0].clone();
    let nic = r#"Nic(id: "n", device: "0000:01:00.0", container: "c", start: 1000, rate: Gbps(1))"#;
    let long_reads = engine("request_bytes: 65536, window_bytes: 0x1000000, outstanding: 64");
    // From the topology's class, from the PCI class code, from the generator driving it.
    for (device, generator, class, tags) in [
        ("class: Accelerator", nic, DeviceClass::Accelerator, 768),
        ("class: Nic", long_reads.as_str(), DeviceClass::Nic, 256),
        ("pci: Pci(class: 0x030000)", nic, DeviceClass::Accelerator, 768),
        ("pci: Pci(class: 0x010802)", nic, DeviceClass::Nvme, 256),
        ("", r#"Accelerator(id: "g", device: "0000:01:00.0", container: "c", start: 1000, rate: 1000)"#, DeviceClass::Accelerator, 768),
        ("", nic, DeviceClass::Nic, 256),
        ("", long_reads.as_str(), DeviceClass::DmaEngine, 256),
        // An explicit value wins over every class default.
        ("class: Accelerator, link: (tags: 32)", nic, DeviceClass::Accelerator, 32),
        (
            "link: (tags: 100)",
            r#"Accelerator(id: "g", device: "0000:01:00.0", container: "c", start: 1000, rate: 1000)"#,
            DeviceClass::Accelerator,
            100,
        ),
    ] {
        let d = dev(&classed(device, generator));
        assert_eq!((d.class, d.link.tags), (Some(class), tags), "`{device}` driven by {generator}");
    }
    // The tags bound the device: 64 reads of 64 KiB need 8 192 tags' worth of 512-byte TLPs
    // in flight, so over a 5 µs link the accelerator's 768 tags move more than 256 or 32.
    let achieved = |device: &str| {
        let s = classed(device, &long_reads);
        gen0(&run_with(&s, StrategyName::PerGroup, 3, Bypass::Off, None)).achieved_mbps
    };
    let (gpu, nic_class, tight) = (
        achieved("class: Accelerator, link: (latency: 5000)"),
        achieved("class: Nic, link: (latency: 5000)"),
        achieved("class: Accelerator, link: (latency: 5000, tags: 32)"),
    );
    assert!(gpu > nic_class && nic_class > tight, "{gpu} > {nic_class} > {tight} Mb/s");
}

#[test]
fn an_nvme_stopped_with_a_cpu_backlog_drains_before_its_queues_are_unmapped() {
    // 128 deep on one slow CPU: when the generator stops, most requests still wait for their
    // doorbell or their completion work. They finish, and only then are the queues unmapped:
    // no DMA faults on the queues, every map unmapped.
    let body = r#"Nvme(id: "d", device: "0000:01:00.0", container: "c", start: 1000, stop: 300_000, iops: 50_000_000,
        queue_depth: 128, working_set: 0x100_0000, submit_cpu: 5000, complete_cpu: 5000)"#;
    let s = scenario(topo("", ""), 3_000_000, body);
    let r = run_with(&s, StrategyName::PerGroup, 3, Bypass::None, None);
    let g = gen0(&r);
    // The first 128 submissions alone keep the CPU busy past the stop: exactly those complete.
    assert_eq!(g.requests, 128);
    assert_eq!(r.metrics.faults, 0);
    assert_eq!(r.metrics.maps, r.metrics.unmaps);
    // Its requests kept arriving while the CPU was busy: they waited for it.
    assert!(g.backpressure_cycles > 0);
}

/// `Port::settle` forms the latest completion from `down_free`, `last_posted` and the
/// 0-byte requests, and the TLP count and link busy times from per-direction TLP counts
/// (issue 15: none tracked per request or TLP): they equal the latest completion cycle the
/// requests returned and the per-TLP sums of wire times, for reads, writes, partial TLPs and
/// empty requests mixed.
#[test]
fn settled_port_counters_are_the_per_request_sums() {
    use crate::pcie::link::{COMPLETION_OVERHEAD, REQUEST_OVERHEAD};
    for bypass in [Bypass::None, Bypass::Off] {
        let s = scenario(topo("mps: 128, mrrs: 256, tags: 2, posted_credits: 2", ""), 1_000_000, &engine("request_bytes: 64"));
        let link = s.platform.devices[0].link;
        let mut core = crate::sim::core::Core::new(&s, 3, false, false);
        core.bypass = bypass;
        let (mut latest, mut tlps, mut up, mut down) = (0, 0, 0, 0);
        let mut x = 5u64;
        for i in 0..300u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            core.now = i * 37 + (x >> 60);
            let bytes = if i % 17 == 0 { 0 } else { (x >> 40) % 3000 };
            let (iova, write) = ((x >> 20) % 0x10_0000, (x >> 33) & 1 == 1);
            let t = core.transfer(crate::ids::DeviceId::from_index(0), iova, bytes, write);
            latest = latest.max(t.done);
            let split = u64::from(if write { link.mps } else { link.mrrs });
            let mut a = iova;
            while a < iova + bytes {
                let chunk = (split - a % split).min(iova + bytes - a);
                tlps += 1;
                if write {
                    up += link.wire_ps(chunk + REQUEST_OVERHEAD);
                } else {
                    up += link.wire_ps(REQUEST_OVERHEAD);
                    down += link.wire_ps(chunk + chunk.div_ceil(u64::from(link.mps)) * COMPLETION_OVERHEAD);
                }
                a += chunk;
            }
        }
        let p = &mut core.ports[0];
        p.settle();
        assert_eq!((p.c.last, p.c.tlps, p.c.busy_up_ps, p.c.busy_down_ps), (latest, tlps, up, down), "{bypass:?}");
    }
}
