//! Whole-scenario throughput: events/s and translations/s of the full engine (queue, DMA path,
//! IOTLB, walks) on DMA-heavy scenarios. Targets (issue 3, 2-core machine, release):
//! ≥ 50 M translations/s when the IOTLB hits, ≥ 10 M/s when it misses.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::scenario::Scenario;
use sim_core::sim::run;
use sim_core::strategy::StrategyName;
use sim_core::topology::Platform;

use iommu_sim_benches::ONE_SMMU_4K as TOPO;

/// `dmas` DMAs of `bytes` each, addresses advancing by `stride` over a `wrap`-byte working set
/// of 4K mappings.
fn scenario(dmas: u64, bytes: u64, stride: u64, wrap: u64) -> Scenario {
    let platform = Platform::parse(Path::new("bench.ron"), TOPO).expect("bench topology");
    let text = format!(
        r#"Scenario(name: "bench", topology: "bench.ron", seed: 1, duration: 1000000000000, strategies: ["per-group"],
        containers: [Container(id: "c")],
        events: [
            (at: 0, op: Attach(device: "0000:01:00.0", container: "c")),
            (at: 1, op: Map(container: "c", iova: 0, size: {wrap})),
            (at: 1000, repeat: (count: {dmas}, every: 100, stride: {stride}, wrap: {wrap}),
                op: Dma(device: "0000:01:00.0", iova: 0, bytes: {bytes}, dir: Read)),
        ])"#
    );
    Scenario::from_parts(Path::new("bench-scenario.ron"), &text, platform).expect("bench scenario")
}

fn scenarios(c: &mut Criterion) {
    let mut g = c.benchmark_group("scenario");
    g.sample_size(10);

    // IOTLB-hit heavy: 64 KiB DMAs over one 64 KiB buffer (16 translations each, all hits).
    let dmas = 20_000;
    let hit = scenario(dmas, 0x10000, 0, 0x10000);
    g.throughput(Throughput::Elements(dmas * 16));
    g.bench_function("translations_iotlb_hit", |b| b.iter(|| black_box(run(&hit, StrategyName::PerGroup, 1, None))));

    // Miss heavy: one 4K translation per DMA, scattered over 256 MiB of 4K pages (65536 pages,
    // 32 times the 2048-entry IOTLB) with a prime page stride, so nearly every request walks.
    let dmas = 1_000_000;
    let miss = scenario(dmas, 64, 4096 * 7919, 1 << 28);
    g.throughput(Throughput::Elements(dmas));
    g.bench_function("translations_iotlb_miss", |b| b.iter(|| black_box(run(&miss, StrategyName::PerGroup, 1, None))));

    // Events/s of the engine on small DMAs that hit (one event, one translation each).
    let events = 200_000;
    let ev = scenario(events, 64, 0, 0x1000);
    g.throughput(Throughput::Elements(events));
    g.bench_function("events_small_dma", |b| b.iter(|| black_box(run(&ev, StrategyName::PerGroup, 1, None))));
    g.finish();
}

/// The SimPy-shaped workload of issue 15 (4 devices, 2048×4 LRU IOTLB, 16 walkers, 4-level
/// walks, 200 000 translations): translations/s of the loop alone (`sim::run`, the scenario
/// already parsed). `benches/simpy/run.sh` times the whole process on the same workload.
fn simpy(c: &mut Criterion) {
    let mut g = c.benchmark_group("simpy_shaped");
    g.sample_size(10);
    g.throughput(Throughput::Elements(200_000));
    for hit in [50u32, 0] {
        let sc = iommu_sim_benches::simpy_scenario(hit);
        g.bench_function(format!("loop_{hit}pct_hits"), |b| b.iter(|| black_box(run(&sc, StrategyName::VfioType1, 1, None))));
    }
    g.finish();
}

/// Attach search (issue 15, item 1): `n` groups, each behind its own SMMUv3, attached to one
/// container under `vfio-type1`, which tries every existing domain (each a soft failure) before
/// allocating: n(n-1)/2 trials. Throughput is per trial, so a flat rate across `n` means the
/// cost is linear in the domains tried.
fn attach_search(c: &mut Criterion) {
    let mut g = c.benchmark_group("attach_search");
    g.sample_size(10);
    for n in [250usize, 500, 1000] {
        let sc = iommu_sim_benches::attach_scenario(n, "vfio-type1");
        g.throughput(Throughput::Elements((n * (n - 1) / 2) as u64));
        g.bench_function(format!("vfio_type1_{n}_instances"), |b| b.iter(|| black_box(run(&sc, StrategyName::VfioType1, 1, None))));
    }
    g.finish();
}

/// `compare` across strategies (issue 15, item 5): every strategy of the default scenario on
/// 1 thread and on 2 (rayon), as the CLI runs them.
fn compare_threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("compare");
    g.sample_size(10);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let sc = Scenario::load(&root.join("scenarios/default.ron")).expect("default scenario");
    let strategies: Vec<StrategyName> = sc.strategies.clone();
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
        g.bench_function(format!("default_all_strategies_{threads}_threads"), |b| {
            b.iter(|| pool.install(|| black_box(sim_core::runner::run_all(&sc, &strategies, sc.seed))))
        });
    }
    g.finish();
}

criterion_group!(benches, scenarios, simpy, attach_search, compare_threads);
criterion_main!(benches);
