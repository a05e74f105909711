//! One run of a scenario file under `per-group` (or the strategy given second), printing its
//! event count and digest: a fixed workload for instruction counts, e.g.
//! `valgrind --tool=callgrind target/release/examples/one_run scenarios/default.ron`.
//! A third argument `identity` or `iommu-off` runs that no-translation baseline instead: the
//! event loop and PCIe path alone, without the IOMMU caches.

use std::path::Path;

use sim_core::scenario::Scenario;
use sim_core::sim::transfer::Bypass;
use sim_core::strategy::StrategyName;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: one_run SCENARIO.ron [STRATEGY]");
    let scenario = Scenario::load(Path::new(&path)).unwrap_or_else(|e| panic!("{e}"));
    let name = args.next().map_or(StrategyName::PerGroup, |n| StrategyName::parse(&n).expect("strategy name"));
    let bypass = match args.next().as_deref() {
        None => Bypass::None,
        Some("identity") => Bypass::Identity,
        Some("iommu-off") => Bypass::Off,
        Some(b) => panic!("unknown baseline {b} (identity or iommu-off)"),
    };
    // `sim::run` for the translated run: `benches/icount.sh` counts instructions inside it.
    let r = match bypass {
        Bypass::None => sim_core::sim::run(&scenario, name, scenario.seed, None),
        b => sim_core::sim::run_with(&scenario, name, scenario.seed, b, None),
    };
    println!("{} events, {} translations, digest {}", r.metrics.events, r.metrics.translations, r.digest);
}
