//! Load time (issue 15, item 2): parsing and checking a topology of `n` devices and a scenario
//! with one generator per device. Throughput is per device, so a flat rate across `n` means
//! loading is linear (the duplicate-id check used to compare every generator with every
//! earlier one). Target: 100 000 devices in under a second.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iommu_sim_benches::{flat_topology, generators_scenario_text};
use sim_core::scenario::Scenario;
use sim_core::topology::Platform;

fn load(c: &mut Criterion) {
    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    for n in [10_000usize, 20_000, 40_000, 100_000] {
        let topo = flat_topology(n);
        let scen = generators_scenario_text(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("topology_{n}_devices"), |b| {
            b.iter(|| black_box(Platform::parse(Path::new("flat.ron"), &topo).expect("topology")))
        });
        // A scenario holds at most 65535 generators (sim-core limits.rs: they are numbered
        // by u16 ids); the 100 000-device case measures the topology alone.
        if n > 65_535 {
            continue;
        }
        let platform = Platform::parse(Path::new("flat.ron"), &topo).expect("topology");
        g.bench_function(format!("scenario_{n}_generators"), |b| {
            b.iter(|| black_box(Scenario::from_parts(Path::new("gens.ron"), &scen, platform.clone()).expect("scenario")))
        });
    }
    g.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
