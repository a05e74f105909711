//! One run of a scenario file under `per-group` (or the strategy given second), printing its
//! event count and digest: a fixed workload for instruction counts, e.g.
//! `valgrind --tool=callgrind target/release/examples/one_run scenarios/default.ron`.
//! With a third argument N it runs N times and also prints the best wall time of one run
//! (`best_seconds`: the scenario is parsed once, outside the timing), for rate comparisons
//! (`benches/bare/compare.sh`).

use std::path::Path;

use sim_core::scenario::Scenario;
use sim_core::strategy::StrategyName;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: one_run SCENARIO.ron [STRATEGY [REPS]]");
    let scenario = Scenario::load(Path::new(&path)).unwrap_or_else(|e| panic!("{e}"));
    let name = args.next().map_or(StrategyName::PerGroup, |n| StrategyName::parse(&n).expect("strategy name"));
    let reps: u32 = args.next().map_or(1, |n| n.parse().expect("REPS is a number"));
    let mut best = f64::INFINITY;
    let mut r = None;
    for _ in 0..reps.max(1) {
        let t0 = std::time::Instant::now();
        let run = sim_core::sim::run(&scenario, name, scenario.seed, None);
        best = best.min(t0.elapsed().as_secs_f64());
        r = Some(run);
    }
    let r = r.expect("ran at least once");
    println!("{} events, {} translations, digest {}", r.metrics.events, r.metrics.translations, r.digest);
    if reps > 1 {
        println!("best_seconds {best:.6}");
    }
}
