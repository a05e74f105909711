//! Workload generators seen from outside, through the library API: each generator's DMA stream
//! (cycle, iova, bytes) is reproducible from its seed, independent of the other generators
//! (each draws from its own `gen:<id>` stream), changed by another seed where it is random,
//! runs at the documented rate, and picks addresses in the documented shape.
//!
//! Every scenario here runs on the bundled arm-server topology (`topologies/arm-server.ron`):
//! NIC 0000:01:00.0 (smmu0), GPU 0001:01:00.0 (smmu1), NVMe 0002:03:00.0 / 0002:04:00.0
//! (smmu2). Devices are attached by a script line or a Vm generator first, so DMAs translate
//! instead of faulting (a fault would also be logged).

mod common;

use common::*;
use std::collections::BTreeMap;

use sim_core::metrics::RunResult;
use sim_core::scenario::Scenario;
use sim_core::sim::{EventKind, EventRecord, Observer, run};
use sim_core::strategy::StrategyName;
use sim_core::workload::nic::NicSpec;
use sim_core::workload::schema::Rate;

fn scenario(text: &str) -> Scenario {
    arm_server_scenario("tests/data/generators/generated.ron", text)
}

/// One DMA as the engine processed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Dma {
    cycle: u64,
    iova: u64,
    bytes: u64,
    write: bool,
}

/// Collects the DMA records of one device.
struct DmaLog {
    device: u64,
    dmas: Vec<Dma>,
}

impl Observer for DmaLog {
    fn event(&mut self, rec: &EventRecord) {
        // Data DMAs only: the ≤ 64-byte descriptor and completion DMAs a NIC or NVMe drive
        // makes in its long-lived rings (issue 12) are not the generator's address stream.
        if rec.kind == EventKind::Dma && rec.a & 0xffff_ffff == self.device && rec.c > 64 {
            self.dmas.push(Dma { cycle: rec.cycle, iova: rec.b, bytes: rec.c, write: rec.a >> 32 & 1 == 1 });
        }
    }
}

/// Runs `s` under per-group with `seed` and returns `device`'s DMAs and the run's results.
fn dmas_of(s: &Scenario, seed: u64, device: &str) -> (Vec<Dma>, RunResult) {
    let id = s.platform.device_by_name(device).expect("device in topology");
    let mut log = DmaLog { device: id.0 as u64, dmas: Vec::new() };
    let r = run(s, StrategyName::PerGroup, seed, Some(&mut log));
    (log.dmas, r)
}

/// A device behind smmu3, which shares no IOMMU, walker or link with the others.
const FAR: &str = "0003:03:00.0";

/// A scenario with one container `c` holding the NIC, GPU, both NVMe drives and `FAR`
/// (attached by a Vm generator at 0, released at `end`) and the given generators.
fn with_generators(duration: u64, generators: &str) -> Scenario {
    let end = duration - 1000;
    scenario(&format!(
        r#"Scenario(name: "g", topology: "unused", seed: 1, duration: {duration},
            containers: [Container(id: "c")],
            generators: [
                Vm(id: "vm", container: "c", stop: {end}, ram_bytes: 0x10_0000,
                   devices: ["{NIC}", "{GPU}", "{NVME}", "{NVME2}", "{FAR}"]),
                {generators}
            ])"#
    ))
}

/// `Kind(field: value, ...)` from default fields overridden by `extra` (`"a: 1, b: 2"`; values
/// hold no top-level comma here).
fn generator(kind: &str, defaults: &[(&str, String)], extra: &str) -> String {
    let mut fields: Vec<(String, String)> = defaults.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    for kv in extra.split(", ").filter(|s| !s.trim().is_empty()) {
        let (k, v) = kv.split_once(':').expect("field: value");
        let (k, v) = (k.trim().to_string(), v.trim().to_string());
        match fields.iter_mut().find(|(f, _)| *f == k) {
            Some(slot) => slot.1 = v,
            None => fields.push((k, v)),
        }
    }
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{kind}({}),", body.join(", "))
}

fn q(s: &str) -> String {
    format!("\"{s}\"")
}

