//! One run of a scenario file under `per-group` (or the strategy given second), printing its
//! event count and digest: a fixed workload for instruction counts, e.g.
//! `valgrind --tool=callgrind target/release/examples/one_run scenarios/default.ron`.

use std::path::Path;

use sim_core::scenario::Scenario;
use sim_core::strategy::StrategyName;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: one_run SCENARIO.ron [STRATEGY]");
    let scenario = Scenario::load(Path::new(&path)).unwrap_or_else(|e| panic!("{e}"));
    let name = args.next().map_or(StrategyName::PerGroup, |n| StrategyName::parse(&n).expect("strategy name"));
    let r = sim_core::sim::run(&scenario, name, scenario.seed, None);
    println!("{} events, {} translations, digest {}", r.metrics.events, r.metrics.translations, r.digest);
}
