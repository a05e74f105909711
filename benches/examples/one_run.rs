//! One run of a scenario file under `per-group` (or the strategy given second), printing its
//! event count and digest: a fixed workload for instruction counts, e.g.
//! `valgrind --tool=callgrind target/release/examples/one_run scenarios/default.ron`.
//! With a third argument N it runs N times and also prints the best wall time of one run
//! (`best_seconds`: the scenario is parsed once, outside the timing), for rate comparisons
//! (`benches/bare/compare.sh`). A third argument `identity` or `iommu-off` instead runs that
//! no-translation baseline once: the event loop and PCIe path alone, without the IOMMU caches.

use std::path::Path;

use sim_core::scenario::Scenario;
use sim_core::sim::transfer::Bypass;
use sim_core::strategy::StrategyName;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: one_run SCENARIO.ron [STRATEGY [REPS | identity | iommu-off]]");
    let scenario = Scenario::load(Path::new(&path)).unwrap_or_else(|e| panic!("{e}"));
    let name = args.next().map_or(StrategyName::PerGroup, |n| StrategyName::parse(&n).expect("strategy name"));
    let third = args.next();
    let (bypass, reps): (Bypass, u32) = match third.as_deref() {
        None => (Bypass::None, 1),
        Some("identity") => (Bypass::Identity, 1),
        Some("iommu-off") => (Bypass::Off, 1),
        Some(n) => (Bypass::None, n.parse().expect("REPS is a number (or identity / iommu-off)")),
    };
    let mut best = f64::INFINITY;
    let mut r = None;
    for _ in 0..reps.max(1) {
        let t0 = std::time::Instant::now();
        // `sim::run` for the translated run: `benches/icount.sh` counts instructions inside it.
        let run = match bypass {
            Bypass::None => sim_core::sim::run(&scenario, name, scenario.seed, None),
            b => sim_core::sim::run_with(&scenario, name, scenario.seed, b, None),
        };
        best = best.min(t0.elapsed().as_secs_f64());
        r = Some(run);
    }
    let r = r.expect("ran at least once");
    println!("{} events, {} translations, digest {}", r.metrics.events, r.metrics.translations, r.digest);
    if reps > 1 {
        println!("best_seconds {best:.6}");
    }
}