fn nic(id: &str, extra: &str) -> String {
    let d = [
        ("id", q(id)),
        ("device", q(NIC)),
        ("container", q("c")),
        ("start", "1000".into()),
        ("rate", "PacketsPerSec(1_000_000)".into()),
        ("arrivals", "Poisson".into()),
    ];
    generator("Nic", &d, extra)
}
fn nvme(id: &str, device: &str, extra: &str) -> String {
    let d = [
        ("id", q(id)),
        ("device", q(device)),
        ("container", q("c")),
        ("start", "1000".into()),
        ("iops", "500_000".into()),
        ("arrivals", "Poisson".into()),
        ("pattern", "Uniform".into()),
        ("working_set", "0x100_0000".into()),
        // Ample CPUs: these tests are about the streams, not the host CPU bound (nvme.rs).
        ("cpus", "64".into()),
    ];
    generator("Nvme", &d, extra)
}
fn accel(id: &str, extra: &str) -> String {
    let d = [
        ("id", q(id)),
        ("device", q(GPU)),
        ("container", q("c")),
        ("start", "1000".into()),
        ("rate", "500_000".into()),
        ("arrivals", "Poisson".into()),
        ("access", "Random".into()),
        ("buffer_bytes", "0x400_0000".into()),
        ("buffers", "2".into()),
    ];
    generator("Accelerator", &d, extra)
}

/// The three traffic generators, each with the device whose DMAs it produces.
fn kinds() -> Vec<(&'static str, String)> {
    vec![(NIC, nic("nic", "")), (NVME, nvme("nvme", NVME, "")), (GPU, accel("gpu", ""))]
}

#[test]
fn every_generator_stream_is_reproducible_from_its_seed() {
    for (device, g) in kinds() {
        let s = with_generators(2_000_000, &g);
        let (a, ra) = dmas_of(&s, 5, device);
        let (b, rb) = dmas_of(&s, 5, device);
        assert!(a.len() > 100, "{device}: only {} DMAs", a.len());
        assert_eq!(a, b, "{device}: same seed, different stream");
        assert_eq!(ra.digest, rb.digest);
    }
}

#[test]
fn adding_a_generator_leaves_the_others_streams_unchanged() {
    // Each kind alone, then beside a second generator with another id (on another device of
    // the same container, so it also adds maps and unmaps): the first generator's (cycle,
    // iova, bytes, dir) records are identical. The other device sits behind another IOMMU:
    // devices sharing one share its walkers, and with closed-loop devices that contention
    // rightly moves completion times (and so issue times).
    let others = [(NIC, nvme("other", NVME2, "arrivals: Poisson")), (NVME, nvme("other", FAR, "pattern: Zipf")), (GPU, nic("other", ""))];
    for ((device, g), (d2, other)) in kinds().into_iter().zip(others) {
        assert_eq!(device, d2);
        let alone = dmas_of(&with_generators(2_000_000, &g), 9, device).0;
        let both = dmas_of(&with_generators(2_000_000, &format!("{g}\n{other}")), 9, device).0;
        assert!(!alone.is_empty());
        assert_eq!(alone, both, "{device}: another generator changed this one's stream");
    }
    // Also the same kind twice: a second NVMe (different id and device) leaves the first alone.
    let first = nvme("nvme", NVME, "");
    let alone = dmas_of(&with_generators(2_000_000, &first), 3, NVME).0;
    let both = dmas_of(&with_generators(2_000_000, &format!("{first}\n{}", nvme("nvme-2", FAR, ""))), 3, NVME).0;
    assert_eq!(alone, both);
}

#[test]
fn another_seed_changes_poisson_and_uniform_streams() {
    for (device, g) in kinds() {
        let s = with_generators(1_000_000, &g);
        let a = dmas_of(&s, 1, device).0;
        let b = dmas_of(&s, 2, device).0;
        let cycles = |v: &[Dma]| v.iter().map(|d| d.cycle).collect::<Vec<_>>();
        assert_ne!(cycles(&a), cycles(&b), "{device}: Poisson arrival times did not change with the seed");
    }
    // Uniform addresses alone (fixed arrivals, buffers mapped once so that no map's CPU cost
    // depends on the address): the times stay, the addresses move.
    let g = nvme("nvme", NVME, "arrivals: Fixed, map_per_request: false");
    let s = with_generators(1_000_000, &g);
    let (a, b) = (dmas_of(&s, 1, NVME).0, dmas_of(&s, 2, NVME).0);
    assert_eq!(a.iter().map(|d| d.cycle).collect::<Vec<_>>(), b.iter().map(|d| d.cycle).collect::<Vec<_>>());
    assert_ne!(a.iter().map(|d| d.iova).collect::<Vec<_>>(), b.iter().map(|d| d.iova).collect::<Vec<_>>());
}

