//! The closed loop's cost (issue 12): events/s of the whole engine, now that every DMA goes
//! through the PCIe/TLP model, on the miss-heavy scenario of `scenario.rs` (one small DMA per
//! event, nearly every one walking), on the bundled default scenario, and on a DmaEngine
//! that keeps 32 requests in flight (one completion event per request).
//! Compare with the same benchmarks before the closed loop (numbers in the notes / README).

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::scenario::Scenario;
use sim_core::sim::run;
use sim_core::strategy::StrategyName;
use sim_core::topology::Platform;

use iommu_sim_benches::ONE_SMMU_4K as TOPO;

fn scenario(duration: u64, body: &str) -> Scenario {
    let platform = Platform::parse(Path::new("bench.ron"), TOPO).expect("bench topology");
    let text = format!(
        r#"Scenario(name: "bench", topology: "bench.ron", seed: 1, duration: {duration}, strategies: ["per-group"],
        containers: [Container(id: "c")], {body})"#
    );
    Scenario::from_parts(Path::new("bench-scenario.ron"), &text, platform).expect("bench scenario")
}

fn closed_loop(c: &mut Criterion) {
    let mut g = c.benchmark_group("closed_loop");
    g.sample_size(10);

    // Miss heavy, as scenario.rs: 1 M 64-byte DMAs scattered over 256 MiB of 4K pages.
    let dmas = 1_000_000u64;
    let miss = scenario(
        1_000_000_000_000,
        &format!(
            r#"events: [
            (at: 0, op: Attach(device: "0000:01:00.0", container: "c")),
            (at: 1, op: Map(container: "c", iova: 0, size: {wrap})),
            (at: 1000, repeat: (count: {dmas}, every: 100, stride: {stride}, wrap: {wrap}),
                op: Dma(device: "0000:01:00.0", iova: 0, bytes: 64, dir: Read)),
        ]"#,
            wrap = 1u64 << 28,
            stride = 4096u64 * 7919
        ),
    );
    let events = run(&miss, StrategyName::PerGroup, 1, None).metrics.events;
    g.throughput(Throughput::Elements(events));
    g.bench_function("events_miss_heavy", |b| b.iter(|| black_box(run(&miss, StrategyName::PerGroup, 1, None))));

    // The bundled default scenario, first strategy.
    let default = Scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/default.ron")).expect("default scenario");
    let events = run(&default, StrategyName::PerGroup, 1, None).metrics.events;
    g.throughput(Throughput::Elements(events));
    g.bench_function("events_default", |b| b.iter(|| black_box(run(&default, StrategyName::PerGroup, 1, None))));

    // A DmaEngine: 32 × 4 KiB reads in flight, random over 64 MiB of 4K pages, 20 ms.
    let engine = scenario(
        20_000_000,
        r#"events: [(at: 0, op: Attach(device: "0000:01:00.0", container: "c"))],
        generators: [DmaEngine(id: "e", device: "0000:01:00.0", container: "c", start: 1000, pattern: Random,
            request_bytes: 4096, window_bytes: 0x4000000, outstanding: 32, page: "4K")]"#,
    );
    let events = run(&engine, StrategyName::PerGroup, 1, None).metrics.events;
    g.throughput(Throughput::Elements(events));
    g.bench_function("events_dma_engine", |b| b.iter(|| black_box(run(&engine, StrategyName::PerGroup, 1, None))));
    g.finish();
}

criterion_group!(benches, closed_loop);
criterion_main!(benches);