#[test]
fn nic_poisson_rate_over_a_long_run() {
    // 1 M packets/s Poisson for 100 ms: the count is Poisson(100 000), standard deviation
    // sqrt(100 000) ≈ 316, so ±2 % (2 000) is > 6 sigma: a correct generator never fails it,
    // a rate off by 2 % always does. Page-pool mode (DMA only) keeps the test fast.
    let s = with_generators(100_002_000, &nic("nic", "page_pool: true, stop: 100_001_000"));
    let (d, r) = dmas_of(&s, 17, NIC);
    assert!((98_000..=102_000).contains(&d.len()), "{} packets", d.len());
    assert!(d.iter().all(|x| (1000..=100_001_000).contains(&x.cycle)), "packets only inside start..=stop");
    // RX and TX alternate.
    assert!(d.windows(2).all(|w| w[0].write != w[1].write));
    assert_eq!(r.metrics.maps, r.metrics.unmaps);
}

#[test]
fn gbps_converts_as_documented() {
    // packets/s = Gb/s · 10^9 / (8 · packet_bytes).
    assert_eq!(NicSpec::packets_per_sec(Rate::Gbps(100), 1500), 8_333_333);
    assert_eq!(NicSpec::packets_per_sec(Rate::Gbps(10), 1250), 1_000_000);
    assert_eq!(NicSpec::packets_per_sec(Rate::PacketsPerSec(42), 1500), 42);
    // 10 Gb/s of 1250-byte packets, fixed spacing: exactly one packet per 1 000 cycles, so
    // 10 000 in the 10 ms from start to stop (a packet due at the stop cycle is not sent:
    // the stop was queued first).
    // (64 CPUs carry the per-packet map/unmap/ATC-invalidation work of ≈ 10 µs, so the closed
    // loop drops nothing.)
    let s = with_generators(
        10_003_000,
        &format!(
            r#"Nic(id: "nic", device: "{NIC}", container: "c", start: 1000, stop: 10_001_000, rate: Gbps(10), packet_bytes: 1250, cpus: 64),"#
        ),
    );
    let (d, r) = dmas_of(&s, 1, NIC);
    assert_eq!(d.len(), 10_000);
    assert!(d.windows(2).all(|w| w[1].cycle - w[0].cycle == 1000));
    assert!(d.iter().all(|x| x.bytes == 1250));
    // Per-packet map/unmap: one of each per packet, nothing left mapped.
    assert_eq!(r.metrics.maps, 10_000 + 2, "packets + guest RAM + the descriptor ring");
    assert_eq!(r.metrics.requests_dropped, 0);
    assert_eq!(r.metrics.maps, r.metrics.unmaps);
    assert_eq!(r.metrics.pagetable_bytes_final, 0);
}

#[test]
fn nvme_iops_and_queue_depth() {
    // 1 M IOPS Poisson, queue_depth 256, service 10 000 cycles: ~10 requests in flight, so
    // the queue never limits. 20 ms: Poisson(20 000), sd ≈ 141; ±3 % (600) is > 4 sigma.
    let s = with_generators(21_100_000, &nvme("nvme", NVME, "iops: 1_000_000, queue_depth: 256, stop: 20_001_000"));
    let (d, r) = dmas_of(&s, 4, NVME);
    assert!((19_400..=20_600).contains(&d.len()), "{} requests", d.len());
    assert_eq!(r.metrics.maps, r.metrics.unmaps, "every request's map is unmapped at completion");
    assert_eq!(r.metrics.pagetable_bytes_final, 0);
    // queue_depth 1 caps the drive whatever arrives: each completion (the CPU's submission
    // work and map, its DMAs — command, data, completion entry — the 10 000-cycle service
    // time, the CPU's completion work and unmap) submits a waiting request at once, so
    // requests follow each other exactly one request latency apart.
    let s = with_generators(11_100_000, &nvme("nvme", NVME, "iops: 1_000_000, arrivals: Fixed, queue_depth: 1, stop: 10_001_000"));
    let (d, r) = dmas_of(&s, 4, NVME);
    assert!(d.windows(2).all(|w| w[1].cycle - w[0].cycle > 10_000), "one request per service time plus its DMA");
    let g = &r.generators.iter().find(|g| g.id == "nvme").expect("nvme").clone();
    let period = g.mean_request_latency;
    assert!(
        g.mean_request_latency > 10_000 && (d.len() as u64).abs_diff(10_000_000 / period) <= 1,
        "{} requests, period {period}",
        d.len()
    );
}

#[test]
fn accelerator_rate_and_buffers() {
    // 100 k accesses/s fixed for 10 ms: 1 000 accesses, 64 KiB each, all inside
    // the two buffers, each buffer starting 1 GiB aligned (pitch = buffer size rounded up).
    let g = format!(
        r#"Accelerator(id: "gpu", device: "{GPU}", container: "c", start: 1000, stop: 10_001_000, rate: 100_000, buffers: 2, buffer_bytes: 0x100_0000, access: Random),"#
    );
    let (d, r) = dmas_of(&with_generators(10_100_000, &g), 2, GPU);
    assert_eq!(d.len(), 1000);
    let base = 0x100_0000_0000u64;
    for x in &d {
        assert_eq!(x.bytes, 0x1_0000);
        let off = x.iova - base;
        let (buffer, within) = (off >> 30, off & ((1 << 30) - 1));
        assert!(buffer < 2 && within + x.bytes <= 0x100_0000, "{:#x} outside the buffers", x.iova);
    }
    assert_eq!(r.metrics.faults, 0);
    assert_eq!(r.metrics.maps, r.metrics.unmaps);
}

#[test]
fn sequential_patterns_increase_modulo_the_wrap() {
    // NVMe Sequential over 64 blocks of 16 KiB: each request takes the next block, wrapping.
    let block = 0x4000u64;
    let ws = 64 * block;
    let base = 0x20_0000_0000u64;
    let g = nvme("nvme", NVME, &format!("pattern: Sequential, block_bytes: {block}, working_set: {ws}, queue_depth: 4"));
    let (d, _) = dmas_of(&with_generators(2_000_000, &g), 1, NVME);
    assert!(d.len() > 3 * 64, "wraps several times");
    assert_eq!(d[0].iova, base);
    for w in d.windows(2) {
        let (a, b) = (w[0].iova, w[1].iova);
        assert!(b == a + block || (a == base + ws - block && b == base), "{a:#x} -> {b:#x}");
    }
    // NIC slots: strict cycles through `ring` buffers...
    let (d, _) = dmas_of(&with_generators(1_000_000, &nic("nic", "ring: 16")), 1, NIC);
    let nic_base = 0x10_0000_0000u64;
    for w in d.windows(2) {
        let (a, b) = (w[0].iova, w[1].iova);
        assert!(b == a + 4096 || (a == nic_base + 15 * 4096 && b == nic_base), "{a:#x} -> {b:#x}");
    }
    // ...lazy through ring + flush_queue, since Linux does not reuse an IOVA before its flush.
    let lazy = scenario(&format!(
        r#"Scenario(name: "g", topology: "unused", duration: 1_000_000,
            containers: [DmaApi(id: "c", invalidation: Lazy, flush_queue: 8)],
            events: [(at: 0, op: Attach(device: "{NIC}", container: "c"))],
            generators: [{}])"#,
        nic("nic", "ring: 16")
    ));
    let (d, r) = dmas_of(&lazy, 1, NIC);
    let max = d.iter().map(|x| x.iova).max().expect("packets");
    assert_eq!(max, nic_base + (16 + 8 - 1) * 4096);
    assert_eq!(r.metrics.stale_translations, 0, "no IOVA is reused before its flush");
    // Accelerator Streaming: access after access, wrapping over the buffer.
    let g = format!(
        r#"Accelerator(id: "gpu", device: "{GPU}", container: "c", start: 1000, rate: 1_000_000, buffer_bytes: 0x10_0000, access_bytes: 0x1_0000),"#
    );
    let (d, _) = dmas_of(&with_generators(200_000, &g), 1, GPU);
    let a_base = 0x100_0000_0000u64;
    assert!(d.len() > 40);
    for (i, x) in d.iter().enumerate() {
        assert_eq!(x.iova, a_base + (i as u64 % 16) * 0x1_0000);
    }
}

/// Requests per block of an NVMe run with one request in flight at a time (fixed arrivals
/// 10 000 cycles apart, service 100 cycles plus a few µs of DMA and the driver's CPU; the
/// working set mapped once, so no per-request map/unmap CPU makes a request outlast its
/// arrival gap), so no block is ever skipped for being busy.
fn block_counts(pattern: &str, blocks: u64, requests: u64, seed: u64) -> Vec<u64> {
    let base = 0x20_0000_0000u64;
    let g = nvme(
        "nvme",
        NVME,
        &format!(
            "pattern: {pattern}, arrivals: Fixed, iops: 100_000, service: 100, queue_depth: 1, map_per_request: false, working_set: {}, stop: {}",
            blocks * 4096,
            requests * 10_000
        ),
    );
    let (d, _) = dmas_of(&with_generators(requests * 10_000 + 100_000, &g), seed, NVME);
    let mut counts = vec![0u64; blocks as usize];
    for x in d {
        counts[((x.iova - base) / 4096) as usize] += 1;
    }
    counts
}

#[test]
fn uniform_pattern_is_flat() {
    // 16 blocks, 8 000 requests: 500 expected each, sd ≈ sqrt(500 · 15/16) ≈ 22; ±25 %
    // (125) is > 5 sigma for each of the 16 blocks.
    let c = block_counts("Uniform", 16, 8000, 3);
    assert!(c.iter().all(|&n| (375..=625).contains(&n)), "{c:?}");
}

#[test]
fn zipf_pattern_follows_one_over_k() {
    // 1 000 blocks, 20 000 requests, P(rank k) = (1/k) / H(1000), H(1000) ≈ 7.485: block 0
    // expects 2 672 (sd ≈ 48), block 1 1 336, block 9 267; the upper half of the blocks
    // together ≈ 0.69/7.485 ≈ 9.3 % (1 850). Bounds are > 5 sigma away.
    let c = block_counts("Zipf", 1000, 20_000, 7);
    assert!((2_400..=2_950).contains(&c[0]), "rank 1: {}", c[0]);
    assert!((1_150..=1_530).contains(&c[1]), "rank 2: {}", c[1]);
    assert!((180..=360).contains(&c[9]), "rank 10: {}", c[9]);
    let upper: u64 = c[500..].iter().sum();
    assert!((1_550..=2_150).contains(&upper), "upper half: {upper}");
    // Seeds give different draws of the same shape.
    let c2 = block_counts("Zipf", 1000, 20_000, 8);
    assert_ne!(c, c2);
    assert!((2_400..=2_950).contains(&c2[0]));
}

#[test]
fn vm_generator_attaches_maps_and_releases() {
    // A Vm attaches its devices at start and maps RAM, and at stop unmaps and detaches:
    // every strategy ends with no domain and no page-table memory.
    let s = scenario(&format!(
        r#"Scenario(name: "g", topology: "unused", duration: 2_000_000,
            containers: [Container(id: "c")],
            generators: [Vm(id: "vm", container: "c", start: 10, stop: 1_000_000, ram_bytes: 0x4000_0000,
                            devices: ["{NIC}", "0000:01:00.1", "{GPU}", "{NVME}"],
                            churn: (every: 100_000, down: 30_000))])"#
    ));
    let results: BTreeMap<StrategyName, RunResult> = StrategyName::ALL.into_iter().map(|n| (n, run(&s, n, 1, None))).collect();
    for (n, r) in &results {
        let m = &r.metrics;
        assert_eq!((m.domains_final, m.pagetable_bytes_final), (0, 0), "{n:?}");
        assert_eq!((m.maps, m.unmaps), (1, 1), "{n:?}");
    }
    let pg = &results[&StrategyName::PerGroup].metrics;
    // Four devices (three groups) at start, then 9 unplug/replug cycles (one every 100 us
    // until the stop), each re-attaching one device. Unplugging one NIC function leaves its
    // group attached (the other function holds it), so detaches and fresh domains depend on
    // which device the churn drew: between 3 and 3 + 9.
    assert_eq!(pg.attaches_ok, 4 + 9);
    assert!((3..=12).contains(&pg.detaches), "{}", pg.detaches);
    assert_eq!(pg.domains_allocated, pg.detaches, "per-group: every group that left had its own domain");
}
